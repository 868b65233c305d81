"""The unique-structure ratio under random splits: the exact expected count at a smaller n."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from validator.heterogeneity.floor import expected_unique, permutation_ratios


@pytest.mark.parametrize("n", [1, 5, 17, 40])
def test_expected_unique_equals_the_hypergeometric_sum(n: int):
    counts = np.array([1, 1, 2, 3, 5, 8, 20], dtype=float)
    m = int(counts.sum())
    # A structure seen c times is absent from a subsample of n with the hypergeometric probability of 0 hits.
    expected = sum(1 - stats.hypergeom.pmf(0, m, int(c), n) for c in counts)
    assert float(expected_unique(counts, n)) == pytest.approx(expected, rel=1e-10)


def test_expected_unique_matches_random_subsamples():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 60, 300)
    counts = np.bincount(codes).astype(float)
    draws = [np.unique(rng.choice(codes, 120, replace=False)).size for _ in range(4000)]
    assert float(expected_unique(counts, 120)) == pytest.approx(np.mean(draws), abs=0.1)


def test_random_splits_of_one_population_centre_on_one():
    rng = np.random.default_rng(1)
    ratios = permutation_ratios(rng.integers(0, 400, 900), rng.integers(0, 400, 600), 300, np.random.default_rng(2))
    assert ratios.shape == (300,)
    assert np.median(ratios) == pytest.approx(1.0, abs=0.02)
