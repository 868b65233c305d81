"""Permutation draws keep every stratum's sizes and relabel uniformly at random."""

from __future__ import annotations

import numpy as np
import pandas as pd

from validator.alignment.permutation import permutation_labels, strata_codes


def test_strata_are_the_combinations_of_the_columns_over_the_pooled_rows():
    a = pd.DataFrame({"g": ["x", "x", "y"], "h": [1, 2, 1]})
    b = pd.DataFrame({"g": ["y", None], "h": [1, 1]})
    codes = strata_codes([a, b], ["g", "h"])
    assert codes.tolist() == [0, 1, 2, 2, 3]
    assert strata_codes([a, b], []).tolist() == [0] * 5


def test_each_draw_keeps_the_number_of_first_rows_in_every_stratum():
    rng = np.random.default_rng(0)
    strata = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 0])
    first = np.array([1, 1, 0, 1, 0, 0, 0, 1, 1, 0], dtype=bool)
    labels = np.concatenate(list(permutation_labels(strata, first, 500, rng)))
    assert labels.shape == (500, 10)
    assert set(np.unique(labels)) == {0.0, 1.0}
    for s in np.unique(strata):
        assert np.all(labels[:, strata == s].sum(axis=1) == first[strata == s].sum())


def test_every_row_of_a_stratum_is_relabelled_first_equally_often():
    rng = np.random.default_rng(1)
    strata = np.zeros(6, dtype=np.int64)
    first = np.array([1, 1, 0, 0, 0, 0], dtype=bool)
    labels = np.concatenate(list(permutation_labels(strata, first, 6000, rng)))
    # Each row is first with probability 2/6; SE of a share over 6000 draws is about 0.006.
    assert np.allclose(labels.mean(axis=0), 1 / 3, atol=0.03)


def test_the_draws_are_reproducible_from_the_seed():
    strata, first = np.array([0, 0, 1, 1]), np.array([1, 0, 1, 0], dtype=bool)
    one = np.concatenate(list(permutation_labels(strata, first, 20, np.random.default_rng(5))))
    two = np.concatenate(list(permutation_labels(strata, first, 20, np.random.default_rng(5))))
    assert np.array_equal(one, two)
