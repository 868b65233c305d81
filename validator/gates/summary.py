"""The markdown summary appended to ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

from collections.abc import Sequence

from tabulate import tabulate

from validator.results import SimulationResult


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_summary(simulations: Sequence[SimulationResult]) -> str:
    """A verdict table (one row per simulated dataset) and the failing gates."""
    rows = []
    for sim in simulations:
        failed = [g for g in sim.gates if not g.passed]
        verdict = "no gates" if not sim.gates else ("PASS" if sim.passed else "FAIL")
        f1 = sim.recovery.summary.f1_sign
        rows.append([_cell(sim.label), verdict, f"{len(sim.gates) - len(failed)} / {len(sim.gates)}", "-" if f1 is None else f"{f1:.3f}"])
    out = ["## simval check", "", tabulate(rows, headers=["simulation", "verdict", "gates passed", "F1(Sign)"], tablefmt="github"), ""]
    failing = [(sim, g) for sim in simulations for g in sim.gates if not g.passed]
    if failing:
        out.append("### Failing gates")
        out.append("")
        for sim, g in failing:
            out.append(f"- **{_cell(sim.label)}** `{g.gate.path}` ({g.severity}): {_cell(g.message)}")
        out.append("")
    return "\n".join(out) + "\n"
