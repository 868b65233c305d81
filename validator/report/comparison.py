"""The comparison report across simulated runs: the leaderboard and the per-subgroup JS heatmaps."""

from __future__ import annotations

from collections.abc import Sequence

from validator.provenance import display_path
from validator.report import markdown as mdx
from validator.report.escape import md, md_code
from validator.report.recovery_section import TABLE2_HEADERS, table2_cells
from validator.report.verdict import gate_status
from validator.results import CheckResult, SimulationResult


def _constructs(sim: SimulationResult) -> list[str]:
    """Mean JS, unique structures at equal n (sim / human), value-action gap % (sim / human): estimates only."""
    d = sim.distribution
    mean_js = mdx.number(d.mean_js.overall.js.estimate) if d is not None and d.mean_js is not None else "-"
    unique = "-"
    if sim.heterogeneity:
        h = sim.heterogeneity[0]
        sim_count = h.sim_at_human_n.mean if h.sim_at_human_n else float(h.sim.unique)
        human_count = h.human_at_sim_n.mean if h.human_at_sim_n else float(h.human.unique)
        unique = f"{sim_count:.0f} / {human_count:.0f}"
    gap = "-"
    if sim.coherence:
        c = sim.coherence[0]
        sim_gap, human_gap = c.sim.gap.estimate, c.human.gap.estimate
        gap = f"{mdx.number(None if sim_gap is None else 100 * sim_gap, 1)} / {mdx.number(None if human_gap is None else 100 * human_gap, 1)}"
    return [mean_js, unique, gap]


def _intervals_row(name: str, sim: SimulationResult) -> list[str]:
    u = sim.recovery_uncertainty
    iv = dict(u.intervals) if u is not None else {}
    s = sim.recovery.summary
    d = sim.distribution
    row = [_breakable(name)] + [mdx.with_interval(getattr(s, key), iv.get(key)) for key in ("f1_sign", "fpr", "fnr")]
    row.append(mdx.with_interval(s.sign_flips, iv.get("sign_flips"), 0))
    row.append(mdx.metric(d.mean_js.overall.js) if d is not None and d.mean_js is not None else "-")
    row.append(mdx.metric(sim.coherence[0].difference, 1, 100) if sim.coherence else "-")
    return row


def _breakable(name: str) -> str:
    """A run name that may wrap after its (escaped) underscores, so long names stay in their column."""
    return md(name).replace("\\_", "\\_\u200b")


def leaderboard_section(result: CheckResult, names: Sequence[str]) -> str:
    """One row per run: the reference study's Table 2 columns, strict F1, mean JS, unique structures, gap; then intervals."""
    gated = any(sim.gates for sim in result.simulations)
    rows = []
    for name, sim in zip(names, result.simulations):
        row = [_breakable(name)]
        if gated:
            row.append(f"**{gate_status(sim)}**")
        row += table2_cells(sim.recovery.summary)
        row += _constructs(sim)
        rows.append(row)
    headers = ["run", *(["verdict"] if gated else []), *TABLE2_HEADERS, "mean JS", "unique sim / human", "gap % sim / human"]
    first = result.simulations[0]
    notes = []
    if first.distribution is not None and first.distribution.mean_js is not None:
        notes.append("mean JS over " + ", ".join(md(v) for v in first.distribution.mean_js.variables))
    if first.heterogeneity:
        notes.append(f"unique structures ({md(first.heterogeneity[0].name)}) at the smaller of the two n")
    if first.coherence:
        notes.append(f"gap: {md(first.coherence[0].name)}")
    caption = (
        f"Leaderboard, one row per simulated run, in the layout of the reference study's Table 2 (alpha = {result.alpha:g}; "
        "sign flips enter none of FPR, FNR and F1(Sign)), with strict F1 and the other constructs beside it"
        + ("; " + "; ".join(notes) if notes else "")
        + "."
    )
    level = int(round(100 * result.bootstrap.get("level", 0.95)))
    interval_table = ""
    if result.bootstrap.get("replicates"):
        interval_table = mdx.table(
            ["run", "F1(Sign)", "FPR", "FNR", "sign flips", "mean JS", "gap difference sim - human (pp)"],
            [_intervals_row(name, sim) for name, sim in zip(names, result.simulations)],
            caption=f"The same runs with {level}% bootstrap intervals ({result.bootstrap.get('replicates')} replicates).",
            label="tbl-leaderboard-intervals",
        )
    return "\n\n".join(
        part
        for part in [
            mdx.section(1, "Leaderboard", "sec-leaderboard"),
            f"Human data: {md(display_path(result.human.label))} ({result.human.n_used} rows used). Spec {md(result.spec_name)}. "
            "The runs' files are listed under Reports per run.",
            mdx.table(headers, rows, caption=caption, label="tbl-leaderboard"),
            interval_table,
        ]
        if part
    )


def alignment_section(stems: Sequence[tuple[str, str, str]]) -> str:
    """The per-subgroup heatmaps, one row per run: (breakdown, figure stem, printed width) each."""
    parts = [mdx.section(1, "Alignment by subgroup", "sec-comparison-alignment")]
    if not stems:
        parts.append("The spec declares no mean JS distance by subgroup.")
        return "\n\n".join(parts)
    for index, (by, stem, width) in enumerate(stems):
        parts.append(
            mdx.figure(
                stem,
                f"Mean JS distance by {md(by)}, one row per simulated run: darker is further from the human data; "
                "cross-hatched cells are within the human noise floor.",
                f"fig-runs-js-{index + 1}",
                width,
            )
        )
    return "\n\n".join(parts)


def runs_section(result: CheckResult, names: Sequence[str]) -> str:
    rows = [[md_code(f"{name}/"), md(display_path(sim.label)), f"{sim.dataset.n_used}"] for name, sim in zip(names, result.simulations)]
    return "\n\n".join(
        [
            mdx.section(1, "Reports per run", "sec-runs"),
            "Each run has a full report (verdict, data, heterogeneity, alignment, coherence, coefficient recovery, methods) "
            "in a folder beside this one, as `report.html` and `report.pdf`:",
            mdx.table(["folder", "simulated data", "rows used"], rows, align=["left", "left", "right"]),
        ]
    )
