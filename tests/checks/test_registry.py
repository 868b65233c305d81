"""The registry is the only place a check is declared.

A toy check, written here as a registry entry with one metric and no other file
edited, must appear in the JSON, in ``simval gates list``, be gateable, and show
in the terminal and in the report.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import validator
from validator.checks import registry
from validator.checks.entry import CheckEntry
from validator.checks.inputs import CheckInputs
from validator.checks.record import MetricInfo, MetricValue
from validator.gates.records import Gate
from validator.spec.load import load_spec


@dataclass(frozen=True)
class RowRatio:
    """Simulated rows per human row."""

    ratio: float

    def to_dict(self) -> dict[str, Any]:
        return {"ratio": self.ratio}

    def metrics(self) -> Iterator[MetricValue]:
        yield MetricValue.of("ratio", self.ratio)


def _row_ratio(inputs: CheckInputs, item: object) -> RowRatio:
    return RowRatio(len(inputs.sim.frame) / len(inputs.human.frame))


TOY = CheckEntry(
    name="toy_rows",
    title="Toy row ratio",
    construct="toy",
    description="simulated rows per human row",
    items=lambda spec: (None,),
    compute=_row_ratio,
    metrics=lambda spec: (MetricInfo("ratio", "simulated rows per human row", "match", (0.0, None)),),
)


@pytest.fixture()
def toy_check() -> Iterator[CheckEntry]:
    registry.register(TOY)
    yield TOY
    registry.unregister(TOY.name)


def test_a_registered_check_runs_and_lands_in_the_json(toy_check, demo_paths):
    result = validator.check(demo_paths["human"], demo_paths["finetuned_random"], bootstrap=0)
    block = json.loads(result.to_json())["simulations"][0]
    assert block["toy_rows"] == {"ratio": 1.0}
    assert result.simulations[0].metric_values()["toy_rows.ratio"].estimate == 1.0


def test_a_registered_check_is_listed_and_gateable(toy_check, demo_paths, capsys):
    from validator.cli.main import main

    assert main(["gates", "list"]) == 0
    assert "toy_rows.ratio" in capsys.readouterr().out
    gate = Gate("rows", "toy_rows.ratio", "<=", 0.5)
    result = validator.check(demo_paths["human"], demo_paths["finetuned_random"], bootstrap=0, gates=[gate])
    sim = result.simulations[0]
    assert [g.passed for g in sim.gates] == [False]
    assert sim.verdict is not None and sim.verdict.construct("toy") is not None
    assert sim.verdict.construct("toy").verdict == "fail"  # type: ignore[union-attr]
    assert not result.passed


def test_a_gate_file_may_name_a_registered_check(toy_check, tmp_path):
    from validator.gates.load import load_gates_file

    path = tmp_path / "gates.yaml"
    path.write_text("gates:\n  - {path: toy_rows.ratio, comparison: '>=', threshold: 0.9}\n")
    (gate,) = load_gates_file(path, load_spec("hunt2025"))
    assert gate.path == "toy_rows.ratio"


def test_a_registered_check_shows_in_the_terminal_and_the_report(toy_check, demo_paths, tmp_path):
    from validator.present.terminal import format_check
    from validator.report import build_reports

    result = validator.check(demo_paths["human"], demo_paths["finetuned_random"], bootstrap=0)
    text = format_check(result, detail=1, width=100)
    assert "toy" in text and "ratio 1.000" in text
    reports = build_reports(result, tmp_path, formats="html", renderer="builtin")
    qmd = reports.runs[0].qmd.read_text(encoding="utf-8")
    assert "Toy row ratio" in qmd and "1\\.000" in qmd


def test_names_are_unique_and_unknown_names_list_the_registered_ones():
    with pytest.raises(ValueError, match="already registered"):
        registry.register(registry.get("recovery"))
    with pytest.raises(KeyError, match="registered: recovery, distribution, heterogeneity, coherence"):
        registry.get("recovry")
