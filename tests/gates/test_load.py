"""Declaring gates: in the spec or a separate file; every path checked against the catalogue."""

from __future__ import annotations

import pytest

from validator.errors import SpecError
from validator.gates.catalog import gate_paths
from validator.gates.load import load_gates_file, parse_gates
from validator.spec.load import load_spec, parse_spec_text

SPEC = load_spec("hunt2025")


def test_the_catalogue_holds_the_documented_examples():
    patterns = {p.pattern for p in gate_paths(SPEC)}
    for path in (
        "recovery.f1_sign",
        "recovery.sign_flips",
        "distribution.belief_t1.overall.js",
        "distribution.mean_js.by.ethnicity.max",
        "coherence.value_action_gap.difference",
    ):
        assert path in patterns


def test_a_gates_file_parses_with_yaml_1_2_booleans(tmp_path):
    path = tmp_path / "gates.yaml"
    path.write_text(
        "gates:\n"
        "  - {path: recovery.f1_sign, comparison: '>=', threshold: 0.6, on: lower, severity: warning}\n"
        "  - {name: gap, path: coherence.value_action_gap.difference, comparison: between, threshold: [-0.1, 0.1]}\n"
        "  - {path: distribution.belief_t1.by.ethnicity.levels.White.js, comparison: '<=', threshold: 0.3}\n"
    )
    gates = load_gates_file(path, SPEC)
    assert [g.on for g in gates] == ["lower", "estimate", "estimate"]
    assert gates[0].severity == "warning" and gates[1].threshold == (-0.1, 0.1)
    assert gates[0].name == "recovery.f1_sign >= 0.6"


@pytest.mark.parametrize(
    "gate, message",
    [
        ({"path": "recovery.f1", "comparison": ">=", "threshold": 0.5}, r"gates\[0\]\.path: unknown metric path 'recovery\.f1'; valid paths near it: recovery\.f1_sign"),
        ({"path": "distribution.belief_t9.overall.js", "comparison": "<=", "threshold": 0.5}, r"valid paths near it: .*distribution\.belief_t1\.overall\.js"),
        ({"path": "recovery.f1_sign", "comparison": ">", "threshold": 0.5}, r"gates\[0\]\.comparison: comparison '>' is not one of"),
        ({"path": "recovery.f1_sign", "comparison": "between", "threshold": 0.5}, r"gates\[0\]\.threshold: 'between' needs a threshold \[low, high\]"),
        ({"path": "recovery.f1_sign", "comparison": ">=", "threshold": "high"}, r"gates\[0\]\.threshold: expected a number"),
        ({"path": "recovery.f1_sign", "comparison": ">=", "threshold": 0.5, "on": "upper_bound"}, r"gates\[0\]\.on: on 'upper_bound' is not one of"),
        ({"path": "distribution.mean_js.by.ethnicity.max", "comparison": "<=", "threshold": 0.5, "on": "upper"}, r"has no interval, so only on: estimate"),
        ({"path": "recovery.f1_sign", "comparison": ">=", "threshold": 0.5, "severity": "fatal"}, r"gates\[0\]\.severity"),
        ({"path": "recovery.f1_sign", "comparison": ">=", "threshold": 0.5, "level": 1}, r"gates\[0\]\.level: unknown key 'level'"),
        ({"comparison": ">=", "threshold": 0.5}, r"gates\[0\]\.path: a gate needs 'path'"),
    ],
)
def test_mistakes_are_spec_errors_naming_the_gate(gate, message):
    with pytest.raises(SpecError, match=message):
        parse_gates([gate], SPEC, source="gates.yaml")


def test_gates_can_live_in_the_spec():
    text = (
        "columns:\n  y: {type: numeric}\n  x: {type: numeric}\n"
        "models:\n  - {id: m1, family: ols, formula: y ~ x}\n"
        "gates:\n  - {path: recovery.fnr, comparison: '<=', threshold: 0.3}\n"
    )
    spec = parse_spec_text(text, source="s.yaml")
    assert [g.path for g in spec.gates] == ["recovery.fnr"]
    with pytest.raises(SpecError, match=r"s\.yaml, at gates\[0\]\.path: unknown metric path 'coherence\.x\.difference'"):
        parse_spec_text(text.replace("recovery.fnr", "coherence.x.difference"), source="s.yaml")
