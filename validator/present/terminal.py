"""Terminal tables for ``simval check`` (tabulate); reads results, computes nothing."""

from __future__ import annotations

from tabulate import tabulate

from validator.io.ingest import Dataset
from validator.models.types import ModelFit
from validator.present.formatting import fmt_estimate, fmt_number, fmt_p
from validator.recovery.records import RecoveryResult, RecoverySummary
from validator.results import CheckResult, SimulationResult

OUTCOME_LABELS = {"TP": "TP", "FP": "FP", "FN": "FN", "sign_flip": "SIGN FLIP", "TN": "TN"}
TABLE2_HEADERS = [
    "Total coef.",
    "Sig. in reference",
    "Sig. in simulation",
    "N match",
    "FPR",
    "FNR",
    "F1(Sign)",
    "Sign flips",
    "F1 strict",
]


def table2_row(summary: RecoverySummary) -> list[object]:
    """The paper's Table 2 columns (plus strict F1) for one simulated dataset."""
    return [
        summary.n_coefficients,
        summary.n_reference_significant,
        summary.n_sim_significant,
        summary.tp,
        fmt_number(summary.fpr),
        fmt_number(summary.fnr),
        fmt_number(summary.f1_sign),
        summary.sign_flips,
        fmt_number(summary.f1_strict),
    ]


def dataset_line(dataset: Dataset) -> str:
    """'file: 929 rows read, 925 used, 4 set aside (2 out_of_range, ...)'."""
    line = f"{dataset.label}: {dataset.n_rows_read} rows read, {dataset.n_used} used, {dataset.n_set_aside} set aside"
    reasons = dataset.set_aside_by_reason()
    if reasons:
        line += " (" + ", ".join(f"{n} {reason}" for reason, n in reasons.items()) + ")"
    return line


def set_aside_table(dataset: Dataset, limit: int = 10) -> str:
    """The first ``limit`` set-aside rows with their reasons."""
    rows = [
        [item.row, item.line if item.line is not None else "-", item.column or "-", item.value if item.value is not None else "-", item.detail]
        for item in dataset.set_aside[:limit]
    ]
    text = tabulate(rows, headers=["row", "line", "column", "value", "reason"], tablefmt="simple")
    more = len(dataset.set_aside) - limit
    return text + (f"\n... and {more} more (all are listed in the JSON output)" if more > 0 else "")


def models_line(fits: tuple[ModelFit, ...]) -> str:
    estimable = [f for f in fits if f.estimable]
    line = f"models estimable: {len(estimable)} of {len(fits)}"
    failed = [f for f in fits if not f.estimable]
    if failed:
        line += " (not estimable: " + "; ".join(f"{f.model} {f.reason}" for f in failed) + ")"
    return line


def coefficient_table(recovery: RecoveryResult) -> str:
    """Per-coefficient comparison: estimates with significance marks, p-values, class, agreement."""
    rows = [
        [
            c.model,
            c.term,
            fmt_estimate(c.human_estimate, c.human_significant),
            fmt_number(c.human_std_error),
            fmt_p(c.human_p_value),
            fmt_estimate(c.sim_estimate, c.sim_significant),
            fmt_number(c.sim_std_error),
            fmt_p(c.sim_p_value),
            OUTCOME_LABELS[c.outcome],
            fmt_number(c.std_diff, 2),
            fmt_number(c.ci_overlap, 2),
            "yes" if c.sim_in_human_ci else "no",
        ]
        for c in recovery.coefficients
    ]
    headers = ["model", "term", "human b", "se", "p", "sim b", "se", "p", "class", "std diff", "CI overlap", "in human CI"]
    return tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)


def not_estimable_lines(recovery: RecoveryResult) -> list[str]:
    lines = []
    for m in recovery.models:
        sides = []
        if not m.human_estimable:
            sides.append(f"human: {m.human_reason}")
        if not m.sim_estimable:
            sides.append(f"simulation: {m.sim_reason}")
        if sides:
            lines.append(f"  {m.model} ({m.label}) not estimable - {', '.join(sides)}; its coefficients leave the totals")
    return lines


def verdict_line(sim: SimulationResult) -> str:
    s = sim.recovery.summary
    status = "PASS" if sim.passed else "FAIL"
    return (
        f"{status} {sim.label}: F1(Sign) {fmt_number(s.f1_sign)}, FPR {fmt_number(s.fpr)}, "
        f"FNR {fmt_number(s.fnr)}, sign flips {s.sign_flips}, {s.n_coefficients} coefficients compared"
    )


def format_check(result: CheckResult, *, coefficients: bool = True) -> str:
    """The full terminal report of ``simval check``."""
    out: list[str] = []
    out.append(f"simval check - spec {result.spec_name}: {result.spec_title}")
    out.append(f"alpha {result.alpha:g}, correction {result.correction['method']}")
    out.append("")
    out.append("human  " + dataset_line(result.human))
    out.append("       " + models_line(result.human_fits))
    if result.human.set_aside:
        out.append(set_aside_table(result.human))
    for sim in result.simulations:
        out.append("")
        out.append("=" * 78)
        out.append("sim    " + dataset_line(sim.dataset))
        out.append("       " + models_line(sim.fits))
        if sim.dataset.set_aside:
            out.append(set_aside_table(sim.dataset))
        out.append("")
        out.append("Coefficient recovery (layout of the paper's Table 2; sign flips enter none of FPR, FNR, F1(Sign))")
        out.append(tabulate([table2_row(sim.recovery.summary)], headers=TABLE2_HEADERS, tablefmt="simple", disable_numparse=True))
        out.extend(not_estimable_lines(sim.recovery))
        if coefficients:
            out.append("")
            out.append(f"Per coefficient (* significant at alpha {result.alpha:g}):")
            out.append(coefficient_table(sim.recovery))
    if len(result.simulations) > 1:
        out.append("")
        out.append("=" * 78)
        out.append("Leaderboard")
        rows = [[sim.label, *table2_row(sim.recovery.summary)] for sim in result.simulations]
        out.append(tabulate(rows, headers=["simulation", *TABLE2_HEADERS], tablefmt="simple", disable_numparse=True))
    out.append("")
    out.extend(verdict_line(sim) for sim in result.simulations)
    return "\n".join(out)
