"""Presentation of distributional alignment: distances overall, and by every breakdown."""

from __future__ import annotations

from collections.abc import Sequence

from validator.alignment.check import Breakdown, DistributionResult, VariableComparison
from validator.alignment.uncertainty import DISTANCE_METHODS, METHODS
from validator.checks.entry import PresentOptions
from validator.checks.metric import Metric
from validator.present.formatting import fmt_level, fmt_number, fmt_p, fmt_value
from validator.present.table import Table, table
from validator.present.terms import readable_level

#: Marks an interval resting on fewer rows than its coverage was measured for.
LOW_COVERAGE_MARK = "~"


def metric_text(metric: Metric | None, digits: int = 3, scale: float = 1.0) -> str:
    """'0.370 [0.347, 0.397]', or the estimate alone without an interval; a low-coverage interval gets a '~'."""
    if metric is None or metric.estimate is None:
        return "-"
    interval = metric.interval
    text = fmt_value(metric.estimate, interval.low if interval else None, interval.high if interval else None, digits, scale)
    return text + LOW_COVERAGE_MARK if metric.low_coverage and interval is not None else text


#: The distances' names in the low-coverage note.
_DISTANCE_NAMES = {"js": "JS and mean JS", "tvd": "TVD", "wasserstein": "Wasserstein", "ks": "KS"}


def low_coverage_note() -> str:
    """What the '~' after an interval means (the thresholds of :mod:`validator.alignment.uncertainty`)."""
    by_rows: dict[int, list[str]] = {}
    for distance, key in DISTANCE_METHODS.items():
        by_rows.setdefault(METHODS[key].min_rows, []).append(_DISTANCE_NAMES[distance])
    limits = "; ".join(f"{rows} for {', '.join(names)}" for rows, names in sorted(by_rows.items()))
    return (
        f"{LOW_COVERAGE_MARK}: interval on fewer rows (on the smaller side) than its coverage was checked for "
        f"({limits}): do not trust its coverage."
    )


def _flagged(metrics: Sequence[Metric | None]) -> bool:
    return any(m is not None and m.low_coverage and m.interval is not None for m in metrics)


def _comparison_metrics(c: VariableComparison) -> list[Metric | None]:
    return [c.js, c.tvd, c.wasserstein, c.ks_statistic]


def overflow_notes(d: DistributionResult) -> list[str]:
    """One note per variable with values outside its bins (all rows), as the JSON's ``note`` says it."""
    notes = []
    for v in d.variables:
        c = v.overall
        if c.out_of_bins_human or c.out_of_bins_sim:
            notes.append(f"{v.variable}: {c.out_of_bins_human} human and {c.out_of_bins_sim} simulated values outside the bins, counted in overflow bins.")
    return notes


def missing_text(breakdown: Breakdown | None) -> str:
    """'; absent from the simulation: Asian, Other (each counts as 1)' for the groups the simulation lacks."""
    if breakdown is None or not breakdown.missing_levels:
        return ""
    return f"; absent from the simulation: {', '.join(readable_level(level) for level in breakdown.missing_levels)} (each counts as 1)"


def floor_cells(metric: Metric | None) -> tuple[str, str]:
    """The floor's 95th percentile and whether the estimate is within it."""
    if metric is None or metric.floor is None:
        return "-", "-"
    within = metric.within_floor
    return fmt_number(metric.floor.p95), "-" if within is None else ("yes" if within else "no")


def overall_table(d: DistributionResult, options: PresentOptions) -> Table:
    rows = []
    for v in d.variables:
        c = v.overall
        floor_p95, within = floor_cells(c.js)
        rows.append(
            [
                v.variable,
                f"{c.n_human} / {c.n_sim}",
                metric_text(c.js),
                floor_p95,
                within,
                fmt_number(c.tvd.estimate),
                fmt_number(c.wasserstein.estimate) if c.wasserstein else "-",
                fmt_p(c.ks_p_value) if c.wasserstein else fmt_p(c.chi2_p_value),
                metric_text(c.dispersion_ratio, 2) if c.dispersion_ratio else "-",
            ]
        )
    if d.mean_js is not None:
        m = d.mean_js.overall
        floor_p95, within = floor_cells(m.js)
        rows.append(["mean JS", f"{m.n_human} / {m.n_sim}", metric_text(m.js), floor_p95, within, "", "", "", ""])
    overall_metrics = [m for v in d.variables for m in _comparison_metrics(v.overall)]
    if d.mean_js is not None:
        overall_metrics.append(d.mean_js.overall.js)
    return table(
        "alignment",
        f"Distributional alignment: Jensen-Shannon distance (base 2, in [0, 1]) with its {fmt_level(options.level)} interval",
        ["variable", "n human / sim", "JS", "floor p95", "within noise", "TVD", "Wasserstein", "KS / chi2 p", "SD ratio"],
        rows,
        align=["left", "right", "right", "right", "center", "right", "right", "right", "right"],
        notes=[
            "JS, TVD, Wasserstein: bias-corrected estimates. floor p95: 95th percentile of the plug-in (raw sample) distance "
            "when the pooled human and simulated rows are randomly relabelled at the same group sizes; within noise: the "
            "plug-in distance is at or below it. SD ratio = SD(simulation) / SD(human).",
            *overflow_notes(d),
            *([low_coverage_note()] if _flagged(overall_metrics) else []),
        ],
        detail=1,
    )


def floor_verdict(metric: Metric | None) -> str:
    """'0.096 beyond' / '0.096 within': the floor's 95th percentile and where the estimate is."""
    floor_p95, within = floor_cells(metric)
    if floor_p95 == "-":
        return "-"
    return f"{floor_p95} " + {"yes": "within", "no": "beyond"}.get(within, "")


def breakdown_table(d: DistributionResult, by: str, options: PresentOptions) -> Table | None:
    """Per level of ``by``: n, the JS of every variable, and the mean JS against its floor."""
    per_variable: list[tuple[str, Breakdown]] = [(v.variable, b) for v in d.variables for b in v.by if b.by == by]
    mean = next((b for b in d.mean_js.by if b.by == by), None) if d.mean_js is not None else None
    reference = mean if mean is not None else (per_variable[0][1] if per_variable else None)
    if reference is None:
        return None
    headers = [by, "n human / sim", *[name for name, _ in per_variable]]
    if mean is not None:
        headers += ["mean JS", "vs floor p95"]
    headers.append("note")
    rows = []
    flagged: list[Metric | None] = []
    for index, (level, item) in enumerate(reference.levels):
        row = [readable_level(level), f"{item.n_human} / {item.n_sim}"]
        notes: list[str] = []
        for _, breakdown in per_variable:
            comparison = breakdown.levels[index][1] if index < len(breakdown.levels) else None
            row.append(fmt_number(comparison.js.estimate) if comparison is not None else "-")
            if mean is not None and comparison is not None and comparison.out_of_bins_human + comparison.out_of_bins_sim:
                notes.append(f"{comparison.variable}: {comparison.out_of_bins_human} / {comparison.out_of_bins_sim} outside the bins")
        if mean is not None:
            m = mean.levels[index][1]
            row += [metric_text(m.js), floor_verdict(m.js)]
            flagged.append(m.js)
        if level in reference.missing_levels:
            # The aggregates count it as the largest distance; "low n" would hide that.
            notes.insert(0, "absent from the simulation: counts as 1")
        elif item.low_n:
            notes.insert(0, "low n")
        if isinstance(item, VariableComparison) and item.note and level not in reference.missing_levels:
            notes.append(item.note)
        row.append("; ".join(notes))
        rows.append(row)
    if not any(row[-1] for row in rows):
        headers.pop()
        rows = [row[:-1] for row in rows]
    summary = (
        f" (mean JS: max {fmt_number(mean.max)}, mean {fmt_number(mean.mean)} over groups with >= {d.min_group_size} rows{missing_text(mean)})"
        if mean is not None
        else f" (groups with fewer than {d.min_group_size} rows are marked low n{missing_text(reference)})"
    )
    notes = [low_coverage_note()] if _flagged(flagged) else []
    return table(f"alignment-by-{by}", f"Jensen-Shannon distance by {by}{summary}", headers, rows, notes=notes, detail=2)


def alignment_tables(d: DistributionResult, options: PresentOptions) -> Sequence[Table]:
    tables = [overall_table(d, options)]
    breakdowns = sorted({b.by for v in d.variables for b in v.by}, key=[b.by for v in d.variables for b in v.by].index)
    for by in breakdowns:
        found = breakdown_table(d, by, options)
        if found is not None:
            tables.append(found)
    return tables


def alignment_headline(d: DistributionResult, options: PresentOptions) -> str | None:
    """'mean JS 0.056 [0.040, 0.070], floor p95 0.048 (beyond noise)'."""
    if d.mean_js is not None:
        metric, name = d.mean_js.overall.js, "mean JS"
    elif d.variables:
        worst = max(d.variables, key=lambda v: v.overall.js.estimate if v.overall.js.estimate is not None else -1.0)
        metric, name = worst.overall.js, f"largest JS ({worst.variable})"
    else:
        return None
    text = f"{name} {metric_text(metric)}"
    if metric.floor is not None:
        within = metric.within_floor
        text += f", floor p95 {fmt_number(metric.floor.p95)}" + ("" if within is None else (" (within noise)" if within else " (beyond noise)"))
    return text
