"""Tests of validator.alignment.distances against scipy and numpy on expanded samples."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from validator.alignment.distances import (
    chi_square_test,
    dispersion_ratio,
    js_distance,
    ks_from_counts,
    ks_test,
    replicate_distances,
    tv_distance,
    wasserstein_from_counts,
)
from validator.errors import UsageError

CASES = [(k, seed) for k in (2, 3, 5, 10, 25) for seed in range(4)]


def _histogram(rng: np.random.Generator, k: int, empty: bool) -> np.ndarray:
    """Integer counts over k bins; with ``empty`` about a third of the bins are 0."""
    h = rng.integers(0, 50, k).astype(float)
    if empty:
        h[rng.random(k) < 0.35] = 0
    if h.sum() == 0:
        h[0] = 1
    return h


@pytest.mark.parametrize("empty", [False, True])
@pytest.mark.parametrize(("k", "seed"), CASES)
def test_js_distance_equals_scipy(k: int, seed: int, empty: bool) -> None:
    rng = np.random.default_rng(seed)
    p, q = _histogram(rng, k, empty), _histogram(rng, k, empty)
    got = js_distance(p, q)
    assert isinstance(got, float)
    assert got == pytest.approx(jensenshannon(p, q, base=2), abs=1e-12)


@pytest.mark.parametrize("k", [2, 4, 10])
def test_batched_js_distance_equals_row_by_row_scipy(k: int) -> None:
    rng = np.random.default_rng(k)
    p = rng.integers(0, 30, (64, k)).astype(float)
    q = rng.integers(0, 30, (64, k)).astype(float)
    p[p.sum(axis=1) == 0, 0] = 1
    q[q.sum(axis=1) == 0, 0] = 1
    got = js_distance(p, q)
    assert got.shape == (64,)
    expected = [jensenshannon(a, b, base=2) for a, b in zip(p, q)]
    np.testing.assert_allclose(got, expected, atol=1e-12)
    # One human vector against many replicates broadcasts.
    np.testing.assert_allclose(js_distance(p[0], q), [jensenshannon(p[0], b, base=2) for b in q], atol=1e-12)


@pytest.mark.parametrize(
    ("p", "q"),
    [([1, 2], [1, 2]), ([1, 2], [2, 4]), ([3, 0, 7], [30, 0, 70]), ([1, 1, 1], [1, 1, 1]),
     ([0.1, 0.7, 0.2], [1, 7, 2])],
)
def test_js_distance_is_exactly_zero_for_equal_distributions(p: list[float], q: list[float]) -> None:
    assert js_distance(p, q) == 0.0


@pytest.mark.parametrize(("p", "q"), [([1, 0], [0, 1]), ([5, 5, 0, 0], [0, 0, 3, 1]), ([0, 0, 1], [7, 2, 0])])
def test_js_distance_is_one_for_disjoint_supports(p: list[float], q: list[float]) -> None:
    assert js_distance(p, q) == pytest.approx(1.0, abs=1e-12)
    assert tv_distance(p, q) == pytest.approx(1.0, abs=1e-12)


def test_zero_total_gives_nan_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(js_distance([0, 0, 0], [1, 2, 3]))
        assert math.isnan(js_distance([1, 2, 3], [0, 0, 0]))
        assert math.isnan(tv_distance([0, 0], [1, 1]))
        assert math.isnan(ks_from_counts([0, 0], [1, 1]))
        assert math.isnan(wasserstein_from_counts([0.0, 1.0], [0, 0], [1, 1]))
        batched = js_distance(np.array([[0, 0], [1, 1]]), np.array([[1, 1], [1, 1]]))
    assert math.isnan(batched[0]) and batched[1] == 0.0


def test_js_distance_stays_in_unit_interval() -> None:
    rng = np.random.default_rng(123)
    for k in (2, 3, 10):
        p = rng.integers(0, 5, (2000, k)).astype(float)
        q = rng.integers(0, 5, (2000, k)).astype(float)
        p[p.sum(axis=1) == 0, -1] = 1
        q[q.sum(axis=1) == 0, 0] = 1
        d = js_distance(p, q)
        assert np.all((d >= 0) & (d <= 1))


def test_negative_or_mismatched_counts_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="negative"):
        js_distance([1, -1], [1, 1])
    with pytest.raises(UsageError, match="same number of categories"):
        tv_distance([1, 1], [1, 1, 1])


@pytest.mark.parametrize(("k", "seed"), CASES)
def test_tv_distance_equals_half_l1(k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    p, q = _histogram(rng, k, True), _histogram(rng, k, False)
    expected = 0.5 * sum(abs(a / p.sum() - b / q.sum()) for a, b in zip(p, q))
    assert tv_distance(p, q) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("k", "seed"), CASES)
def test_wasserstein_equals_scipy(k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    support = np.sort(rng.choice(np.arange(0, 200), k, replace=False)).astype(float) / 2
    p, q = _histogram(rng, k, True), _histogram(rng, k, False)
    expected = stats.wasserstein_distance(support, support, u_weights=p, v_weights=q)
    assert wasserstein_from_counts(support, p, q) == pytest.approx(expected, abs=1e-10)


def test_batched_wasserstein_and_bad_support() -> None:
    support = np.arange(5, 100, 10, dtype=float)
    rng = np.random.default_rng(7)
    p = rng.integers(1, 20, (5, 10)).astype(float)
    q = rng.integers(1, 20, (5, 10)).astype(float)
    expected = [stats.wasserstein_distance(support, support, a, b) for a, b in zip(p, q)]
    np.testing.assert_allclose(wasserstein_from_counts(support, p, q), expected, atol=1e-10)
    with pytest.raises(UsageError, match="strictly increasing"):
        wasserstein_from_counts(support[::-1], p, q)
    with pytest.raises(UsageError, match="support has 9 values"):
        wasserstein_from_counts(support[:-1], p, q)


@pytest.mark.parametrize(("k", "seed"), CASES)
def test_ks_from_counts_equals_ks_2samp_on_expanded_samples(k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    p, q = _histogram(rng, k, True), _histogram(rng, k, False)
    support = np.arange(k, dtype=float)
    expected = stats.ks_2samp(np.repeat(support, p.astype(int)), np.repeat(support, q.astype(int))).statistic
    assert ks_from_counts(p, q) == pytest.approx(expected, abs=1e-12)


def _expanded_sd(values: np.ndarray, weights: np.ndarray) -> float:
    return float(np.std(np.repeat(values, weights.astype(int)), ddof=1))


@pytest.mark.parametrize("seed", range(6))
def test_dispersion_ratio_equals_std_of_expanded_samples(seed: int) -> None:
    rng = np.random.default_rng(seed)
    sim, human = rng.uniform(0, 100, 40), rng.normal(50, 20, 60)
    sim_w = rng.multinomial(40, np.full(40, 1 / 40), size=8)
    human_w = rng.multinomial(60, np.full(60, 1 / 60), size=8)
    got = dispersion_ratio(sim, sim_w, human, human_w)
    expected = [_expanded_sd(sim, a) / _expanded_sd(human, b) for a, b in zip(sim_w, human_w)]
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    unweighted = dispersion_ratio(sim, None, human, None)
    assert unweighted == pytest.approx(np.std(sim, ddof=1) / np.std(human, ddof=1), rel=1e-12)


def test_dispersion_ratio_with_large_offset_values() -> None:
    # One-pass moments would lose the spread of values near 1e8 without the shift.
    human = 1e8 + np.array([0.0, 1.0, 2.0, 3.0])
    sim = 1e8 + np.array([0.0, 2.0, 4.0, 6.0])
    assert dispersion_ratio(sim, None, human, None) == pytest.approx(2.0, rel=1e-9)


def test_dispersion_ratio_drops_missing_values() -> None:
    sim = np.array([1.0, np.nan, 3.0, 5.0])
    human = np.array([2.0, 4.0])
    assert dispersion_ratio(sim, None, human, None) == pytest.approx(2.0 / np.std([2.0, 4.0], ddof=1))


@pytest.mark.parametrize(
    ("human", "human_w"),
    [
        (np.array([5.0, 5.0, 5.0]), None),  # no spread at all
        (np.array([0.3, 0.7, 0.1]), np.array([[0, 3, 0]])),  # a replicate that drew one row only
        (np.array([1.0, 2.0]), np.array([[1, 0]])),  # n = 1 < 2
        (np.array([1.0]), None),
    ],
)
def test_dispersion_ratio_is_nan_without_human_spread(human: np.ndarray, human_w: np.ndarray | None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = np.asarray(dispersion_ratio(np.array([1.0, 2.0, 3.0]), None, human, human_w))
    assert np.all(np.isnan(got))


@pytest.mark.parametrize(
    ("human", "sim"),
    [
        ([10, 20, 30], [15, 15, 30]),
        ([10, 0, 30, 5], [12, 0, 20, 9]),  # an empty category is dropped
        ([10, 1], [3, 8]),  # 2 x 2: no continuity correction
        ([4.5, 2.5, 7.0], [3.0, 6.0, 1.5]),  # weighted counts
    ],
)
def test_chi_square_test_equals_chi2_contingency(human: list[float], sim: list[float]) -> None:
    table = np.array([human, sim], dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    expected = stats.chi2_contingency(table, correction=False)
    statistic, p_value, dof = chi_square_test(np.array(human), np.array(sim))
    assert statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert p_value == pytest.approx(expected.pvalue, rel=1e-12)
    assert dof == expected.dof == table.shape[1] - 1


@pytest.mark.parametrize(
    ("human", "sim"),
    [([10, 0, 0], [5, 0, 0]), ([0, 0], [0, 0]), ([0, 0, 0], [1, 2, 3])],
)
def test_chi_square_test_is_nan_when_degenerate(human: list[float], sim: list[float]) -> None:
    statistic, p_value, _ = chi_square_test(np.array(human), np.array(sim))
    assert math.isnan(statistic) and math.isnan(p_value)


def test_ks_test_equals_ks_2samp_and_drops_missing() -> None:
    rng = np.random.default_rng(3)
    human, sim = rng.normal(0, 1, 80), rng.normal(0.4, 1, 50)
    expected = stats.ks_2samp(human, sim)
    got = ks_test(np.append(human, np.nan), sim)
    assert got == pytest.approx((expected.statistic, expected.pvalue), rel=1e-12)
    assert all(math.isnan(x) for x in ks_test(np.array([np.nan]), sim))


@pytest.mark.parametrize(("k", "u", "seed"), [(2, 3, 0), (10, 40, 1), (12, 200, 2)])
def test_replicate_distances_equal_the_single_distances_bit_for_bit(k: int, u: int, seed: int) -> None:
    """The fused kernel of the bootstrap gives exactly what each public distance gives, empty replicates included."""
    rng = np.random.default_rng(seed)
    bins_a, bins_b = (rng.integers(0, 6, (50, k)).astype(float) for _ in range(2))
    support_a, support_b = (rng.integers(0, 3, (50, u)).astype(float) for _ in range(2))
    bins_a[0], support_a[0] = 0.0, 0.0  # a replicate with no row: every distance NaN
    support = np.cumsum(rng.uniform(0.1, 2.0, u))
    got = replicate_distances(bins_a, bins_b, support, support_a, support_b)
    expected = {
        "js": js_distance(bins_a, bins_b),
        "tvd": tv_distance(bins_a, bins_b),
        "wasserstein": wasserstein_from_counts(support, support_a, support_b),
        "ks": ks_from_counts(support_a, support_b),
    }
    assert set(got) == set(expected)
    for name, values in expected.items():
        np.testing.assert_array_equal(got[name], values, err_msg=name)
    assert set(replicate_distances(bins_a, bins_b)) == {"js", "tvd"}


def test_the_dispersion_ratio_of_counts_over_the_distinct_values_is_that_of_the_weighted_rows() -> None:
    """The bootstrap takes each replicate's SDs from its counts over the support, not over every row."""
    rng = np.random.default_rng(7)
    sim, human = rng.integers(0, 101, 900).astype(float), rng.integers(0, 101, 700).astype(float)
    w_sim, w_human = rng.multinomial(900, np.full(900, 1 / 900), 30), rng.multinomial(700, np.full(700, 1 / 700), 30)
    support = np.unique(np.concatenate([sim, human]))

    def over_support(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return np.stack([np.bincount(np.searchsorted(support, values), weights=w, minlength=support.size) for w in weights])

    by_rows = dispersion_ratio(sim, w_sim, human, w_human)
    by_support = dispersion_ratio(support, over_support(sim, w_sim), support, over_support(human, w_human))
    np.testing.assert_allclose(by_support, by_rows, rtol=1e-12)
