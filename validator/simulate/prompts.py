"""Render a participant's conversation from the spec's templates.

The system message is the persona template (filled from the persona row)
followed by a blank line and the system template (filled from the cell); each
turn adds the user prompt (filled from the cell) and, once given, the reply.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

from validator.simulate.model import CellSpec, SimulationSpec
from validator.simulate.personas import Persona, format_value
from validator.simulate.plan import Participant

__all__ = ["cell_values", "persona_values", "system_message", "turn_prompt", "conversation", "prompt_digest"]

Message = dict[str, str]


def cell_values(cell: CellSpec) -> dict[str, str]:
    """The cell's template values: each factor's level and each cell variable."""
    return {**dict(cell.levels), **dict(cell.variables)}


def persona_values(sim: SimulationSpec, persona: Persona) -> dict[str, str]:
    """The persona row's template values, missing ones as the spec's ``missing_text``."""
    return {name: format_value(value, sim.missing_text) for name, value in persona.values}


def system_message(sim: SimulationSpec, persona: Persona, cell: CellSpec, *, demographics: bool = True) -> str:
    """The persona paragraph (unless ``demographics`` is false) and the study's instructions."""
    parts = []
    if demographics:
        parts.append(sim.persona.render(persona_values(sim, persona)).strip())
    parts.append(sim.system.render(cell_values(cell)).strip())
    return "\n\n".join(part for part in parts if part)


def turn_prompt(sim: SimulationSpec, turn: int, cell: CellSpec) -> str:
    """The user message of turn ``turn`` (from 0) in ``cell``."""
    return sim.turns[turn].prompt.render(cell_values(cell)).strip()


def conversation(sim: SimulationSpec, participant: Participant, replies: Sequence[str]) -> list[Message]:
    """The messages to send for the turn after ``replies``: system, then prompt/reply pairs, then the next prompt."""
    messages: list[Message] = [{"role": "system", "content": system_message(sim, participant.persona, participant.cell)}]
    for turn, reply in enumerate(replies):
        messages.append({"role": "user", "content": turn_prompt(sim, turn, participant.cell)})
        messages.append({"role": "assistant", "content": reply})
    messages.append({"role": "user", "content": turn_prompt(sim, len(replies), participant.cell)})
    return messages


def prompt_digest(sim: SimulationSpec, participant: Participant) -> str:
    """A short hash of everything the participant is told; the journal uses it to refuse a changed plan."""
    texts: Mapping[str, object] = {
        "system": system_message(sim, participant.persona, participant.cell),
        "turns": [turn_prompt(sim, i, participant.cell) for i in range(len(sim.turns))],
    }
    return hashlib.sha256(json.dumps(texts, sort_keys=True).encode("utf-8")).hexdigest()[:16]
