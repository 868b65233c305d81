"""Tests of validator.alignment.binning against np.histogram and hand-worked cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from validator.alignment.binning import bin_codes, bin_edges, bin_labels, category_codes, counts
from validator.errors import UsageError


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (0.0, 0),
        (9.99, 0),
        (10.0, 1),
        (50.0, 5),
        (89.999, 8),
        (90.0, 9),
        (100.0, 9),
        (-1.0, -1),
        (-1e-9, -1),
        (100.5, -1),
        (np.nan, -1),
        (np.inf, -1),
        (-np.inf, -1),
    ],
)
def test_bin_codes_belief_bins(value: float, code: int) -> None:
    assert bin_codes(np.array([value]), 0, 100, 10).tolist() == [code]


def test_bin_codes_reads_series_with_missing_and_text() -> None:
    values = pd.Series([0, 55, None, "n/a", 100], dtype=object)
    assert bin_codes(values, 0, 100, 10).tolist() == [0, 5, -1, -1, 9]
    nullable = pd.Series([3, pd.NA, 100], dtype="Int64")
    assert bin_codes(nullable, 0, 100, 10).tolist() == [0, -1, 9]


@pytest.mark.parametrize(("start", "stop", "count"), [(0, 100, 10), (0, 1, 3), (-2.5, 7.1, 7)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_counts_of_bin_codes_equal_np_histogram(start: float, stop: float, count: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    edges = np.linspace(start, stop, count + 1)
    # Values on the edges are the cases a naive floor((x - start) / width) gets wrong.
    values = np.concatenate(
        [rng.uniform(start - 1, stop + 1, 500), rng.choice(edges, 200), rng.integers(0, 101, 100)]
    )
    expected, _ = np.histogram(values, bins=count, range=(start, stop))
    got = counts(bin_codes(values, start, stop, count), count)
    np.testing.assert_array_equal(got, expected)


def test_bin_edges_and_labels() -> None:
    np.testing.assert_array_equal(bin_edges(0, 100, 10), np.arange(0, 101, 10))
    labels = bin_labels(0, 100, 10)
    assert labels[0] == "[0, 10)"
    assert labels[4] == "[40, 50)"
    assert labels[-1] == "[90, 100]"
    assert len(labels) == 10
    assert bin_labels(0, 1, 4) == ("[0, 0.25)", "[0.25, 0.5)", "[0.5, 0.75)", "[0.75, 1]")


@pytest.mark.parametrize(
    ("start", "stop", "count", "match"),
    [(0, 0, 10, "start < stop"), (10, 0, 10, "start < stop"), (0, 100, 0, "positive integer"),
     (0, 100, 2.5, "positive integer"), (0, np.nan, 10, "start < stop")],
)
def test_bad_bins_are_usage_errors(start: float, stop: float, count: int, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        bin_codes(np.array([1.0]), start, stop, count)


@pytest.mark.parametrize(
    ("values", "categories", "expected"),
    [
        (pd.Series(["b", "a", "c", "a"]), ["a", "b", "c"], [1, 0, 2, 0]),
        (pd.Series(["b", "z", None, np.nan]), ["a", "b"], [1, -1, -1, -1]),
        (pd.Series(["b", "a", None], dtype="string"), ["b", "a"], [0, 1, -1]),
        (pd.Series(["a", "b"], dtype="category"), ["b", "a"], [1, 0]),
        (pd.Series(["A", "a "]), ["a"], [-1, -1]),
    ],
)
def test_category_codes(values: pd.Series, categories: list[str], expected: list[int]) -> None:
    assert category_codes(values, categories).tolist() == expected


def test_category_codes_rejects_duplicate_categories() -> None:
    with pytest.raises(UsageError, match="'a' is listed twice"):
        category_codes(pd.Series(["a"]), ["a", "b", "a"])


def test_counts_unweighted_ignore_missing_code() -> None:
    got = counts(np.array([2, 0, -1, 2, 2]), 4)
    np.testing.assert_array_equal(got, [1.0, 0.0, 3.0, 0.0])
    assert got.dtype == np.float64


def test_counts_with_one_weight_vector() -> None:
    codes = np.array([0, 1, 1, -1])
    weights = np.array([0.5, 2.0, 1.0, 100.0])
    np.testing.assert_array_equal(counts(codes, 3, weights), [0.5, 3.0, 0.0])


@pytest.mark.parametrize(("n", "batch", "k"), [(50, 7, 3), (929, 40, 10), (1000, 1, 5)])
def test_batched_counts_equal_row_by_row_bincount(n: int, batch: int, k: int) -> None:
    rng = np.random.default_rng(n)
    codes = rng.integers(-1, k, n)
    # Bootstrap frequencies, as the caller builds them (integer rows summing to n).
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=batch)
    got = counts(codes, k, weights)
    assert got.shape == (batch, k)
    for row, w in zip(got, weights):
        keep = codes >= 0
        np.testing.assert_allclose(row, np.bincount(codes[keep], weights=w[keep], minlength=k))


def test_counts_with_more_leading_dimensions() -> None:
    codes = np.array([0, 1, 1])
    weights = np.arange(2 * 4 * 3, dtype=float).reshape(2, 4, 3)
    got = counts(codes, 2, weights)
    assert got.shape == (2, 4, 2)
    np.testing.assert_allclose(got[1, 2], [weights[1, 2, 0], weights[1, 2, 1] + weights[1, 2, 2]])


@pytest.mark.parametrize(
    ("codes", "k", "weights", "match"),
    [
        (np.array([0, 3]), 3, None, "Codes must lie in -1 .. 2"),
        (np.array([0, -2]), 3, None, "Codes must lie"),
        (np.array([[0, 1]]), 3, None, "one-dimensional"),
        (np.array([0, 1]), 0, None, "must be positive"),
        (np.array([0, 1]), 2, np.ones((4, 3)), r"number of rows \(2\)"),
    ],
)
def test_counts_usage_errors(codes: np.ndarray, k: int, weights: np.ndarray | None, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        counts(codes, k, weights)
