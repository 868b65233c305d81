"""The leaderboard: one row per simulated dataset, ranked, for the terminal, the report and ``leaderboard()``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from validator.present.formatting import fmt_number
from validator.present.table import Cell, Table, table
from validator.verdict.records import SEVERITY

if TYPE_CHECKING:
    from validator.results import CheckResult, SimulationResult

COLUMNS = ("simulation", "verdict", "f1_sign", "fpr", "fnr", "sign_flips", "n_coefficients", "mean_js", "unique_sim", "unique_human", "gap_sim", "gap_human")


def _headline_numbers(sim: SimulationResult) -> dict[str, Any]:
    s = sim.recovery.summary
    row: dict[str, Any] = {
        "simulation": sim.label,
        "verdict": sim.verdict.overall if sim.verdict is not None else None,
        "f1_sign": s.f1_sign,
        "fpr": s.fpr,
        "fnr": s.fnr,
        "sign_flips": s.sign_flips,
        "n_coefficients": s.n_coefficients,
        "mean_js": None,
        "unique_sim": None,
        "unique_human": None,
        "gap_sim": None,
        "gap_human": None,
    }
    d = sim.distribution
    if d is not None and d.mean_js is not None:
        row["mean_js"] = d.mean_js.overall.js.estimate
    if sim.heterogeneity:
        h = sim.heterogeneity[0]
        row["unique_sim"] = h.sim_at_human_n.mean if h.sim_at_human_n else float(h.sim.unique)
        row["unique_human"] = h.human_at_sim_n.mean if h.human_at_sim_n else float(h.human.unique)
    if sim.coherence:
        c = sim.coherence[0]
        row["gap_sim"], row["gap_human"] = c.sim.gap.estimate, c.human.gap.estimate
    return row


def ranked(result: CheckResult) -> list[SimulationResult]:
    """Runs best first: by verdict (pass, inconclusive, fail), then F1(Sign) (higher), then mean JS (lower)."""

    def key(sim: SimulationResult) -> tuple[int, float, float]:
        numbers = _headline_numbers(sim)
        verdict = SEVERITY[sim.verdict.overall] if sim.verdict is not None else 1
        f1 = numbers["f1_sign"] if numbers["f1_sign"] is not None else -1.0
        js = numbers["mean_js"] if numbers["mean_js"] is not None else 2.0
        return (verdict, -f1, js)

    return sorted(result.simulations, key=key)


def leaderboard_rows(result: CheckResult) -> list[dict[str, Any]]:
    """One dict per simulated dataset (ranked), with the columns of :data:`COLUMNS` (numbers, not text)."""
    return [_headline_numbers(sim) for sim in ranked(result)]


def leaderboard_table(result: CheckResult) -> Table:
    """The ranked leaderboard: the best run marked ``best``, failing runs in capitals."""
    rows: list[list[str | Cell]] = []
    order = ranked(result)
    # File names without their folder when that keeps them apart: the column stays narrow enough not to wrap.
    names = {sim.label: sim.label.replace("\\", "/").rsplit("/", 1)[-1] for sim in order}
    if len(set(names.values())) < len(names):
        names = {sim.label: sim.label for sim in order}
    for rank, sim in enumerate(order, start=1):
        n = _headline_numbers(sim)
        verdict = (n["verdict"] or "-").upper() if n["verdict"] == "fail" else (n["verdict"] or "-")
        mark = " (best)" if rank == 1 and len(order) > 1 and n["verdict"] != "fail" else ""
        unique = f"{n['unique_sim']:.0f} vs {n['unique_human']:.0f}" if n["unique_sim"] is not None and n["unique_human"] is not None else "-"
        gap = (
            f"{100 * n['gap_sim']:.1f} vs {100 * n['gap_human']:.1f}"
            if n["gap_sim"] is not None and n["gap_human"] is not None
            else "-"
        )
        rows.append(
            [
                str(rank),
                Cell(names[sim.label] + mark, strong=bool(mark)),
                Cell(verdict, strong=n["verdict"] == "fail"),
                fmt_number(n["f1_sign"]),
                fmt_number(n["fpr"]),
                fmt_number(n["fnr"]),
                str(n["sign_flips"]),
                fmt_number(n["mean_js"]),
                unique,
                gap,
            ]
        )
    return table(
        "leaderboard",
        "Leaderboard (best first: verdict, then F1(Sign), then mean JS)",
        ["#", "simulation", "verdict", "F1(Sign)", "FPR", "FNR", "flips", "mean JS", "unique (equal n)", "gap % sim vs human"],
        rows,
        align=["right", "left", "left", "right", "right", "right", "right", "right", "right", "right"],
        detail=0,
    )
