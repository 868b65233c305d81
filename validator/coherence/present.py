"""Presentation of belief-action coherence: the value-action gap per target and pooled."""

from __future__ import annotations

from collections.abc import Sequence

from validator.alignment.present import metric_text
from validator.checks.entry import PresentOptions
from validator.coherence.check import CoherenceResult
from validator.present.formatting import fmt_level
from validator.present.table import Table, table


def coherence_tables(c: CoherenceResult, options: PresentOptions) -> Sequence[Table]:
    rows = []
    for human_t, sim_t, human_share, sim_share in zip(c.human.point.targets, c.sim.point.targets, c.human.shares, c.sim.shares):
        rows.append(
            [f"P({human_t.action} | {human_t.belief} highest)", str(human_t.n), metric_text(human_share, 1, 100), str(sim_t.n), metric_text(sim_share, 1, 100)]
        )
    rows.append(["value-action gap (pooled)", str(c.human.point.n), metric_text(c.human.gap, 1, 100), str(c.sim.point.n), metric_text(c.sim.gap, 1, 100)])
    return (
        table(
            f"coherence-{c.name}",
            f"Coherence ({c.name}: P(mapped {c.action} | belief strictly highest among {', '.join(c.beliefs)}), ties excluded; "
            f"{fmt_level(options.level)} intervals)",
            ["", "n human", "human %", "n sim", "simulation %"],
            rows,
            align=["left", "right", "right", "right", "right"],
            notes=[f"Difference simulation - human: {metric_text(c.difference, 1, 100)} percentage points"],
            detail=1,
        ),
    )


def coherence_headline(c: CoherenceResult, options: PresentOptions) -> str:
    """'value_action_gap 93.0% vs 23.1% human (difference +69.9 pp [61.0, 75.2])'."""
    sim, human = c.sim.gap.estimate, c.human.gap.estimate
    if sim is None or human is None:
        return f"{c.name}: not computable (no respondent with a strictly highest belief on one side)"
    return f"{c.name} {100 * sim:.1f}% vs {100 * human:.1f}% human (difference {metric_text(c.difference, 1, 100)} pp)"
