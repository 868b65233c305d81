"""The human noise floor: the distance two human samples show by chance alone.

A distance between the human and the simulated distribution is never 0 even
for a perfect simulator, because both are finite samples. The noise floor is
the distance between two independent samples of the *human* population at the
sizes of the comparison: draw ``n_a`` and ``n_b`` rows with replacement from
the human data and measure their distance, many times. For a marginal
distribution over K categories that is the same as drawing two multinomial
count vectors with the human shares ``p_h``, which is what this module does
(no rows needed, all draws in one call).

A simulated distance at or below the floor's 95th percentile is within what
sampling noise alone would produce (:func:`within_floor`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from validator.errors import UsageError


@dataclass(frozen=True)
class NoiseFloor:
    """Summary of the noise-floor distances: their median and 95th percentile.

    ``draws`` is the number of (non-NaN) distances the summary rests on.
    """

    median: float
    p95: float
    draws: int


def _human_draws(
    human_counts: npt.ArrayLike, n_a: int, n_b: int, draws: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray] | None:
    """Two (draws, K) multinomial count arrays with the human shares; None if no humans."""
    counts = np.asarray(human_counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0:
        raise UsageError(
            f"The human counts must be a non-empty 1-D vector; got shape {counts.shape}."
        )
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise UsageError("The human counts must be finite and not negative.")
    for name, value in (("n_a", n_a), ("n_b", n_b), ("draws", draws)):
        if int(value) != value or value < 0:
            raise UsageError(f"{name} must be a non-negative integer; got {value}.")
    total = counts.sum()
    if total <= 0:
        return None
    shares = counts / total
    sample_a = rng.multinomial(int(n_a), shares, size=int(draws))
    sample_b = rng.multinomial(int(n_b), shares, size=int(draws))
    return sample_a, sample_b


def noise_floor_counts(
    human_counts: npt.ArrayLike,
    n_a: int,
    n_b: int,
    *,
    draws: int,
    rng: np.random.Generator,
    metric: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """Distances between two independent human samples of sizes ``n_a`` and ``n_b``.

    With ``p_h = human_counts / sum(human_counts)``, each of the ``draws``
    samples is ``metric(A, B)`` for ``A ~ Multinomial(n_a, p_h)`` and
    ``B ~ Multinomial(n_b, p_h)``: resampling human rows with replacement, as
    seen by a marginal distribution. ``metric`` takes two (draws, K) count
    arrays, e.g. :func:`validator.alignment.distances.js_distance`. Returns
    shape (draws,); all NaN when the human counts are all 0.

    >>> rng = np.random.default_rng(0)
    >>> from validator.alignment.distances import js_distance
    >>> noise_floor_counts([5, 5], 10, 10, draws=3, rng=rng, metric=js_distance).shape
    (3,)
    """
    sampled = _human_draws(human_counts, n_a, n_b, draws, rng)
    if sampled is None:
        return np.full(int(draws), np.nan)
    return np.asarray(metric(*sampled), dtype=np.float64).reshape(int(draws))


def noise_floor_support(
    support: npt.ArrayLike,
    human_counts: npt.ArrayLike,
    n_a: int,
    n_b: int,
    *,
    draws: int,
    rng: np.random.Generator,
    metric: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """:func:`noise_floor_counts` for a metric on an ordered support.

    ``metric(support, A, B)``, e.g.
    :func:`validator.alignment.distances.wasserstein_from_counts`.
    """
    sampled = _human_draws(human_counts, n_a, n_b, draws, rng)
    if sampled is None:
        return np.full(int(draws), np.nan)
    values = metric(np.asarray(support, dtype=np.float64), *sampled)
    return np.asarray(values, dtype=np.float64).reshape(int(draws))


def summarize_floor(samples: npt.ArrayLike) -> NoiseFloor:
    """Median and 95th percentile (linear interpolation) of the samples.

    NaN samples are left out; with none left both are NaN.

    >>> summarize_floor(np.array([0.0, 1.0, 2.0, np.nan]))
    NoiseFloor(median=1.0, p95=1.9, draws=3)
    """
    values = np.asarray(samples, dtype=np.float64).ravel()
    values = values[~np.isnan(values)]
    if values.size == 0:
        return NoiseFloor(median=math.nan, p95=math.nan, draws=0)
    return NoiseFloor(
        median=float(np.median(values)),
        p95=float(np.percentile(values, 95, method="linear")),
        draws=int(values.size),
    )


def within_floor(value: float, floor: NoiseFloor) -> bool:
    """Whether a distance is at most the floor's 95th percentile (False for NaN).

    >>> within_floor(0.05, NoiseFloor(median=0.03, p95=0.06, draws=1000))
    True
    """
    return bool(value <= floor.p95)
