"""Treatment assignment: which simulated participants to ask, with which persona, in which cell.

``per_row``: one participant per persona row, in that row's own cell (its
factor columns), with the row's id; rows whose levels form no declared cell
are left out and counted. ``per_cell``: ``per_cell`` participants in every
declared cell; participant k (from 0) is in cell ``k mod C`` (so any first n
participants cover the cells evenly) and gets persona ``perm[k mod P]`` of a
permutation of the P persona rows drawn with ``seed`` (each row is used once
before any is used twice); ids are ``1..N``.

The plan is a pure function of the spec, the persona file and the seed, so a
rerun plans the same participants with the same ids and resumes correctly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from validator.errors import UsageError
from validator.simulate.model import CellSpec, SimulationSpec
from validator.simulate.personas import Persona, PersonaTable

__all__ = ["Participant", "Plan", "plan_participants"]


@dataclass(frozen=True)
class Participant:
    """One simulated participant: its id, persona row and treatment cell."""

    id: str
    persona: Persona
    cell: CellSpec


@dataclass(frozen=True)
class Plan:
    """The participants to simulate, and the persona rows left out because their cell is not declared."""

    participants: tuple[Participant, ...]
    assignment: str
    n_outside_cells: int = 0


def plan_participants(
    sim: SimulationSpec,
    personas: PersonaTable,
    *,
    assignment: str | None = None,
    per_cell: int | None = None,
    n: int | None = None,
    seed: int = 0,
) -> Plan:
    """Assign persona rows to cells (see the module docstring); ``n`` keeps the first n participants."""
    mode = assignment or sim.assignment
    if not personas.personas:
        raise UsageError(f"{personas.source}: no usable persona rows (every row was set aside)")
    outside = 0
    if mode == "per_row":
        if sim.factors and not personas.has_factors:
            missing = ", ".join(sim.factors)
            raise UsageError(
                f"{personas.source}: per_row assignment takes each participant's cell from the file's "
                f"columns {missing}, which it lacks; use --assignment per_cell"
            )
        participants = []
        for persona in personas.personas:
            cell = sim.cell_of(dict(persona.levels))
            if cell is None:
                outside += 1
                continue
            participants.append(Participant(persona.id, persona, cell))
        if not participants:
            raise UsageError(f"{personas.source}: no persona row is in one of the spec's simulation cells")
    elif mode == "per_cell":
        count = per_cell or sim.per_cell
        if not count:
            raise UsageError("per_cell assignment needs the number of participants per cell (--per-cell N)")
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(personas.personas))
        cells = sim.cells
        participants = [
            Participant(str(k + 1), personas.personas[int(order[k % len(order)])], cells[k % len(cells)])
            for k in range(count * len(cells))
        ]
    else:
        raise UsageError(f"unknown assignment '{mode}'; use per_row or per_cell")
    if n is not None:
        if n < 1:
            raise UsageError(f"--n must be at least 1, got {n}")
        if n > len(participants):
            raise UsageError(f"--n {n} asks for more participants than the {len(participants)} that {mode} assignment gives")
        participants = participants[:n]
    return Plan(tuple(participants), mode, outside)
