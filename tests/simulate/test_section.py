"""The spec's simulation section: parsed into records, every mistake named by its key path."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from validator.errors import SpecError
from validator.spec.load import load_spec, parse_spec_text

BASE = """
simval_spec: 1
name: tiny
columns:
  pid: {type: text, required: false}
  group: {type: categorical, values: [a, b]}
  age: {type: numeric, required: false, allow_missing: true}
  arm: {type: categorical, values: [T, C]}
  dose: {type: categorical, values: [lo, hi]}
  score: {type: numeric, range: [0, 10]}
  choice: {type: categorical, values: [yes, no], recode: {Y: yes}}
"""

SIMULATION = {
    "id_column": "pid",
    "persona_columns": ["group", "age"],
    "factors": ["arm", "dose"],
    "variables": {"arm": {"T": {"pill": "the new pill"}, "C": {"pill": "a sugar pill"}}},
    "persona": "You are {age}, in group {group}.",
    "system": "You take {pill} ({arm}, {dose}).",
    "turns": [
        {"prompt": "Rate it in [score].", "answer": [{"column": "score"}]},
        {"prompt": "Again? [1] yes [2] no, and why.", "answer": [{"column": "choice", "map": {1: "yes", 2: "no"}}, {"extra": "why"}]},
    ],
}


def parse(simulation: dict) -> object:
    text = textwrap.dedent(BASE) + yaml.safe_dump({"simulation": simulation}, sort_keys=False)
    return parse_spec_text(text, source="s.yaml")


def test_section_parses_into_records():
    sim = parse(SIMULATION).simulation
    assert [c.name for c in sim.cells] == ["Tlo", "Thi", "Clo", "Chi"]
    assert dict(sim.cells[2].variables) == {"pill": "a sugar pill"}
    assert sim.answer_columns == ("score", "choice", "why")
    assert sim.extra_columns == ("why",)
    assert sim.turns[1].answer[0].choices[:2] == (("1", "yes"), ("2", "no"))
    assert ("y", "yes") in sim.turns[1].answer[0].choices  # the column's recoding is accepted
    assert sim.assignment == "per_row" and sim.max_tokens == 512


def test_declared_cells_keep_their_order():
    sim = parse({**SIMULATION, "cells": [{"arm": "C", "dose": "hi"}, {"arm": "T", "dose": "lo"}]}).simulation
    assert [c.name for c in sim.cells] == ["Chi", "Tlo"]


def test_per_cell_assignment():
    sim = parse({**SIMULATION, "assignment": {"per_cell": 5}}).simulation
    assert (sim.assignment, sim.per_cell) == ("per_cell", 5)


def with_(**changes):
    return {**SIMULATION, **changes}


@pytest.mark.parametrize(
    ("simulation", "path", "message"),
    [
        (with_(turnz=[]), "simulation.turnz", "unknown key 'turnz' (did you mean 'turns'?)"),
        (with_(persona_columns=["groop"]), "simulation.persona_columns[0]", "unknown variable 'groop' (did you mean 'group'?)"),
        (with_(factors=["score"]), "simulation.factors[0]", "must be a categorical column"),
        (with_(persona="You are {agee}."), "simulation.persona", "unknown placeholder '{agee}' (did you mean 'age'?)"),
        (with_(persona="You are {age.real}."), "simulation.persona", "only {name}"),
        (with_(system="You take {pil}."), "simulation.system", "unknown placeholder '{pil}' (did you mean 'pill'?)"),
        (with_(system="You are {age}."), "simulation.system", "'{age}' is a persona column"),
        (
            with_(turns=[{"prompt": "{group}?", "answer": [{"column": "score"}]}]),
            "simulation.turns[0].prompt",
            "'{group}' is a persona column",
        ),
        (with_(turns=[{"prompt": "x", "answr": []}]), "simulation.turns[0].answr", "unknown key 'answr' (did you mean 'answer'?)"),
        (with_(turns=[{"prompt": "x"}]), "simulation.turns[0].answer", "at least one expected answer"),
        (
            with_(turns=[{"prompt": "x", "answer": [{"column": "scor"}]}]),
            "simulation.turns[0].answer[0].column",
            "unknown column 'scor' (did you mean 'score'?)",
        ),
        (
            with_(turns=[{"prompt": "x", "answer": [{"column": "choice", "map": {1: "maybe"}}]}]),
            "simulation.turns[0].answer[0].map.1",
            "maps to 'maybe', which is not a value of 'choice'",
        ),
        (
            with_(turns=[{"prompt": "x", "answer": [{"column": "score", "map": {1: 1}}]}]),
            "simulation.turns[0].answer[0].map",
            "'map' does not apply to numbers",
        ),
        (
            with_(turns=[{"prompt": "x", "answer": [{"column": "score", "extra": "y"}]}]),
            "simulation.turns[0].answer[0]",
            "exactly one of 'column', 'columns'",
        ),
        (
            with_(turns=[{"prompt": "x", "answer": [{"extra": "score"}]}]),
            "simulation.turns[0].answer[0].extra",
            "is a column of the study",
        ),
        (
            with_(turns=[{"prompt": "x", "answer": [{"columns": ["score", "choice"]}]}]),
            "simulation.turns[0].answer[0].columns[1]",
            "'columns' takes numeric columns",
        ),
        (
            with_(turns=[{"prompt": "x", "answer": [{"column": "score", "sum": 100}]}]),
            "simulation.turns[0].answer[0].sum",
            "a sum needs at least two columns",
        ),
        (
            with_(turns=[{"prompt": "x", "answer": [{"column": "score"}]}]),
            "simulation",
            "the study column 'choice' is required but the simulation fills it nowhere",
        ),
        (
            with_(turns=[{"prompt": "x", "answer": [{"column": "score"}, {"column": "score"}, {"column": "choice"}]}]),
            "simulation",
            "'score' is filled twice",
        ),
        (with_(cells=[{"arm": "T"}]), "simulation.cells[0]", "no level of the factor 'dose'"),
        (with_(cells=[{"arm": "X", "dose": "lo"}]), "simulation.cells[0].arm", "'X' is not a level of 'arm'"),
        (with_(cells=[{"arm": "T", "dose": "lo", "color": "red"}]), "simulation.cells[0].color", "unknown key 'color'"),
        (with_(cells=[{"arm": "T", "dose": "lo"}, {"arm": "T", "dose": "lo"}]), "simulation.cells[1]", "listed twice"),
        (with_(variables={"arm": {"T": {"pill": "x"}}}), "simulation.variables.arm", "the level 'C' used by the cells defines no variables"),
        (
            with_(variables={"arm": {"T": {"pill": "x"}, "C": {"tablet": "y"}}}),
            "simulation.variables.arm.C",
            "must define the same variables",
        ),
        (with_(variables={"arm": {"T": {"score": "x"}, "C": {"score": "y"}}}), "simulation.variables.arm.T.score", "is a column of the study"),
        (with_(variables={"arms": {}}), "simulation.variables.arms", "unknown key 'arms' (did you mean 'arm'?)"),
        (with_(assignment="per_rows"), "simulation.assignment", "did you mean 'per_row'?"),
        (with_(assignment={"per_cell": 0}), "simulation.assignment.per_cell", "must be at least 1"),
        (with_(max_tokens=0), "simulation.max_tokens", "must be at least 1"),
        (with_(balance_by="groupp"), "simulation.balance_by", "unknown column 'groupp' (did you mean 'group'?)"),
        (with_(drop_groups={"demographics": ["score"]}), "simulation.drop_groups.demographics", "built in"),
        (with_(drop_groups={"scores": ["scor"]}), "simulation.drop_groups.scores[0]", "unknown variable 'scor'"),
        (with_(id_column="pidd"), "simulation.id_column", "unknown column 'pidd' (did you mean 'pid'?)"),
    ],
)
def test_mistakes_name_the_key_path(simulation, path, message):
    with pytest.raises(SpecError) as err:
        parse(simulation)
    assert str(err.value).startswith(f"s.yaml, at {path}: "), str(err.value)
    assert message in str(err.value)


def test_bundled_reference_spec_has_the_studys_simulation():
    sim = load_spec("hunt2025").simulation
    assert sim.persona_columns == ("ethnicity", "age", "sex")
    assert [c.name for c in sim.cells] == ["V1A1", "V1A2", "V1A3", "V1A4", "V2A1", "V2A2", "V2A3", "V2A4"]
    assert dict(sim.cells[0].variables)["queen_value_1"] == "1,200,000"
    assert dict(sim.cells[4].variables)["queen_value_2"] == "750,000"
    assert [len(t.answer) for t in sim.turns] == [1, 4]
    assert sim.turns[1].answer[0].total == 100.0
    assert sim.balance_by == "ethnicity"
    assert dict(sim.drop_groups) == {"beliefs": ("belief_t1", "belief_t2", "belief_both"), "decision": ("decision",)}
