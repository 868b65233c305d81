"""Distances between the human and the simulated distribution of a variable.

Every distance takes two count vectors over the same K categories (bins or
categories, see :mod:`validator.alignment.binning`), normalises them to
probabilities itself and works on any leading dimensions: counts of shape
(..., K) give distances of shape (...), so B bootstrap replicates given as
(B, K) arrays are handled in one call; the two arguments broadcast against each
other. A 1-D input gives a float. A distance is NaN when either total is 0.

The headline measure (docs/metrics.md, "Distributional alignment") is the
Jensen-Shannon distance with base-2 logarithms, in [0, 1]. The others
(total variation, Wasserstein-1, Kolmogorov-Smirnov on the binned support,
the dispersion ratio) and the two point-estimate tests are secondary views.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from validator.errors import UsageError

Distance = float | np.ndarray
"""A float for 1-D count vectors, an array of shape (...) for (..., K) ones."""


def _as_counts(counts: npt.ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(counts, dtype=np.float64)
    if array.ndim == 0:
        raise UsageError(f"{name} must be a count vector; got a scalar.")
    if np.any(array < 0):
        raise UsageError(f"{name} must not contain negative counts.")
    return array


def _probabilities(counts: npt.ArrayLike, name: str) -> np.ndarray:
    """Counts divided by their total along the last axis; all NaN where the total is 0."""
    array = _as_counts(counts, name)
    total = array.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, array / np.where(total > 0, total, 1.0), np.nan)


def _pair(p_counts: npt.ArrayLike, q_counts: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    p = _probabilities(p_counts, "p_counts")
    q = _probabilities(q_counts, "q_counts")
    if p.shape[-1] != q.shape[-1]:
        raise UsageError(
            "Both count vectors need the same number of categories; "
            f"got {p.shape[-1]} and {q.shape[-1]}."
        )
    return p, q


def _result(values: np.ndarray) -> Distance:
    """A 0-d result as a float, anything else as an array."""
    return float(values) if np.ndim(values) == 0 else values


def js_distance(p_counts: npt.ArrayLike, q_counts: npt.ArrayLike) -> Distance:
    """Jensen-Shannon distance with base-2 logarithms, in [0, 1].

    With ``p``, ``q`` the normalised counts and ``m = (p + q) / 2``::

        JSD = (KL(p || m) + KL(q || m)) / 2      (log base 2)
        distance = sqrt(JSD)

    with ``0 * log 0 = 0``; the same value as
    ``scipy.spatial.distance.jensenshannon(p, q, base=2)``. Identical
    distributions give exactly 0, disjoint supports 1 (Lin, 1991; Endres &
    Schindelin, 2003).

    >>> js_distance([1, 0], [0, 1])
    1.0
    >>> js_distance([1, 2], [2, 4])
    0.0
    """
    p, q = _pair(p_counts, q_counts)
    m = (p + q) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        divergence = (special.rel_entr(p, m).sum(axis=-1) + special.rel_entr(q, m).sum(axis=-1)) / (
            2.0 * math.log(2.0)
        )
    # Rounding can push the divergence a hair outside [0, 1]; it cannot really leave it.
    return _result(np.sqrt(np.clip(divergence, 0.0, 1.0)))


def tv_distance(p_counts: npt.ArrayLike, q_counts: npt.ArrayLike) -> Distance:
    """Total variation distance ``0.5 * sum_k |p_k - q_k|``, in [0, 1].

    >>> tv_distance([1, 1], [1, 0])
    0.5
    """
    p, q = _pair(p_counts, q_counts)
    return _result(0.5 * np.abs(p - q).sum(axis=-1))


def _cdf_gap(p_counts: npt.ArrayLike, q_counts: npt.ArrayLike) -> np.ndarray:
    """``|CDF_p - CDF_q|`` at each category, the categories taken in order."""
    p, q = _pair(p_counts, q_counts)
    gap: np.ndarray = np.abs(np.cumsum(p, axis=-1) - np.cumsum(q, axis=-1))
    return gap


def wasserstein_from_counts(
    support: npt.ArrayLike, p_counts: npt.ArrayLike, q_counts: npt.ArrayLike
) -> Distance:
    """Wasserstein-1 (earth mover's) distance of two weighted distributions on one support.

    With the support ``x_1 < ... < x_K`` and cumulative distributions ``P``,
    ``Q``::

        W1 = sum_{i<K} |P(x_i) - Q(x_i)| * (x_{i+1} - x_i)

    the same value as ``scipy.stats.wasserstein_distance(support, support, p, q)``,
    in the units of the support (e.g. bin midpoints).

    >>> wasserstein_from_counts(np.array([0.0, 10.0]), [1, 0], [0, 1])
    10.0
    """
    x = np.asarray(support, dtype=np.float64)
    if x.ndim != 1 or not np.all(np.isfinite(x)) or np.any(np.diff(x) <= 0):
        raise UsageError("The support must be a 1-D array of finite, strictly increasing values.")
    gap = _cdf_gap(p_counts, q_counts)
    if gap.shape[-1] != x.shape[0]:
        raise UsageError(
            f"The support has {x.shape[0]} values but the counts have {gap.shape[-1]} categories."
        )
    return _result((gap[..., :-1] * np.diff(x)).sum(axis=-1))


def ks_from_counts(p_counts: npt.ArrayLike, q_counts: npt.ArrayLike) -> Distance:
    """Kolmogorov-Smirnov statistic ``max_k |P(x_k) - Q(x_k)|`` on a common ordered support.

    The categories must be in the order of the support (e.g. bins left to
    right); equals the ``ks_2samp`` statistic of the two samples the counts
    describe.

    >>> ks_from_counts([1, 1], [0, 1])
    0.5
    """
    return _result(_cdf_gap(p_counts, q_counts).max(axis=-1))


def _weighted_sd(values: npt.ArrayLike, weights: npt.ArrayLike | None) -> np.ndarray:
    """SD (ddof=1) of the sample in which row i occurs ``weights[..., i]`` times.

    NaN when the sample has fewer than 2 members. Missing values are dropped.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1:
        raise UsageError(f"Values must be one-dimensional; got shape {x.shape}.")
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape[-1:] != x.shape:
        raise UsageError(
            f"Weights must end in the number of values ({x.shape[0]}); got shape {w.shape}."
        )
    if np.any(w < 0):
        raise UsageError("Weights must not be negative.")
    present = np.isfinite(x)
    if not present.all():  # subsetting copies the (B, n) weights, so only when needed
        x = x[present]
        w = w[..., present]
    # Shifting by the plain mean keeps the one-pass moments free of cancellation
    # and lets the (B, n) @ (n,) products run through BLAS.
    shifted = x - (x.mean() if x.size else 0.0)
    total = w.sum(axis=-1)
    first = w @ shifted
    second = w @ (shifted * shifted)
    with np.errstate(invalid="ignore", divide="ignore"):
        sum_sq = second - first * first / total
        # What is left of a constant sample after cancellation is rounding, not spread.
        sum_sq = np.where(sum_sq <= 64 * np.finfo(np.float64).eps * second, 0.0, sum_sq)
        variance = np.where(total >= 2, sum_sq / (total - 1.0), np.nan)
    return np.sqrt(variance)


def dispersion_ratio(
    sim_values: npt.ArrayLike,
    sim_weights: npt.ArrayLike | None,
    human_values: npt.ArrayLike,
    human_weights: npt.ArrayLike | None,
) -> Distance:
    """Ratio of standard deviations ``SD(simulated) / SD(human)``; 1 means equal spread.

    Each SD is the sample SD (ddof=1) of the frequency-weighted sample, in
    which value ``i`` occurs ``w_i`` times (``n = sum w``)::

        mean = sum w x / n,   SD = sqrt(sum w (x - mean)^2 / (n - 1))

    Weights of shape (..., n) give ratios of shape (...), e.g. one per
    bootstrap replicate; None weighs every value once. Missing values are
    dropped. NaN when the human SD is 0 or either sample has n < 2.

    >>> dispersion_ratio(np.array([0.0, 2.0]), None, np.array([0.0, 1.0]), None)
    2.0
    """
    sim_sd = _weighted_sd(sim_values, sim_weights)
    human_sd = _weighted_sd(human_values, human_weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(human_sd > 0, sim_sd / np.where(human_sd > 0, human_sd, 1.0), np.nan)
    return _result(ratio)


def chi_square_test(
    human_counts: npt.ArrayLike, sim_counts: npt.ArrayLike
) -> tuple[float, float, int]:
    """Pearson chi-square test of homogeneity on the 2 x K table (human, simulated).

    Categories empty in both samples are dropped; no continuity correction.
    Returns ``(statistic, p_value, dof)`` from
    ``scipy.stats.chi2_contingency(table, correction=False)``, with
    ``dof = K' - 1`` for the K' categories kept. NaN statistic and p-value
    when fewer than 2 categories are non-empty or either sample is empty.
    A point estimate: no bootstrap.

    >>> chi_square_test(np.array([10, 10]), np.array([10, 10]))
    (0.0, 1.0, 1)
    """
    human = _as_counts(human_counts, "human_counts")
    sim = _as_counts(sim_counts, "sim_counts")
    if human.ndim != 1 or human.shape != sim.shape:
        raise UsageError(
            "The test needs two 1-D count vectors of one length; "
            f"got {human.shape} and {sim.shape}."
        )
    table = np.vstack([human, sim])
    table = table[:, table.sum(axis=0) > 0]
    kept = table.shape[1]
    if kept < 2 or np.any(table.sum(axis=1) == 0):
        return math.nan, math.nan, max(kept - 1, 0)
    result = stats.chi2_contingency(table, correction=False)
    return float(result.statistic), float(result.pvalue), int(result.dof)


def ks_test(human_values: npt.ArrayLike, sim_values: npt.ArrayLike) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov test on the raw values: ``(statistic, p_value)``.

    ``scipy.stats.ks_2samp`` (two-sided, exact p-value for small samples);
    missing values are dropped. NaN when either sample is empty. A point
    estimate: no bootstrap.

    >>> ks_test(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))
    (0.0, 1.0)
    """
    human = np.asarray(human_values, dtype=np.float64).ravel()
    sim = np.asarray(sim_values, dtype=np.float64).ravel()
    human, sim = human[np.isfinite(human)], sim[np.isfinite(sim)]
    if human.size == 0 or sim.size == 0:
        return math.nan, math.nan
    result = stats.ks_2samp(human, sim)
    return float(result.statistic), float(result.pvalue)


def replicate_distances(
    bins_a: np.ndarray,
    bins_b: np.ndarray,
    support: np.ndarray | None = None,
    support_a: np.ndarray | None = None,
    support_b: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The distances of B pairs of count vectors at once: ``js``, ``tvd`` and, given a support, ``wasserstein`` and ``ks``.

    ``bins_*`` are (B, K) counts over the bins, ``support_*`` (B, U) counts over
    the numeric support ``support`` (U strictly increasing values). The values
    are those of :func:`js_distance`, :func:`tv_distance`,
    :func:`wasserstein_from_counts` and :func:`ks_from_counts`, bit for bit: the
    same operations in the same order, but each pair normalised once and one
    cumulative sum shared by Wasserstein and KS, without re-validating counts
    the caller built (a bootstrap asks for hundreds of these per variable).
    """

    def shares(counts: np.ndarray) -> np.ndarray:
        array = np.ascontiguousarray(counts, dtype=np.float64)
        total = array.sum(axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, array / np.where(total > 0, total, 1.0), np.nan)

    p, q = shares(bins_a), shares(bins_b)
    m = (p + q) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        divergence = (special.rel_entr(p, m).sum(axis=-1) + special.rel_entr(q, m).sum(axis=-1)) / (2.0 * math.log(2.0))
    out = {"js": np.sqrt(np.clip(divergence, 0.0, 1.0)), "tvd": 0.5 * np.abs(p - q).sum(axis=-1)}
    if support is not None and support_a is not None and support_b is not None:
        gap = np.abs(np.cumsum(shares(support_a), axis=-1) - np.cumsum(shares(support_b), axis=-1))
        out["wasserstein"] = (gap[..., :-1] * np.diff(np.asarray(support, dtype=np.float64))).sum(axis=-1)
        out["ks"] = gap.max(axis=-1)
    return out
