"""The terminal output of ``simval check``: the verdicts first, then a compact summary per run.

``detail`` 0 prints the verdicts, per run the headline of every check and the
paper's Table 2, and the leaderboard; 1 (``-v``) adds every construct's table and
the gates; 2 (``-vv``) adds every coefficient, every subgroup and the rows set
aside. Every line fits ``width``. This module reads results; it computes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from validator.io.ingest import Dataset
from validator.models.types import ModelFit
from validator.present.checks import check_views, options_for
from validator.present.escape import terminal_text
from validator.present.formatting import fmt_level
from validator.present.leaderboard import leaderboard_table
from validator.present.text import render_table, terminal_width, wrap
from validator.verdict.decide import verdict_text

if TYPE_CHECKING:
    from validator.results import CheckResult, SimulationResult


def rows_line(dataset: Dataset) -> str:
    """'929 rows read, 925 used, 4 set aside (2 out_of_range, ...)'."""
    line = f"{dataset.n_rows_read} rows read, {dataset.n_used} used, {dataset.n_set_aside} set aside"
    reasons = dataset.set_aside_by_reason()
    if reasons:
        line += " (" + ", ".join(f"{n} {reason}" for reason, n in reasons.items()) + ")"
    return line


def set_aside_table(dataset: Dataset, width: int, limit: int = 10) -> str:
    """The first ``limit`` set-aside rows with their reasons."""
    from validator.present.table import table

    rows = [
        # Values and reasons come from the data: escaped and shortened (a 1 MB cell is not printed whole).
        [
            str(item.row),
            str(item.line) if item.line is not None else "-",
            terminal_text(item.column) if item.column else "-",
            terminal_text(item.value) if item.value is not None else "-",
            terminal_text(item.detail),
        ]
        for item in dataset.set_aside[:limit]
    ]
    more = len(dataset.set_aside) - limit
    notes = [f"... and {more} more (all are listed in the JSON output)"] if more > 0 else []
    return render_table(table("set-aside", f"Rows set aside in {dataset.label}", ["row", "line", "column", "value", "reason"], rows, notes=notes), width)


def models_line(fits: Sequence[ModelFit]) -> str:
    if not fits:
        return "no models declared in the spec"
    estimable = [f for f in fits if f.estimable]
    line = f"models estimable: {len(estimable)} of {len(fits)}"
    failed = [f for f in fits if not f.estimable]
    if failed:
        line += " (not estimable: " + "; ".join(f"{f.model} {f.reason}" for f in failed) + ")"
    return line


def verdict_lines(sim: SimulationResult, width: int) -> list[str]:
    """The run's verdict: one overall line and one wrapped line per construct."""
    if sim.verdict is None:
        return [f"DONE {sim.label}"]
    out: list[str] = []
    for line in verdict_text(sim.label, sim.verdict):
        out.extend(wrap(line, width, indent=" " * 29 if line.startswith("  ") else "  "))
    return out


def gate_table(sim: SimulationResult, width: int) -> str | None:
    """The gates of one simulated dataset, failing ones first."""
    if not sim.gates:
        return None
    from validator.present.table import table

    ordered = sorted(sim.gates, key=lambda g: (g.passed, g.severity != "error"))
    rows = [["pass" if g.passed else ("FAIL" if g.severity == "error" else "warn"), g.gate.name, g.message] for g in ordered]
    return render_table(table("gates", "Gates", ["", "gate", "result"], rows), width)


def run_section(result: CheckResult, sim: SimulationResult, detail: int, width: int, coefficients: bool = True) -> list[str]:
    """One simulated dataset: its rows and models, each check's headline, then the tables of this detail level."""
    options = options_for(result, detail)
    status = sim.verdict.overall.upper() if sim.verdict is not None else "DONE"
    out = ["", *wrap(f"== {sim.label} ({status})", width)]
    out.extend(wrap("data: " + rows_line(sim.dataset) + "; " + models_line(sim.fits), width, indent="    "))
    views = list(check_views(result, sim, options))
    for view in views:
        for headline in view.headlines:
            out.extend(wrap(f"{view.entry.construct:<14}{headline}", width, indent=" " * 14))
    for view in views:
        for t in view.tables:
            if t.detail > detail or (t.key == "coefficients" and not coefficients):
                continue
            out.append("")
            out.append(render_table(t, width))
    if detail >= 1:
        gates = gate_table(sim, width)
        if gates:
            out.extend(["", gates])
    if detail >= 2 and sim.dataset.set_aside:
        out.extend(["", set_aside_table(sim.dataset, width)])
    return out


def header_lines(result: CheckResult, detail: int, width: int) -> list[str]:
    """The run's header: spec, settings, where the verdicts come from, and the human data."""
    ctx = result.context
    intervals = f"{ctx.replicates} bootstrap replicates, {fmt_level(ctx.level)} intervals" if ctx.replicates else "no bootstrap intervals (--bootstrap 0)"
    source = "declared gates" if result.gates_declared else "default rules (the human data's own noise)"
    out: list[str] = []
    out.extend(wrap(f"simval check - spec {result.spec_name}: {result.spec_title}", width, indent="  "))
    out.extend(wrap(f"alpha {result.alpha:g}, correction {result.correction.method}; {intervals}; verdict from {source}", width, indent="  "))
    out.extend(wrap(f"human: {result.human.label}", width, indent="    "))
    out.extend(wrap("  data: " + rows_line(result.human) + "; " + models_line(result.human_fits), width, indent="    "))
    if detail >= 2 and result.human.set_aside:
        out.extend(["", set_aside_table(result.human, width)])
    return out


def closing_lines(result: CheckResult, detail: int, width: int) -> list[str]:
    """After the runs' sections: the leaderboard (more than one run) and where to find more."""
    out: list[str] = []
    if len(result.simulations) > 1:
        out.extend(["", render_table(leaderboard_table(result), width)])
    if detail < 2:
        out.extend(["", *wrap("More: -v for every construct's table and the gates, -vv for every coefficient and subgroup, --json for everything.", width, indent="  ")])
    return out


def format_check(result: CheckResult, *, detail: int = 0, coefficients: bool = True, width: int | None = None) -> str:
    """The terminal report of ``simval check`` at a detail level (0, 1 or 2), fitted to ``width``."""
    width = width or terminal_width()
    out: list[str] = []
    for sim in result.simulations:
        out.extend(verdict_lines(sim, width))
    out.append("")
    out.extend(header_lines(result, detail, width))
    for sim in result.simulations:
        out.extend(run_section(result, sim, detail, width, coefficients))
    out.extend(closing_lines(result, detail, width))
    return "\n".join(out)


def verdict_summary(sim: SimulationResult) -> str:
    """One line per simulated dataset: 'FAIL run.csv: recovery fail, alignment fail; 3 of 4 gates passed, 1 failed'."""
    if sim.verdict is None:
        return f"DONE {sim.label}"
    parts = ", ".join(f"{name} {construct.verdict}" for name, construct in sim.verdict.constructs) or "no construct judged"
    line = f"{sim.verdict.overall.upper()} {sim.label}: {parts}"
    if sim.gates:
        failed = [g for g in sim.gates if not g.passed]
        errors = sum(g.severity == "error" for g in failed)
        warnings = len(failed) - errors
        line += f"; {len(sim.gates) - len(failed)} of {len(sim.gates)} gates passed"
        if errors:
            line += f", {errors} failed"
        if warnings:
            line += f", {warnings} warning{'s' if warnings > 1 else ''}"
    return line


def quiet_lines(result: CheckResult) -> str:
    """Only the verdicts, one line per simulated dataset (``--quiet``, for CI logs)."""
    return "\n".join(verdict_summary(sim) for sim in result.simulations)

