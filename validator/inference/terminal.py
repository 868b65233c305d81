"""Terminal text for inference results (fits 100 columns); reads results, computes nothing."""

from __future__ import annotations

import math
import textwrap

from tabulate import tabulate

from validator.inference.pilot import PilotResult
from validator.inference.planning import Plan
from validator.inference.records import InferenceResult
from validator.present.terms import readable_term

__all__ = ["WIDTH", "format_inference", "format_pilot", "format_plan"]

WIDTH = 100


def _g(value: float | None, digits: int = 3) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.{digits}g}"


def _ci(low: float | None, high: float | None) -> str:
    return f"[{_g(low)}, {_g(high)}]"


def _wrap(line: str) -> str:
    return "\n".join(textwrap.wrap(line, width=WIDTH, subsequent_indent="    "))


def pairing_line(result: InferenceResult) -> str:
    c = result.pairing
    left_out = []
    for label, count in (
        ("human rows without a partner", c.human_unmatched),
        ("human answers held out for the pilot check", c.held_out),
        ("duplicated human keys", c.duplicated_human_key),
        ("conflicting pairs", c.conflicting),
        ("rows without a key", c.missing_key_human + c.missing_key_sim),
        ("extra draws of a persona (averaged)", c.sim_duplicated),
    ):
        if count:
            left_out.append(f"{label} {count:,}")
    tail = f"; {', '.join(left_out)}" if left_out else ""
    return _wrap(f"Pairs by '{result.key}': {c.pairs:,} humans with their simulations, {c.unlabeled_units:,} unlabeled simulated personas{tail}.")


def format_inference(result: InferenceResult, *, coefficients: bool = True) -> str:
    """Pairing line, one worth line per model, the coefficient table and the agreement table."""
    tuning = "power-tuned PPI++" if result.power_tuning else "plain PPI (lambda 1)"
    lines = [pairing_line(result), f"Rectified estimates ({tuning}, {result.level:.0%} intervals):"]
    lines.extend(_wrap("  " + line) for line in result.summary_lines())
    if coefficients:
        rows = []
        for model in result.models:
            for c in model.coefficients:
                rows.append([
                    model.model, readable_term(c.term), _g(c.classical_estimate), _ci(c.classical_low, c.classical_high),
                    _g(c.ppi_estimate), _ci(c.ppi_low, c.ppi_high), f"{c.lam:.2f}", f"{c.effective_n:,.0f}",
                ])
        if rows:
            headers = ["model", "term", "human", "human CI", "PPI++", "PPI++ CI", "lambda", "n_eff"]
            lines.append(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True))
    if result.agreement:
        lines.append("Individual-level agreement within pairs (bootstrap intervals over personas):")
        rows = [
            [a.variable[:18], a.statistic, "all" if a.group is None else f"{a.group_by}={a.group}"[:24], f"{a.n_pairs:,}",
             _g(a.value), _ci(a.low, a.high)]
            for a in result.agreement
        ]
        lines.append(tabulate(rows, headers=["variable", "statistic", "pairs of", "n", "value", "interval"],
                              tablefmt="simple", disable_numparse=True))
    return "\n".join(lines)


def format_pilot(pilot: PilotResult) -> str:
    """The pilot check: design, coverage, width, recovery, and the per-coefficient table."""
    design = f"{pilot.fraction:.0%} of " + ("all pairs" if pilot.cells is None else f"each of the first {pilot.cells} cells")
    lines = [
        _wrap(f"Pilot check: {pilot.n_pilot:,} labeled humans ({design}) out of {pilot.n_full:,}; the other personas' "
              "simulations are unlabeled and their human answers are the full study."),
    ]
    if not pilot.exchangeable:
        lines.append(_wrap("  Caution: this pilot is not a random sample of the personas, so PPI's coverage "
                           "guarantee does not hold for it."))
    lines.append(_wrap(
        f"  Full-human estimates covered: PPI++ {pilot.ppi_coverage:.0%}, human-only pilot "
        f"{pilot.classical_coverage:.0%}; median width PPI++ / human-only {pilot.median_width_ratio:.2f}"
    ))
    f1_p, f1_c = pilot.recovery_ppi.get("f1_sign"), pilot.recovery_classical.get("f1_sign")
    lines.append(_wrap(f"  Recovery against the full study: F1(Sign) PPI++ {_g(f1_p)}, human-only pilot {_g(f1_c)}; "
                       f"FPR {_g(pilot.recovery_ppi.get('fpr'))} vs {_g(pilot.recovery_classical.get('fpr'))}"))
    rows = [
        [c.model, readable_term(c.term), _g(c.full_estimate), _ci(c.pilot_low, c.pilot_high), _ci(c.ppi_low, c.ppi_high),
         "yes" if c.ppi_covers else "NO", f"{c.width_ratio:.2f}"]
        for c in pilot.coefficients
    ]
    if rows:
        lines.append(tabulate(rows, headers=["model", "term", "full", "pilot CI", "PPI++ CI", "covers", "width"],
                              tablefmt="simple", disable_numparse=True))
    lines.append(format_inference(pilot.inference, coefficients=False))
    return "\n".join(lines)


def format_plan(p: Plan) -> str:
    """The cheapest mixed design and the human-only design."""
    def row(name: str, d: object) -> list[str]:
        from validator.inference.planning import Design

        assert isinstance(d, Design)
        return [name, f"{d.n_human:,}", f"{d.n_sim:,}", f"{d.cost:,.2f}", _g(d.se, 4), "-" if d.power is None else f"{d.power:.3f}"]

    table = tabulate(
        [row("humans + simulations", p.mixed), row("humans only", p.human_only)],
        headers=["design", "humans", "extra simulations", "cost", "expected SE", "power"],
        tablefmt="simple", disable_numparse=True,
    )
    head = _wrap(f"Plan for a standard error of {p.target_se:.4g} (PPI correlation {p.rho:g}, per-respondent SD "
                 f"{p.sigma:g}; costs {p.cost_human:g} per human, {p.cost_sim:g} per simulation):")
    return f"{head}\n{table}\nThe mixed design saves {p.saving:.0%} of the human-only cost."
