"""The executor reads only the columns a run's checks need, and all of them for a check from outside."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

import validator
from validator.checks import registry
from validator.checks.entry import CheckEntry
from validator.checks.inputs import CheckInputs
from validator.checks.record import MetricInfo, MetricValue

SPEC = textwrap.dedent(
    """
    name: tiny
    columns:
      y: {type: numeric}
      x: {type: numeric}
    models:
      - {id: m, family: ols, formula: y ~ x}
    uncertainty: {bootstrap: 0}
    """
)


@dataclass(frozen=True)
class Columns:
    """The columns a check found in the simulated frame."""

    names: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"names": list(self.names)}

    def metrics(self) -> Iterator[MetricValue]:
        yield MetricValue.of("n_columns", float(len(self.names)))


SEEN: list[tuple[str, ...]] = []


def _columns(inputs: CheckInputs, item: object) -> Columns:
    SEEN.append(tuple(str(c) for c in inputs.sim.frame.columns))
    return Columns(SEEN[-1])


PLUGIN = CheckEntry(
    name="plugin_columns",
    title="Columns seen",
    construct="plugin",
    description="the columns of the simulated frame",
    items=lambda spec: (None,),
    compute=_columns,
    metrics=lambda spec: (MetricInfo("n_columns", "columns seen", "none", (0.0, None)),),
)


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    rows = "".join(f"{i % 7},{i % 5},note{i}\n" for i in range(40))
    human, sim = tmp_path / "human.csv", tmp_path / "sim.csv"
    human.write_text("y,x,comment\n" + rows, encoding="utf-8")
    sim.write_text("y,x,comment\n" + rows, encoding="utf-8")
    return human, sim, spec


def test_with_simvals_own_checks_the_frames_hold_the_spec_columns_and_list_the_others(files: tuple[Path, Path, Path]) -> None:
    human, sim, spec = files
    result = validator.check(human, sim, spec=spec)
    for dataset in (result.human, result.simulations[0].dataset):
        assert "comment" not in dataset.frame.columns
        assert dataset.extra_columns == ("comment",)


def test_a_check_from_outside_sees_every_column(files: tuple[Path, Path, Path]) -> None:
    human, sim, spec = files
    registry.register(PLUGIN)
    try:
        SEEN.clear()
        # One worker: the check runs in this process, where SEEN can be read (a forked worker's list stays there).
        validator.check(human, sim, spec=spec, workers=1)
    finally:
        registry.unregister(PLUGIN.name)
    assert SEEN == [("y", "x", "comment")]


def test_only_simvals_own_entries_read_the_spec_columns_only() -> None:
    own = list(registry.checks().values())
    assert registry.reads_spec_columns_only(own)
    assert registry.reads_spec_columns_only([replace(entry) for entry in own])  # a copy, as on a Dask worker
    assert not registry.reads_spec_columns_only([*own, PLUGIN])
    assert not registry.reads_spec_columns_only([replace(own[0], compute=_columns)])  # an own name, another computation
