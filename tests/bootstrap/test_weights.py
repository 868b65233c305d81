"""Bootstrap weights: rows or whole clusters drawn with replacement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from validator.bootstrap.weights import (
    MIN_CLUSTERS,
    SparseWeights,
    bootstrap_weights,
    cluster_codes,
    cluster_weights,
    subsample_indices,
    subsample_step,
    subsample_weights,
    uniform_keys,
)


def test_row_weights_are_counts_of_n_draws() -> None:
    weights = np.concatenate(list(bootstrap_weights(50, 30, np.random.default_rng(0))))
    assert weights.shape == (30, 50)
    assert (weights.sum(axis=1) == 50).all()
    assert (weights == np.round(weights)).all()


def test_cluster_weights_give_every_row_of_a_cluster_its_cluster_count() -> None:
    codes = np.array([0, 0, 0, 1, 1, 2, -1, 2, 3, 3])
    weights = np.concatenate(list(cluster_weights(codes, 4, 500, np.random.default_rng(1))))
    assert weights.shape == (500, 10)
    for cluster in range(4):
        rows = weights[:, codes == cluster]
        assert (rows == rows[:, :1]).all()  # whole clusters, never single rows
    assert (weights[:, codes == -1] == 0).all()  # a row without a cluster is never drawn
    counts = np.stack([weights[:, codes == c][:, 0] for c in range(4)], axis=1)
    assert (counts.sum(axis=1) == 4).all()  # four clusters per replicate
    # Uniform draws: each cluster is drawn once per replicate on average.
    assert counts.mean(axis=0) == pytest.approx([1, 1, 1, 1], abs=0.15)


def test_cluster_codes_number_clusters_in_order_of_appearance_and_mark_missing() -> None:
    codes = cluster_codes(pd.Series(["b", "a", None, "b"]))
    assert codes.tolist() == [0, 1, -1, 0]


def test_the_documented_cluster_minimum() -> None:
    assert MIN_CLUSTERS == 20


def _argpartition_subsample(n_rows: int, size: int, draws: int, rng: np.random.Generator) -> list[np.ndarray]:
    """The definition: each replicate's ``size`` smallest of ``n_rows`` uniform keys, ranked in full."""
    step = subsample_step(n_rows, size, draws)
    out, done = [], 0
    while done < draws:
        b = min(step, draws - done)
        keys = rng.random((b, n_rows))
        chosen = np.argpartition(keys, size - 1, axis=1)[:, :size] if size < n_rows else np.tile(np.arange(n_rows), (b, 1))
        out.append(np.sort(chosen, axis=1))
        done += b
    return out


@pytest.mark.parametrize(
    ("n_rows", "size", "draws"),
    [
        (10, 3, 50),  # threshold above 1/4: ranked in full
        (100, 99, 20),
        (100, 100, 5),  # every row
        (1000, 1, 30),
        (5000, 929, 200),
        (200_000, 929, 12),  # threshold path: a few hundred keys ranked per replicate
        (50_000, 10, 40),  # small size: some replicates fall back to ranking every key
    ],
)
def test_subsample_indices_are_the_smallest_keys_as_a_full_ranking_finds_them(n_rows: int, size: int, draws: int) -> None:
    expected = _argpartition_subsample(n_rows, size, draws, np.random.default_rng(3))
    got = list(subsample_indices(n_rows, size, draws, np.random.default_rng(3)))
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert np.array_equal(a, b)


def test_a_replicate_with_too_few_keys_below_the_threshold_is_ranked_in_full(monkeypatch: pytest.MonkeyPatch) -> None:
    import validator.bootstrap.weights as weights

    monkeypatch.setattr(weights, "_KEYS_SD", -3.0)  # about half the replicates fall short
    expected = _argpartition_subsample(100_000, 400, 30, np.random.default_rng(8))
    got = list(subsample_indices(100_000, 400, 30, np.random.default_rng(8)))
    for a, b in zip(got, expected):
        assert np.array_equal(a, b)


def test_subsample_weights_are_the_indices_as_zero_one_rows() -> None:
    indices = np.concatenate(list(subsample_indices(300, 40, 25, np.random.default_rng(5))))
    weights = np.concatenate(list(subsample_weights(300, 40, 25, np.random.default_rng(5))))
    assert weights.shape == (25, 300)
    assert (weights.sum(axis=1) == 40).all()
    for row, chosen in zip(weights, indices):
        assert np.array_equal(np.flatnonzero(row), chosen)


def test_sparse_weights_select_rows_through_a_mapping_and_densify_to_the_same_matrix() -> None:
    rows = np.array([2, 3, 5, 7, 11, 13])  # a model's rows among 15 frame rows
    chosen = np.array([[0, 2], [2, 5], [1, 2]])
    sparse = SparseWeights.selecting(chosen, rows, 15)
    assert sparse.rows.tolist() == [2, 3, 5, 13]
    expected = np.zeros((3, 15))
    for r, picks in enumerate(chosen):
        expected[r, rows[picks]] = 1.0
    assert np.array_equal(sparse.dense(), expected)
    assert np.array_equal(sparse.weights, expected[:, sparse.rows])


@pytest.mark.parametrize(
    ("b", "n", "bit_generator"),
    [
        (4, 300_000, np.random.PCG64),  # two threads, halves of two rows
        (5, 250_000, np.random.PCG64),  # an odd number of rows
        (2, 10, np.random.PCG64),  # small: one call
        (4, 300_000, np.random.Philox),  # another generator: one call
    ],
)
def test_uniform_keys_are_the_single_call_numbers_and_leave_the_same_state(b: int, n: int, bit_generator: type) -> None:
    expected_rng, rng = (np.random.Generator(bit_generator(11)) for _ in range(2))
    for rng_ in (expected_rng, rng):
        rng_.integers(0, 10, dtype=np.int32)  # a buffered 32-bit value, which random() never uses
    for _ in range(2):
        assert np.array_equal(uniform_keys(rng, b, n), expected_rng.random((b, n)))
    assert repr(rng.bit_generator.state) == repr(expected_rng.bit_generator.state)
    assert rng.integers(0, 2**31, size=3).tolist() == expected_rng.integers(0, 2**31, size=3).tolist()
