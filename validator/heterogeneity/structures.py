"""Heterogeneity: the number of unique response structures.

Definition (docs/metrics.md, "Heterogeneity"): a response structure is the tuple of a
respondent's values over the declared columns; in the reference study the
(belief_t1, belief_t2, belief_both) triple. Heterogeneity is the number of
distinct structures. Rows with a missing value in any structure column are left
out (and counted by the caller from the ``-1`` codes).

The count grows with the sample size, so two datasets are compared at equal n:
:func:`equal_n` draws subsamples of n rows without replacement and reports the
mean count with its 2.5 and 97.5 percentiles over the draws.

Everything past :func:`structure_codes` works on integer codes (one per row,
``-1`` for a row left out), so that bootstrap replicates can be computed in a
batch from a ``(B, n)`` matrix of row weights (e.g. multinomial counts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from validator.errors import InputError

# Upper bound on the elements of one temporary (chunk x something) array, so that
# batched computations stay within a few hundred MB whatever B and n are.
_CHUNK_ELEMENTS = 4_000_000


@dataclass(frozen=True)
class EqualNComparison:
    """The number of unique structures in subsamples of ``n`` rows.

    ``mean`` is the mean over ``draws`` subsamples drawn without replacement,
    ``low`` and ``high`` their 2.5 and 97.5 percentiles. When ``n`` is the
    number of valid rows every subsample is the full data, so the three are the
    exact count.
    """

    n: int
    mean: float
    low: float
    high: float
    draws: int


def structure_codes(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[np.ndarray, int]:
    """Code every row by its response structure.

    Returns an ``int64`` code per row, equal for rows with equal values in all
    ``columns`` and ``-1`` for a row with a missing value in any of them, and
    the number of distinct structures among the other rows. Values compare
    exactly (``33.3`` and ``33.33`` are different structures).

    >>> df = pd.DataFrame({"a": [1, 1, 2, None], "b": [5, 5, 5, 5]})
    >>> codes, k = structure_codes(df, ["a", "b"])
    >>> codes.tolist(), k
    ([0, 0, 1, -1], 2)
    """
    columns = list(columns)
    if not columns:
        raise ValueError("a response structure needs at least one column")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError("the structure column is not in the data", column=str(missing[0]))
    sub = frame[columns]
    valid = ~sub.isna().any(axis=1).to_numpy()
    codes = np.full(len(frame), -1, dtype=np.int64)
    if not valid.any():
        return codes, 0
    # groupby(...).ngroup() hashes the row tuples: about ten times faster than
    # factorizing a MultiIndex on 100k rows. observed=True keeps unobserved
    # category combinations out of the numbering.
    groups = sub[valid].groupby(columns, sort=False, observed=True, dropna=True)
    codes[valid] = groups.ngroup().to_numpy()
    return codes, int(groups.ngroups)


def _check_codes(codes: np.ndarray) -> np.ndarray:
    codes = np.asarray(codes)
    if codes.ndim != 1 or not np.issubdtype(codes.dtype, np.integer):
        raise ValueError("codes must be a 1-D integer array (from structure_codes)")
    if codes.size and codes.min() < -1:
        raise ValueError("codes must be -1 (left out) or non-negative")
    return codes.astype(np.int64, copy=False)


def _check_weights(weights: np.ndarray, n_rows: int) -> tuple[np.ndarray, bool]:
    """Weights as a float ``(B, n)`` matrix, and whether a single row was given."""
    weights = np.asarray(weights, dtype=np.float64)
    single = weights.ndim == 1
    weights = np.atleast_2d(weights)
    if weights.ndim != 2 or weights.shape[1] != n_rows:
        raise ValueError(f"weights must have shape (n,) or (B, n) with n = {n_rows}, got {weights.shape}")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("weights must be finite and non-negative")
    return weights, single


def unique_count(codes: np.ndarray) -> int:
    """The number of distinct structures among the rows not left out (code >= 0).

    >>> unique_count(np.array([3, 3, 0, -1, 7]))
    3
    """
    codes = _check_codes(codes)
    return int(np.unique(codes[codes >= 0]).size)


def _weighted_counts(codes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``(B, k)`` total weight of each structure, rows with code -1 ignored."""
    valid = codes >= 0
    valid_codes = codes[valid]
    w = weights[:, valid]
    k = int(valid_codes.max()) + 1 if valid_codes.size else 0
    out = np.zeros((w.shape[0], k))
    if k == 0:
        return out
    chunk = max(1, _CHUNK_ELEMENTS // max(valid_codes.size, k))
    for start in range(0, w.shape[0], chunk):
        block = w[start : start + chunk]
        # One bincount over the whole block: replicate b's codes are offset by b * k.
        flat = (np.arange(block.shape[0])[:, None] * k + valid_codes).ravel()
        out[start : start + chunk] = np.bincount(
            flat, weights=block.ravel(), minlength=block.shape[0] * k
        ).reshape(block.shape[0], k)
    return out


def shannon_entropy(
    codes: np.ndarray, weights: np.ndarray | None = None, base: float = 2
) -> float | np.ndarray:
    """Shannon entropy of the empirical distribution of structures.

    ``H = -sum_s p_s log_base p_s`` with ``p_s`` the share of the (weighted)
    valid rows that have structure ``s`` (``scipy.stats.entropy`` on the
    counts); in bits for the default base 2. With ``weights`` of shape
    ``(B, n)`` (e.g. bootstrap counts) it returns the ``(B,)`` entropies of the
    reweighted data; with ``(n,)`` weights or none, a float. NaN when no weight
    falls on a valid row.

    >>> shannon_entropy(np.array([0, 0, 1, 1, -1]))
    1.0
    """
    codes = _check_codes(codes)
    if weights is None:
        counts = np.bincount(codes[codes >= 0])
        return float(stats.entropy(counts, base=base)) if counts.sum() > 0 else float("nan")
    matrix, single = _check_weights(weights, codes.size)
    counts = _weighted_counts(codes, matrix)
    totals = counts.sum(axis=1)
    result = np.full(matrix.shape[0], np.nan)
    nonzero = totals > 0
    if nonzero.any():
        result[nonzero] = stats.entropy(counts[nonzero], base=base, axis=1)
    return float(result[0]) if single else result


def unique_count_weighted(codes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The number of distinct structures among the rows with weight > 0, batched.

    For ``weights`` of shape ``(B, n)`` (e.g. multinomial bootstrap counts) the
    ``(B,)`` counts; for ``(n,)`` a 0-d array. Rows with code -1 never count.
    Equal to :func:`unique_count` of the data with row ``i`` repeated
    ``weights[b, i]`` times.

    >>> unique_count_weighted(np.array([0, 1, 1, 2]), np.array([[1, 0, 2, 0], [0, 0, 0, 0]])).tolist()
    [2, 0]
    """
    codes = _check_codes(codes)
    matrix, single = _check_weights(weights, codes.size)
    valid = codes >= 0
    valid_codes = codes[valid]
    positive = matrix[:, valid] > 0
    k = int(valid_codes.max()) + 1 if valid_codes.size else 0
    result = np.zeros(matrix.shape[0], dtype=np.int64)
    if k > 0:
        chunk = max(1, _CHUNK_ELEMENTS // max(valid_codes.size, k))
        for start in range(0, positive.shape[0], chunk):
            block = positive[start : start + chunk]
            # A presence matrix: mark (replicate, structure) for every drawn row.
            present = np.zeros((block.shape[0], k), dtype=bool)
            rows, cols = np.nonzero(block)
            present[rows, valid_codes[cols]] = True
            result[start : start + chunk] = present.sum(axis=1)
    return result[0, ...] if single else result


def subsampled_unique_counts(
    codes: np.ndarray, n: int, *, draws: int, rng: np.random.Generator
) -> np.ndarray:
    """Unique structure counts of ``draws`` subsamples of ``n`` valid rows.

    Each subsample is a uniform draw of ``n`` of the valid rows (code >= 0)
    without replacement. Only how many rows of each structure are drawn
    matters, and that vector follows the multivariate hypergeometric
    distribution with the structure multiplicities as colours, so it is drawn
    directly (``Generator.multivariate_hypergeometric``, all draws at once)
    instead of permuting row indices: the cost is independent of how many rows
    the data has beyond ``n``. Returns the ``(draws,)`` counts.

    Raises ``ValueError`` when ``n`` exceeds the number of valid rows.
    """
    codes = _check_codes(codes)
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    multiplicities = np.bincount(codes[codes >= 0])
    multiplicities = multiplicities[multiplicities > 0]
    n_valid = int(multiplicities.sum())
    if n < 1 or n > n_valid:
        raise ValueError(
            f"the subsample size n = {n} must lie between 1 and the {n_valid} rows with a complete structure"
        )
    if n == n_valid:
        return np.full(draws, multiplicities.size, dtype=np.int64)
    out = np.empty(draws, dtype=np.int64)
    chunk = max(1, _CHUNK_ELEMENTS // multiplicities.size)
    for start in range(0, draws, chunk):
        size = min(chunk, draws - start)
        # "count" draws from a length-N array: far faster than "marginals" for many colours.
        drawn = rng.multivariate_hypergeometric(multiplicities, n, size=size, method="count")
        out[start : start + size] = np.count_nonzero(drawn, axis=1)
    return out


def equal_n(codes: np.ndarray, n: int, *, draws: int, rng: np.random.Generator) -> EqualNComparison:
    """Unique structures at a common sample size ``n`` (mean, 2.5 and 97.5 percentiles).

    Subsamples of ``n`` valid rows are drawn without replacement
    (:func:`subsampled_unique_counts`). When ``n`` equals the number of valid
    rows every draw is the full data and the exact count is returned with
    ``low == high == mean``.

    >>> r = equal_n(np.array([0, 1, 1, 2]), 4, draws=50, rng=np.random.default_rng(0))
    >>> r.mean, r.low, r.high
    (3.0, 3.0, 3.0)
    """
    counts = subsampled_unique_counts(codes, n, draws=draws, rng=rng)
    low, high = np.percentile(counts, [2.5, 97.5])
    return EqualNComparison(
        n=n, mean=float(counts.mean()), low=float(low), high=float(high), draws=draws
    )
