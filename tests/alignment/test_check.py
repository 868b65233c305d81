"""Distributional alignment as a check: distances, noise floors, subgroups, the demo's expected ordering."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon

from validator.alignment.check import compare_distributions
from validator.alignment.uncertainty import DISTANCE_METHODS, METHODS
from validator.api import read_dataset
from validator.checks.context import CheckContext
from validator.checks.record import prefixed
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


def test_out_of_bin_values_go_to_an_overflow_bin_that_js_and_tvd_see():
    # Before: 30% of simulated values at 250 with bins over [0, 100] vanished from JS and TVD only
    # (JS used n = 140 while Wasserstein and KS used 200), with no note.
    human = frame(200, 20)
    sim = frame(200, 21).assign(score=lambda f: np.where(np.arange(200) < 60, 250, f.score))
    result = compare_distributions(dataset(human), dataset(sim, LOOSE), LOOSE.distributions, CheckContext(replicates=0))
    overall = result.variable("score").overall
    assert result.variable("score").labels[-1] == "> 100"
    assert overall.n_sim == 200 and overall.sim_counts[-1] == 60 and overall.human_counts[-1] == 0
    assert overall.out_of_bins_sim == 60 and overall.out_of_bins_human == 0
    assert overall.note == "0 human and 60 simulated values outside the bins [0, 100], counted in overflow bins"
    assert overall.js.plug_in is not None and overall.js.plug_in > 0.4


def test_without_values_outside_the_bins_there_is_no_overflow_bin():
    result = compare_distributions(dataset(frame(200, 22)), dataset(frame(200, 23)), TINY.distributions, CheckContext(replicates=0))
    assert len(result.variable("score").labels) == 10 and result.variable("score").overall.out_of_bins_sim == 0


LOOSE = parse_spec_text(
    """
name: loose
columns:
  score: {type: numeric, range: [0, 1000]}
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
    source="loose.yaml",
)


def test_every_interval_in_the_json_contains_its_estimate(demo_paths):
    human = read_dataset(demo_paths["human"], SPEC)
    sim = read_dataset(demo_paths["finetuned_balanced"], SPEC)
    document = compare_distributions(human, sim, SPEC.distributions, CheckContext(seed=2, replicates=100)).to_dict()
    seen = 0

    def walk(node):  # type: ignore[no-untyped-def]
        nonlocal seen
        if isinstance(node, dict):
            if node.get("estimate") is not None and node.get("low") is not None:
                assert node["low"] <= node["estimate"] <= node["high"], node
                seen += 1
            for value in node.values():
                walk(value)

    walk(document)
    assert seen > 100


@pytest.fixture(scope="module")
def demo_verdicts(demo_paths):  # type: ignore[no-untyped-def]
    from validator.demo.generate import generate_human

    human = read_dataset(demo_paths["human"], SPEC)
    ctx = CheckContext(seed=0, replicates=200)
    runs = {"unfinetuned": read_dataset(demo_paths["unfinetuned"], SPEC), "fresh": read_dataset(generate_human(929, seed=4242), SPEC, label="fresh")}
    return {name: compare_distributions(human, sim, SPEC.distributions, ctx) for name, sim in runs.items()}


def test_the_unfinetuned_demo_run_fails_the_alignment_verdict_with_its_numbers(demo_verdicts):
    verdict = demo_verdicts["unfinetuned"].default_verdict
    assert verdict is not None and verdict.verdict == "fail"
    assert "for a fresh human sample (joint 95% point over" in verdict.reason and "family-wise p = " in verdict.reason


def test_a_fresh_sample_of_the_human_generator_passes_the_alignment_verdict(demo_verdicts):
    verdict = demo_verdicts["fresh"].default_verdict
    assert verdict is not None and verdict.verdict == "pass", verdict


def test_deleting_every_asian_and_other_row_fails_the_worst_group_gate_and_the_verdict(demo_paths):
    # Before: an absent group was left out of the max, so this simulation passed the worst-group JS gate.
    from validator.gates.evaluate import evaluate_gate
    from validator.gates.records import Gate

    human = read_dataset(demo_paths["human"], SPEC)
    sim_frame = pd.read_csv(demo_paths["finetuned_random"], comment="#")
    sim = read_dataset(sim_frame[~sim_frame.ethnicity.isin(["Asian", "Other"])], SPEC, label="sim")
    result = compare_distributions(human, sim, SPEC.distributions, CheckContext(replicates=0))
    assert result.mean_js is not None
    by_ethnicity = result.mean_js.by[0]
    assert by_ethnicity.missing_levels == ("Asian", "Other") and by_ethnicity.max == 1.0
    gate = Gate("worst", "distribution.mean_js.by.ethnicity.max", "<=", 0.5)
    values = {value.path: value for value in prefixed(result.metrics(), "distribution")}
    outcome = evaluate_gate(gate, values)
    assert not outcome.passed and outcome.observed == 1.0
    plug_in = Gate("worst raw", "distribution.mean_js.by.ethnicity.max_plug_in", "<=", 0.5)
    assert evaluate_gate(plug_in, values).observed == 1.0
    assert result.default_verdict is not None and result.default_verdict.verdict == "fail"
    assert result.default_verdict.reason.startswith("absent from the simulation: ethnicity=Asian (")


def test_too_few_rows_make_the_verdict_inconclusive():
    result = compare_distributions(dataset(frame(20, 30)), dataset(frame(20, 31)), TINY.distributions, CheckContext(replicates=50))
    assert result.default_verdict is not None and result.default_verdict.verdict == "inconclusive"
    assert result.default_verdict.reason == "too few rows to compare distributions (20 < min_group_size 30)"


def test_floors_are_random_relabellings_that_keep_each_group_s_sizes():
    human, sim = frame(300, 40, groups=("a", "b", "c")), frame(200, 41, groups=("a", "b", "c"))
    result = compare_distributions(dataset(human), dataset(sim), TINY.distributions, CheckContext(replicates=200))
    overall = result.variable("score").overall
    assert overall.js.floor is not None and overall.js.floor.draws == 200
    assert overall.js.within_floor == (overall.js.plug_in <= overall.js.floor.p95)  # type: ignore[operator]


def test_sides_of_very_different_sizes_pair_their_bootstrap_chunks(monkeypatch):
    """A simulated file much larger than the human one: both sides are resampled in chunks of the
    same number of replicates (it failed with mismatched shapes once the files passed ~4,000 rows)."""
    from validator.bootstrap import weights

    monkeypatch.setattr(weights, "CHUNK_CELLS", 2_000)  # the same effect at test sizes: 20 vs 5 replicates per chunk
    result = compare_distributions(dataset(frame(100, 1)), dataset(frame(400, 2)), TINY.distributions, CheckContext(seed=1, replicates=50))
    for variable in result.variables:
        js = variable.overall.js
        assert js.interval is not None and js.interval.low <= js.estimate <= js.interval.high


@pytest.mark.parametrize("by", ["cat", "num", "flag", "obj", "string", "str"])
@pytest.mark.parametrize("categories", [None, ("y", "x"), ("q", "p")])
def test_subgroup_masks_are_those_of_comparing_each_rows_text_with_the_level(
    by: str, categories: tuple[str, ...] | None, mixed_frame: Callable[[int, int], pd.DataFrame]
) -> None:
    from validator.alignment.check import _group_masks

    human, sim = mixed_frame(120, 5), mixed_frame(80, 6)

    def text(frame: pd.DataFrame) -> pd.Series:
        return frame[by].astype(object).map(lambda v: None if pd.isna(v) else str(v))

    h, s = text(human), text(sim)
    seen = [v for v in pd.unique(pd.concat([h, s], ignore_index=True)) if isinstance(v, str)]
    order = [c for c in (categories or ()) if c in seen] + sorted(v for v in seen if v not in (categories or ()))
    got = _group_masks(human, sim, by, categories)
    assert [level for level, _, _ in got] == order
    for level, h_mask, s_mask in got:
        assert np.array_equal(h_mask, (h == level).to_numpy())
        assert np.array_equal(s_mask, (s == level).to_numpy())


def test_each_distance_gets_its_method_and_a_flag_below_its_reliable_rows():
    # Group a: about 250 rows per side; group c: 70 rows, enough for JS (50) but not for TVD, Wasserstein, KS (100).
    human = pd.concat([frame(500, 21, ("a", "b")), frame(70, 22, ("c",))], ignore_index=True)
    sim = pd.concat([frame(500, 23, ("a", "b")), frame(70, 24, ("c",))], ignore_index=True)
    result = compare_distributions(dataset(human), dataset(sim), TINY.distributions, CheckContext(seed=3, replicates=60))
    score = result.variable("score")
    levels = dict(score.by[0].levels)
    for distance, metric in (("js", "js"), ("tvd", "tvd"), ("wasserstein", "wasserstein"), ("ks", "ks_statistic")):
        method = METHODS[DISTANCE_METHODS[distance]]
        for item in (score.overall, levels["a"], levels["c"]):
            m = getattr(item, metric)
            assert m.interval_method == method.name
            assert m.interval.low <= m.estimate <= m.interval.high
            assert m.low_coverage is (min(item.n_human, item.n_sim) < method.min_rows), (distance, item.n_human)
    assert levels["c"].js.low_coverage is False and levels["c"].tvd.low_coverage is True
