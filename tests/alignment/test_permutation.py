"""Permutation draws keep every stratum's sizes and relabel uniformly at random."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from validator.alignment.permutation import permutation_labels, strata_codes, text_codes

MixedFrame = Callable[[int, int], pd.DataFrame]


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


def _row_keys(frames: list[pd.DataFrame], columns: list[str]) -> np.ndarray:
    """The definition: factorize the pooled rows' keys "\\x1f".join(str(value), "\\x00" when missing)."""
    pooled = pd.concat([f[columns].astype(object) for f in frames], ignore_index=True)
    keys = pooled.apply(lambda row: "\x1f".join("\x00" if pd.isna(v) else str(v) for v in row), axis=1)
    return np.asarray(pd.factorize(keys, sort=False)[0], dtype=np.int64)


@pytest.mark.parametrize("n", [1, 6, 300])
@pytest.mark.parametrize(
    "columns", [["cat"], ["cat", "num"], ["num", "flag", "obj", "string"], ["string"], ["obj", "cat"], ["str", "cat"]]
)
def test_strata_codes_equal_the_factorized_row_keys(n: int, columns: list[str], mixed_frame: MixedFrame) -> None:
    frames = [mixed_frame(n, 1), mixed_frame(n // 2 + 1, 2)]
    assert np.array_equal(strata_codes(frames, columns), _row_keys(frames, columns))


def test_a_value_holding_the_separator_keeps_the_row_key_rule() -> None:
    a = pd.DataFrame({"g": ["x\x1fy", "x"], "h": ["z", "y\x1fz"]})
    assert np.array_equal(strata_codes([a], ["g", "h"]), _row_keys([a], ["g", "h"]))


@pytest.mark.parametrize("column", ["cat", "num", "flag", "obj", "string", "str"])
def test_text_codes_give_equal_codes_exactly_to_values_that_print_the_same(column: str, mixed_frame: MixedFrame) -> None:
    frames = [mixed_frame(200, 3), mixed_frame(50, 4)]
    codes, texts = text_codes([f[column] for f in frames])
    pooled = pd.concat([f[column].astype(object) for f in frames], ignore_index=True)
    expected = [None if pd.isna(v) else str(v) for v in pooled]
    assert [None if c < 0 else texts[c] for c in codes] == expected
    assert len(set(texts)) == len(texts)


def _labels_by_sorting(strata: np.ndarray, is_first: np.ndarray, draws: int, rng) -> list[np.ndarray]:
    """The definition: sort ``strata + u`` stably; each stratum's first n_first rows are labelled first."""
    from validator.bootstrap.weights import chunk_size

    n = strata.size
    sorted_strata = strata[np.argsort(strata, kind="stable")]
    starts = np.searchsorted(sorted_strata, sorted_strata, side="left")
    n_first = np.bincount(strata, weights=is_first.astype(float), minlength=int(strata.max()) + 1)
    template = ((np.arange(n) - starts) < n_first[sorted_strata]).astype(float)
    out, done = [], 0
    while done < draws:
        b = min(chunk_size(n, draws), draws - done)
        order = np.argsort(strata[None, :] + rng.random((b, n)), axis=1, kind="stable")
        labels = np.zeros((b, n))
        np.put_along_axis(labels, order, np.broadcast_to(template, (b, n)), axis=1)
        out.append(labels)
        done += b
    return out


class _FixedKeys:
    """A stand-in generator whose every draw is the same keys (to force equal keys)."""

    def __init__(self, keys: np.ndarray) -> None:
        self.keys = keys

    def random(self, shape: tuple[int, int]) -> np.ndarray:
        return np.broadcast_to(self.keys, shape).copy()


@pytest.mark.parametrize(("n", "n_strata", "draws"), [(10, 1, 30), (1858, 1, 300), (1858, 40, 300), (50, 5, 200), (7, 3, 5)])
def test_labels_by_selection_are_those_of_the_full_sort(n: int, n_strata: int, draws: int) -> None:
    rng = np.random.default_rng(n + n_strata)
    strata, first = rng.integers(0, n_strata, n), rng.random(n) < 0.4
    expected = _labels_by_sorting(strata, first, draws, np.random.default_rng(9))
    got = list(permutation_labels(strata, first, draws, np.random.default_rng(9)))
    assert len(got) == len(expected)
    assert all(np.array_equal(a, b) for a, b in zip(got, expected))


@pytest.mark.parametrize(
    "keys",
    [
        np.array([0.5, 0.5, 0.5, 0.2, 0.2, 0.9, 0.3, 0.0]),  # equal keys at a stratum's boundary
        np.array([0.1, 0.5, 0.5, 0.2, 0.2, 0.2, 1 - 2**-53, 0.0]),  # 2 + u rounds up into the next stratum
    ],
)
def test_equal_and_rounded_keys_are_labelled_as_the_stable_sort_labels_them(keys: np.ndarray) -> None:
    strata = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    first = np.array([1, 0, 1, 0, 1, 0, 1, 0], dtype=bool)
    expected = _labels_by_sorting(strata, first, 3, _FixedKeys(keys))
    got = list(permutation_labels(strata, first, 3, _FixedKeys(keys)))  # type: ignore[arg-type]
    assert all(np.array_equal(a, b) for a, b in zip(got, expected))


@pytest.mark.parametrize(("n", "n_strata", "share"), [(20_000, 1, 0.01), (30_000, 2, 0.05), (12_000, 1, 0.12)])
def test_a_few_first_rows_among_many_are_labelled_as_the_full_sort_labels_them(n: int, n_strata: int, share: float) -> None:
    """929 human rows pooled with 100,000 simulated ones: the threshold path must label the same rows."""
    rng = np.random.default_rng(n)
    strata, first = rng.integers(0, n_strata, n), rng.random(n) < share
    expected = _labels_by_sorting(strata, first, 25, np.random.default_rng(3))
    got = list(permutation_labels(strata, first, 25, np.random.default_rng(3)))
    assert len(got) == len(expected)
    assert all(np.array_equal(a, b) for a, b in zip(got, expected))
