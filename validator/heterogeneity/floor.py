"""What a fresh human sample's unique-structure ratio looks like: permutation draws at equal n.

Under the hypothesis that the simulated rows come from the human population,
the pooled rows are exchangeable, so random splits of them into the two
datasets' sizes draw the ratio of unique structures at equal n from its null
distribution (:mod:`validator.alignment.permutation`). The larger side's count
at the smaller n is its *expected* count over subsamples without replacement,
computed exactly: a structure seen ``c`` times among ``M`` rows is missing
from a subsample of ``n`` with probability ``C(M - c, n) / C(M, n)``, so

    E[unique at n] = sum_j (1 - C(M - c_j, n) / C(M, n)).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse, special

from validator.alignment.binning import counts
from validator.alignment.permutation import permutation_labels


def expected_unique(structure_counts: np.ndarray, n: int) -> np.ndarray:
    """Expected distinct structures in a subsample of ``n`` rows without replacement, per row of counts.

    ``structure_counts`` is (..., J): how often each structure occurs; the
    total ``M`` of each row must be at least ``n``.

    >>> float(expected_unique(np.array([1.0, 1.0]), 1))
    1.0
    >>> float(expected_unique(np.array([2.0, 1.0, 1.0]), 4))
    3.0
    """
    c = np.asarray(structure_counts, dtype=np.float64)
    m = c.sum(axis=-1, keepdims=True)
    # Every argument of the log-gamma function is a whole number from 1 to M + 1, so one table
    # of log(j!) serves the whole (B, J) array: four lookups instead of four gammaln calls each.
    top = int(np.max(m, initial=0.0)) if m.size else 0
    log_factorial = special.gammaln(np.arange(top + 1, dtype=np.float64) + 1)

    def lf(values: np.ndarray) -> np.ndarray:
        return np.asarray(log_factorial[np.clip(values, 0, top).astype(np.int64)])

    with np.errstate(invalid="ignore", divide="ignore"):
        log_absent = lf(m - c) + lf(m - n) - lf(np.maximum(m - c - n, 0)) - lf(m)
        absent = np.where((m - c >= n) & (c > 0), np.exp(log_absent), 0.0)
    present = np.where(c > 0, 1.0 - absent, 0.0)
    return np.asarray(present.sum(axis=-1), dtype=np.float64)


def ratio_at_equal_n(human_counts: np.ndarray, sim_counts: np.ndarray) -> np.ndarray:
    """Simulated over human expected unique structures at the smaller of the two sizes."""
    n = int(min(np.min(human_counts.sum(axis=-1)), np.min(sim_counts.sum(axis=-1))))
    human = expected_unique(human_counts, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(human > 0, expected_unique(sim_counts, n) / np.where(human > 0, human, 1.0), np.nan))


def permutation_ratios(human_codes: np.ndarray, sim_codes: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """The ratio at equal n over ``draws`` random splits of the pooled valid rows into the two sizes."""
    pooled = np.concatenate([human_codes, sim_codes])
    _, codes = np.unique(pooled, return_inverse=True)
    k = int(codes.max()) + 1 if codes.size else 1
    total = counts(codes, k)
    is_human = np.concatenate([np.ones(human_codes.size, dtype=bool), np.zeros(sim_codes.size, dtype=bool)])
    # Each row's structure as a sparse one-hot column: labels @ one_hot counts the structures
    # of every draw at once without a dense (rows x structures) matrix.
    one_hot = sparse.csr_array((np.ones(codes.size), (np.arange(codes.size), codes)), shape=(codes.size, k))
    parts = []
    for labels in permutation_labels(np.zeros(codes.size, dtype=np.int64), is_human, draws, rng):
        human = np.asarray(labels @ one_hot)
        parts.append(ratio_at_equal_n(human, total - human))
    return np.concatenate(parts) if parts else np.empty(0)
