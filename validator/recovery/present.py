"""Presentation of coefficient recovery: the paper's Table 2, the not-estimable models, every coefficient.

Built once as neutral tables (:mod:`validator.present.table`); the terminal and
the report render the same tables.
"""

from __future__ import annotations

from collections.abc import Sequence

from validator.checks.entry import PresentOptions
from validator.present.formatting import fmt_estimate, fmt_interval, fmt_level, fmt_number, fmt_p, fmt_value
from validator.present.table import Align, Cell, Table, table
from validator.present.terms import readable_term
from validator.recovery.check import RecoveryCheck
from validator.recovery.records import RecoveryResult, RecoverySummary
from validator.recovery.uncertainty import RecoveryUncertainty

OUTCOME_LABELS = {"TP": "TP", "FP": "FP", "FN": "FN", "sign_flip": "SIGN FLIP", "TN": "TN"}
TABLE2_HEADERS = ("Total coef.", "Sig. in reference", "Sig. in simulation", "N match", "FPR", "FNR", "F1(Sign)", "Sign flips", "F1 strict")
TABLE2_KEYS = ("n_coefficients", "n_reference_significant", "n_sim_significant", "tp", "fpr", "fnr", "f1_sign", "sign_flips", "f1_strict")
RIGHT: Align = "right"
_RATES = frozenset({"fpr", "fnr", "f1_sign", "f1_strict"})
_NAMES = {"f1_sign": "F1(Sign)", "fpr": "FPR", "fnr": "FNR", "f1_strict": "F1 strict", "sign_flips": "sign flips"}


def table2_cells(summary: RecoverySummary) -> list[str]:
    """The paper's Table 2 columns, plus strict F1, for one simulated dataset."""
    return [fmt_number(getattr(summary, key)) for key in TABLE2_KEYS]


def table2(check: RecoveryCheck, options: PresentOptions) -> Table:
    """Table 2 with an interval row when bootstrap intervals were computed."""
    rows: list[list[str]] = [["estimate", *table2_cells(check.result.summary)]]
    u = check.uncertainty
    if u is not None and u.intervals:
        bounds = dict(u.intervals)
        rows.append(
            [
                f"{fmt_level(u.level)} interval",
                *[fmt_interval(bounds[k].low, bounds[k].high, 3 if k in _RATES else 0) or "-" for k in TABLE2_KEYS],
            ]
        )
    notes = [*equal_n_notes(check), *warning_notes(check), *replicate_notes(check.uncertainty), *not_estimable_lines(check.result)]
    return table(
        "table2",
        "Coefficient recovery (layout of the paper's Table 2; sign flips enter none of FPR, FNR, F1(Sign))",
        ["", *TABLE2_HEADERS],
        rows,
        align=["left", *(RIGHT for _ in TABLE2_HEADERS)],
        notes=notes,
        detail=0,
        transposable=True,
    )


def equal_n_notes(check: RecoveryCheck) -> list[str]:
    u = check.uncertainty
    if u is None or u.equal_n is None:
        return []
    e = u.equal_n
    parts = [f"{_NAMES.get(name, name)} {fmt_value(mean, b.low, b.high, 0 if name == 'sign_flips' else 3)}" for name, mean, b in e.statistics]
    return [f"At equal n per model ({e.description()}; mean and {fmt_level(e.level)} range): " + ", ".join(parts)]


def warning_notes(check: RecoveryCheck) -> list[str]:
    """Each warning of the check (a model resampled by too few clusters), as a sentence."""
    return [f"Warning: {text}." for text in check.result.warnings]


def replicate_notes(uncertainty: RecoveryUncertainty | None) -> list[str]:
    """When some replicates could not be fitted: how many the intervals use, and per model and side why not."""
    if uncertainty is None or uncertainty.consistent is None or uncertainty.consistent >= uncertainty.replicates:
        return []
    parts = []
    for failure in uncertainty.failures:
        for side, counts in (("human", failure.human), ("simulation", failure.simulation)):
            if counts:
                shown = ", ".join(f"{count} {reason}" for reason, count in counts.items())
                parts.append(f"{failure.model} on the {side} ({shown})")
    return [
        f"Intervals over the {uncertainty.consistent} of {uncertainty.replicates} replicates in which every compared "
        f"model was fitted on both sides; not fitted: {'; '.join(parts)}."
    ]


def not_estimable_lines(recovery: RecoveryResult) -> list[str]:
    """One sentence per model that cannot be compared, and per model with terms left out."""
    lines = []
    for m in recovery.models:
        sides = []
        if not m.human_estimable:
            sides.append(f"human data: {m.human_reason or 'unknown'}")
        if not m.sim_estimable:
            sides.append(f"simulated data: {m.sim_reason or 'unknown'}")
        if sides:
            lines.append(f"{m.model} ({m.label}) cannot be estimated on the " + "; ".join(sides) + "; its coefficients leave the totals.")
        if m.excluded_terms:
            lines.append(f"{m.model}: terms left out of the comparison: " + ", ".join(readable_term(t) for t in m.excluded_terms) + ".")
    return lines


def coefficient_table(recovery: RecoveryResult, options: PresentOptions, corrected: bool, *, standard_errors: bool = False) -> Table:
    """Every compared coefficient; with a correction on, the p-values shown are the adjusted ones (labelled).

    ``standard_errors`` adds the two SE columns (the report has the width for them).
    """
    p_label = "p adj." if corrected else "p"
    rows = []
    for c in recovery.coefficients:
        human = [fmt_estimate(c.human_estimate, c.human_significant)]
        sim = [fmt_estimate(c.sim_estimate, c.sim_significant)]
        if standard_errors:
            human.append(fmt_number(c.human_std_error))
            sim.append(fmt_number(c.sim_std_error))
        human.append(fmt_p(c.human_p_adjusted if corrected and c.human_p_adjusted is not None else c.human_p_value))
        sim.append(fmt_p(c.sim_p_adjusted if corrected and c.sim_p_adjusted is not None else c.sim_p_value))
        rows.append(
            [
                c.model,
                c.label or readable_term(c.term),
                *human,
                *sim,
                Cell(OUTCOME_LABELS[c.outcome], strong=c.outcome == "sign_flip"),
                fmt_number(c.std_diff, 2),
                fmt_number(c.ci_overlap, 2),
                "yes" if c.sim_in_human_ci else "no",
            ]
        )
    se = ["human SE"] if standard_errors else []
    sim_se = ["sim SE"] if standard_errors else []
    numbers: list[Align] = ["right"] * (2 + len(se))
    adjusted = "; p after the spec's multiple-comparison correction" if corrected else ""
    return table(
        "coefficients",
        f"Per coefficient (* significant at alpha {options.alpha:g}{adjusted})",
        ["model", "term", "human b", *se, f"human {p_label}", "sim b", *sim_se, f"sim {p_label}", "class", "std diff", "CI overlap", "in human CI"],
        rows,
        align=["left", "left", *numbers, *numbers, "left", "right", "right", "center"],
        notes=[
            "std diff = (b_sim - b_human) / sqrt(SE_human^2 + SE_sim^2); CI overlap as in Karr et al. (2006), "
            "negative when the intervals do not overlap."
        ],
        detail=2,
    )


def recovery_tables(check: RecoveryCheck, options: PresentOptions) -> Sequence[Table]:
    corrected = options.correction != "none"
    return (table2(check, options), coefficient_table(check.result, options, corrected))


def recovery_headline(check: RecoveryCheck, options: PresentOptions) -> str:
    """'F1(Sign) 0.815 [0.6, 0.9], FPR 0.333, FNR 0.154, sign flips 0 of 13 human findings; 22 coefficients'."""
    s = check.result.summary
    if not check.result.models:
        return "not checked: the spec declares no models"
    if not s.n_coefficients:
        return "no coefficient could be compared"
    bounds = dict(check.uncertainty.intervals) if check.uncertainty else {}

    def value(key: str) -> str:
        interval = bounds.get(key)
        digits = 0 if key == "sign_flips" else 3
        number = getattr(s, key)
        return fmt_value(number, interval.low if interval else None, interval.high if interval else None, digits)

    return (
        f"F1(Sign) {value('f1_sign')}, FPR {fmt_number(s.fpr)}, FNR {fmt_number(s.fnr)}, "
        f"sign flips {s.sign_flips} of {s.n_reference_significant} human findings; {s.n_coefficients} coefficients compared"
    )
