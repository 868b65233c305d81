"""The default recovery verdict: is the simulation's recovery beyond the human data's own noise?

The question a researcher asks is whether the simulation recovers the human
findings as well as a fresh human sample of the same size would. simval answers
it from the human data alone (:class:`FreshSampleNull`): each pair of independent
resamples of the human data, one of the human size and one of the simulation's
size, both moved to the population of the human findings (significant human
coefficients at their estimate, the others at no effect; plain resamples inflate
the effects the human data could not find and made the rule conservative), is
compared exactly as the simulation is compared with the human data. The
distribution of F1(Sign), FNR, FPR and sign flips over those pairs is what a
perfect simulator would show; a model the simulation cannot fit is judged by how
often a fresh human sample of its size fails to fit it.

The rule is family-wise (single-step min-p, Westfall and Young 1993): every
metric gets its one-sided resampling p-value (low F1(Sign), high FNR, FPR, sign
flips, a model not fitted); the simulation fails when the smallest of them is
below the ``1 - level`` quantile of the same minimum over the resample pairs.
So a perfect simulator fails with probability about ``1 - level`` in total, not
per metric (measured in ``bench/coverage_recovery.py``, docs/calibration.md).

``inconclusive``: a model is not estimable on the human side (the reference
itself cannot decide), fewer than :data:`MIN_COMPARED` coefficients can be
compared, there are no resamples (``--bootstrap 0``) or fewer than
:data:`MIN_NULL_REPLICATES` pairs in which the compared models could be fitted.

Reference: Westfall, P. H. and Young, S. S. (1993), Resampling-Based Multiple
Testing, Wiley, section 2.6 (single-step min-p adjustment).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from validator.recovery.records import RecoveryResult
from validator.verdict.records import ConstructVerdict

#: (statistic, label, direction): +1 when larger is worse, -1 when smaller is worse.
VERDICT_METRICS: tuple[tuple[str, str, int], ...] = (
    ("f1_sign", "F1(Sign)", -1),
    ("fnr", "FNR", 1),
    ("fpr", "FPR", 1),
    ("sign_flips", "sign flips", 1),
)

#: Fewer compared coefficients than this cannot support a verdict on recovery.
MIN_COMPARED = 4

#: Fewer resample pairs than this make the 5% tail of the minimum p-value noise.
MIN_NULL_REPLICATES = 100


@dataclass(frozen=True)
class FreshSampleNull:
    """The recovery statistics of resample pairs, and which models each fresh sample could fit.

    ``statistics[name]`` has one value per pair, NaN where a compared model was
    not fitted on either member; ``fitted[model]`` is a boolean per pair for the
    fresh sample of the simulation's size.
    """

    statistics: dict[str, np.ndarray]
    fitted: dict[str, np.ndarray]
    n_sim: int

    @property
    def replicates(self) -> int:
        return len(next(iter(self.statistics.values()))) if self.statistics else 0

    @property
    def consistent(self) -> int:
        return int(np.isfinite(self.statistics["n_coefficients"]).sum()) if self.statistics else 0


def _oriented(values: np.ndarray, direction: int) -> np.ndarray:
    """Larger is worse; an undefined value (NaN) is never extreme."""
    out = direction * np.asarray(values, dtype=float)
    return np.where(np.isfinite(out), out, -np.inf)


#: Mid-p values (Lancaster 1961): a tie counts half. The metrics are counts and ratios
#: of small counts, so most pairs tie with many others; counting ties in full makes
#: every p-value, and the rule, conservative. Off by default: the calibration study
#: measured the rule with ties counted in full; mid-p did not bring the pass rate of a
#: perfect simulator measurably closer to 95% (docs/calibration.md).
MID_P = False


def _null_p(values: np.ndarray) -> np.ndarray:
    """Per pair, the share of pairs more extreme than it, ties (itself included) counted half with :data:`MID_P`."""
    ordered = np.sort(values)
    above = len(values) - np.searchsorted(ordered, values, side="right")
    ties = np.searchsorted(ordered, values, side="right") - np.searchsorted(ordered, values, side="left")
    return (above + (0.5 if MID_P else 1.0) * ties) / len(values)


def _observed_p(values: np.ndarray, observed: float) -> float:
    """The observed value's p-value, counted as one more draw among the pairs (ties half with :data:`MID_P`)."""
    above = np.sum(values > observed)
    ties = np.sum(values == observed) + 1
    return float((above + (0.5 if MID_P else 1.0) * ties) / (len(values) + 1))


def _critical(min_p: np.ndarray, alpha: float) -> float:
    """The largest value c with at most a share alpha of ``min_p`` strictly below it."""
    values = np.unique(min_p)
    below = np.searchsorted(np.sort(min_p), values, side="left") / len(min_p)
    allowed = values[below <= alpha]
    return float(allowed.max()) if allowed.size else float(values.min())


def _limit(values: np.ndarray, critical: float) -> float | None:
    """The worst value that still passes: the largest x whose observed p-value is >= critical."""
    finite = np.unique(values[np.isfinite(values)])
    passing = [x for x in finite if _observed_p(values, float(x)) >= critical]
    return float(max(passing)) if passing else None


def _fmt(name: str, value: float) -> str:
    return f"{value:.0f}" if name == "sign_flips" else f"{value:.3f}"


def default_verdict(point: RecoveryResult, null: FreshSampleNull | None, *, level: float) -> tuple[ConstructVerdict, dict[str, Any] | None]:
    """The recovery verdict of the default rule (module docstring), and the limits it used."""
    human_missing = [m for m in point.models if not m.human_estimable]
    if human_missing:
        shown = ", ".join(f"{m.model} ({m.human_reason})" for m in human_missing)
        return ConstructVerdict("inconclusive", f"not estimable on the human data: {shown}; the reference cannot decide"), None
    if null is None or null.replicates == 0:
        return ConstructVerdict("inconclusive", "no bootstrap resamples (--bootstrap 0): the human data's own noise is unknown"), None
    sim_missing = [m for m in point.models if m.human_estimable and not m.sim_estimable]
    s = point.summary
    if s.n_coefficients < MIN_COMPARED and not sim_missing:
        return ConstructVerdict("inconclusive", f"only {s.n_coefficients} coefficients can be compared (at least {MIN_COMPARED} are needed)"), None
    if null.consistent < MIN_NULL_REPLICATES:
        return (
            ConstructVerdict(
                "inconclusive",
                f"only {null.consistent} of {null.replicates} human resample pairs fit every compared model "
                f"(at least {MIN_NULL_REPLICATES} are needed)",
            ),
            None,
        )
    alpha = 1.0 - level
    columns: list[tuple[str, np.ndarray, float | None]] = []  # (name, oriented null values, oriented observed)
    for name, _label, direction in VERDICT_METRICS:
        value = getattr(s, name)
        observed = None if value is None else direction * float(value)
        columns.append((name, _oriented(null.statistics[name], direction), observed))
    null_p = [_null_p(values) for _, values, _ in columns]
    observed_p = [_observed_p(values, obs) if obs is not None else 1.0 for _, values, obs in columns]
    failed_models: list[tuple[str, str, float, float]] = []  # (model, reason, share failing, p)
    for m in point.models:
        if not m.human_estimable:
            continue
        not_fitted = ~null.fitted.get(m.model, np.ones(null.replicates, bool))
        share = float(not_fitted.mean())
        # A fresh sample that fails the model is as extreme as a simulation that fails it.
        null_p.append(np.where(not_fitted, max(share, 1.0 / null.replicates), 1.0))
        if not m.sim_estimable:
            p = float((1 + not_fitted.sum()) / (null.replicates + 1))
            failed_models.append((m.model, m.sim_reason or "not estimable", share, p))
    null_min = np.min(np.vstack(null_p), axis=0)
    critical = _critical(null_min, alpha)
    # The observed minimum p is compared with the same critical value, metric by metric.
    limits: dict[str, Any] = {
        "level": level,
        "pairs": null.replicates,
        "consistent_pairs": null.consistent,
        "n_sim": null.n_sim,
        "critical_p": critical,
        # The rule's size on the resample pairs themselves: at most 1 - level, less with ties.
        "pairs_failing": float(np.mean(null_min < critical)),
    }
    reasons: list[str] = []
    for (name, values, observed), p in zip(columns, observed_p):
        direction = next(d for n, _, d in VERDICT_METRICS if n == name)
        label = next(lbl for n, lbl, _ in VERDICT_METRICS if n == name)
        bound = _limit(values, critical)
        limit = None if bound is None else direction * bound
        limits[name] = {"observed": getattr(s, name), "limit": limit, "p": p}
        if observed is None or p >= critical:
            continue
        value = direction * observed
        shown = "none" if limit is None else _fmt(name, limit)
        if name == "sign_flips":
            reasons.append(f"{_fmt(name, value)} of {s.n_reference_significant} significant human findings reversed (a fresh sample: at most {shown})")
        else:
            reasons.append(f"{label} {_fmt(name, value)} {'below' if direction < 0 else 'above'} {shown}")
    unfitted: dict[tuple[str, float], list[str]] = {}  # (reason, share of fresh samples failing) -> models
    for model, reason, share, p in failed_models:
        limits.setdefault("models_not_fitted", {})[model] = {"fresh_sample_failure_share": share, "p": p}
        if p < critical:
            unfitted.setdefault((reason, share), []).append(model)
    for (reason, share), models in unfitted.items():
        # One clause for the models that fail alike: "m1, m2 not estimable on the simulation (no_variation; ...)".
        them = "it" if len(models) == 1 else "them"
        fresh = f"a fresh sample always fits {them}" if share == 0 else f"a fresh sample fails {them} {100 * share:.1f}% of the time"
        reasons.append(f"{', '.join(models)} not estimable on the simulation ({reason}; {fresh})")
    sample = f"a fresh human sample of {null.n_sim} rows, family-wise {100 * level:g}%, {null.replicates} resamples"
    if reasons:
        return ConstructVerdict("fail", f"{'; '.join(reasons)} ({sample})"), limits
    shown = ", ".join(
        f"{label} {_fmt(name, float(getattr(s, name)))}" for name, label, _ in VERDICT_METRICS if getattr(s, name) is not None
    )
    return ConstructVerdict("pass", f"{shown}: within the noise of {sample}"), limits
