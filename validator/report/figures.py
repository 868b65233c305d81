"""The report's figures, drawn with matplotlib from result records (no statistic is computed here).

Each figure is drawn once and saved as SVG (:func:`save`), which serves the
HTML (inline) and the PDF (Typst draws SVG, so the PDF's figures stay vector);
PNG is available for other uses. Figures are readable in greyscale: the human data is drawn in
solid dark grey or black, the simulation as open (white) bars or
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

    from validator.alignment.check import DistributionResult
    from validator.coherence.check import CoherenceResult
    from validator.heterogeneity.check import HeterogeneityResult
    from validator.models.types import ModelFit
    from validator.recovery.records import RecoveryResult
    from validator.results import SimulationResult

#: Formats :func:`save` writes: SVG (both reports), PNG (on request only).
FORMATS = ("svg", "png")
PNG_DPI = 200
WIDTH = 6.5  # inches: the PDF's text width on A4 with 2 cm margins, and ~ 620 px in the HTML

# Filled dark bars for the human data, open bars for the simulation: distinct in greyscale and on paper,
# and cheap to draw.
HUMAN = {"facecolor": "0.3", "edgecolor": "black", "linewidth": 0.6}
SIM = {"facecolor": "white", "edgecolor": "black", "linewidth": 0.9}

_STYLE: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Bitstream Vera Sans", "Arial", "Helvetica", "sans-serif"],
    "font.size": 8,
    "axes.titlesize": 8.5,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "svg.hashsalt": "simval-report",
    # Text stays text in the SVG (searchable, small, fast to write), with a sans-serif fallback chain.
    "svg.fonttype": "none",
    "figure.dpi": 100,
    "path.simplify": True,
}


#: Approximate width of one character of 7 pt DejaVu Sans, in inches, to size margins without a layout engine.
CHAR_W = 0.062


@dataclass(frozen=True)
class Drawn:
    """A drawn figure waiting to be saved as ``figures/<stem>.svg`` (HTML and PDF alike)."""

    stem: str
    figure: Figure

    @property
    def width_percent(self) -> str:
        """The figure's share of the text width, so it prints at its drawn size (fonts stay the same size)."""
        return f"{min(100, round(100 * float(self.figure.get_figwidth()) / WIDTH))}%"


def save(drawn: Sequence[Drawn], directory: Path, fmt: str) -> list[Path]:
    """Write every figure in ``fmt`` (``svg`` or ``png``) to ``directory``; deterministic bytes for the same input."""
    paths = []
    with _style():
        for item in drawn:
            path = directory / f"{item.stem}.{fmt}"
            if fmt == "svg":
                item.figure.savefig(path, format="svg", metadata={"Date": None})
            elif fmt == "png":
                # Light compression: encoding is a fifth of the time at the default level; Typst recompresses anyway.
                item.figure.savefig(path, format="png", dpi=PNG_DPI, metadata={"Software": None}, pil_kwargs={"compress_level": 1})
            else:
                raise ValueError(f"unknown figure format {fmt!r}")
            paths.append(path)
    return paths


def _new_figure(width: float, height: float) -> Figure:
    # No layout engine: margins are set in inches below, which is several times faster than constrained layout.
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _margins(fig: Figure, *, left: float, right: float, top: float, bottom: float, hspace: float = 0.0, wspace: float = 0.0) -> None:
    """Subplot margins given in inches (hspace and wspace as fractions of the mean axes size, as matplotlib takes them)."""
    width, height = fig.get_figwidth(), fig.get_figheight()
    fig.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height, bottom=bottom / height, hspace=hspace, wspace=wspace)


def _style() -> Any:
    import matplotlib

    return matplotlib.rc_context(_STYLE)  # type: ignore[arg-type]  # matplotlib types the keys as a Literal


def _share(counts: Sequence[float]) -> list[float]:
    """Counts as percent of their total, for drawing two samples of different n on one axis."""
    total = float(sum(counts))
    return [100.0 * c / total if total else 0.0 for c in counts]


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _rotate(labels: Sequence[str], available: float) -> bool:
    """Whether tick labels need rotating: their text would not fit side by side in ``available`` inches."""
    return sum(len(label) + 1.5 for label in labels) * CHAR_W > available


# --- heterogeneity: distributions human vs simulation -----------------------------------


#: Distribution panels per figure (one row of two): a figure of this size fits below most content, so the parts
#: fill the pages around them rather than leaving a half page blank before one tall figure.
HISTOGRAM_PANELS = 2


def distribution_figures(distribution: DistributionResult, stem: str = "distributions") -> list[Drawn]:
    """:func:`distribution_histograms` in parts of at most :data:`HISTOGRAM_PANELS` variables.

    The first part is ``figures/<stem>``, the next ``<stem>_2`` and so on.
    """
    variables = distribution.variables
    parts = [variables[i : i + HISTOGRAM_PANELS] for i in range(0, len(variables), HISTOGRAM_PANELS)]
    drawn = [distribution_histograms(distribution, stem if k == 0 else f"{stem}_{k + 1}", variables=part) for k, part in enumerate(parts)]
    return [d for d in drawn if d is not None]


def distribution_histograms(distribution: DistributionResult, stem: str = "distributions", *, variables: Sequence[Any] | None = None) -> Drawn | None:
    """One panel per distribution variable: the share of rows per bin or category, human vs simulation.

    Bars are the ``human_counts`` and ``sim_counts`` of the overall comparison as
    percentages; the panel title carries the JS distance and its noise floor.
    ``variables`` draws only those (default: every variable of ``distribution``).
    """
    variables = list(distribution.variables if variables is None else variables)
    if not variables:
        return None
    ncols = 1 if len(variables) == 1 else 2
    nrows = math.ceil(len(variables) / ncols)
    panel_w = (WIDTH - 0.6 - 0.15 - 0.55 * (ncols - 1)) / ncols
    rotated = {v.variable: _rotate(v.labels, panel_w) for v in variables}
    longest = max((len(label) for v in variables if rotated[v.variable] for label in v.labels), default=0)
    label_room = (longest * CHAR_W * 0.72 if longest else 0.14) + 0.42
    panel_h, gap = 1.35, label_room + 0.5
    height = 0.55 + nrows * panel_h + (nrows - 1) * gap + label_room + 0.05
    with _style():
        fig = _new_figure(WIDTH if ncols == 2 else 4.2, height)
        axes = fig.subplots(nrows, ncols, squeeze=False)
        _margins(fig, left=0.6, right=0.15, top=0.55, bottom=label_room + 0.05, hspace=gap / panel_h, wspace=0.55 / panel_w)
        for ax in axes.flat[len(variables):]:
            ax.set_visible(False)
        for ax, result in zip(axes.flat, variables):
            c = result.overall
            xs = list(range(len(result.labels)))
            ax.bar([x - 0.2 for x in xs], _share(c.human_counts), width=0.4, label="human", **HUMAN)
            ax.bar([x + 0.2 for x in xs], _share(c.sim_counts), width=0.4, label="simulation", **SIM)
            ax.set_xticks(xs)
            rotate = rotated[result.variable]
            ax.set_xticklabels([mpl(label) for label in result.labels], rotation=45 if rotate else 0, ha="right" if rotate else "center", rotation_mode="anchor")
            kind = "bin" if result.kind == "numeric" else "category"
            ax.set_xlabel(f"{mpl(result.variable)} ({kind})")
            ax.set_ylabel("share of rows (%)")
            detail = f"JS {_fmt(c.js.estimate)}" + (f", noise floor p95 {_fmt(c.js.floor.p95)}" if c.js.floor is not None else "")
            ax.set_title(f"{mpl(result.variable)}\n{detail}; n = {c.n_human} / {c.n_sim}", loc="left", fontsize=7.5)
            if c.note:
                ax.text(0.5, 0.5, mpl(c.note), transform=ax.transAxes, ha="center", va="center", fontsize=7)
            ax.margins(x=0.02)
            ax.yaxis.get_major_locator().set_params(nbins=5)
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper center", ncols=2, frameon=False, bbox_to_anchor=(0.5, 1.0))
        return Drawn(stem, fig)


def structure_counts(results: Sequence[HeterogeneityResult], stem: str = "structures") -> Drawn | None:
    """Unique structures of the human and the simulated data, and at equal n (subsampling range as error bar)."""
    if not results:
        return None
    ncols = 1 if len(results) == 1 else 2
    nrows = math.ceil(len(results) / ncols)
    panel_h, gap = 1.7, 0.95
    with _style():
        fig = _new_figure(4.2 if ncols == 1 else WIDTH, 0.5 + nrows * panel_h + (nrows - 1) * gap + 0.5)
        axes = fig.subplots(nrows, ncols, squeeze=False)
        _margins(fig, left=0.65, right=0.15, top=0.5, bottom=0.5, hspace=gap / panel_h, wspace=0.3)
        for ax in axes.flat[len(results):]:
            ax.set_visible(False)
        for ax, h in zip(axes.flat, results):
            bars: list[tuple[str, float, tuple[float, float] | None, dict[str, Any]]] = [
                (f"human\nn = {h.human.n}", float(h.human.unique), None, HUMAN),
                (f"simulation\nn = {h.sim.n}", float(h.sim.unique), None, SIM),
            ]
            equal = h.sim_at_human_n or h.human_at_sim_n
            if equal is not None and h.human.n != h.sim.n:
                side = "simulation" if h.sim_at_human_n is not None else "human"
                bars.append((f"{side} subsampled\nto n = {equal.n}", equal.mean, (equal.low, equal.high), SIM if side == "simulation" else HUMAN))
            xs = list(range(len(bars)))
            for x, (_, value, bounds, style) in zip(xs, bars):
                ax.bar(x, value, width=0.55, **style)
                if bounds is not None:
                    ax.errorbar(x, value, yerr=[[value - bounds[0]], [bounds[1] - value]], color="black", capsize=3, linewidth=0.8)
                text = f"{value:.0f}" if bounds is None else f"{value:.1f} [{bounds[0]:.0f}, {bounds[1]:.0f}]"
                ax.annotate(text, (x, bounds[1] if bounds else value), xytext=(0, 2), textcoords="offset points", ha="center", va="bottom", fontsize=7)
            ax.set_xticks(xs)
            ax.set_xticklabels([label for label, *_ in bars])
            ax.set_xlim(-0.6, len(bars) - 0.4)
            ax.set_ylabel("unique structures (count)")
            ax.set_ylim(0, max(max(b[2][1] if b[2] else b[1] for b in bars), 1.0) * 1.2)
            ax.yaxis.get_major_locator().set_params(nbins=5)
            ax.set_title(mpl(h.name) + "\n" + mpl(f"distinct ({', '.join(h.columns)}) tuples"), loc="left", fontsize=7.5)
        return Drawn(stem, fig)


# --- alignment: JS heatmaps ------------------------------------------------------------------


@dataclass(frozen=True)
class HeatCell:
    value: float | None
    within_floor: bool | None
    low_n: bool


#: A cell within the human noise floor is framed: a black line on a white one, visible on any grey.
_FLOOR_EDGE, _FLOOR_WIDTH = "black", 1.3
_FLOOR_HALO = 3.2  # points: the white line under the black one


def _floor_frame(x: float, y: float) -> Any:
    from matplotlib import patheffects
    from matplotlib.patches import Rectangle

    frame = Rectangle((x - 0.5 + 0.07, y - 0.5 + 0.1), 0.86, 0.8, fill=False, edgecolor=_FLOOR_EDGE, linewidth=_FLOOR_WIDTH)
    frame.set_path_effects([patheffects.Stroke(linewidth=_FLOOR_HALO, foreground="white"), patheffects.Normal()])
    return frame


def _heatmap_figure(rows: Sequence[str], columns: Sequence[str], cells: Sequence[Sequence[HeatCell]], *, title: str, xlabel: str, ylabel: str) -> Figure:
    """A greyscale heatmap in [0, 1] with every value printed; cells within the noise floor framed, with a legend."""
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.patches import Patch

    row_labels = [mpl(r) for r in rows]
    column_labels = [mpl(c) for c in columns]
    left = 0.35 + CHAR_W * max((len(r) for r in row_labels), default=4)
    right = 0.95
    cell_w = min(0.7, max(0.34, (WIDTH - left - right) / max(len(columns), 1)))
    rotate = _rotate(column_labels, cell_w * len(columns)) or any(len(c) * CHAR_W > cell_w for c in column_labels)
    any_floor = any(cell.within_floor for row in cells for cell in row)
    any_low = any(cell.low_n and cell.value is not None for row in cells for cell in row)
    legend_h = 0.1 + 0.2 * (int(any_floor) + int(any_low))
    bottom = legend_h + 0.32 + (CHAR_W * 0.72 * max((len(c) for c in column_labels), default=2) if rotate else 0.14)
    cell_h = 0.3
    width = max(left + cell_w * len(columns) + right, 4.4)  # room for the legend
    height = 0.35 + cell_h * len(rows) + bottom
    fig = _new_figure(width, height)
    ax = fig.add_axes((left / width, bottom / height, cell_w * len(columns) / width, cell_h * len(rows) / height))
    cmap = colormaps["Greys"].with_extremes(bad="white")
    values = np.array([[np.nan if c.value is None else c.value for c in row] for row in cells], dtype=float)
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto", interpolation="nearest")
    size = 6.5 if cell_w >= 0.5 else 5.5
    for i, row in enumerate(cells):
        for j, cell in enumerate(row):
            if cell.within_floor:
                ax.add_patch(_floor_frame(j, i))
            if cell.value is None:
                ax.text(j, i, "-", ha="center", va="center", fontsize=size)
                continue
            red, green, blue, _ = cmap(cell.value)
            dark = 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.5
            ax.text(
                j,
                i,
                _fmt(cell.value) + (" (low n)" if cell.low_n and cell_w >= 0.6 else "°" if cell.low_n else ""),
                ha="center",
                va="center",
                fontsize=size,
                color="white" if dark else "black",
                fontstyle="italic" if cell.low_n else "normal",
                fontweight="bold" if cell.within_floor else "normal",
            )
    ax.set_xticks(range(len(columns)))
    ax.set_xticklabels(column_labels, rotation=45 if rotate else 0, ha="right" if rotate else "center", rotation_mode="anchor")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(row_labels)
    ax.set_xlabel(mpl(xlabel))
    ax.set_ylabel(ylabel)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title, loc="left")
    bar_ax = fig.add_axes(((left + cell_w * len(columns) + 0.12) / width, bottom / height, 0.1 / width, cell_h * len(rows) / height))
    bar = fig.colorbar(image, cax=bar_ax)
    bar.set_label("JS distance (0-1)", fontsize=6.5)
    bar.ax.tick_params(labelsize=6)
    bar.set_ticks([0, 0.25, 0.5, 0.75, 1.0])
    # The legend says what the frame and the italics mean (they are also in the caption).
    handles = []
    if any_floor:
        handles.append(Patch(facecolor="0.8", edgecolor=_FLOOR_EDGE, linewidth=_FLOOR_WIDTH, label="framed, bold: within the human noise floor (JS <= floor p95)"))
    if any_low:
        handles.append(Patch(facecolor="white", edgecolor="0.6", linewidth=0.5, label="italic, (low n) or °: group below the minimum size"))
    if handles:
        fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.02 / width, 0.02 / height), ncols=1, frameon=False, fontsize=6.5, handlelength=1.6, handleheight=1.0, columnspacing=1.4)
    return fig


def _cell(item: Any) -> HeatCell:
    if item is None:
        return HeatCell(None, None, False)
    return HeatCell(item.js.estimate, item.js.within_floor, bool(item.low_n))


def js_heatmaps(distribution: DistributionResult, stem: str = "js") -> list[tuple[str, Drawn]]:
    """Per breakdown, a heatmap of the JS distance: one row per variable (and the mean), one column per level.

    Cells within the human noise floor (estimate <= floor p95) are framed
    with a bold value; groups below ``min_group_size`` are marked 'low n' (or °) in italics.
    """
    drawn: list[tuple[str, Drawn]] = []
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
            drawn.append((by, Drawn(f"{stem}_{index + 1}", fig)))
    return drawn


def comparison_heatmaps(sims: Sequence[SimulationResult], names: Sequence[str], stem: str = "js_runs") -> list[tuple[str, Drawn]]:
    """Per breakdown, the mean JS distance per level with one row per simulated run (rows labelled ``names``)."""
    drawn: list[tuple[str, Drawn]] = []
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
        rows = list(names)
        cells = [[_cell(levels.get(level)) for level in columns] for levels in per_run]
        with _style():
            fig = _heatmap_figure(rows, columns, cells, title=f"Mean JS distance by {mpl(by)}, one row per run", xlabel=by, ylabel="simulated run")
            drawn.append((by, Drawn(f"{stem}_{index + 1}", fig)))
    return drawn


# --- coefficient recovery: forest plot ---------------------------------------------------------------

_UNITS = {"logit": "log-odds", "probit": "probit index", "mnlogit": "log-odds vs the base outcome", "ols": "outcome units"}
_OUTCOME = {"TP": "TP", "FP": "FP", "FN": "FN", "sign_flip": "SIGN FLIP", "TN": "TN"}
#: Tallest forest figure (inches, drawn size): about half an A4 page, so a part fits below a table and the
#: parts fill the pages instead of leaving half of one blank; more coefficients go on a further figure.
FOREST_MAX_H = 5.0
_ROW_H, _HEAD_H = 0.42, 0.3
#: The term column holds at most this many characters; a longer term is cut with an ellipsis (the coefficient
#: table beside the plot names it in full), so the intervals keep most of the width.
TERM_CHARS = 28
_TICK_SIZE = 6.5


def _coefficient_index(fits: Sequence[ModelFit]) -> dict[tuple[str, str], Any]:
    return {(fit.model, c.term): c for fit in fits for c in fit.coefficients}


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis at the end."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _term_label(term: str) -> str:
    from validator.present.terms import readable_term

    return _cut(mpl(readable_term(term)), TERM_CHARS)


def _chunks(groups: Sequence[tuple[str, list[Any]]]) -> list[list[tuple[str, list[Any]]]]:
    """Models (with their coefficients) in figures no taller than :data:`FOREST_MAX_H`.

    A model that does not fit below the models before it starts a new figure; a model too long for any
    figure is split into parts of equal size, each on a figure of its own (so no part is one lone row).
    """
    room = FOREST_MAX_H - 0.45  # less the legend band
    capacity = max(1, int((room - _HEAD_H) // _ROW_H))  # rows of one model on an empty figure
    chunks: list[list[tuple[str, list[Any]]]] = [[]]
    used = 0.0
    for model, items in groups:
        if len(items) <= capacity:
            if used and used + _HEAD_H + _ROW_H * len(items) > room:
                chunks.append([])
                used = 0.0
            chunks[-1].append((model, list(items)))
            used += _HEAD_H + _ROW_H * len(items)
            continue
        parts = math.ceil(len(items) / capacity)
        size = math.ceil(len(items) / parts)
        for start in range(0, len(items), size):
            if used:
                chunks.append([])
            chunks[-1].append((model, list(items[start : start + size])))
            used = room  # a part fills its figure: the next model starts a new one
    return [chunk for chunk in chunks if chunk]


def forest_plots(
    recovery: RecoveryResult,
    human_fits: Sequence[ModelFit],
    sim_fits: Sequence[ModelFit],
    alpha: float,
    stem: str = "forest",
) -> list[Drawn]:
    """Human (filled circle, solid line) vs simulated (open square, dashed) estimates with their Wald intervals.

    One row per compared coefficient, each on its own scale (intercepts and
    slopes differ by orders of magnitude) with a ticked axis, and a line at
    zero: an interval that crosses it is not significant. Rows are grouped by
    model; the class (TP, FP, FN, SIGN FLIP, TN) is printed at the right.
    Drawn on one axes in row units, which keeps a 20-coefficient plot fast.
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
    level = f"{100 * (1 - alpha):g}%"
    files: list[Drawn] = []
    term_w = 0.25 + CHAR_W * max((len(_term_label(c.label or c.term)) for c in recovery.coefficients), default=4)
    plot_l, plot_r = term_w, WIDTH - 0.85
    header_chars = int((WIDTH - 0.1) / 0.068)  # 7.5 pt bold DejaVu Sans
    headed: set[str] = set()  # models whose header a figure before has drawn: a later part says "continued"
    for index, chunk in enumerate(_chunks(groups)):
        # y runs downwards in inches from the top of the plot area.
        y = 0.0
        layout: list[tuple[str, Any, float]] = []
        for model, items in chunk:
            layout.append(("header" if model not in headed else "continued", model, y))
            headed.add(model)
            y += _HEAD_H
            for item in items:
                layout.append(("coef", item, y))
                y += _ROW_H
        top, bottom = 0.35, 0.05
        height = top + y + bottom
        with _style():
            from matplotlib.lines import Line2D

            fig = _new_figure(WIDTH, height)
            ax = fig.add_axes((0, 0, 1, 1))
            ax.set_xlim(0, WIDTH)
            ax.set_ylim(height, 0)
            ax.axis("off")
            for kind, item, row_y in layout:
                y0 = top + row_y
                if kind in ("header", "continued"):
                    family = families.get(item, "")
                    text = f"{mpl(item)}: {mpl(labels.get(item, ''))} ({mpl(family)}; estimate in {_UNITS.get(family, 'model units')}, {level} CI)"
                    text = text if kind == "header" else f"{mpl(item)}: {mpl(labels.get(item, ''))} (continued)"
                    ax.text(0.05, y0 + _HEAD_H - 0.06, _cut(text, header_chars), ha="left", va="bottom", fontsize=7.5, fontweight="bold")
                    continue
                _forest_row(ax, item, human.get((item.model, item.term)), sim.get((item.model, item.term)), y0, plot_l, plot_r)
            handles = [
                Line2D([], [], color="black", marker="o", markersize=4, linewidth=1.0, label="human"),
                Line2D([], [], color="black", marker="s", markerfacecolor="white", markersize=4, linewidth=1.0, linestyle=(0, (3, 1.5)), label="simulation"),
                Line2D([], [], color="0.35", linewidth=0.8, linestyle=(0, (1, 1)), label="zero"),
            ]
            ax.legend(handles=handles, loc="upper center", ncols=3, frameon=False, bbox_to_anchor=(0.5, 1.0), borderaxespad=0.1)
            files.append(Drawn(f"{stem}_{index + 1}", fig))
    return files


def _ticks(lo: float, hi: float) -> tuple[list[float], int]:
    """Three to five round tick values inside [lo, hi] and the decimals that print them apart."""
    from matplotlib.ticker import MaxNLocator

    values = [float(v) for v in MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10], min_n_ticks=3).tick_values(lo, hi) if lo <= v <= hi]
    if len(values) < 2:
        return [lo, hi], 3
    step = values[1] - values[0]
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) + (1 if round(step / 10 ** math.floor(math.log10(step)), 6) == 2.5 else 0)
    return values, min(decimals, 6)


def _tick_text(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return "0" if float(text) == 0 else text.replace("-", "\u2212")


def _forest_row(ax: Any, item: Any, human: Any, sim: Any, y0: float, left: float, right: float) -> None:
    """One coefficient in the band [y0, y0 + row height]: both intervals mapped onto [left, right] inches, ticked."""
    spans = []
    for coef, estimate in ((human, item.human_estimate), (sim, item.sim_estimate)):
        low = _finite(coef.ci_low) if coef is not None else None
        high = _finite(coef.ci_high) if coef is not None else None
        spans.append((low, _finite(estimate), high))
    points = [v for span in spans for v in span if v is not None] + [0.0]
    lo, hi = min(points), max(points)
    pad = (hi - lo) * 0.04 or 1.0
    lo, hi = lo - pad, hi + pad

    def x(value: float) -> float:
        return left + (value - lo) / (hi - lo) * (right - left)

    base = y0 + 0.235
    ax.plot([left, right], [base, base], color="0.45", linewidth=0.5)
    values, decimals = _ticks(lo, hi)
    for value in values:
        ax.plot([x(value), x(value)], [base, base + 0.035], color="0.3", linewidth=0.5)
        ax.text(x(value), base + 0.045, _tick_text(value, decimals), ha="center", va="top", fontsize=_TICK_SIZE, color="0.15")
    ax.plot([x(0.0), x(0.0)], [y0 + 0.02, base], color="0.35", linewidth=0.8, linestyle=(0, (1, 1)))
    for offset, (low, estimate, high), face, style in (
        (0.07, spans[0], "black", "-"),
        (0.16, spans[1], "white", (0, (3, 1.5))),
    ):
        row_y = y0 + offset
        if low is not None and high is not None:
            ax.plot([x(low), x(high)], [row_y, row_y], color="black", linewidth=1.0, linestyle=style, solid_capstyle="butt")
        if estimate is not None:
            ax.plot([x(estimate)], [row_y], marker="o" if face == "black" else "s", markersize=3.6, markerfacecolor=face, markeredgecolor="black", markeredgewidth=0.8, linestyle="none")
    ax.text(left - 0.12, y0 + 0.115, _term_label(item.label or item.term), ha="right", va="center", fontsize=7)
    ax.text(right + 0.12, y0 + 0.115, _OUTCOME.get(item.outcome, item.outcome), ha="left", va="center", fontsize=7, fontweight="bold" if item.outcome == "sign_flip" else "normal")


# --- coherence: the value-action gap ------------------------------------------------------------------


def gap_figure(results: Sequence[CoherenceResult], stem: str = "gap") -> Drawn | None:
    """Per target (decision option) and pooled: the human and simulated share with its interval and n.

    In the spirit of Figure 3 of Hunt et al. (2025): for each target, the share of
    the rows whose belief in it is strictly highest that nevertheless take the
    action it maps to, human (filled) beside simulation (open), as percent; the
    error bar is the bootstrap interval, the number above the bar the share and
    the number under it the group size n. The last group is the pooled gap.
    """
    groups: list[tuple[str, list[tuple[str, Any, int, dict[str, Any]]]]] = []
    for c in results:
        for human_t, sim_t, human_share, sim_share in zip(c.human.point.targets, c.sim.point.targets, c.human.shares, c.sim.shares):
            label = f"{human_t.action}\n| {human_t.belief} highest"
            groups.append((label, [("human", human_share, human_t.n, HUMAN), ("simulation", sim_share, sim_t.n, SIM)]))
        prefix = f"{c.name}\n" if len(results) > 1 else ""
        groups.append((f"{prefix}gap (pooled)", [("human", c.human.gap, c.human.point.n, HUMAN), ("simulation", c.sim.gap, c.sim.point.n, SIM)]))
    if not groups:
        return None
    label_lines = max(label.count("\n") + 1 for label, _ in groups)
    group_w = min(1.25, (WIDTH - 0.8) / len(groups))
    width = max(0.8 + group_w * len(groups) + 0.2, 3.6)
    bottom = 0.3 + 0.12 * label_lines + 0.06
    height = 0.45 + 1.9 + bottom
    with _style():
        fig = _new_figure(width, height)
        ax = fig.add_axes((0.65 / width, bottom / height, (width - 0.85) / width, 1.9 / height))
        for g, (_, bars) in enumerate(groups):
            for b, (side, metric, n, style) in enumerate(bars):
                x = g + (b - 0.5) * 0.38
                value = metric.estimate if metric is not None else None
                if value is None:
                    ax.text(x, 2, "-", ha="center", va="bottom", fontsize=7)
                    continue
                ax.bar(x, 100 * value, width=0.36, label=side if g == 0 else None, **style)
                interval = metric.interval
                top = 100 * value
                if interval is not None and interval.low is not None and interval.high is not None:
                    ax.errorbar(x, 100 * value, yerr=[[100 * (value - interval.low)], [100 * (interval.high - value)]], color="black", capsize=2.5, linewidth=0.8)
                    top = 100 * interval.high
                ax.annotate(f"{100 * value:.1f}", (x, top), xytext=(0, 1.5), textcoords="offset points", ha="center", va="bottom", fontsize=6.5)
                ax.annotate(f"n = {n}", (x, 0), xytext=(0, -3), textcoords="offset points", ha="center", va="top", fontsize=6)
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels(["\n".join(mpl(line) for line in label.split("\n")) for label, _ in groups])
        ax.tick_params(axis="x", length=0, pad=12)
        ax.set_xlim(-0.6, len(groups) - 0.4)
        ax.set_ylim(0, 112)
        ax.set_yticks([0, 25, 50, 75, 100])
        ax.set_ylabel("took the action (%)")
        ax.axhline(0, color="black", linewidth=0.6)
        fig.legend(loc="upper center", ncols=2, frameon=False, bbox_to_anchor=(0.5, 1.0))
        return Drawn(stem, fig)
