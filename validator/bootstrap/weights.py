"""Bootstrap replicates as frequency weights, and percentile intervals.

A replicate of an n-row dataset is a vector of non-negative integer weights
summing to n: the number of times each row was drawn with replacement. Every
statistic in simval is a function of such weights, so B replicates are a
(B, n) matrix and each check computes its statistic for all of them at once.

When rows are not independent (a cluster-robust model, or long-format data with
several rows per participant) the resampled unit is the cluster:
:func:`cluster_weights` draws whole clusters with replacement and gives every row
its cluster's count. Rows drawn independently when they are not would make the
intervals too narrow. With few clusters the cluster bootstrap (like the
cluster-robust test itself) is unreliable; :data:`MIN_CLUSTERS` is the number
below which simval says so.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Replicates per chunk are chosen so one chunk holds about this many cells.
CHUNK_CELLS = 4_000_000


def chunk_size(n: int, total: int) -> int:
    """Replicates per chunk for ``n`` rows (at least 1, at most ``total``)."""
    return max(1, min(total, CHUNK_CELLS // max(n, 1)))


def bootstrap_weights(n: int, replicates: int, rng: np.random.Generator, *, step: int | None = None) -> Iterator[np.ndarray]:
    """Chunks of bootstrap frequency weights, each of shape (b, n), b rows per chunk.

    Definition: each replicate draws n row indices uniformly with replacement;
    a row's weight is the number of times it was drawn. ``step`` fixes the
    replicates per chunk (two samples resampled side by side need the same chunks).
    """
    return resample_weights(n, n, replicates, rng, step=step)


def resample_weights(n_rows: int, size: int, draws: int, rng: np.random.Generator, *, step: int | None = None) -> Iterator[np.ndarray]:
    """Chunks of weights for samples of ``size`` rows drawn with replacement from ``n_rows`` rows."""
    step = step or chunk_size(max(n_rows, size), draws)
    done = 0
    while done < draws:
        b = min(step, draws - done)
        drawn = rng.integers(0, n_rows, size=(b, size))
        drawn += np.arange(b)[:, None] * n_rows
        yield np.bincount(drawn.ravel(), minlength=b * n_rows).reshape(b, n_rows).astype(np.float64)
        done += b


# The key threshold lets through size + 8 sd + 16 keys on average (the count is
# binomial, sd <= sqrt(size + ...)): a replicate falls short with probability below 1e-15.
_KEYS_SD = 8.0
_KEYS_SLACK = 16.0


def subsample_step(n_rows: int, size: int, draws: int) -> int:
    """Replicates per chunk of :func:`subsample_indices` (and :func:`subsample_weights`)."""
    # Small chunks keep the rows drawn by any replicate of a chunk few, so callers can
    # drop the rows no replicate uses (a 929-row subsample of 100,000 rows). When even
    # two replicates would draw more than about a quarter of the rows, dropping cannot
    # pay and a chunk per replicate only multiplies the per-chunk work (600 of 929 rows:
    # 200 refits one at a time took 2.9 s, in one chunk a tenth of that).
    sparse_step = n_rows // (8 * max(size, 1))
    if sparse_step < 2:
        return chunk_size(n_rows, draws)
    return min(chunk_size(n_rows, draws), sparse_step)


def subsample_indices(n_rows: int, size: int, draws: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Chunks of the ``size`` row indices (ascending) each replicate selects of ``n_rows`` without replacement.

    Definition: replicate ``r`` gives every row a uniform key (``rng.random``, row
    after row of a ``(b, n_rows)`` draw) and selects the ``size`` rows with the
    smallest keys. Chunks hold :func:`subsample_step` replicates.

    Only keys below a threshold that about ``size + 8 sqrt(size)`` keys pass are
    ranked (``np.argpartition`` over all ``n_rows`` keys was most of the cost of an
    equal-n comparison of a 1,000,000-row file); a replicate with fewer keys below
    it is ranked in full. Either way the rows are those of the smallest keys.
    """
    if size > n_rows:
        raise ValueError(f"cannot subsample {size} rows from {n_rows}")
    step = subsample_step(n_rows, size, draws)
    threshold = (size + _KEYS_SD * np.sqrt(size) + _KEYS_SLACK) / max(n_rows, 1)
    done = 0
    while done < draws:
        b = min(step, draws - done)
        keys = uniform_keys(rng, b, n_rows)
        if size >= n_rows:
            chosen = np.tile(np.arange(n_rows), (b, 1))
        elif threshold >= 0.25:
            chosen = np.sort(np.argpartition(keys, size - 1, axis=1)[:, :size], axis=1)
        else:
            chosen = np.empty((b, size), dtype=np.int64)
            for r in range(b):
                candidates = np.flatnonzero(keys[r] < threshold)
                if candidates.size < size:
                    candidates = np.arange(n_rows)
                if candidates.size > size:
                    candidates = candidates[np.argpartition(keys[r, candidates], size - 1)[:size]]
                chosen[r] = np.sort(candidates)
        yield chosen
        done += b


#: From this many keys per chunk :func:`uniform_keys` fills the chunk in two threads.
PARALLEL_KEYS = 1_000_000


def uniform_keys(rng: np.random.Generator, b: int, n: int) -> np.ndarray:
    """``rng.random((b, n))``, the same numbers, filled by two threads when the chunk is large.

    An equal-n comparison of a 1,000,000-row file draws 200 million keys for each row
    count, the largest sequential step of a check at ``--bootstrap 0``. A PCG64 stream
    can be advanced: a copy of the generator moved ``(b // 2) * n`` draws ahead fills
    the second half of the rows (numpy releases the GIL while it fills) while ``rng``
    fills the first; ``rng`` then moves past the second half, to the state the single
    call leaves (its buffered 32-bit value, which ``random`` never uses, kept).
    """
    bit = rng.bit_generator
    if b < 2 or b * n < PARALLEL_KEYS or type(bit) is not np.random.PCG64:
        return rng.random((b, n))
    out = np.empty((b, n))
    half = b // 2
    state = bit.state
    ahead = np.random.PCG64()
    ahead.state = state
    ahead.advance(half * n)
    worker = threading.Thread(target=np.random.Generator(ahead).random, kwargs={"out": out[half:]}, name="simval-keys")
    worker.start()
    try:
        rng.random(out=out[:half])
    finally:
        worker.join()
    bit.advance((b - half) * n)  # resets the buffered 32-bit value: restore it
    moved = bit.state
    moved["has_uint32"], moved["uinteger"] = state["has_uint32"], state["uinteger"]
    bit.state = moved
    return out


@dataclass(frozen=True)
class SparseWeights:
    """A chunk of replicate weights that are zero outside a few rows.

    ``weights[:, j]`` are the weights of row ``rows[j]`` (ascending, each row used by
    some replicate) of ``n_columns`` rows; every other row has weight 0 in every
    replicate. A subsample of 929 of 1,000,000 rows is then 929 columns per replicate
    instead of a million.
    """

    rows: np.ndarray
    weights: np.ndarray
    n_columns: int

    def dense(self) -> np.ndarray:
        """The ``(b, n_columns)`` weights."""
        out = np.zeros((self.weights.shape[0], self.n_columns))
        out[:, self.rows] = self.weights
        return out

    @classmethod
    def selecting(cls, chosen: np.ndarray, rows: np.ndarray, n_columns: int) -> SparseWeights:
        """0/1 weights: replicate ``r`` selects the rows ``rows[chosen[r]]`` of ``n_columns``."""
        selected = rows[chosen]
        used = np.unique(selected)
        weights = np.zeros((chosen.shape[0], used.size))
        np.put_along_axis(weights, np.searchsorted(used, selected), 1.0, axis=1)
        return cls(used, weights, n_columns)


def subsample_weights(n_rows: int, size: int, draws: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Chunks of 0/1 weights selecting ``size`` of ``n_rows`` rows without replacement (:func:`subsample_indices`)."""
    for chosen in subsample_indices(n_rows, size, draws, rng):
        weights = np.zeros((chosen.shape[0], n_rows))
        np.put_along_axis(weights, chosen, 1.0, axis=1)
        yield weights


#: Fewer clusters than this get a warning: cluster-robust standard errors and the
#: cluster bootstrap are both justified by many clusters, and their tests over-reject
#: markedly below about 20 (Cameron and Miller, 2015, "A practitioner's guide to
#: cluster-robust inference", Journal of Human Resources 50(2), section VI).
MIN_CLUSTERS = 20


def cluster_codes(values: pd.Series) -> np.ndarray:
    """Integer cluster codes ``0..G-1`` per row (-1 for a missing value) in order of appearance."""
    return np.asarray(pd.factorize(values, use_na_sentinel=True)[0], dtype=np.int64)


def cluster_weights(codes: np.ndarray, size: int, draws: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Chunks of row weights for samples of ``size`` whole clusters drawn with replacement.

    ``codes`` gives each row's cluster (``0..G-1``; -1 rows belong to none and get
    weight 0). A replicate draws ``size`` of the G clusters uniformly with
    replacement; each row's weight is the number of times its cluster was drawn,
    so a cluster drawn twice enters twice, all its rows together.
    """
    codes = np.asarray(codes, dtype=np.int64)
    n_clusters = int(codes.max()) + 1 if codes.size else 0
    if n_clusters == 0:
        raise ValueError("cannot resample clusters: no row belongs to a cluster")
    member = codes >= 0
    step = chunk_size(max(len(codes), size), draws)
    done = 0
    while done < draws:
        b = min(step, draws - done)
        drawn = rng.integers(0, n_clusters, size=(b, size)) + np.arange(b)[:, None] * n_clusters
        counts = np.bincount(drawn.ravel(), minlength=b * n_clusters).reshape(b, n_clusters).astype(np.float64)
        weights = np.zeros((b, len(codes)))
        weights[:, member] = counts[:, codes[member]]
        yield weights
        done += b


@dataclass(frozen=True)
class Interval:
    """A percentile interval from ``valid`` of ``replicates`` resamples (None bounds when too few)."""

    low: float | None
    high: float | None
    level: float
    valid: int
    replicates: int

    def to_dict(self) -> dict[str, object]:
        return {"low": self.low, "high": self.high, "level": self.level, "valid": self.valid, "replicates": self.replicates}

    def contains(self, value: float | None) -> bool | None:
        if value is None or self.low is None or self.high is None:
            return None
        return self.low <= value <= self.high


#: Fewer valid replicates than this give no interval: the percentiles would be noise.
MIN_VALID_REPLICATES = 20


def percentile_interval(samples: np.ndarray, level: float) -> Interval:
    """Percentile bootstrap interval: the (1-level)/2 and (1+level)/2 quantiles of the finite samples."""
    samples = np.asarray(samples, dtype=float)
    finite = samples[np.isfinite(samples)]
    if finite.size < MIN_VALID_REPLICATES:
        return Interval(None, None, level, int(finite.size), int(samples.size))
    # Counts (sign flips, TP, ...) keep whole-number bounds; continuous statistics interpolate.
    method = "nearest" if np.all(finite == np.round(finite)) else "linear"
    low, high = np.percentile(finite, [100 * (1 - level) / 2, 100 * (1 + level) / 2], method=method)  # type: ignore[call-overload]
    return Interval(float(low), float(high), level, int(finite.size), int(samples.size))
