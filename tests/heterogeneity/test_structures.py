"""Unique response structures (docs/metrics.md, "Heterogeneity").

Expected values come from independent computations: Python sets and Counters
over row tuples, the exact hypergeometric expectation of the number of distinct
structures in a subsample, and scipy.stats.entropy on counts of the data
expanded row by row.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from validator.errors import InputError
from validator.heterogeneity import structures
from validator.heterogeneity.structures import (
    EqualNComparison,
    equal_n,
    shannon_entropy,
    structure_codes,
    subsampled_unique_counts,
    unique_count,
    unique_count_weighted,
)

COLUMNS = ["belief_t1", "belief_t2", "belief_both"]
SEVEN = [(60, 30, 10), (30, 60, 10), (50, 50, 0), (33, 33, 34), (0, 0, 100), (10, 30, 60), (60, 10, 30)]


def seven_structures(seed: int = 0, n_missing: int = 5) -> pd.DataFrame:
    """The seven triples repeated 1..7 times, shuffled, plus rows with a missing value."""
    rows = [triple for k, triple in enumerate(SEVEN) for _ in range(k + 1)]
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rows, columns=COLUMNS, dtype=float)
    gaps = pd.DataFrame(
        [(np.nan, 30, 70), (60, np.nan, 10), (60, 30, np.nan), (np.nan, np.nan, np.nan), (50, 50, np.nan)],
        columns=COLUMNS,
    ).iloc[:n_missing]
    frame = pd.concat([frame, gaps], ignore_index=True)
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)


def independent_codes_check(frame: pd.DataFrame, columns: list[str], codes: np.ndarray) -> None:
    """Equal codes iff equal tuples; -1 exactly for rows with a missing value."""
    tuples = list(frame[columns].itertuples(index=False, name=None))
    missing = frame[columns].isna().any(axis=1).to_numpy()
    assert ((codes == -1) == missing).all()
    seen: dict[tuple, int] = {}
    for code, row, gap in zip(codes, tuples, missing):
        if gap:
            continue
        assert seen.setdefault(row, int(code)) == code
    assert len(set(seen.values())) == len(seen)


@pytest.mark.parametrize("n_missing", [0, 1, 5])
def test_seven_known_structures_with_missing_rows_left_out(n_missing: int) -> None:
    frame = seven_structures(n_missing=n_missing)
    codes, k = structure_codes(frame, COLUMNS)
    assert k == 7
    assert unique_count(codes) == 7
    assert (codes == -1).sum() == n_missing
    assert sorted(Counter(codes[codes >= 0].tolist()).values()) == [1, 2, 3, 4, 5, 6, 7]
    independent_codes_check(frame, COLUMNS, codes)


@pytest.mark.parametrize(
    ("frame", "columns", "expected"),
    [
        # Values compare exactly: 33.3 and 33.33 are two structures.
        (pd.DataFrame({"a": [33.3, 33.33, 33.3], "b": [1.0, 1.0, 1.0]}), ["a", "b"], 2),
        (pd.DataFrame({"a": [1, 2, 2, 3]}), ["a"], 3),
        (pd.DataFrame({"a": pd.array([1, None, 1, 2], dtype="Int64"), "b": ["x", "x", "x", "y"]}), ["a", "b"], 2),
        # Unobserved categories do not count.
        (
            pd.DataFrame({"a": pd.Categorical(["u", "v", "u", None], categories=["u", "v", "w"]), "b": [1, 2, 1, 1]}),
            ["a", "b"],
            2,
        ),
        (pd.DataFrame({"a": [np.nan, np.nan], "b": [1.0, 2.0]}), ["a", "b"], 0),
        (pd.DataFrame({"a": pd.Series([], dtype=float)}), ["a"], 0),
    ],
)
def test_structure_codes_on_small_frames(frame: pd.DataFrame, columns: list[str], expected: int) -> None:
    codes, k = structure_codes(frame, columns)
    assert k == expected == unique_count(codes)
    assert codes.dtype == np.int64 and codes.shape == (len(frame),)
    independent_codes_check(frame, columns, codes)


def test_structure_codes_on_many_rows_matches_a_set_of_tuples() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.integers(0, 8, size=(20_000, 3)).astype(float), columns=COLUMNS)
    frame.iloc[::97, 2] = np.nan
    codes, k = structure_codes(frame, COLUMNS)
    expected = set(frame.dropna().itertuples(index=False, name=None))
    assert k == len(expected) == unique_count(codes)
    assert (codes == -1).sum() == frame.isna().any(axis=1).sum()


def test_structure_codes_names_a_missing_column() -> None:
    with pytest.raises(InputError, match="column 'belief_x'"):
        structure_codes(seven_structures(), ["belief_t1", "belief_x"])


def test_structure_codes_needs_a_column() -> None:
    with pytest.raises(ValueError, match="at least one column"):
        structure_codes(seven_structures(), [])


@pytest.mark.parametrize("bad", [np.array([0.0, 1.0]), np.array([[0, 1]]), np.array([0, -2])])
def test_codes_are_checked(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="codes must"):
        unique_count(bad)


# --- equal n ---------------------------------------------------------------


def expected_distinct(multiplicities: list[int], n: int) -> float:
    """E[distinct structures] in a without-replacement subsample of n rows.

    Structure s is missed with probability C(N - r_s, n) / C(N, n); for m
    structures each repeated r times this is m (1 - C(N - r, n) / C(N, n)).
    """
    total = sum(multiplicities)
    return sum(1 - math.comb(total - r, n) / math.comb(total, n) for r in multiplicities)


@pytest.mark.parametrize(
    ("multiplicities", "n"),
    [
        ([4] * 50, 10),
        ([4] * 50, 50),
        ([4] * 50, 150),
        ([4] * 50, 199),
        ([1] * 30 + [10] * 7 + [40], 25),
        ([1] * 30 + [10] * 7 + [40], 120),
    ],
)
def test_subsample_mean_matches_the_hypergeometric_expectation(multiplicities: list[int], n: int) -> None:
    rng = np.random.default_rng(7)
    codes = np.repeat(np.arange(len(multiplicities)), multiplicities)
    codes = np.concatenate([rng.permutation(codes), np.full(9, -1)])  # left-out rows never drawn
    draws = 4000
    counts = subsampled_unique_counts(codes, n, draws=draws, rng=rng)
    assert counts.shape == (draws,)
    assert counts.min() >= 1 and counts.max() <= min(n, len(multiplicities))
    expected = expected_distinct(multiplicities, n)
    # Five standard errors of the mean over the draws (at least a small floor for near-constant counts).
    tolerance = max(5 * counts.std(ddof=1) / math.sqrt(draws), 1e-9)
    assert abs(counts.mean() - expected) < tolerance

    summary = equal_n(codes, n, draws=draws, rng=rng)
    assert abs(summary.mean - expected) < tolerance
    assert summary.low <= summary.mean <= summary.high
    assert (summary.n, summary.draws) == (n, draws)


def test_subsample_percentiles_are_those_of_the_draws() -> None:
    codes = np.repeat(np.arange(40), 5)
    counts = subsampled_unique_counts(codes, 30, draws=500, rng=np.random.default_rng(3))
    summary = equal_n(codes, 30, draws=500, rng=np.random.default_rng(3))
    assert summary == EqualNComparison(
        n=30,
        mean=float(counts.mean()),
        low=float(np.percentile(counts, 2.5)),
        high=float(np.percentile(counts, 97.5)),
        draws=500,
    )


def test_subsample_of_every_row_is_the_exact_count_with_zero_width() -> None:
    frame = seven_structures(n_missing=5)
    codes, _ = structure_codes(frame, COLUMNS)
    n_valid = int((codes >= 0).sum())
    summary = equal_n(codes, n_valid, draws=100, rng=np.random.default_rng(0))
    assert summary == EqualNComparison(n=n_valid, mean=7.0, low=7.0, high=7.0, draws=100)


@pytest.mark.parametrize("n", [29, 0, -1])
def test_subsample_size_outside_the_valid_rows_raises(n: int) -> None:
    codes, _ = structure_codes(seven_structures(n_missing=5), COLUMNS)  # 28 valid rows
    with pytest.raises(ValueError, match="between 1 and the 28 rows"):
        subsampled_unique_counts(codes, n, draws=10, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="between 1 and the 28 rows"):
        equal_n(codes, n, draws=10, rng=np.random.default_rng(0))


def test_subsample_needs_a_draw() -> None:
    with pytest.raises(ValueError, match="draws"):
        subsampled_unique_counts(np.arange(5), 2, draws=0, rng=np.random.default_rng(0))


def test_subsample_chunks_give_the_same_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    codes = np.repeat(np.arange(50), 4)
    monkeypatch.setattr(structures, "_CHUNK_ELEMENTS", 120)  # two draws per chunk
    counts = subsampled_unique_counts(codes, 50, draws=3001, rng=np.random.default_rng(5))
    assert counts.shape == (3001,)
    assert abs(counts.mean() - expected_distinct([4] * 50, 50)) < 5 * counts.std(ddof=1) / math.sqrt(3001)


# --- entropy -----------------------------------------------------------------


@pytest.mark.parametrize("base", [2, math.e, 10])
def test_entropy_equals_scipy_on_the_counts(base: float) -> None:
    frame = seven_structures()
    codes, _ = structure_codes(frame, COLUMNS)
    counts = list(Counter(frame.dropna().itertuples(index=False, name=None)).values())
    assert shannon_entropy(codes, base=base) == pytest.approx(stats.entropy(counts, base=base), rel=1e-12)


def test_entropy_of_two_equal_structures_is_one_bit() -> None:
    assert shannon_entropy(np.array([0, 1, 0, 1, -1])) == pytest.approx(1.0)
    assert shannon_entropy(np.array([3, 3, 3])) == 0.0
    assert math.isnan(shannon_entropy(np.array([-1, -1])))


def random_weights(n_rows: int, batch: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_rows, np.full(n_rows, 1 / n_rows), size=batch)


@pytest.mark.parametrize("chunk_elements", [None, 50])
def test_weighted_entropy_equals_entropy_of_the_expanded_rows(
    chunk_elements: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if chunk_elements is not None:
        monkeypatch.setattr(structures, "_CHUNK_ELEMENTS", chunk_elements)
    codes, _ = structure_codes(seven_structures(), COLUMNS)
    weights = random_weights(len(codes), 40, seed=2)
    batched = shannon_entropy(codes, weights)
    assert isinstance(batched, np.ndarray) and batched.shape == (40,)
    for b in range(40):
        expanded = np.repeat(codes, weights[b])
        counts = list(Counter(expanded[expanded >= 0].tolist()).values())
        assert batched[b] == pytest.approx(stats.entropy(counts, base=2), rel=1e-12)
    single = shannon_entropy(codes, weights[0])
    assert isinstance(single, float) and single == pytest.approx(batched[0])


def test_weighted_entropy_is_nan_without_weight_on_a_valid_row() -> None:
    codes = np.array([0, 1, -1])
    result = shannon_entropy(codes, np.array([[0, 0, 5], [1, 1, 0]]))
    assert math.isnan(result[0]) and result[1] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "weights", [np.ones((2, 4)), np.array([[1, 1, -1]]), np.array([[1, np.nan, 1]])]
)
def test_weights_are_checked(weights: np.ndarray) -> None:
    with pytest.raises(ValueError, match="weights must"):
        unique_count_weighted(np.array([0, 1, 1]), weights)
    with pytest.raises(ValueError, match="weights must"):
        shannon_entropy(np.array([0, 1, 1]), weights)


# --- unique count under weights --------------------------------------------------


@pytest.mark.parametrize("chunk_elements", [None, 50])
def test_weighted_unique_count_equals_counting_the_expanded_rows(
    chunk_elements: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if chunk_elements is not None:
        monkeypatch.setattr(structures, "_CHUNK_ELEMENTS", chunk_elements)
    rng = np.random.default_rng(11)
    # Many rare structures, so that bootstrap replicates differ in what they contain.
    codes = rng.integers(-1, 60, size=150)
    weights = random_weights(len(codes), 200, seed=4)
    batched = unique_count_weighted(codes, weights)
    expected = [len(set(np.repeat(codes, w).tolist()) - {-1}) for w in weights]
    assert batched.tolist() == expected
    assert len(set(expected)) > 1


def test_weighted_unique_count_single_weight_row_and_edge_cases() -> None:
    codes = np.array([0, 1, 1, 2, -1])
    assert unique_count_weighted(codes, np.array([1, 0, 2, 0, 9])).shape == ()
    assert int(unique_count_weighted(codes, np.array([1, 0, 2, 0, 9]))) == 2
    assert unique_count_weighted(codes, np.ones((3, 5))).tolist() == [3, 3, 3]
    assert unique_count_weighted(codes, np.zeros((2, 5))).tolist() == [0, 0]
    assert unique_count_weighted(np.array([-1, -1]), np.ones((2, 2))).tolist() == [0, 0]
    # Fractional weights count as present when positive.
    assert unique_count_weighted(codes, np.array([[0.1, 0.0, 0.0, 0.5, 0.0]])).tolist() == [2]
