"""Tests of validator.alignment.floor, the human noise floor."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon

from validator.alignment.distances import js_distance, ks_from_counts, tv_distance, wasserstein_from_counts
from validator.alignment.floor import (
    NoiseFloor,
    noise_floor_counts,
    noise_floor_support,
    summarize_floor,
    within_floor,
)
from validator.errors import UsageError

HUMAN = np.array([120.0, 80.0, 0.0, 300.0, 50.0, 40.0, 10.0, 90.0, 200.0, 39.0])  # n = 929


def _floor(n_a: int, n_b: int, seed: int = 0, draws: int = 400, metric=js_distance) -> np.ndarray:
    return noise_floor_counts(HUMAN, n_a, n_b, draws=draws, rng=np.random.default_rng(seed), metric=metric)


def test_floor_is_reproducible_with_a_seeded_rng() -> None:
    np.testing.assert_array_equal(_floor(929, 500, seed=5), _floor(929, 500, seed=5))
    assert not np.array_equal(_floor(929, 500, seed=5), _floor(929, 500, seed=6))


def test_floor_equals_scipy_on_the_same_multinomial_draws() -> None:
    # An independent construction: the same draws, each distance by scipy.
    rng = np.random.default_rng(11)
    shares = HUMAN / HUMAN.sum()
    a = rng.multinomial(200, shares, size=50)
    b = rng.multinomial(300, shares, size=50)
    expected = [jensenshannon(x, y, base=2) for x, y in zip(a, b)]
    got = noise_floor_counts(HUMAN, 200, 300, draws=50, rng=np.random.default_rng(11), metric=js_distance)
    np.testing.assert_allclose(got, expected, atol=1e-12)


@pytest.mark.parametrize("metric", [js_distance, tv_distance, ks_from_counts])
def test_floor_median_decreases_with_sample_size(metric) -> None:
    small = np.median(_floor(100, 100, metric=metric))
    large = np.median(_floor(10_000, 10_000, metric=metric))
    assert large < small / 5  # distances shrink like 1/sqrt(n): about 10x here


def test_js_floor_is_close_to_zero_at_large_n() -> None:
    samples = _floor(100_000, 100_000)
    assert samples.shape == (400,)
    assert samples.mean() < 0.01
    assert np.all(samples >= 0)


def test_floor_never_draws_an_empty_human_category() -> None:
    # The empty third category has p = 0: neither sample ever lands there.
    rng = np.random.default_rng(0)
    seen = []
    noise_floor_counts(
        HUMAN, 50, 50, draws=200, rng=rng, metric=lambda a, b: seen.append((a, b)) or np.zeros(len(a))
    )
    a, b = seen[0]
    assert a.shape == b.shape == (200, 10)
    assert np.all(a.sum(axis=1) == 50) and np.all(a[:, 2] == 0) and np.all(b[:, 2] == 0)


def test_support_floor_passes_the_support() -> None:
    support = np.arange(5, 100, 10, dtype=float)
    samples = noise_floor_support(
        support, HUMAN, 929, 929, draws=300, rng=np.random.default_rng(1), metric=wasserstein_from_counts
    )
    assert samples.shape == (300,)
    assert np.all(samples >= 0) and np.median(samples) < 5  # bins are 10 wide
    again = noise_floor_support(
        support, HUMAN, 929, 929, draws=300, rng=np.random.default_rng(1), metric=wasserstein_from_counts
    )
    np.testing.assert_array_equal(samples, again)


def test_floor_without_humans_is_nan() -> None:
    rng = np.random.default_rng(0)
    samples = noise_floor_counts(np.zeros(4), 10, 10, draws=5, rng=rng, metric=js_distance)
    assert samples.shape == (5,) and np.all(np.isnan(samples))
    assert math.isnan(summarize_floor(samples).median)


@pytest.mark.parametrize(
    ("counts", "n_a", "draws", "match"),
    [
        (np.array([1.0, -1.0]), 10, 5, "not negative"),
        (np.array([[1.0, 2.0]]), 10, 5, "1-D"),
        (np.array([1.0, 2.0]), -3, 5, "n_a must be a non-negative integer"),
        (np.array([1.0, 2.0]), 10, 2.5, "draws must be"),
    ],
)
def test_floor_usage_errors(counts: np.ndarray, n_a: int, draws: int, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        noise_floor_counts(counts, n_a, 10, draws=draws, rng=np.random.default_rng(0), metric=js_distance)


@pytest.mark.parametrize(
    ("samples", "median", "p95", "draws"),
    [
        (np.arange(101, dtype=float), 50.0, 95.0, 101),
        (np.array([0.0, 1.0, 2.0, np.nan]), 1.0, 1.9, 3),  # 95% of the way from 1 to 2
        (np.array([0.2, 0.1, 0.4, 0.3]), 0.25, 0.385, 4),  # rank 0.95 * 3 = 2.85
        (np.array([0.7]), 0.7, 0.7, 1),
    ],
)
def test_summarize_floor_on_known_samples(samples: np.ndarray, median: float, p95: float, draws: int) -> None:
    floor = summarize_floor(samples)
    assert floor.median == pytest.approx(median)
    assert floor.p95 == pytest.approx(p95)
    assert floor.draws == draws


def test_summarize_floor_all_nan_is_nan_without_warnings(recwarn: pytest.WarningsRecorder) -> None:
    floor = summarize_floor(np.full(3, np.nan))
    assert math.isnan(floor.median) and math.isnan(floor.p95) and floor.draws == 0
    assert len(recwarn) == 0


@pytest.mark.parametrize(
    ("value", "expected"), [(0.05, True), (0.06, True), (0.0600001, False), (float("nan"), False)]
)
def test_within_floor(value: float, expected: bool) -> None:
    assert within_floor(value, NoiseFloor(median=0.03, p95=0.06, draws=1000)) is expected
