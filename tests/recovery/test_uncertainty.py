"""Bootstrap intervals of the recovery metrics and recovery at equal n."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from validator.api import read_dataset
from validator.checks.context import CheckContext
from validator.models.fit import fit_models
from validator.recovery.classify import coefficient_outcome, summarize
from validator.recovery.compare import compare_fits
from validator.recovery.uncertainty import CoefficientDraws, human_draws, recovery_statistics, recovery_uncertainty
from validator.spec.load import load_spec

SPEC = load_spec("hunt2025")


def test_replicate_statistics_equal_the_point_definitions_row_by_row():
    rng = np.random.default_rng(1)
    b, c = 40, 22
    human = CoefficientDraws(tuple(("m", str(i)) for i in range(c)), rng.random((b, c)) > 0.1, rng.random((b, c)) > 0.4, rng.choice([-1.0, 1.0], (b, c)))
    sim = CoefficientDraws(human.keys, rng.random((b, c)) > 0.1, rng.random((b, c)) > 0.4, rng.choice([-1.0, 1.0], (b, c)))
    stats = recovery_statistics(human, sim)
    for r in range(b):
        valid = human.valid[r] & sim.valid[r]
        outcomes = [
            coefficient_outcome(bool(human.significant[r, j]), bool(sim.significant[r, j]), int(human.sign[r, j]), int(sim.sign[r, j]))
            for j in range(c)
            if valid[j]
        ]
        expected = summarize(outcomes)
        for key in ("n_coefficients", "tp", "fp", "fn", "tn", "sign_flips", "n_reference_significant", "n_sim_significant"):
            assert stats[key][r] == getattr(expected, key)
        for key in ("fpr", "fnr", "f1_sign", "f1_strict"):
            value = getattr(expected, key)
            assert (np.isnan(stats[key][r]) and value is None) or stats[key][r] == pytest.approx(value)


def test_intervals_bracket_plausible_values_and_equal_n_appears_only_for_larger_simulations(demo_paths):
    human = read_dataset(demo_paths["human"], SPEC)
    human_fits = fit_models(SPEC.models, human.frame)
    ctx = CheckContext(seed=1, replicates=200, equal_n_draws=30)
    replicates = human_draws(SPEC.models, human, ctx, alpha=0.05, correction=SPEC.correction)
    sim = read_dataset(demo_paths["finetuned_random"], SPEC)
    point = compare_fits(human_fits, fit_models(SPEC.models, sim.frame))
    same_size = recovery_uncertainty(SPEC.models, human, human_fits, replicates, sim, point, ctx, alpha=0.05, correction=SPEC.correction, key="sim")
    assert same_size is not None and same_size.equal_n is None
    f1 = same_size.interval("f1_sign")
    assert f1.low is not None and 0.0 <= f1.low <= point.summary.f1_sign <= f1.high <= 1.0
    assert same_size.interval("n_coefficients").valid == 200

    big_frame = pd.concat([pd.read_csv(demo_paths["finetuned_random"], comment="#")] * 2, ignore_index=True)
    big = read_dataset(big_frame, SPEC, label="big")
    big_point = compare_fits(human_fits, fit_models(SPEC.models, big.frame))
    larger = recovery_uncertainty(SPEC.models, human, human_fits, replicates, big, big_point, ctx, alpha=0.05, correction=SPEC.correction, key="big")
    assert larger is not None and larger.equal_n is not None
    assert larger.equal_n.n == 929 and larger.equal_n.draws == 30
    stats = {name: (mean, interval) for name, mean, interval in larger.equal_n.statistics}
    mean, interval = stats["f1_sign"]
    assert interval.low <= mean <= interval.high
    # Doubling every row makes more coefficients significant; at the human n that inflation is gone.
    assert big_point.summary.n_sim_significant >= point.summary.n_sim_significant


def test_columns_of_draws_without_any_coefficient_is_empty_not_a_crash():
    empty = CoefficientDraws((), np.zeros((5, 0), bool), np.zeros((5, 0), bool), np.zeros((5, 0)))
    picked = empty.columns([("m1", "x")])
    assert picked.valid.shape == (5, 1) and not picked.valid.any()
    assert empty.columns([]).valid.dtype == bool
    assert recovery_statistics(empty.columns([]), empty.columns([]))["n_coefficients"].tolist() == [0.0] * 5


def test_a_zero_sign_significant_in_both_is_a_flip_in_replicates_as_in_the_point_estimate():
    one = CoefficientDraws((("m", "x"),), np.ones((1, 1), bool), np.ones((1, 1), bool), np.zeros((1, 1)))
    stats = recovery_statistics(one, one)
    assert coefficient_outcome(True, True, 0, 0) == "sign_flip"
    assert stats["sign_flips"][0] == 1 and stats["tp"][0] == 0


def test_the_always_attack_t1_simulation_with_the_bootstrap_on_exits_normally(demo_paths, tmp_path):
    import subprocess
    import sys

    sim = pd.read_csv(demo_paths["human"], comment="#").assign(decision="attack_t1")
    path = tmp_path / "attack_t1.csv"
    sim.to_csv(path, index=False)
    done = subprocess.run(
        [sys.executable, "-m", "validator", "check", str(demo_paths["human"]), str(path), "--bootstrap", "20"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr


def test_picking_no_columns_or_from_no_columns_gives_boolean_draws() -> None:
    """A simulation whose every participant made the same decision has no coefficient to compare."""
    from validator.recovery.uncertainty import CoefficientDraws

    draws = CoefficientDraws((("m1", "x"),), np.ones((3, 1), dtype=bool), np.ones((3, 1), dtype=bool), np.ones((3, 1)))
    empty = draws.columns(())
    assert empty.valid.shape == (3, 0) and empty.valid.dtype == bool
    nothing = CoefficientDraws((), np.zeros((3, 0), dtype=bool), np.zeros((3, 0), dtype=bool), np.zeros((3, 0)))
    picked = nothing.columns((("m1", "x"),))
    assert picked.valid.shape == (3, 1) and not picked.valid.any()
