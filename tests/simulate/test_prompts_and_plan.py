"""Prompts rendered from a persona row, and treatment assignment."""

from __future__ import annotations

import pandas as pd
import pytest

from validator.errors import UsageError
from validator.simulate.personas import read_personas
from validator.simulate.plan import plan_participants
from validator.simulate.prompts import conversation, prompt_digest, system_message
from validator.spec.load import load_spec

SPEC = load_spec("hunt2025")
SIM = SPEC.simulation


def personas(rows: list[dict]) -> object:
    return read_personas(pd.DataFrame(rows), SPEC, label="personas.csv")


ROW = {"participant_id": "p7", "ethnicity": "Asian", "age": "41", "sex": "male", "valuation": "2", "disclosure": "A3"}


def test_prompts_are_rendered_from_the_persona_row_and_its_cell():
    table = personas([ROW])
    plan = plan_participants(SIM, table)
    (participant,) = plan.participants
    assert participant.id == "p7" and participant.cell.name == "V2A3"
    messages = conversation(SIM, participant, [])
    system = messages[0]["content"]
    # The persona comes through the spec's recoding (sex 'male' -> 'Male', valuation 2 -> V2).
    assert system.startswith("You are taking part in an online study. You are 41 years old, your sex is Male and\nyour ethnicity is Asian.")
    assert "Beach 1 at 850,000 gold\ncoins and the treasure of Beach 2 at 750,000 gold coins" in system
    assert "$0.10" in system and "$0.80" in system and "0.30" in system and "0.80 (80 in 100)" in system
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[1]["content"].startswith("Queen Katrina has not announced anything yet.")
    second = conversation(SIM, participant, ["[1]"])
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert second[2]["content"] == "[1]"
    assert second[3]["content"].startswith("Queen Katrina announces that she has put new security measures in place at Beach 2.")


def test_missing_demographics_read_as_the_missing_text_and_demographics_can_be_left_out():
    table = personas([{**ROW, "age": ""}])
    participant = plan_participants(SIM, table).participants[0]
    assert "You are not stated years old" in system_message(SIM, participant.persona, participant.cell)
    bare = system_message(SIM, participant.persona, participant.cell, demographics=False)
    assert bare.startswith("In this game you are a thief.") and "Asian" not in bare


def test_rows_that_break_the_spec_get_no_participant():
    table = personas([ROW, {**ROW, "participant_id": "p8", "ethnicity": "Martian"}, {**ROW, "participant_id": "p9"}])
    plan = plan_participants(SIM, table)
    assert [p.id for p in plan.participants] == ["p7", "p9"]
    assert len(table.set_aside) == 1 and table.set_aside[0].row == 2


def test_duplicate_ids_fall_back_to_row_numbers():
    table = personas([ROW, ROW])
    assert [p.id for p in plan_participants(SIM, table).participants] == ["1", "2"]


def test_per_row_needs_the_factor_columns():
    table = personas([{k: v for k, v in ROW.items() if k not in ("valuation", "disclosure")}])
    with pytest.raises(UsageError, match="per_row assignment takes each participant's cell"):
        plan_participants(SIM, table)


def test_per_cell_spreads_participants_over_cells_and_uses_each_persona_once_first():
    rows = [{**ROW, "participant_id": f"p{i}", "age": str(20 + i)} for i in range(20)]
    table = personas(rows)
    plan = plan_participants(SIM, table, assignment="per_cell", per_cell=2, seed=5)
    assert len(plan.participants) == 16
    assert [p.cell.name for p in plan.participants[:8]] == [c.name for c in SIM.cells]
    assert [p.id for p in plan.participants] == [str(k) for k in range(1, 17)]
    assert len({p.persona.row for p in plan.participants}) == 16  # 20 personas: none used twice
    again = plan_participants(SIM, table, assignment="per_cell", per_cell=2, seed=5)
    assert [p.persona.row for p in again.participants] == [p.persona.row for p in plan.participants]
    other = plan_participants(SIM, table, assignment="per_cell", per_cell=2, seed=6)
    assert [p.persona.row for p in other.participants] != [p.persona.row for p in plan.participants]


def test_n_keeps_the_first_participants_and_refuses_more_than_planned():
    table = personas([{**ROW, "participant_id": f"p{i}"} for i in range(5)])
    assert [p.id for p in plan_participants(SIM, table, n=2).participants] == ["p0", "p1"]
    with pytest.raises(UsageError, match="--n 6 asks for more participants than the 5"):
        plan_participants(SIM, table, n=6)


def test_digest_changes_with_what_the_participant_is_told():
    table = personas([ROW, {**ROW, "participant_id": "p8", "age": "42"}, {**ROW, "participant_id": "p9"}])
    a, b, c = plan_participants(SIM, table).participants
    assert prompt_digest(SIM, a) != prompt_digest(SIM, b)
    assert prompt_digest(SIM, a) == prompt_digest(SIM, c)
