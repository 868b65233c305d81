"""Unique response structures as a check, at equal n."""

from __future__ import annotations

import numpy as np
import pandas as pd

from validator.api import read_dataset
from validator.checks.context import CheckContext
from validator.heterogeneity.check import compare_structures
from validator.spec.load import load_spec

SPEC = load_spec("hunt2025")


def test_unfinetuned_like_run_has_far_fewer_structures(demo_paths):
    human = read_dataset(demo_paths["human"], SPEC)
    sim = read_dataset(demo_paths["unfinetuned"], SPEC)
    result = compare_structures(human, sim, SPEC.heterogeneity[0], CheckContext(replicates=0))
    assert result.human.unique > 200
    assert 15 <= result.sim.unique <= 25
    assert result.ratio_at_equal_n is not None and result.ratio_at_equal_n < 0.1


def test_a_larger_simulation_is_compared_at_the_human_n(demo_paths):
    human_frame = pd.read_csv(demo_paths["human"], comment="#")
    sim_frame = pd.concat([pd.read_csv(demo_paths["finetuned_random"], comment="#")] * 3, ignore_index=True)
    rng = np.random.default_rng(0)
    # Make the copies differ so the larger file really holds more structures.
    shift = rng.integers(-2, 3, len(sim_frame))
    sim_frame["belief_t1"] = (sim_frame["belief_t1"] + shift).clip(0, 100)
    sim_frame["belief_both"] = 100 - sim_frame["belief_t1"] - sim_frame["belief_t2"]
    sim_frame = sim_frame[sim_frame["belief_both"].between(0, 100)]
    human = read_dataset(human_frame, SPEC, label="human")
    sim = read_dataset(sim_frame, SPEC, label="sim")
    result = compare_structures(human, sim, SPEC.heterogeneity[0], CheckContext(replicates=0, equal_n_draws=50))
    assert result.sim_at_human_n is not None and result.human_at_sim_n is None
    assert result.sim_at_human_n.n == result.human.n == 929
    assert result.sim_at_human_n.low <= result.sim_at_human_n.mean <= result.sim_at_human_n.high
    assert result.sim_at_human_n.mean < result.sim.unique
    assert result.to_dict()["equal_n"] == 929


def test_default_verdict_fails_the_unfinetuned_run_and_passes_a_fresh_human_sample(demo_paths):  # type: ignore[no-untyped-def]
    from validator.api import read_dataset as read
    from validator.checks.context import CheckContext as Context
    from validator.demo.generate import generate_human
    from validator.heterogeneity.check import compare_structures as compare
    from validator.spec.load import load_spec as load

    spec = load("hunt2025")
    human = read(demo_paths["human"], spec)
    ctx = Context(seed=0, replicates=200)
    bad = compare(human, read(demo_paths["unfinetuned"], spec), spec.heterogeneity[0], ctx)
    assert bad.default_verdict is not None and bad.default_verdict.verdict == "fail"
    assert bad.default_verdict.reason.startswith("unique structures, simulation / human at equal n 0.0")
    good = compare(human, read(generate_human(929, seed=4242), spec, label="fresh"), spec.heterogeneity[0], ctx)
    assert good.default_verdict is not None and good.default_verdict.verdict == "pass", good.default_verdict
    off = compare(human, read(demo_paths["unfinetuned"], spec), spec.heterogeneity[0], Context(replicates=0))
    assert off.default_verdict is not None and off.default_verdict.verdict == "inconclusive"


def test_the_permutation_floor_numbers_structures_the_same_way_in_both_datasets():
    # Before: each dataset's codes were numbered on their own, so pooling them mixed unrelated
    # structures and a perfect simulator passed the heterogeneity verdict 73% of the time.
    import pandas as pd

    from validator.heterogeneity.check import _pooled_codes
    class _Frame:  # the only attribute _pooled_codes reads
        def __init__(self, frame: pd.DataFrame) -> None:
            self.frame = frame

    human = pd.DataFrame({"a": [1, 2, 3, 1], "b": [5, 5, 6, 5]})
    sim = pd.DataFrame({"a": [3, 1, None], "b": [6, 5, 5]})
    h, s = _pooled_codes(_Frame(human), _Frame(sim), ("a", "b"))  # type: ignore[arg-type]
    assert h.tolist() == [0, 1, 2, 0] and s.tolist() == [2, 0]
