"""The report's coefficient-recovery section: Table 2, confusion counts, coefficients side by side, forest plot."""

from __future__ import annotations

from validator.recovery.records import RecoveryResult, RecoverySummary
from validator.report import markdown as mdx
from validator.report.constructs import RunFigures
from validator.report.escape import md
from validator.results import CheckResult, SimulationResult

OUTCOME_LABELS = {"TP": "TP", "FP": "FP", "FN": "FN", "sign_flip": "**SIGN\u00a0FLIP**", "TN": "TN"}
TABLE2_HEADERS = ["Total coef.", "Sig. in reference", "Sig. in simulation", "N match", "FPR", "FNR", "F1(Sign)", "Sign flips", "F1 strict"]


def table2_cells(summary: RecoverySummary) -> list[str]:
    """The paper's Table 2 columns, plus strict F1, for one simulated dataset."""
    return [
        str(summary.n_coefficients),
        str(summary.n_reference_significant),
        str(summary.n_sim_significant),
        str(summary.tp),
        mdx.number(summary.fpr),
        mdx.number(summary.fnr),
        mdx.number(summary.f1_sign),
        str(summary.sign_flips),
        mdx.number(summary.f1_strict),
    ]


def _table2(sim: SimulationResult, level: int) -> str:
    s = sim.recovery.summary
    rows = [["estimate", *table2_cells(s)]]
    u = sim.recovery_uncertainty
    if u is not None and u.intervals:
        iv = dict(u.intervals)
        keys = ["n_coefficients", "n_reference_significant", "n_sim_significant", "tp", "fpr", "fnr", "f1_sign", "sign_flips", "f1_strict"]
        digits = {"fpr": 3, "fnr": 3, "f1_sign": 3, "f1_strict": 3}
        rows.append([f"{level}% interval", *[mdx.interval(iv[k].low, iv[k].high, digits.get(k, 0), wrap=True) or "-" for k in keys]])
    return mdx.table(
        ["", *TABLE2_HEADERS],
        rows,
        align=["left", *["right"] * len(TABLE2_HEADERS)],
        caption="Coefficient recovery in the layout of the reference study's Table 2, with the strict F1 beside it. "
        "Sign flips enter none of FPR, FNR and F1(Sign).",
        label="tbl-table2",
    )


def _equal_n(sim: SimulationResult) -> str:
    u = sim.recovery_uncertainty
    if u is None or u.equal_n is None:
        return ""
    e = u.equal_n
    names = {"f1_sign": "F1(Sign)", "fpr": "FPR", "fnr": "FNR", "f1_strict": "F1 strict", "sign_flips": "sign flips"}
    parts = [f"{names.get(name, md(name))} {mdx.number(mean)} {mdx.interval(bounds.low, bounds.high)}" for name, mean, bounds in e.statistics]
    return (
        f"The simulated data has more rows than the human data, and significance grows with n alone. With the simulated rows "
        f"subsampled to the human n = {e.n} ({e.draws} subsamples; mean and 95% range): " + ", ".join(parts) + "."
    )


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


def _coefficients(recovery: RecoveryResult, alpha: float) -> str:
    rows = [
        [
            md(c.model),
            md(c.term),
            mdx.estimate(c.human_estimate, c.human_significant),
            mdx.number(c.human_std_error),
            mdx.p_value(c.human_p_adjusted if c.human_p_adjusted is not None else c.human_p_value),
            mdx.estimate(c.sim_estimate, c.sim_significant),
            mdx.number(c.sim_std_error),
            mdx.p_value(c.sim_p_adjusted if c.sim_p_adjusted is not None else c.sim_p_value),
            OUTCOME_LABELS[c.outcome],
            mdx.number(c.std_diff, 2),
            mdx.number(c.ci_overlap, 2),
            mdx.yes_no(c.sim_in_human_ci),
        ]
        for c in recovery.coefficients
    ]
    return mdx.table(
        ["model", "term", "human b", "SE", "p", "sim. b", "SE", "p", "class", "std. diff.", "CI overlap", "in human CI"],
        rows,
        align=["left", "left", "right", "right", "right", "right", "right", "right", "left", "right", "right", "center"],
        caption=f"Every compared coefficient, human vs simulation (\\* significant at alpha = {alpha:g}; p after the spec's correction). "
        + md("std. diff. = (b_sim - b_human) / sqrt(SE_human^2 + SE_sim^2); CI overlap as in Karr et al. (2006), negative when the intervals do not overlap."),
        label="tbl-coefficients",
    )


def _not_estimable(recovery: RecoveryResult) -> str:
    lines = []
    for m in recovery.models:
        sides = []
        if not m.human_estimable:
            sides.append(f"human data: {md(m.human_reason or 'unknown')}")
        if not m.sim_estimable:
            sides.append(f"simulated data: {md(m.sim_reason or 'unknown')}")
        if sides:
            lines.append(f"{md(m.model)} ({md(m.label)}) cannot be estimated on the " + "; ".join(sides) + "; its coefficients leave the totals.")
        if m.excluded_terms:
            lines.append(f"{md(m.model)}: terms left out of the comparison: " + ", ".join(md(t) for t in m.excluded_terms) + ".")
    return mdx.bullets(lines) if lines else ""


def recovery_section(result: CheckResult, sim: SimulationResult, figures: RunFigures) -> str:
    """Table 2 with intervals, equal-n recovery, confusion counts, the coefficient table and the forest plot."""
    level = int(round(100 * result.bootstrap.get("level", 0.95)))
    s = sim.recovery.summary
    parts = [
        mdx.section(1, "Coefficient recovery", "sec-recovery"),
        f"Every model of the spec is fitted on both datasets and compared coefficient by coefficient at alpha = {result.alpha:g} "
        f"(correction: {md(result.correction.get('method', 'none'))}). **Sign flips: {s.sign_flips}** "
        "(significant in both datasets with opposite signs).",
        _table2(sim, level),
        _equal_n(sim),
        _not_estimable(sim.recovery),
        _confusion(s),
        _coefficients(sim.recovery, result.alpha),
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
