"""What a reader of the alignment tables sees: overflow bins, absent subgroups, untrustworthy intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from validator.alignment.check import compare_distributions
from validator.alignment.entry import distribution_metrics
from validator.alignment.present import LOW_COVERAGE_MARK, alignment_tables
from validator.api import read_dataset
from validator.checks.context import CheckContext
from validator.checks.entry import PresentOptions
from validator.spec.load import parse_spec_text

SPEC = parse_spec_text(
    """
name: tiny
columns:
  score: {type: numeric, range: [0, 1000]}
  group: {type: categorical, values: [a, b, c, d]}
distributions:
  variables:
    - {name: score, bins: {start: 0, stop: 100, count: 10}}
  mean_over: [score]
  breakdowns: [group]
  min_group_size: 30
""",
    source="tiny.yaml",
)


def frame(n: int, seed: int, groups: tuple[str, ...]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"score": rng.integers(0, 101, n), "group": rng.choice(list(groups), n)})


def tables(human: pd.DataFrame, sim: pd.DataFrame, replicates: int = 50):  # type: ignore[no-untyped-def]
    result = compare_distributions(
        read_dataset(human, SPEC, label="human"), read_dataset(sim, SPEC, label="sim"), SPEC.distributions, CheckContext(replicates=replicates)
    )
    return result, alignment_tables(result, PresentOptions(detail=2))


def texts(table) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.text for row in table.rows for c in row]


def test_an_absent_subgroup_is_named_in_the_title_and_its_row():
    human = frame(400, 1, ("a", "b", "c"))
    sim = frame(400, 2, ("a", "b"))
    _, (overall, by_group) = tables(human, sim)
    assert "absent from the simulation: c (each counts as 1)" in by_group.title
    assert "absent from the simulation: counts as 1" in texts(by_group)


def test_values_outside_the_bins_are_counted_in_a_note():
    human = frame(300, 3, ("a", "b"))
    sim = frame(300, 4, ("a", "b")).assign(score=lambda f: np.where(np.arange(300) < 45, 250, f.score))
    _, (overall, by_group) = tables(human, sim, replicates=0)
    assert "score: 0 human and 45 simulated values outside the bins, counted in overflow bins." in overall.notes
    assert any("score: 0 / " in text and "outside the bins" in text for text in texts(by_group))


def test_an_interval_on_too_few_rows_is_marked_and_explained():
    # Group d has 40 rows on each side: enough for the aggregates (min_group_size 30), too few for the
    # coverage the squared-scale interval was checked at (50 rows).
    big = frame(400, 5, ("a", "b"))
    human = pd.concat([big, frame(40, 6, ("d",))], ignore_index=True)
    sim = pd.concat([frame(400, 7, ("a", "b")), frame(40, 8, ("d",))], ignore_index=True)
    result, (overall, by_group) = tables(human, sim)
    level_d = dict(result.mean_js.by[0].levels)["d"] if result.mean_js else None
    assert level_d is not None and level_d.js.low_coverage
    assert any(text.endswith(LOW_COVERAGE_MARK) for text in texts(by_group))
    assert any(note.startswith(f"{LOW_COVERAGE_MARK}: interval on fewer rows") for note in by_group.notes)
    assert not any(note.startswith(LOW_COVERAGE_MARK) for note in overall.notes)


def test_every_plug_in_value_a_record_yields_is_described_for_gates():
    human, sim = frame(300, 9, ("a", "b")), frame(300, 10, ("a", "b"))
    result, _ = tables(human, sim, replicates=0)
    infos = distribution_metrics(SPEC)
    yielded = [value.path for value in result.metrics() if "plug_in" in value.path]
    assert "score.overall.js.plug_in" in yielded and "mean_js.by.group.max_plug_in" in yielded
    assert all(any(info.matches(path) for info in infos) for path in yielded)
