"""Distributional alignment as a check: distances, noise floors, subgroups, the demo's expected ordering."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon

from validator.api import read_dataset
from validator.checks.context import CheckContext
from validator.alignment.check import compare_distributions
from validator.spec.load import load_spec, parse_spec_text

SPEC = load_spec("hunt2025")

TINY = parse_spec_text(
    """
name: tiny
columns:
  score: {type: numeric, range: [0, 100]}
  group: {type: categorical, values: [a, b, c]}
  answer: {type: categorical, values: [yes, no]}
distributions:
  variables:
    - {name: score, bins: {start: 0, stop: 100, count: 10}}
    - {name: answer}
  mean_over: [score]
  breakdowns: [group]
  min_group_size: 30
""",
    source="tiny.yaml",
)


def dataset(frame: pd.DataFrame, spec=TINY):  # type: ignore[no-untyped-def]
    return read_dataset(frame, spec, label="data")


def frame(n: int, seed: int, groups=("a", "b")) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "score": rng.integers(0, 101, n),
            "group": rng.choice(list(groups), n),
            "answer": rng.choice(["yes", "no"], n),
        }
    )


def test_js_equals_scipy_on_the_binned_histograms():
    human, sim = frame(400, 1), frame(300, 2)
    result = compare_distributions(dataset(human), dataset(sim), TINY.distributions, CheckContext(replicates=0))
    expected_h = np.histogram(human.score, bins=10, range=(0, 100))[0]
    expected_s = np.histogram(sim.score, bins=10, range=(0, 100))[0]
    overall = result.variable("score").overall
    assert list(overall.human_counts) == list(expected_h)
    # Without bootstrap replicates there is no bias correction: the estimate is the plug-in.
    assert overall.js.plug_in == pytest.approx(jensenshannon(expected_h, expected_s, base=2), abs=1e-12)
    assert overall.js.estimate == overall.js.plug_in


def test_identical_data_has_distance_zero_and_lies_within_the_noise_floor():
    human = frame(300, 3)
    result = compare_distributions(dataset(human), dataset(human.copy()), TINY.distributions, CheckContext(replicates=200))
    overall = result.variable("score").overall
    assert overall.js.estimate == pytest.approx(0.0, abs=1e-12)
    assert overall.js.within_floor is True
    assert overall.js.floor is not None and overall.js.floor.p95 > 0
    assert result.mean_js is not None and result.mean_js.overall.js.estimate == pytest.approx(0.0, abs=1e-12)


def test_disjoint_supports_have_distance_one():
    human = frame(100, 4).assign(score=5)
    sim = frame(100, 5).assign(score=95)
    result = compare_distributions(dataset(human), dataset(sim), TINY.distributions, CheckContext(replicates=0))
    assert result.variable("score").overall.js.estimate == pytest.approx(1.0, abs=1e-12)


def test_a_subgroup_missing_from_the_simulation_is_reported_and_fails_the_worst_group_aggregate():
    # Before: an absent group was treated as low-n and left out of the max, so deleting a group passed.
    human = frame(300, 6, groups=("a", "b", "c"))
    sim = frame(300, 7, groups=("a", "b"))
    result = compare_distributions(dataset(human), dataset(sim), TINY.distributions, CheckContext(replicates=50))
    breakdown = result.variable("score").by[0]
    levels = dict(breakdown.levels)
    assert set(levels) == {"a", "b", "c"}
    missing = levels["c"]
    assert missing.n_sim == 0 and missing.low_n and missing.note == "absent from the simulated data"
    assert missing.js.estimate is None
    assert breakdown.missing_levels == ("c",)
    assert breakdown.n_levels_aggregated == 3
    assert breakdown.max == 1.0
    document = result.to_dict()
    assert document["score"]["by"]["group"]["levels"]["c"]["js"]["estimate"] is None
    assert document["score"]["by"]["group"]["missing_levels"] == ["c"]
    assert result.default_verdict is not None and result.default_verdict.verdict == "fail"
    assert "group=c (" in result.default_verdict.reason


def test_a_group_too_small_on_the_human_side_is_not_counted_as_missing():
    human = frame(300, 6, groups=("a", "b")).assign(group=["a"] * 150 + ["b"] * 140 + ["c"] * 10)
    sim = frame(300, 7, groups=("a", "b"))
    result = compare_distributions(dataset(human), dataset(sim), TINY.distributions, CheckContext(replicates=0))
    assert result.variable("score").by[0].missing_levels == ()


def test_small_groups_are_flagged_low_n():
    human = frame(300, 8, groups=("a",)).assign(group=["a"] * 280 + ["b"] * 20)
    sim = frame(300, 9, groups=("a",)).assign(group=["a"] * 270 + ["b"] * 30)
    result = compare_distributions(dataset(human), dataset(sim), TINY.distributions, CheckContext(replicates=0))
    levels = dict(result.variable("score").by[0].levels)
    assert levels["b"].low_n and not levels["a"].low_n
    assert result.variable("score").by[0].n_levels_aggregated == 1


def test_categorical_variables_get_a_chi_square_test_equal_to_scipy():
    from scipy.stats import chi2_contingency

    human, sim = frame(400, 10), frame(400, 11)
    result = compare_distributions(dataset(human), dataset(sim), TINY.distributions, CheckContext(replicates=0))
    answer = result.variable("answer").overall
    table = np.array([answer.human_counts, answer.sim_counts])
    expected = chi2_contingency(table, correction=False)
    assert answer.chi2 == pytest.approx(expected.statistic)
    assert answer.chi2_p_value == pytest.approx(expected.pvalue)


def test_finetuned_like_runs_are_much_closer_than_the_unfinetuned_like_run_in_every_large_ethnicity(demo_paths):
    human = read_dataset(demo_paths["human"], SPEC)
    ctx = CheckContext(replicates=0)
    means = {}
    for kind in ("unfinetuned", "finetuned_random", "finetuned_balanced"):
        result = compare_distributions(human, read_dataset(demo_paths[kind], SPEC), SPEC.distributions, ctx)
        assert result.mean_js is not None
        means[kind] = {level: item.js.estimate for level, item in result.mean_js.by[0].levels if not item.low_n}
    assert set(means["unfinetuned"]) == {"White", "Black", "Asian", "Mixed", "Other"}
    for kind in ("finetuned_random", "finetuned_balanced"):
        for level, distance in means[kind].items():
            assert distance < 0.67 * means["unfinetuned"][level], (kind, level)


def test_results_do_not_depend_on_the_order_checks_run_in(demo_paths):
    human = read_dataset(demo_paths["human"], SPEC)
    sim = read_dataset(demo_paths["finetuned_random"], SPEC)
    ctx = CheckContext(seed=5, replicates=100)
    first = compare_distributions(human, sim, SPEC.distributions, ctx).to_dict()
    second = compare_distributions(human, sim, SPEC.distributions, ctx).to_dict()
    assert first == second
