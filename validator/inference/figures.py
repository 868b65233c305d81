"""The inference figure for the report: classical vs rectified intervals, and n_eff per model.

Drawn from an :class:`~validator.inference.records.InferenceResult` (no statistic is
computed here), in the report's greyscale style: the human-only interval solid dark,
the PPI++ interval open. Intervals are drawn on the scale of each coefficient's
classical standard error, centred on the classical estimate, so that coefficients of
different sizes share one axis: the classical interval is always ``+-z``; the rectified
one shows its shift and its width.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from validator.inference.records import InferenceResult

if TYPE_CHECKING:
    from validator.report.figures import Drawn

__all__ = ["inference_figure"]


def inference_figure(result: InferenceResult, stem: str = "inference") -> Drawn | None:
    """Left: intervals per coefficient (standardised); right: n_eff per model with its interval."""
    from matplotlib.figure import Figure

    from validator.report.figures import WIDTH, Drawn

    models = [m for m in result.models if m.status == "ok" and m.coefficients]
    if not models:
        return None
    rows = [(m.model, c) for m in models for c in m.coefficients]
    height = 0.9 + 0.16 * len(rows)
    fig = Figure(figsize=(WIDTH, height))
    left, right = fig.add_axes((0.2, 0.6 / height, 0.42, 1 - 1.0 / height)), fig.add_axes((0.74, 0.6 / height, 0.24, 1 - 1.0 / height))
    for i, (_model, c) in enumerate(rows):
        y = len(rows) - 1 - i
        scale = c.classical_se if c.classical_se > 0 else 1.0
        lo_c, hi_c = (c.classical_low - c.classical_estimate) / scale, (c.classical_high - c.classical_estimate) / scale
        lo_p, hi_p = (c.ppi_low - c.classical_estimate) / scale, (c.ppi_high - c.classical_estimate) / scale
        left.plot([lo_c, hi_c], [y + 0.15, y + 0.15], color="0.3", lw=3, solid_capstyle="butt")
        left.plot([lo_p, hi_p], [y - 0.15, y - 0.15], color="black", lw=0.9)
        left.plot([(c.ppi_estimate - c.classical_estimate) / scale], [y - 0.15], "o", mfc="white", mec="black", ms=3.5)
    left.set_yticks(range(len(rows)), [f"{m} {c.term}"[:28] for m, c in reversed(rows)], fontsize=7)
    left.axvline(0.0, color="0.6", lw=0.6)
    left.set_xlabel("interval in classical standard errors (dark: human-only, open: PPI++)", fontsize=7)
    names = [m.model for m in models]
    values = [m.effective_n or 0.0 for m in models]
    for j, m in enumerate(models):
        y = len(models) - 1 - j
        right.barh(y, values[j], color="white", edgecolor="black", lw=0.8)
        if m.effective_n_low is not None and m.effective_n_high is not None:
            right.plot([m.effective_n_low, m.effective_n_high], [y, y], color="black", lw=0.9)
        right.plot([m.n_human, m.n_human], [y - 0.4, y + 0.4], color="0.3", lw=2)
    right.set_yticks(range(len(models)), list(reversed(names)), fontsize=7)
    right.set_xlabel("n_eff (bar) vs humans (dark line)", fontsize=7)
    for ax in (left, right):
        ax.spines["top"].set_visible(False)
        ax.spines["right"].set_visible(False)
        ax.tick_params(labelsize=7)
    return Drawn(stem, fig)
