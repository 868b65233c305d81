"""Constrained decoding: the turn's answer as a JSON schema, and replies in that shape parse."""

from __future__ import annotations

import json

import pytest

from validator.errors import SpecError
from validator.simulate.answers import parse_reply
from validator.simulate.schema import answer_schema, response_format
from validator.spec.bundled import bundled_spec_path
from validator.spec.load import load_spec, parse_spec_text

KEY = "sk-test-schema-0123456789"


def _constrained_spec(extra: str = ""):
    text = bundled_spec_path("hunt2025").read_text(encoding="utf-8")
    return parse_spec_text(text.replace("\nsimulation:\n", "\nsimulation:\n  constrained_decoding: true\n" + extra, 1), source="hunt2025-constrained.yaml")


def test_the_option_is_off_by_default_and_read_from_the_spec() -> None:
    assert load_spec("hunt2025").simulation.constrained_decoding is False
    assert _constrained_spec().simulation.constrained_decoding is True


def test_the_form_of_response_format_is_json_schema_unless_the_spec_asks_for_json_object() -> None:
    assert _constrained_spec().simulation.response_format == "json_schema"
    sim = _constrained_spec("  response_format: json_object\n").simulation
    assert sim.response_format == "json_object"
    # llama-cpp-python's server takes only this form: the schema beside "type": "json_object"
    assert response_format(sim.turns[0], "json_object") == {"type": "json_object", "schema": answer_schema(sim.turns[0])}
    assert response_format(sim.turns[0])["json_schema"]["schema"] == answer_schema(sim.turns[0])


def test_an_unknown_response_format_is_refused_with_its_key_path() -> None:
    with pytest.raises(SpecError, match=r"at simulation\.response_format: 'json' is not one of json_schema, json_object"):
        _constrained_spec("  response_format: json\n")


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("{type: numeric, range: [1, 7], integer: true}", [1, 2, 3, 4, 5, 6, 7]),
        ("{type: numeric, range: [0, 100], integer: true}", list(range(101))),
        ("{type: numeric, range: [0, 101], integer: true}", None),  # 102 values: too many to list
        ("{type: numeric, range: [1, 7]}", None),  # not whole: no list of values
        ("{type: numeric, integer: true}", None),  # no range
    ],
)
def test_a_short_whole_number_scale_is_also_an_enum(column: str, expected: list[int] | None) -> None:
    text = bundled_spec_path("hunt2025").read_text(encoding="utf-8")
    start = text.index("  belief_t1:\n")
    end = text.index("  belief_t2:\n")
    text = text[:start] + f"  belief_t1: {column}\n" + text[end:]
    sim = parse_spec_text(text, source="scale.yaml").simulation
    element = answer_schema(sim.turns[1])["properties"]["belief_t1, belief_t2, belief_both"]["prefixItems"][0]
    assert element.get("enum") == expected


def test_the_schema_has_one_array_per_answer_item_in_order() -> None:
    sim = load_spec("hunt2025").simulation
    schema = answer_schema(sim.turns[1])
    items = list(schema["properties"].values())
    assert list(schema["properties"]) == [item.label for item in sim.turns[1].answer] == schema["required"]
    assert [item["type"] for item in items] == ["array"] * len(sim.turns[1].answer)
    beliefs = items[0]
    assert beliefs["minItems"] == beliefs["maxItems"] == 3
    assert all(e["minimum"] == 0 and e["maximum"] == 100 for e in beliefs["prefixItems"])
    assert response_format(sim.turns[1])["type"] == "json_schema"


@pytest.mark.parametrize(
    ("turn", "reply"),
    [
        (0, '{"pre_choice": ["1"]}'),
        (1, '{"belief_t1, belief_t2, belief_both": [30, 20, 50], "reasons": ["the costs", "the risk"], "decision": ["abort"], "why": ["I weighed it"]}'),
    ],
)
def test_a_reply_in_the_schema_shape_parses(turn: int, reply: str) -> None:
    sim = load_spec("hunt2025").simulation
    json.loads(reply)  # the shape the schema asks for is JSON
    values = parse_reply(reply, sim.turns[turn].answer)
    assert values


def test_requests_carry_the_schema_and_json_replies_give_participants(fs, demo_paths, tmp_path) -> None:
    from validator.simulate.session import simulate

    def json_reply(request):
        if request.turn <= 1:
            return fs.Scripted(content='{"pre_choice": ["2"]}')
        return fs.Scripted(content='{"beliefs": [40, 30, 30], "reasons": ["costs"], "decision": ["1"], "why": ["because"]}')

    with fs.FixtureServer(json_reply) as server:
        report = simulate(
            _constrained_spec(), demo_paths["human"], tmp_path / "sim.csv", model="fixture", base_url=server.url,
            n=3, progress="none", environ={"OPENAI_API_KEY": KEY},
        )
        bodies = [r.body for r in server.chat_requests()]
    assert report.ok == 3
    assert all(body["response_format"]["type"] == "json_schema" for body in bodies)
    assert {len(body["response_format"]["json_schema"]["schema"]["properties"]) for body in bodies} == {1, 4}


def test_a_server_that_takes_only_json_object_stops_the_run_with_the_spec_key_to_set(fs, demo_paths, tmp_path) -> None:
    from validator.simulate.runner import ServerRefused
    from validator.simulate.session import simulate

    # What llama-cpp-python's server answers to {"type": "json_schema", ...} (abridged).
    refusal = "1 validation error: {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}"

    def responder(request):
        if request.body["response_format"]["type"] == "json_schema":
            return fs.Scripted(status=500, error=refusal)
        return fs.Scripted(content='{"pre_choice": ["2"]}')

    with fs.FixtureServer(responder) as server:
        with pytest.raises(ServerRefused, match=r"HTTP 500: .*set simulation\.response_format: json_object in the spec"):
            simulate(
                _constrained_spec(), demo_paths["human"], tmp_path / "sim.csv", model="fixture", base_url=server.url,
                n=3, progress="none", environ={"OPENAI_API_KEY": KEY},
            )
        # the requests already in flight, one per participant, and none retried
        assert len(server.chat_requests()) <= 3
