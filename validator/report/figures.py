"""The report's figures, drawn with matplotlib from result records (no statistic is computed here).

Each figure is saved twice from one drawing: SVG for the HTML report and PNG
for the PDF. Figures are readable in greyscale: the human data is drawn in
solid dark grey or black, the simulation white with hatching or as open
markers, and every value a reader needs is also printed as a number. Output is
deterministic: a fixed SVG hash salt and no dates in the metadata, so two runs
give byte-identical files.

matplotlib is imported only when a figure is drawn, and pyplot never: figures
are plain :class:`matplotlib.figure.Figure` objects with the Agg canvas, so
nothing global (a GUI backend, pyplot's figure registry) is touched.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from validator.report.escape import mpl

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from validator.checks.distribution import DistributionResult
    from validator.checks.heterogeneity import HeterogeneityResult
    from validator.models.types import ModelFit
    from validator.recovery.records import RecoveryResult
    from validator.results import SimulationResult

#: Saved formats: SVG for the HTML report, PNG for the PDF.
FORMATS = ("svg", "png")
PNG_DPI = 200
WIDTH = 6.5  # inches: the PDF's text width on A4 with 2 cm margins, and ~ 620 px in the HTML

HUMAN = {"facecolor": "0.25", "edgecolor": "black", "linewidth": 0.6}
SIM = {"facecolor": "white", "edgecolor": "black", "hatch": "////", "linewidth": 0.6}

_STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": 8.5,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "hatch.linewidth": 0.5,
    "svg.hashsalt": "simval-report",
    "svg.fonttype": "path",
    "figure.dpi": 100,
    "path.simplify": True,
}


@dataclass(frozen=True)
class FigureFile:
    """A drawn figure: its stem (``figures/<stem>.svg`` and ``.png``) and the files written."""

    stem: str
    paths: tuple[Path, ...]


def _save(fig: Figure, directory: Path, stem: str) -> FigureFile:
    paths = []
    for fmt in FORMATS:
        path = directory / f"{stem}.{fmt}"
        if fmt == "svg":
            fig.savefig(path, format="svg", metadata={"Date": None})
        else:
            fig.savefig(path, format="png", dpi=PNG_DPI, metadata={"Software": None})
        paths.append(path)
    return FigureFile(stem, tuple(paths))


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _style() -> Any:
    import matplotlib

    return matplotlib.rc_context(_STYLE)


def _share(counts: Sequence[float]) -> list[float]:
    """Counts as percent of their total, for drawing two samples of different n on one axis."""
    total = float(sum(counts))
    return [100.0 * c / total if total else 0.0 for c in counts]


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


# --- heterogeneity: distributions human vs simulation -----------------------------------


def distribution_histograms(distribution: DistributionResult, directory: Path, stem: str = "distributions") -> FigureFile | None:
    """One panel per distribution variable: the share of rows per bin or category, human vs simulation.

    Bars are the ``human_counts`` and ``sim_counts`` of the overall comparison as
    percentages; the panel title carries the JS distance and its noise floor.
    """
    variables = distribution.variables
    if not variables:
        return None
    ncols = 1 if len(variables) == 1 else 2
    nrows = math.ceil(len(variables) / ncols)
    with _style():
        fig = _new_figure(WIDTH, 0.35 + 2.35 * nrows)
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for ax in axes.flat[len(variables):]:
            ax.set_visible(False)
        for ax, result in zip(axes.flat, variables):
            c = result.overall
            k = len(result.labels)
            xs = list(range(k))
            ax.bar([x - 0.2 for x in xs], _share(c.human_counts), width=0.4, label="human", **HUMAN)
            ax.bar([x + 0.2 for x in xs], _share(c.sim_counts), width=0.4, label="simulation", **SIM)
            ax.set_xticks(xs)
            long_labels = k > 4 or max((len(label) for label in result.labels), default=0) > 8
            ax.set_xticklabels([mpl(label) for label in result.labels], rotation=45 if long_labels else 0, ha="right" if long_labels else "center")
            kind = "bin" if result.kind == "numeric" else "category"
            ax.set_xlabel(f"{mpl(result.variable)} ({kind})")
            ax.set_ylabel("share of rows (%)")
            title = f"{mpl(result.variable)}: JS {_fmt(c.js.estimate)}"
            if c.js.floor is not None:
                title += f" (noise floor p95 {_fmt(c.js.floor.p95)})"
            ax.set_title(title, loc="left")
            ax.text(0.99, 0.97, f"n = {c.n_human} human, {c.n_sim} sim.", transform=ax.transAxes, ha="right", va="top", fontsize=6.5)
            if c.note:
                ax.text(0.5, 0.5, mpl(c.note), transform=ax.transAxes, ha="center", va="center", fontsize=7)
            ax.margins(x=0.02)
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside upper center", ncols=2, frameon=False)
        return _save(fig, directory, stem)


def structure_counts(results: Sequence[HeterogeneityResult], directory: Path, stem: str = "structures") -> FigureFile | None:
    """Unique structures of the human and the simulated data, and at equal n (subsampling range as error bar)."""
    if not results:
        return None
    with _style():
        fig = _new_figure(WIDTH, 2.7 if len(results) == 1 else 2.5 * math.ceil(len(results) / 2) + 0.2)
        ncols = 1 if len(results) == 1 else 2
        axes = fig.subplots(math.ceil(len(results) / ncols), ncols, squeeze=False)
        for ax in axes.flat[len(results):]:
            ax.set_visible(False)
        for ax, h in zip(axes.flat, results):
            bars: list[tuple[str, float, tuple[float, float] | None, dict[str, Any]]] = [
                (f"human\nall rows (n = {h.human.n})", float(h.human.unique), None, HUMAN),
                (f"simulation\nall rows (n = {h.sim.n})", float(h.sim.unique), None, SIM),
            ]
            equal = h.sim_at_human_n or h.human_at_sim_n
            if equal is not None and h.human.n != h.sim.n:
                side = "simulation" if h.sim_at_human_n is not None else "human"
                bars.append((f"{side}\nsubsampled to n = {equal.n}", equal.mean, (equal.low, equal.high), SIM if side == "simulation" else HUMAN))
            xs = list(range(len(bars)))
            for x, (_, value, bounds, style) in zip(xs, bars):
                ax.bar(x, value, width=0.6, **style)
                if bounds is not None:
                    ax.errorbar(x, value, yerr=[[value - bounds[0]], [bounds[1] - value]], color="black", capsize=3, linewidth=0.8)
                text = f"{value:.0f}" if bounds is None else f"{value:.1f}\n[{bounds[0]:.0f}, {bounds[1]:.0f}]"
                ax.annotate(text, (x, bounds[1] if bounds else value), xytext=(0, 2), textcoords="offset points", ha="center", va="bottom", fontsize=7)
            ax.set_xticks(xs)
            ax.set_xticklabels([label for label, *_ in bars])
            ax.set_ylabel("unique structures (count)")
            ax.set_ylim(0, max(max(b[2][1] if b[2] else b[1] for b in bars), 1.0) * 1.22)
            ax.set_title(mpl(f"{h.name}: distinct ({', '.join(h.columns)}) tuples"), loc="left")
        return _save(fig, directory, stem)


# --- alignment: JS heatmaps ------------------------------------------------------------------


@dataclass(frozen=True)
class HeatCell:
    value: float | None
    within_floor: bool | None
    low_n: bool


def _heatmap(
    ax: Any,
    rows: Sequence[str],
    columns: Sequence[str],
    cells: Sequence[Sequence[HeatCell]],
    *,
    xlabel: str,
    ylabel: str,
) -> Any:
    import numpy as np
    from matplotlib.patches import Rectangle

    values = np.array([[np.nan if c.value is None else c.value for c in row] for row in cells], dtype=float)
    image = ax.imshow(np.ma.masked_invalid(values), cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto")
    image.cmap.set_bad("white")
    for i, row in enumerate(cells):
        for j, cell in enumerate(row):
            if cell.within_floor:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="xxx", edgecolor="0.45", linewidth=0))
            dark = cell.value is not None and cell.value > 0.55
            text = _fmt(cell.value) + ("\nlow n" if cell.low_n and cell.value is not None else "")
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=7 if len(columns) <= 10 else 6,
                color="white" if dark else "black",
                fontstyle="italic" if cell.low_n else "normal",
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"} if cell.within_floor else None,
            )
    ax.set_xticks(range(len(columns)))
    long_labels = len(columns) > 8 or max((len(c) for c in columns), default=0) > 8
    ax.set_xticklabels(columns, rotation=45 if long_labels else 0, ha="right" if long_labels else "center")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return image


def _heatmap_figure(rows: Sequence[str], columns: Sequence[str], cells: Sequence[Sequence[HeatCell]], *, title: str, xlabel: str, ylabel: str) -> Figure:
    width = min(WIDTH, 1.6 + 0.75 * len(columns)) if len(columns) > 3 else 4.0
    height = 1.25 + 0.36 * len(rows)
    fig = _new_figure(max(width, 4.0), height)
    ax = fig.subplots()
    image = _heatmap(ax, [mpl(r) for r in rows], [mpl(c) for c in columns], cells, xlabel=mpl(xlabel), ylabel=ylabel)
    bar = fig.colorbar(image, ax=ax, fraction=0.05, pad=0.02)
    bar.set_label("JS distance (0-1)")
    bar.ax.tick_params(labelsize=6)
    ax.set_title(title, loc="left")
    return fig


def js_heatmaps(distribution: DistributionResult, directory: Path, stem: str = "js") -> list[tuple[str, FigureFile]]:
    """Per breakdown, a heatmap of the JS distance: one row per variable (and the mean), one column per level.

    Cells within the human noise floor (estimate <= floor p95) are cross-hatched
    with a white label; groups below ``min_group_size`` say 'low n' in italics.
    """
    drawn: list[tuple[str, FigureFile]] = []
    breakdowns = [b.by for b in (distribution.variables[0].by if distribution.variables else ())]
    for index, by in enumerate(breakdowns):
        rows: list[str] = []
        cells: list[list[HeatCell]] = []
        columns: list[str] = []
        for result in distribution.variables:
            breakdown = next((b for b in result.by if b.by == by), None)
            if breakdown is None:
                continue
            if not columns:
                columns = [level for level, _ in breakdown.levels]
            found = dict(breakdown.levels)
            rows.append(result.variable)
            cells.append([_cell(found.get(level)) for level in columns])
        if distribution.mean_js is not None:
            breakdown = next((b for b in distribution.mean_js.by if b.by == by), None)
            if breakdown is not None:
                found = dict(breakdown.levels)
                rows.append("mean JS")
                cells.append([_cell(found.get(level)) for level in columns])
        if not columns:
            continue
        with _style():
            fig = _heatmap_figure(rows, columns, cells, title=f"JS distance by {mpl(by)}", xlabel=by, ylabel="variable")
            drawn.append((by, _save(fig, directory, f"{stem}_{index + 1}")))
    return drawn


def _cell(item: Any) -> HeatCell:
    if item is None:
        return HeatCell(None, None, False)
    return HeatCell(item.js.estimate, item.js.within_floor, bool(item.low_n))


def comparison_heatmaps(sims: Sequence[SimulationResult], directory: Path, stem: str = "js_runs") -> list[tuple[str, FigureFile]]:
    """Per breakdown, the mean JS distance per level with one row per simulated run."""
    drawn: list[tuple[str, FigureFile]] = []
    breakdowns: list[str] = []
    for sim in sims:
        if sim.distribution is not None and sim.distribution.mean_js is not None:
            breakdowns.extend(b.by for b in sim.distribution.mean_js.by if b.by not in breakdowns)
    for index, by in enumerate(breakdowns):
        columns: list[str] = []
        per_run: list[dict[str, Any]] = []
        for sim in sims:
            mean_js = sim.distribution.mean_js if sim.distribution is not None else None
            breakdown = next((b for b in mean_js.by if b.by == by), None) if mean_js is not None else None
            levels = dict(breakdown.levels) if breakdown is not None else {}
            columns.extend(level for level in levels if level not in columns)
            per_run.append(levels)
        rows = [sim.label.replace("\\", "/").rsplit("/", 1)[-1] for sim in sims]
        cells = [[_cell(levels.get(level)) for level in columns] for levels in per_run]
        with _style():
            fig = _heatmap_figure(rows, columns, cells, title=f"Mean JS distance by {mpl(by)}, one row per run", xlabel=by, ylabel="simulated run")
            drawn.append((by, _save(fig, directory, f"{stem}_{index + 1}")))
    return drawn


# --- coefficient recovery: forest plot ---------------------------------------------------------------

_UNITS = {"logit": "log-odds", "probit": "probit index", "mnlogit": "log-odds vs the base outcome", "ols": "outcome units"}
_OUTCOME = {"TP": "TP", "FP": "FP", "FN": "FN", "sign_flip": "SIGN FLIP", "TN": "TN"}
#: Coefficient rows per forest figure: more go on a further figure so each fits a printed page.
FOREST_ROWS = 26


def _coefficient_index(fits: Sequence[ModelFit]) -> dict[tuple[str, str], Any]:
    return {(fit.model, c.term): c for fit in fits for c in fit.coefficients}


def forest_plots(
    recovery: RecoveryResult,
    human_fits: Sequence[ModelFit],
    sim_fits: Sequence[ModelFit],
    directory: Path,
    alpha: float,
    stem: str = "forest",
) -> list[FigureFile]:
    """Human (filled circle, solid line) vs simulated (open square, dashed) estimates with their Wald intervals.

    One row per compared coefficient, each on its own x scale (intercepts and
    slopes differ by orders of magnitude), with a line at zero: an interval
    that crosses it is not significant. Rows are grouped by model; the class
    (TP, FP, FN, SIGN FLIP, TN) is printed at the right.
    """
    human = _coefficient_index(human_fits)
    sim = _coefficient_index(sim_fits)
    families = {fit.model: fit.family for fit in human_fits}
    labels = {m.model: m.label for m in recovery.models}
    groups: list[tuple[str, list[Any]]] = []
    for c in recovery.coefficients:
        if not groups or groups[-1][0] != c.model:
            groups.append((c.model, []))
        groups[-1][1].append(c)
    chunks: list[list[tuple[str, list[Any]]]] = [[]]
    count = 0
    for model, items in groups:
        if count and count + len(items) > FOREST_ROWS:
            chunks.append([])
            count = 0
        chunks[-1].append((model, items))
        count += len(items)
    files: list[FigureFile] = []
    level = f"{100 * (1 - alpha):g}%"
    for index, chunk in enumerate(chunk for chunk in chunks if chunk):
        rows: list[tuple[str, Any]] = []
        for model, items in chunk:
            rows.append(("header", model))
            rows.extend(("coef", item) for item in items)
        heights = [0.42 if kind == "header" else 0.3 for kind, _ in rows]
        with _style():
            from matplotlib.lines import Line2D

            fig = _new_figure(WIDTH, sum(heights) + 0.75)
            grid = fig.add_gridspec(len(rows), 1, height_ratios=heights, hspace=0.0)
            for row, (kind, item) in enumerate(rows):
                ax = fig.add_subplot(grid[row])
                if kind == "header":
                    ax.axis("off")
                    family = families.get(item, "")
                    text = f"{mpl(item)}: {mpl(labels.get(item, ''))} ({mpl(family)}; estimate in {_UNITS.get(family, 'model units')}, {level} CI)"
                    ax.text(0.0, 0.15, text, transform=ax.transAxes, ha="left", va="bottom", fontsize=7.5, fontweight="bold")
                    continue
                _forest_row(ax, item, human.get((item.model, item.term)), sim.get((item.model, item.term)))
            handles = [
                Line2D([], [], color="black", marker="o", markersize=4, linewidth=1.0, label="human"),
                Line2D([], [], color="black", marker="s", markerfacecolor="white", markersize=4, linewidth=1.0, linestyle=(0, (3, 1.5)), label="simulation"),
            ]
            fig.legend(handles=handles, loc="outside upper center", ncols=2, frameon=False)
            files.append(_save(fig, directory, f"{stem}_{index + 1}"))
    return files


def _forest_row(ax: Any, item: Any, human: Any, sim: Any) -> None:
    points = []
    for offset, coef, estimate, face, style in (
        (0.18, human, item.human_estimate, "black", "-"),
        (-0.18, sim, item.sim_estimate, "white", (0, (3, 1.5))),
    ):
        low = coef.ci_low if coef is not None and math.isfinite(coef.ci_low) else None
        high = coef.ci_high if coef is not None and math.isfinite(coef.ci_high) else None
        if low is not None and high is not None:
            ax.plot([low, high], [offset, offset], color="black", linewidth=1.0, linestyle=style, solid_capstyle="butt")
            points.extend([low, high])
        ax.plot([estimate], [offset], marker="o" if face == "black" else "s", markersize=3.6, markerfacecolor=face, markeredgecolor="black", linestyle="none")
        points.append(estimate)
    finite = [p for p in points if math.isfinite(p)] + [0.0]
    lo, hi = min(finite), max(finite)
    pad = (hi - lo) * 0.06 or 1.0
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(-0.5, 0.5)
    ax.axvline(0.0, color="0.5", linewidth=0.6, linestyle=":")
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="x", labelsize=5.5, length=2, pad=1)
    ax.xaxis.get_major_locator().set_params(nbins=5)
    ax.text(-0.015, 0.5, mpl(item.term), transform=ax.transAxes, ha="right", va="center", fontsize=7)
    ax.text(1.015, 0.5, _OUTCOME.get(item.outcome, item.outcome), transform=ax.transAxes, ha="left", va="center", fontsize=7, fontweight="bold" if item.outcome == "sign_flip" else "normal")
