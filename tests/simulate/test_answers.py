"""Reading replies: every answer shape the parser accepts, and every malformed one it refuses."""

from __future__ import annotations

import pytest

from validator.simulate.answers import AnswerError, find_arrays, parse_reply, render_reply
from validator.spec.load import load_spec

SIM = load_spec("hunt2025").simulation
TURN1 = SIM.turns[0].answer
TURN2 = SIM.turns[1].answer


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("[1]", "target_1"),
        ("[2]", "target_2"),
        ("My answer: [2]", "target_2"),
        ("[ 1 ]", "target_1"),
        ('["1"]', "target_1"),
        ("['2']", "target_2"),
        ("[Beach 1]", "target_1"),  # the column's recoding is accepted too
        ("[beach 2.]", "target_2"),
        ("```\n[1]\n```", "target_1"),
        ("[\u201c2\u201d]", "target_2"),
    ],
)
def test_choice_shapes(reply, expected):
    assert parse_reply(reply, TURN1) == {"pre_choice": expected}


GOOD = {"belief_t1": 20.0, "belief_t2": 30.0, "belief_both": 50.0, "factors": "cost, risk", "decision": "attack_t2", "explanation": "cheaper"}


@pytest.mark.parametrize(
    "reply",
    [
        "[20, 30, 50], [cost, risk], [2], [cheaper]",
        "[20,30,50],[cost, risk],[2],[cheaper]",
        "[20%, 30%, 50%], [cost, risk], [2], [cheaper]",
        "[20.0, 30.0, 50.0], [cost, risk], [2], [cheaper]",
        '["20", "30", "50"], ["cost, risk"], ["2"], ["cheaper"]',
        "Here you go:\n[20, 30, 50]\n[cost, risk]\n[2]\n[cheaper]\nThanks!",
        "[[20, 30, 50], [cost, risk], [2], [cheaper]]",  # one array of arrays is unwrapped
        "[20, 30, 50], [cost, risk], [Attack Target 2], [cheaper]",
    ],
)
def test_turn_two_shapes(reply, expected=GOOD):
    assert parse_reply(reply, TURN2) == expected


def test_text_keeps_brackets_and_commas_inside_quotes_and_nesting():
    values = parse_reply('[10, 10, 80], ["a [quoted] factor, with comma"], [3], [because [reasons], really]', TURN2)
    assert values["factors"] == "a [quoted] factor, with comma"
    assert values["explanation"] == "because [reasons], really"
    assert values["decision"] == "abort"


def test_empty_text_array_is_empty_text():
    assert parse_reply("[10, 10, 80], [], [3], []", TURN2)["factors"] == ""


def test_sum_within_tolerance_is_accepted():
    assert parse_reply("[33.3, 33.3, 33.3], [x], [1], [y]", TURN2)["belief_t1"] == pytest.approx(33.3)


@pytest.mark.parametrize(
    ("reply", "items", "message"),
    [
        (None, TURN1, "the reply is empty"),
        ("   ", TURN1, "the reply is empty"),
        ("Beach 1", TURN1, "no bracketed array in the reply; expected 1"),
        ("[1] or [2]", TURN1, "expected 1 bracketed array, found 2"),
        ("[3]", TURN1, "array 1 (pre_choice): '3' is not an accepted answer"),
        ("[]", TURN1, "array 1 (pre_choice): expected one answer, got 0"),
        ("[1, 2]", TURN1, "expected one answer, got 2"),
        ("[1", TURN1, "never closed"),
        ("[20, 30, 50], [x], [2]", TURN2, "expected 4 bracketed arrays, found 3"),
        ("[20, 30, 50], [x], [2], [y], [z]", TURN2, "expected 4 bracketed arrays, found 5"),
        ("[20, 30], [x], [2], [y]", TURN2, "array 1 (belief_t1, belief_t2, belief_both): expected 3 numbers, got 2"),
        ("[20, 30, 40, 10], [x], [2], [y]", TURN2, "expected 3 numbers, got 4"),
        ("[twenty, 30, 50], [x], [2], [y]", TURN2, "'twenty' is not a number"),
        ("[20, 30, 40], [x], [2], [y]", TURN2, "the numbers sum to 90, not 100"),
        ("[120, -10, -10], [x], [2], [y]", TURN2, "120 for belief_t1 is outside [0, 100]"),
        ("[nan, 50, 50], [x], [2], [y]", TURN2, "'nan' is not a number"),
        ("[1e999, 0, 0], [x], [2], [y]", TURN2, "not a finite number"),
        ("[20, 30, 50], [x], [4], [y]", TURN2, "array 3 (decision): '4' is not an accepted answer"),
        ("[20, 30, 50], [x], [rob], [y]", TURN2, "'rob' is not an accepted answer"),
        ("[20, 30, 50], [x], [2], [y", TURN2, "never closed"),
        ("[belief_1, belief_2, belief_3], [factors], [decision], [explanation]", TURN2, "'belief_1' is not a number"),
    ],
)
def test_malformed_replies_are_refused_with_a_reason(reply, items, message):
    with pytest.raises(AnswerError) as err:
        parse_reply(reply, items)
    assert message in str(err.value)


def test_find_arrays_reports_elements():
    groups = find_arrays("x [1, 2] y ['a, b', c] [] [[1], [2]]")
    assert [g.elements for g in groups] == [("1", "2"), ("'a, b'", "c"), (), ("[1]", "[2]")]


@pytest.mark.parametrize(
    "values",
    [
        {"belief_t1": 20.0, "belief_t2": 30.0, "belief_both": 50.0, "factors": "cost", "decision": "abort", "explanation": "safe"},
        {"belief_t1": 33.5, "belief_t2": 33.0, "belief_both": 33.5, "factors": "", "decision": "attack_t1", "explanation": ""},
    ],
)
def test_render_reply_is_the_inverse_of_parse_reply(values):
    text = render_reply(TURN2, values)
    assert parse_reply(text, TURN2) == values


def test_render_reply_writes_the_maps_first_token():
    assert render_reply(TURN1, {"pre_choice": "target_2"}) == "[2]"
    assert render_reply(TURN2[2:3], {"decision": "abort"}) == "[3]"
