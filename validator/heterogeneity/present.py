"""Presentation of heterogeneity: unique response structures on each side, and at equal n."""

from __future__ import annotations

from collections.abc import Sequence

from validator.checks.entry import PresentOptions
from validator.heterogeneity.check import HeterogeneityResult
from validator.present.formatting import fmt_number
from validator.present.table import Table, table


def _equal_n_notes(h: HeterogeneityResult, options: PresentOptions) -> list[str]:
    notes = []
    level = "95%"  # equal_n() reports the 2.5 and 97.5 percentiles of its draws whatever the interval level
    if h.sim_at_human_n is not None:
        e = h.sim_at_human_n
        notes.append(
            f"At equal n ({e.n}): simulation {e.mean:.1f} [{e.low:.0f}, {e.high:.0f}] ({level} range over {e.draws} subsamples) "
            f"vs human {h.human.unique}; ratio {fmt_number(h.ratio_at_equal_n, 2)}"
        )
    if h.human_at_sim_n is not None:
        e = h.human_at_sim_n
        notes.append(
            f"At equal n ({e.n}): human {e.mean:.1f} [{e.low:.0f}, {e.high:.0f}] ({level} range over {e.draws} subsamples) "
            f"vs simulation {h.sim.unique}; ratio {fmt_number(h.ratio_at_equal_n, 2)}"
        )
    return notes


def heterogeneity_tables(h: HeterogeneityResult, options: PresentOptions) -> Sequence[Table]:
    rows = [
        ["human", str(h.human.n), str(h.human.unique), fmt_number(h.human.entropy.estimate, 2)],
        ["simulation", str(h.sim.n), str(h.sim.unique), fmt_number(h.sim.entropy.estimate, 2)],
    ]
    return (
        table(
            f"heterogeneity-{h.name}",
            f"Heterogeneity ({h.name}: distinct {', '.join(h.columns)} tuples)",
            ["data", "n", "unique", "entropy (bits)"],
            rows,
            align=["left", "right", "right", "right"],
            notes=_equal_n_notes(h, options),
            detail=1,
        ),
    )


def heterogeneity_headline(h: HeterogeneityResult, options: PresentOptions) -> str:
    """'unique structures 20 vs 340 at n 929 (ratio 0.06)'."""
    sim = h.sim_at_human_n.mean if h.sim_at_human_n else float(h.sim.unique)
    human = h.human_at_sim_n.mean if h.human_at_sim_n else float(h.human.unique)
    return f"unique {h.name} {sim:.0f} vs {human:.0f} human at n {h.equal_n} (ratio {fmt_number(h.ratio_at_equal_n, 2)})"
