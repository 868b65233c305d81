"""A human row as a chat-format training conversation, with the simulation's own prompts.

The conversation is exactly what ``simval simulate`` sends (the system
message, then each turn's prompt), with the human's answers as the assistant
replies, written as the bracketed arrays the prompts ask for
(:func:`~validator.simulate.answers.render_reply`). So a model finetuned on it
answers the simulation's prompts in the form the parser reads.

Ablations (``drop``): ``demographics`` leaves the persona paragraph out of the
system message; a drop group of the spec (``beliefs``, ``decision`` in
hunt2025) leaves the arrays holding its columns out of the replies. A turn
whose every array is dropped ends the conversation before it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from validator.simulate.answers import render_reply
from validator.simulate.model import CellSpec, SimulationSpec
from validator.simulate.personas import Persona
from validator.simulate.prompts import system_message, turn_prompt

__all__ = ["training_conversation", "dropped_columns", "DEMOGRAPHICS"]

DEMOGRAPHICS = "demographics"


def dropped_columns(sim: SimulationSpec, drop: Collection[str]) -> set[str]:
    """The answer columns the drop groups in ``drop`` remove (``demographics`` removes none)."""
    groups = dict(sim.drop_groups)
    return {column for name in drop if name != DEMOGRAPHICS for column in groups[name]}


def training_conversation(
    sim: SimulationSpec,
    persona: Persona,
    cell: CellSpec,
    answers: Mapping[str, Any],
    *,
    drop: Collection[str] = (),
) -> dict[str, list[dict[str, str]]]:
    """``{"messages": [...]}`` for one human row (see the module docstring)."""
    removed = dropped_columns(sim, drop)
    messages = [
        {"role": "system", "content": system_message(sim, persona, cell, demographics=DEMOGRAPHICS not in drop)}
    ]
    for turn, spec in enumerate(sim.turns):
        items = [item for item in spec.answer if not set(item.columns) & removed]
        if not items:
            break
        messages.append({"role": "user", "content": turn_prompt(sim, turn, cell)})
        messages.append({"role": "assistant", "content": render_reply(items, answers)})
    return {"messages": messages}
