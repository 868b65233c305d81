"""Bias-corrected distances: what the estimate and the interval are, and that one always holds the other."""

from __future__ import annotations

import math

import numpy as np
import pytest

from validator.alignment.distances import js_distance
from validator.alignment.uncertainty import (
    DISTANCE_METHODS,
    METHODS,
    RELIABLE_MIN_ROWS,
    IntervalMethod,
    corrected_estimate,
    distance_metric,
    mean_distance_metric,
    reflected_replicates,
)


def replicates(seed: int, n: int, p: list[float], q: list[float], b: int = 400) -> tuple[float, np.ndarray]:
    """A plug-in JS and its bootstrap replicates for two multinomial samples (resampling = multinomial draws)."""
    rng = np.random.default_rng(seed)
    a, c = rng.multinomial(n, p), rng.multinomial(n, q)
    boot = np.asarray(js_distance(rng.multinomial(n, a / n, size=b), rng.multinomial(n, c / n, size=b)))
    return float(js_distance(a, c)), boot


def test_the_estimate_is_the_bootstrap_bias_correction_of_the_squared_distance():
    plug, boot = replicates(1, 300, [0.2, 0.3, 0.5], [0.3, 0.3, 0.4])
    expected = math.sqrt(max(0.0, 2 * plug**2 - float(np.mean(boot**2))))
    assert corrected_estimate(plug, boot) == pytest.approx(expected, rel=1e-12)
    assert corrected_estimate(plug, boot) < plug


def test_the_interval_is_the_basic_bootstrap_interval_of_the_squared_distance():
    plug, boot = replicates(2, 300, [0.2, 0.3, 0.5], [0.35, 0.3, 0.35])
    metric = distance_metric(plug, boot, 0.95, None, 300)
    # Basic interval of theta = D^2: [2 theta_hat - q97.5, 2 theta_hat - q2.5], then the square root
    # (equal up to the interpolation between neighbouring replicates).
    q_lo, q_hi = np.percentile(boot**2, [2.5, 97.5])
    assert metric.interval is not None
    assert metric.interval.low == pytest.approx(math.sqrt(max(0.0, 2 * plug**2 - q_hi)), abs=2e-3)
    assert metric.interval.high == pytest.approx(math.sqrt(max(0.0, 2 * plug**2 - q_lo)), abs=2e-3)
    assert metric.plug_in == plug and metric.low_coverage is False


def test_the_shifted_interval_moves_the_percentiles_down_by_twice_the_bias():
    plug, boot = replicates(3, 300, [0.2, 0.3, 0.5], [0.35, 0.3, 0.35])
    metric = distance_metric(plug, boot, 0.95, None, 300, "shifted")
    bias = float(boot.mean()) - plug
    # Calibrated: a 95% interval takes the 1.25% and 98.75% points (half the tail).
    q_lo, q_hi = np.percentile(boot, [1.25, 98.75])
    assert metric.estimate == pytest.approx(plug - bias)
    assert metric.interval is not None
    assert metric.interval.low == pytest.approx(max(0.0, q_lo - 2 * bias))
    assert metric.interval.high == pytest.approx(max(0.0, q_hi - 2 * bias))
    assert metric.interval.level == 0.95


def test_the_once_shifted_interval_moves_the_percentiles_down_by_the_bias():
    plug, boot = replicates(3, 300, [0.2, 0.3, 0.5], [0.35, 0.3, 0.35])
    metric = distance_metric(plug, boot, 0.95, None, 300, "shifted_once")
    bias = float(boot.mean()) - plug
    q_lo, q_hi = np.percentile(boot, [2.5, 97.5])
    assert metric.estimate == pytest.approx(plug - bias)
    assert metric.interval is not None
    assert metric.interval.low == pytest.approx(max(0.0, q_lo - bias))
    assert metric.interval.high == pytest.approx(max(0.0, q_hi - bias))


@pytest.mark.parametrize(("tail", "level", "nominal"), [(1.0, 0.95, 0.95), (0.5, 0.95, 0.975), (0.5, 0.9, 0.95)])
def test_a_calibrated_method_takes_its_percentiles_at_a_wider_nominal_level(tail: float, level: float, nominal: float):
    assert IntervalMethod("m", "shifted", 100, tail=tail).nominal(level) == pytest.approx(nominal)


def test_every_distance_has_a_method_and_the_json_names_it():
    assert set(DISTANCE_METHODS) == {"js", "tvd", "wasserstein", "ks"}
    plug, boot = replicates(6, 300, [0.2, 0.3, 0.5], [0.35, 0.3, 0.35])
    for distance, key in DISTANCE_METHODS.items():
        assert distance_metric(plug, boot, 0.95, None, 300, key).interval_method == METHODS[key].name, distance
    # Names are distinct, so the JSON says which method made an interval.
    assert len({m.name for m in METHODS.values()}) == len(METHODS)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize(("n", "q"), [(40, [0.2, 0.3, 0.5]), (300, [0.2, 0.3, 0.5]), (300, [0.6, 0.3, 0.1]), (2000, [0.21, 0.3, 0.49])])
def test_an_interval_always_contains_its_estimate(seed: int, method: str, n: int, q: list[float]):
    plug, boot = replicates(seed, n, [0.2, 0.3, 0.5], q, b=50)
    metric = distance_metric(plug, boot, 0.95, None, n, method)  # type: ignore[arg-type]
    assert metric.interval is not None and metric.estimate is not None
    assert metric.interval.low is not None and metric.interval.high is not None
    assert 0.0 <= metric.interval.low <= metric.estimate <= metric.interval.high


def test_identical_samples_give_zero_inside_an_interval_starting_at_zero():
    boot = np.linspace(0.01, 0.2, 100)
    metric = distance_metric(0.0, boot, 0.95, None, 500)
    assert metric.estimate == 0.0 and metric.interval is not None and metric.interval.low == 0.0


@pytest.mark.parametrize(("rows", "method", "flagged"), [(49, "squared", True), (50, "squared", False), (99, "shifted", True), (100, "shifted", False)])
def test_intervals_on_few_rows_are_flagged_low_coverage(rows: int, method: str, flagged: bool):
    assert RELIABLE_MIN_ROWS[method] in (50, 100)
    metric = distance_metric(0.2, np.full(100, 0.25), 0.95, None, rows, method)  # type: ignore[arg-type]
    assert metric.low_coverage is flagged


def test_without_replicates_the_estimate_is_the_plug_in_and_there_is_no_interval():
    metric = distance_metric(0.3, None, 0.95, None, 100)
    assert metric.estimate == metric.plug_in == 0.3 and metric.interval is None


def test_the_mean_averages_signed_reflected_replicates_replicate_by_replicate():
    plug_a, boot_a = replicates(4, 300, [0.2, 0.3, 0.5], [0.3, 0.3, 0.4])
    plug_b, boot_b = replicates(5, 300, [0.2, 0.3, 0.5], [0.25, 0.3, 0.45])
    metric = mean_distance_metric([plug_a, plug_b], [boot_a, boot_b], 0.95, None, 300)
    assert metric.estimate == pytest.approx((corrected_estimate(plug_a, boot_a) + corrected_estimate(plug_b, boot_b)) / 2)
    reflected = (reflected_replicates(plug_a, boot_a, signed=True) + reflected_replicates(plug_b, boot_b, signed=True)) / 2
    assert metric.interval is not None
    assert metric.interval.low == pytest.approx(min(max(0.0, float(np.percentile(reflected, 2.5))), metric.estimate))
    assert metric.plug_in == pytest.approx((plug_a + plug_b) / 2)


def test_a_signed_reflection_goes_below_zero_where_the_clipped_one_stops_at_zero():
    # A replicate above sqrt(2) D reflects to a negative value: kept so that averaging
    # with other variables does not pile the mean's lower tail up at 0.
    boot = np.array([0.1, 0.5, 0.9])
    assert reflected_replicates(0.5, boot).tolist()[2] == 0.0
    signed = reflected_replicates(0.5, boot, signed=True)
    assert signed[2] == pytest.approx(-math.sqrt(0.81 - 0.5))
    assert signed[:2] == pytest.approx(reflected_replicates(0.5, boot)[:2])


def test_a_missing_component_leaves_the_mean_missing():
    assert mean_distance_metric([0.1, None], None, 0.95, None, 300).estimate is None


@pytest.mark.slow
def test_js_intervals_cover_a_known_population_distance():
    # A small version of bench/coverage_study.py on multinomials: n = 929 per side, true JS about 0.08.
    rng = np.random.default_rng(7)
    p = np.array([0.05, 0.1, 0.15, 0.2, 0.2, 0.1, 0.08, 0.06, 0.04, 0.02])
    q = np.array([0.07, 0.12, 0.15, 0.17, 0.17, 0.1, 0.08, 0.07, 0.05, 0.02])
    truth = float(js_distance(p, q))
    hits = []
    for _ in range(300):
        a, c = rng.multinomial(929, p), rng.multinomial(929, q)
        boot = np.asarray(js_distance(rng.multinomial(929, a / 929, size=500), rng.multinomial(929, c / 929, size=500)))
        m = distance_metric(float(js_distance(a, c)), boot, 0.95, None, 929)
        assert m.interval is not None and m.interval.low is not None and m.interval.high is not None
        hits.append(m.interval.low <= truth <= m.interval.high)
    assert 0.91 <= np.mean(hits) <= 0.99
