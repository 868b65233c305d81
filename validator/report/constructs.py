"""The report's sections on heterogeneity, distributional alignment and belief-action coherence."""

from __future__ import annotations

from dataclasses import dataclass, field

from validator.alignment.check import Breakdown, DistributionResult
from validator.report import markdown as mdx
from validator.report.escape import md
from validator.results import SimulationResult


@dataclass(frozen=True)
class RunFigures:
    """The figures drawn for one run as (stem, width) pairs: ``figures/<stem>`` printed at ``width`` of the text.

    None or empty where there is nothing to draw; ``js`` pairs each breakdown with its heatmap; the
    distributions and the forest plot may come in several parts.
    """

    distributions: tuple[tuple[str, str], ...] = ()
    structures: tuple[str, str] | None = None
    js: tuple[tuple[str, str, str], ...] = ()
    forest: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    gap: tuple[str, str] | None = None


def _floor_cells(metric: object) -> tuple[str, str, str]:
    floor = getattr(metric, "floor", None)
    within = getattr(metric, "within_floor", None)
    if floor is None:
        return "-", "-", "-"
    return mdx.number(floor.median), mdx.number(floor.p95), mdx.yes_no(within)


# --- heterogeneity ----------------------------------------------------------------------------


def heterogeneity_section(sim: SimulationResult, figures: RunFigures) -> str:
    """Unique response structures, human vs simulation, and at equal n."""
    parts = [mdx.section(1, "Heterogeneity", "sec-heterogeneity")]
    if not sim.heterogeneity:
        parts.append("The spec declares no heterogeneity check.")
        return "\n\n".join(parts)
    rows = []
    for h in sim.heterogeneity:
        for side, summary in (("human", h.human), ("simulation", h.sim)):
            rows.append([md(h.name), side, str(summary.n), str(summary.n_incomplete), str(summary.unique), mdx.number(summary.entropy.estimate, 2)])
    parts.append(
        mdx.table(
            ["structure", "data", "rows with a complete structure", "incomplete rows", "unique structures", "entropy (bits)"],
            rows,
            align=["left", "left", "right", "right", "right", "right"],
            caption="Unique response structures (distinct value tuples) and the Shannon entropy of their distribution.",
            label="tbl-structures",
        )
    )
    lines = []
    for h in sim.heterogeneity:
        columns = ", ".join(md(c) for c in h.columns)
        text = f"**{md(h.name)}** (distinct ({columns}) tuples): at equal n = {h.equal_n}, "
        if h.sim_at_human_n is not None and h.sim.n != h.human.n:
            e = h.sim_at_human_n
            text += f"the simulation subsampled to the human n has {mdx.number(e.mean, 1)} {mdx.interval(e.low, e.high, 0)} unique structures (mean and 95% range over {e.draws} subsamples) against the human {h.human.unique}"
        elif h.human_at_sim_n is not None and h.sim.n != h.human.n:
            e = h.human_at_sim_n
            text += f"the human data subsampled to the simulated n has {mdx.number(e.mean, 1)} {mdx.interval(e.low, e.high, 0)} unique structures (mean and 95% range over {e.draws} subsamples) against the simulated {h.sim.unique}"
        else:
            text += f"the simulation has {h.sim.unique} unique structures against the human {h.human.unique}"
        text += f"; ratio simulated / human {mdx.number(h.ratio_at_equal_n, 2)}."
        lines.append(text)
    parts.append("\n\n".join(lines))
    if figures.structures:
        stem, width = figures.structures
        parts.append(mdx.figure(stem, "Unique structures, human (filled) vs simulation (open), and at equal n.", "fig-structures", width))
    parts.append(
        "Unique counts and entropies carry no bootstrap interval on purpose: resampling with replacement can only lose "
        "structures, so its percentiles would sit below the estimate. Their uncertainty at equal n is the subsampling range."
    )
    return "\n\n".join(parts)


# --- alignment --------------------------------------------------------------------------------


def _overall_table(d: DistributionResult) -> str:
    rows = []
    for v in d.variables:
        c = v.overall
        median, p95, within = _floor_cells(c.js)
        test_p = mdx.p_value(c.ks_p_value) + " (KS)" if c.wasserstein is not None else mdx.p_value(c.chi2_p_value) + " (chi2)"
        rows.append(
            [
                md(v.variable),
                f"{c.n_human} / {c.n_sim}",
                mdx.metric(c.js),
                median,
                p95,
                within,
                mdx.metric(c.tvd),
                mdx.number(c.wasserstein.estimate) if c.wasserstein is not None else "-",
                test_p,
                mdx.metric(c.dispersion_ratio, 2) if c.dispersion_ratio is not None else "-",
            ]
        )
    if d.mean_js is not None:
        m = d.mean_js.overall
        median, p95, within = _floor_cells(m.js)
        rows.append(["**mean JS**", f"{m.n_human} / {m.n_sim}", mdx.metric(m.js), median, p95, within, "", "", "", ""])
    return mdx.table(
        ["variable", "n human / sim", "JS", "floor median", "floor p95", "within floor", "TVD", "Wasserstein", "test p", "SD ratio sim / human"],
        rows,
        caption="Distributional alignment over all rows. JS: Jensen-Shannon distance (base 2, in [0, 1]), bias-corrected, with its bootstrap interval; "
        "floor: the plug-in distance when the pooled human and simulated rows are randomly relabelled at the same group sizes.",
        label="tbl-alignment",
    )


def _breakdown_table(d: DistributionResult, by: str, index: int) -> str:
    variables = [v for v in d.variables if any(b.by == by for b in v.by)]
    per_variable = {v.variable: dict(next(b for b in v.by if b.by == by).levels) for v in variables}
    mean: Breakdown | None = next((b for b in d.mean_js.by if b.by == by), None) if d.mean_js is not None else None
    mean_levels = dict(mean.levels) if mean is not None else {}
    levels = [level for level, _ in next(b for b in variables[0].by if b.by == by).levels] if variables else []
    rows = []
    for level in levels:
        any_item = next((per_variable[v.variable].get(level) for v in variables if per_variable[v.variable].get(level) is not None), None)
        m = mean_levels.get(level)
        n_h = m.n_human if m is not None else (any_item.n_human if any_item is not None else 0)
        n_s = m.n_sim if m is not None else (any_item.n_sim if any_item is not None else 0)
        low_n = (m.low_n if m is not None else bool(any_item and any_item.low_n))
        row = [md(level), str(n_h), str(n_s)]
        row += [mdx.number(per_variable[v.variable][level].js.estimate) if level in per_variable[v.variable] else "-" for v in variables]
        if mean is not None:
            _, p95, within = _floor_cells(m.js if m is not None else None)
            row += [mdx.metric(m.js) if m is not None else "-", p95, within]
        row.append("low n" if low_n else "")
        rows.append(row)
    headers = [md(by), "n human", "n sim", *[f"JS {md(v.variable)}" for v in variables]]
    if mean is not None:
        headers += ["mean JS", "floor p95", "within floor"]
    headers.append("")
    aggregate = ""
    if mean is not None:
        aggregate = f" Over the {mean.n_levels_aggregated} groups with at least {d.min_group_size} rows: max {mdx.number(mean.max)}, mean {mdx.number(mean.mean)}."
    return mdx.table(
        headers,
        rows,
        caption=f"JS distance by {md(by)}; 'low n': fewer than {d.min_group_size} rows in either dataset, left out of the aggregates.{aggregate}",
        label=f"tbl-js-{index}",
    )


def alignment_section(sim: SimulationResult, figures: RunFigures) -> str:
    """The distributions' histograms, the JS distance per variable overall, then by every breakdown as a heatmap and a table."""
    parts = [mdx.section(1, "Distributional alignment", "sec-alignment")]
    d = sim.distribution
    if d is None:
        parts.append("The spec declares no distribution check.")
        return "\n\n".join(parts)
    if figures.distributions:
        parts.append(
            "How the answers spread, human vs simulation, for every variable of the spec's distribution check "
            "(share of rows per bin or category; each panel's title gives the Jensen-Shannon distance and its noise floor)."
        )
        for index, (stem, width) in enumerate(figures.distributions):
            suffix = f" (part {index + 1} of {len(figures.distributions)})" if len(figures.distributions) > 1 else ""
            label = "fig-distributions" if index == 0 else f"fig-distributions-{index + 1}"
            parts.append(mdx.figure(stem, f"Distributions, human (filled) vs simulation (open){suffix}.", label, width))
    parts.append(
        "A distance is read against its **noise floor**: the distance two samples of one population of the same "
        "sizes would show. At or below the floor's 95th percentile, the difference is within sampling noise."
    )
    parts.append(_overall_table(d))
    stems = {by: (stem, width) for by, stem, width in figures.js}
    breakdowns = [b.by for b in d.variables[0].by] if d.variables else []
    for index, by in enumerate(breakdowns):
        parts.append(mdx.section(2, f"By {md(by)}", f"sec-alignment-{index + 1}"))
        if by in stems:
            stem, width = stems[by]
            parts.append(
                mdx.figure(
                    stem,
                    f"JS distance by {md(by)}: darker is further from the human data; framed cells (bold values) are within the human noise floor; "
                    "'low n' marks groups too small to aggregate.",
                    f"fig-js-{index + 1}",
                    width,
                )
            )
        parts.append(_breakdown_table(d, by, index + 1))
    return "\n\n".join(parts)


# --- coherence --------------------------------------------------------------------------------


def coherence_section(sim: SimulationResult, figures: RunFigures | None = None) -> str:
    """The conditional proportions P(action | belief strictly highest) with n, human vs simulation, and the gap."""
    parts = [mdx.section(1, "Coherence", "sec-coherence")]
    if not sim.coherence:
        parts.append("The spec declares no coherence check.")
        return "\n\n".join(parts)
    if figures is not None and figures.gap is not None:
        stem, width = figures.gap
        parts.append(
            "[The value-action gap figure](#fig-gap) shows, per target, the share of the rows whose belief in it is strictly the highest "
            "that nevertheless took the action it maps to, human beside simulation, with the pooled gap last."
        )
        parts.append(
            mdx.figure(
                stem,
                "Value-action gap per target, human (filled) vs simulation (open): the share who took the action, in percent, "
                "with its interval (error bar: a Wilson score interval, or a bootstrap of whole participants when the spec "
                "resamples participants) and the group size n under each bar; the last group pools the targets.",
                "fig-gap",
                width,
            )
        )
    for index, c in enumerate(sim.coherence):
        rows = []
        for human_t, sim_t, human_share, sim_share in zip(c.human.point.targets, c.sim.point.targets, c.human.shares, c.sim.shares):
            rows.append(
                [
                    f"P({md(human_t.action)} \\| {md(human_t.belief)} highest)",
                    str(human_t.n),
                    str(human_t.count),
                    mdx.metric(human_share, 1, 100),
                    str(sim_t.n),
                    str(sim_t.count),
                    mdx.metric(sim_share, 1, 100),
                ]
            )
        rows.append(
            [
                "**value-action gap (pooled)**",
                str(c.human.point.n),
                str(c.human.point.count),
                "**" + mdx.metric(c.human.gap, 1, 100) + "**",
                str(c.sim.point.n),
                str(c.sim.point.count),
                "**" + mdx.metric(c.sim.gap, 1, 100) + "**",
            ]
        )
        beliefs = ", ".join(md(b) for b in c.beliefs)
        parts.append(
            mdx.table(
                ["", "n human", "took it", "human %", "n sim", "took it", "simulation %"],
                rows,
                align=["left", "right", "right", "right", "right", "right", "right"],
                caption=f"{md(c.name)}: among rows whose belief is strictly the highest of {beliefs}, the share who took the mapped "
                f"{md(c.action)} anyway (ties excluded).",
                label=f"tbl-coherence-{index + 1}",
            )
        )
        parts.append(
            f"Difference simulation - human: **{mdx.metric(c.difference, 1, 100)}** percentage points. "
            f"Left out: {c.human.point.n_ties} human and {c.sim.point.n_ties} simulated rows with a tie for the highest belief; "
            f"{c.human.point.n_excluded_missing} human and {c.sim.point.n_excluded_missing} simulated rows with a missing belief or action."
        )
    return "\n\n".join(parts)
