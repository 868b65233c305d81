"""Bootstrap intervals of the recovery metrics and recovery at equal n."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from validator.api import read_dataset
from validator.checks.context import CheckContext
from validator.demo.generate import generate_human
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


@pytest.mark.parametrize(
    "flips, expected_total",
    [
        ([0] * 200, 0),  # no replicate flips a sign: the bound is -ln(0.025) / 200, not 0
        ([0] * 190 + [1] * 10, 10),
        ([0] * 100 + [1] * 60 + [2] * 40, 140),
    ],
)
def test_the_sign_flip_bound_is_garwoods_poisson_bound_of_the_replicate_total(flips: list[int], expected_total: int) -> None:
    from scipy.stats import chi2

    from validator.recovery.uncertainty import rare_count_upper

    samples = np.array(flips, dtype=float)
    expected = chi2.ppf(0.975, 2 * (expected_total + 1)) / 2 / samples.size
    assert rare_count_upper(samples, 0.95) == pytest.approx(expected, rel=1e-9)
    assert rare_count_upper(samples, 0.95) > 0


def test_a_sign_flip_interval_is_never_zero_zero_and_every_interval_contains_its_estimate() -> None:
    from validator.recovery.uncertainty import statistic_interval

    no_flips = statistic_interval("sign_flips", np.zeros(200), 0.0, 0.95)
    assert no_flips.low == 0.0 and no_flips.high == pytest.approx(-np.log(0.025) / 200, rel=1e-6)
    # Replicates whose metric is worse than the point estimate (resamples of both sides
    # agree less than the samples do): the interval is widened to the estimate.
    f1 = statistic_interval("f1_sign", np.linspace(0.80, 0.90, 200), 0.95, 0.95)
    assert f1.low is not None and f1.high == 0.95 and f1.low < 0.81
    counts = statistic_interval("tp", np.full(200, 9.0), 9.0, 0.95)
    assert (counts.low, counts.high) == (9.0, 9.0)  # only the rare count gets the Poisson bound


def test_the_findings_null_keeps_significant_human_estimates_and_sets_the_others_to_no_effect() -> None:
    from validator.recovery.check import same_family
    from validator.recovery.uncertainty import findings_effects, point_fits

    human = read_dataset(generate_human(929, seed=5), SPEC, label="h")
    sim = read_dataset(generate_human(929, seed=6), SPEC, label="s")
    fits = same_family(fit_models(SPEC.models, human.frame), fit_models(SPEC.models, sim.frame), SPEC.correction)
    point = compare_fits(*fits, alpha=SPEC.alpha)
    shifts = findings_effects(point_fits(fits[0]), point)
    for c in point.coefficients:
        model = next(f for f in fits[0] if f.model == c.model)
        index = [x.term for x in model.coefficients].index(c.term)
        assert shifts[c.model][index] == (0.0 if c.human_significant else pytest.approx(c.human_estimate))
