"""The report's coefficient-recovery section: Table 2, confusion counts, coefficients side by side, forest plot."""

from __future__ import annotations

from dataclasses import replace

from validator.checks.entry import PresentOptions
from validator.recovery.present import coefficient_table, equal_n_notes, not_estimable_lines, table2
from validator.recovery.records import RecoverySummary
from validator.report import markdown as mdx
from validator.report.constructs import RunFigures
from validator.report.escape import md
from validator.results import CheckResult, SimulationResult


def _equal_n(sim: SimulationResult) -> str:
    notes = equal_n_notes(sim.recovery_check)
    if not notes:
        return ""
    return "The simulated data has more rows than the human data, and significance grows with n alone. " + md(notes[0]) + "."


def _confusion(s: RecoverySummary) -> str:
    rows = [
        ["**significant in the human data**", f"TP {s.tp}, sign flips **{s.sign_flips}**", f"FN {s.fn}", str(s.n_reference_significant)],
        ["**not significant in the human data**", f"FP {s.fp}", f"TN {s.tn}", str(s.fp + s.tn)],
        ["total", str(s.n_sim_significant), str(s.fn + s.tn), str(s.n_coefficients)],
    ]
    return mdx.table(
        ["", "significant in the simulation", "not significant in the simulation", "total"],
        rows,
        align=["left", "right", "right", "right"],
        caption=f"Confusion counts over the {s.n_coefficients} compared coefficients. "
        f"FPR = FP / (FP + TN) = {s.fp} / {s.fp + s.tn} = {mdx.number(s.fpr)}; "
        f"FNR = FN / (TP + FN + flips) = {s.fn} / {s.n_reference_significant} = {mdx.number(s.fnr)}; "
        f"F1(Sign) = 2TP / (2TP + FP + FN) = {2 * s.tp} / {2 * s.tp + s.fp + s.fn} = {mdx.number(s.f1_sign)}.",
        label="tbl-confusion",
    )


def recovery_section(result: CheckResult, sim: SimulationResult, figures: RunFigures) -> str:
    """Table 2 with intervals, equal-n recovery, confusion counts, the coefficient table and the forest plot."""
    options = PresentOptions(detail=2, level=result.level, alpha=result.alpha, correction=result.correction.method)
    s = sim.recovery.summary
    check = sim.recovery_check
    table2_model = replace(table2(check, options), notes=())
    parts = [
        mdx.section(1, "Coefficient recovery", "sec-recovery"),
        f"Every model of the spec is fitted on both datasets and compared coefficient by coefficient at alpha = {result.alpha:g} "
        f"(correction: {md(result.correction.method)}). **Sign flips: {s.sign_flips}** "
        "(significant in both datasets with opposite signs).",
        mdx.render_table(
            table2_model,
            caption="Coefficient recovery in the layout of Table 2 of Hunt et al. (2025), with the strict F1 beside it. "
            "Sign flips enter none of FPR, FNR and F1(Sign).",
        ),
        _equal_n(sim),
        mdx.bullets([md(line) for line in not_estimable_lines(sim.recovery)]),
        _confusion(s),
        mdx.render_table(coefficient_table(sim.recovery, options, options.correction != "none", standard_errors=True)),
    ]
    for index, (stem, width) in enumerate(figures.forest):
        suffix = f" (part {index + 1} of {len(figures.forest)})" if len(figures.forest) > 1 else ""
        parts.append(
            mdx.figure(
                stem,
                f"Human (filled circles, solid lines) vs simulated (open squares, dashed) estimates with their "
                f"{100 * (1 - result.alpha):g}% Wald intervals, one row per coefficient on its own scale; the dotted line is zero{suffix}.",
                f"fig-forest-{index + 1}",
                width,
            )
        )
    return "\n\n".join(part for part in parts if part)
