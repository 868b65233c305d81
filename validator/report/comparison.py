"""The comparison report across simulated runs: the leaderboard and the per-subgroup JS heatmaps."""

from __future__ import annotations

from collections.abc import Sequence

from validator.present.formatting import fmt_level
from validator.present.leaderboard import leaderboard_table, ranked
from validator.provenance import display_path
from validator.recovery.present import TABLE2_HEADERS, table2_cells
from validator.report import markdown as mdx
from validator.report.escape import md
from validator.report.verdict import gate_status
from validator.results import CheckResult, SimulationResult


def _intervals_row(name: str, sim: SimulationResult, gap: bool) -> list[str]:
    u = sim.recovery_uncertainty
    iv = dict(u.intervals) if u is not None else {}
    s = sim.recovery.summary
    d = sim.distribution
    row = [md(name), f"**{gate_status(sim)}**"] + [mdx.with_interval(getattr(s, key), iv.get(key)) for key in ("f1_sign", "fpr", "fnr")]
    row.append(mdx.with_interval(s.sign_flips, iv.get("sign_flips"), 0))
    row.append(mdx.metric(d.mean_js.overall.js) if d is not None and d.mean_js is not None else "-")
    if gap:
        row.append(mdx.metric(sim.coherence[0].difference, 1, 100) if sim.coherence else "-")
    return row


def leaderboard_section(result: CheckResult, names: Sequence[str]) -> str:
    """The runs ranked (best first, failing marked) with their verdicts and headline numbers, then recovery and gap with intervals."""
    by_label = dict(zip((sim.label for sim in result.simulations), names))
    model = leaderboard_table(result)
    first = result.simulations[0]
    notes = []
    if first.distribution is not None and first.distribution.mean_js is not None:
        notes.append("mean JS over " + ", ".join(md(v) for v in first.distribution.mean_js.variables))
    if first.heterogeneity:
        notes.append(f"unique structures ({md(first.heterogeneity[0].name)}) at the smaller of the two n")
    if first.coherence:
        notes.append(f"gap: {md(first.coherence[0].name)}")
    caption = (
        f"Runs ranked best first (verdict, then F1(Sign), then mean JS; alpha = {result.alpha:g}; sign flips enter none of "
        "FPR, FNR and F1(Sign))" + ("; " + "; ".join(notes) if notes else "") + ". Each run's report is linked under Reports per run."
    )
    interval_table = ""
    if result.context.replicates:
        gap = any(sim.coherence for sim in result.simulations)  # a spec without a coherence check has no gap column
        interval_table = mdx.table(
            ["run", "verdict", "F1(Sign)", "FPR", "FNR", "sign flips", "mean JS", *(["gap difference sim - human (pp)"] if gap else [])],
            [_intervals_row(by_label[sim.label], sim, gap) for sim in ranked(result)],
            caption=f"Recovery{' and the value-action gap' if gap else ' and alignment'} side by side, with {fmt_level(result.level)} intervals "
            f"({result.context.replicates} bootstrap replicates; Wilson and Newcomb intervals for the gap).",
            label="tbl-leaderboard-intervals",
        )
    return "\n\n".join(
        part
        for part in [
            mdx.section(1, "Leaderboard", "sec-leaderboard"),
            f"Human data: {md(display_path(result.human.label))} ({result.human.n_used} rows used). Spec {md(result.spec_name)}.",
            mdx.render_table(model, caption=caption),
            mdx.table(
                ["run", *TABLE2_HEADERS],
                [[md(by_label[sim.label]), *table2_cells(sim.recovery.summary)] for sim in ranked(result)],
                align=["left", *["right"] * len(TABLE2_HEADERS)],
                caption="Coefficient recovery per run in the layout of Table 2 of Hunt et al. (2025), with strict F1.",
                label="tbl-leaderboard-table2",
            ),
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
                "framed cells (bold values) are within the human noise floor.",
                f"fig-runs-js-{index + 1}",
                width,
            )
        )
    return "\n\n".join(parts)


def runs_section(result: CheckResult, names: Sequence[str]) -> str:
    rows = [
        [f"[{md(name + '/report.html')}](../{name}/report.html)", f"[PDF](../{name}/report.pdf)", f"**{gate_status(sim)}**", md(display_path(sim.label)), f"{sim.dataset.n_used}"]
        for name, sim in zip(names, result.simulations)
    ]
    return "\n\n".join(
        [
            mdx.section(1, "Reports per run", "sec-runs"),
            "Each run has a full report (verdict, data, heterogeneity, alignment, coherence, coefficient recovery, methods) "
            "in a folder beside this one, as `report.html` and `report.pdf`:",
            mdx.table(
                ["report", "PDF", "verdict", "simulated data", "rows used"],
                rows,
                align=["left", "left", "left", "left", "right"],
                caption="The per-run reports, beside this folder.",
                label="tbl-runs",
            ),
        ]
    )
