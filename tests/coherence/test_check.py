"""The value-action gap as a check, and the coverage of its bootstrap interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from validator.api import read_dataset
from validator.bootstrap.weights import bootstrap_weights, percentile_interval
from validator.checks.context import CheckContext
from validator.coherence.check import compare_coherence
from validator.coherence.gap import gap_batched, target_indicators
from validator.spec.load import load_spec

SPEC = load_spec("hunt2025")


@pytest.mark.parametrize("kind, low, high", [("unfinetuned", 0.9, 1.0), ("finetuned_random", 0.2, 0.35), ("finetuned_balanced", 0.2, 0.35)])
def test_demo_gaps_behave_like_the_papers_conditions(demo_paths, kind, low, high):
    human = read_dataset(demo_paths["human"], SPEC)
    sim = read_dataset(demo_paths[kind], SPEC)
    result = compare_coherence(human, sim, SPEC.coherence[0], CheckContext(replicates=200))
    assert 0.18 <= result.human.gap.estimate <= 0.30
    assert low <= result.sim.gap.estimate <= high
    assert result.difference.estimate == pytest.approx(result.sim.gap.estimate - result.human.gap.estimate)
    assert result.difference.interval is not None and result.difference.interval.low is not None
    assert result.human.gap.interval.low < result.human.gap.estimate < result.human.gap.interval.high


def test_percentile_interval_of_the_gap_covers_the_truth_at_about_the_nominal_rate():
    """A small simulation study: 200 samples of 400 rows from a population with a known gap of 0.25."""
    rng = np.random.default_rng(2024)
    truth = 0.25
    covered = 0
    runs = 200
    for _ in range(runs):
        n = 400
        highest = rng.integers(0, 2, n)  # which target's belief is highest
        beliefs = np.where(highest[:, None] == 0, [60, 30, 10], [30, 60, 10])
        acts_on_it = rng.random(n) < truth
        decision = np.where(acts_on_it, np.where(highest == 0, "attack_t1", "attack_t2"), np.where(highest == 0, "attack_t2", "attack_t1"))
        frame = pd.DataFrame({"belief_t1": beliefs[:, 0], "belief_t2": beliefs[:, 1], "belief_both": beliefs[:, 2], "decision": decision})
        masks, hits = target_indicators(frame, "decision", ["belief_t1", "belief_t2", "belief_both"], [("belief_t1", "attack_t1"), ("belief_t2", "attack_t2")])
        samples = np.concatenate([gap_batched(masks, hits, w)[1] for w in bootstrap_weights(n, 400, rng)])
        interval = percentile_interval(samples, 0.95)
        covered += interval.low <= truth <= interval.high
    assert 0.90 <= covered / runs <= 0.99


def test_default_verdict_fails_the_unfinetuned_run_and_passes_a_fresh_human_sample(demo_paths):  # type: ignore[no-untyped-def]
    from validator.api import read_dataset as read
    from validator.checks.context import CheckContext as Context
    from validator.coherence.check import compare_coherence as compare
    from validator.demo.generate import generate_human
    from validator.spec.load import load_spec as load

    spec = load("hunt2025")
    human = read(demo_paths["human"], spec)
    ctx = Context(seed=0, replicates=200)
    bad = compare(human, read(demo_paths["unfinetuned"], spec), spec.coherence[0], ctx)
    assert bad.default_verdict is not None and bad.default_verdict.verdict == "fail"
    assert bad.default_verdict.reason.startswith("value-action gap, simulation - human 0.")
    assert "for a fresh human sample (central 95%)" in bad.default_verdict.reason
    good = compare(human, read(generate_human(929, seed=4242), spec, label="fresh"), spec.coherence[0], ctx)
    assert good.default_verdict is not None and good.default_verdict.verdict == "pass", good.default_verdict


def _wilson(count: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval written out (Wilson 1927; Newcomb 1998, method 3)."""
    p = count / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_gap_intervals_are_wilson_and_the_difference_is_newcombs_hybrid_score_interval(demo_paths):  # type: ignore[no-untyped-def]
    human = read_dataset(demo_paths["human"], SPEC)
    sim = read_dataset(demo_paths["finetuned_random"], SPEC)
    result = compare_coherence(human, sim, SPEC.coherence[0], CheckContext(seed=0, replicates=50))
    h, s = result.human.point, result.sim.point
    for summary in (result.human, result.sim):
        point = summary.point
        assert summary.gap.interval_method == "wilson"
        assert (summary.gap.interval.low, summary.gap.interval.high) == pytest.approx(_wilson(point.count, point.n), rel=1e-9)
        for target, share in zip(point.targets, summary.shares):
            assert (share.interval.low, share.interval.high) == pytest.approx(_wilson(target.count, target.n), rel=1e-9)
    (l1, u1), (l2, u2) = _wilson(s.count, s.n), _wilson(h.count, h.n)
    d = s.gap - h.gap
    newcomb = (d - np.sqrt((s.gap - l1) ** 2 + (u2 - h.gap) ** 2), d + np.sqrt((u1 - s.gap) ** 2 + (h.gap - l2) ** 2))
    assert result.difference.interval_method == "newcomb"
    assert (result.difference.interval.low, result.difference.interval.high) == pytest.approx(newcomb, rel=1e-9)


def test_with_resample_by_the_gap_intervals_resample_whole_participants_and_contain_their_estimates(demo_paths):  # type: ignore[no-untyped-def]
    human = read_dataset(demo_paths["human"], SPEC)
    sim = read_dataset(demo_paths["finetuned_random"], SPEC)
    result = compare_coherence(human, sim, SPEC.coherence[0], CheckContext(seed=0, replicates=100), resample_by="participant_id")
    metrics = [result.human.gap, result.sim.gap, result.difference, *result.human.shares, *result.sim.shares]
    for metric in metrics:
        assert metric.interval_method == "cluster percentile"
        assert metric.interval.low <= metric.estimate <= metric.interval.high


def test_without_bootstrap_the_gaps_have_no_interval(demo_paths):  # type: ignore[no-untyped-def]
    human = read_dataset(demo_paths["human"], SPEC)
    result = compare_coherence(human, human, SPEC.coherence[0], CheckContext(seed=0, replicates=0))
    assert result.human.gap.interval is None and result.difference.interval is None and result.default_verdict.verdict == "inconclusive"
