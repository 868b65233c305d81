"""Bias-corrected distances and their intervals.

What a distance estimates: the distance between the two *populations'*
distributions under the spec's binning (for Wasserstein and KS, on the values).
The plug-in distance of two samples overstates it: sampling noise alone makes
two samples of one population differ, so the plug-in is biased upward by about
the noise floor, and a percentile bootstrap interval adds that bias a second
time (it resamples the samples, which already carry it).

The method (chosen by measured coverage; docs/calibration.md):

- Work on the squared scale, ``D^2``. For the Jensen-Shannon distance that is
  the JS divergence, a smooth function of the shares whose bias is close to
  additive (about ``(K - 1)(1/n_a + 1/n_b) / (8 ln 2)`` bits when the
  populations agree), so the bootstrap bias correction of the squared distance
  works where that of the distance itself does not.
- Estimate: ``sqrt(max(0, 2 * D_hat^2 - mean(D*^2)))``, the bootstrap
  bias-corrected squared distance (Efron & Tibshirani 1993, sec. 10.6).
- Interval: the *basic* bootstrap interval on the squared scale, i.e. the
  percentiles of the reflected replicates ``r* = sqrt(max(0, 2 D_hat^2 - D*^2))``
  (Davison & Hinkley 1997, eq. 5.6). When its lower end reaches the boundary 0
  the interval is ``[0, one-sided upper bound]`` (the ``level`` quantile of
  ``r*``): a two-sided interval cannot miss below 0, so its upper end alone
  carries the whole error rate.
- The interval always contains its estimate (both ends are widened to it if
  Monte-Carlo error puts it outside).

A mean of distances (``mean_js``) uses the same reflected replicates, averaged
over the variables replicate by replicate, and the mean of the corrected
estimates. Intervals resting on fewer than ``RELIABLE_MIN_ROWS`` rows on either
side are flagged ``low_coverage``: their coverage was not measured to target.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np

from validator.bootstrap.weights import MIN_VALID_REPLICATES, Interval
from validator.checks.metric import Metric, summarize_floor_samples

#: Name of the interval method, as written in the JSON (``interval_method``).
METHOD = "basic bootstrap on the squared distance, bias-corrected"

#: Below this many rows on either side an interval is flagged ``low_coverage`` (docs/calibration.md).
RELIABLE_MIN_ROWS = 50

Side = Literal["two-sided", "boundary"]


def reflected_replicates(plug_in: float, replicates: np.ndarray) -> np.ndarray:
    """The reflected replicates ``sqrt(max(0, 2 * plug_in^2 - D*^2))``; NaN replicates stay NaN.

    Their percentiles are the basic bootstrap interval of the squared distance,
    taken back to the distance scale.

    >>> reflected_replicates(0.5, np.array([0.5, 0.7, np.nan])).round(4).tolist()
    [0.5, 0.1, nan]
    """
    boot = np.asarray(replicates, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.sqrt(np.clip(2.0 * plug_in * plug_in - boot * boot, 0.0, None))


def corrected_estimate(plug_in: float, replicates: np.ndarray) -> float:
    """``sqrt(max(0, 2 * plug_in^2 - mean(D*^2)))`` over the finite replicates; the plug-in without any.

    >>> corrected_estimate(0.3, np.array([0.3, 0.4]))
    0.1870828693386971
    """
    boot = np.asarray(replicates, dtype=np.float64)
    finite = boot[np.isfinite(boot)]
    if finite.size < MIN_VALID_REPLICATES:
        return float(plug_in)
    return math.sqrt(max(0.0, 2.0 * plug_in * plug_in - float(np.mean(finite * finite))))


def boundary_interval(estimate: float, reflected: np.ndarray, level: float) -> tuple[Interval, Side]:
    """Percentile interval of reflected replicates, one-sided at the 0 boundary, widened to hold ``estimate``.

    ``[q((1-level)/2), q((1+level)/2)]`` of the finite replicates; when the
    lower quantile is 0 (the boundary), ``[0, q(level)]``. Fewer than
    ``MIN_VALID_REPLICATES`` finite replicates give no bounds.

    >>> boundary_interval(0.0, np.zeros(100), 0.95)[1]
    'boundary'
    """
    values = np.asarray(reflected, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if finite.size < MIN_VALID_REPLICATES:
        return Interval(None, None, level, int(finite.size), int(values.size)), "two-sided"
    low, high = np.percentile(finite, [100 * (1 - level) / 2, 100 * (1 + level) / 2])
    side: Side = "two-sided"
    if low <= 0.0:
        low, high, side = 0.0, float(np.percentile(finite, 100 * level)), "boundary"
    low, high = min(float(low), estimate), max(float(high), estimate)
    return Interval(low, high, level, int(finite.size), int(values.size)), side


def mean_of_corrected(plug_ins: Sequence[float], replicates: Sequence[np.ndarray]) -> tuple[float, np.ndarray]:
    """The mean of the corrected estimates and the per-replicate mean of the reflected replicates.

    Every variable needs its replicates aligned (replicate ``b`` of each comes from
    the same resampled rows), so the mean keeps their correlation.
    """
    estimate = float(np.mean([corrected_estimate(p, r) for p, r in zip(plug_ins, replicates)]))
    reflected = np.mean([reflected_replicates(p, r) for p, r in zip(plug_ins, replicates)], axis=0)
    return estimate, np.asarray(reflected, dtype=np.float64)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def distance_metric(
    plug_in: float | None,
    replicates: np.ndarray | None,
    level: float,
    floor_samples: np.ndarray | None,
    min_rows: int,
) -> Metric:
    """A distance: bias-corrected estimate, boundary-aware basic interval, noise floor.

    ``min_rows`` is the smaller side's row count; below ``RELIABLE_MIN_ROWS``
    the interval is flagged ``low_coverage``. Without replicates the estimate
    is the plug-in and there is no interval.
    """
    floor = summarize_floor_samples(floor_samples)
    plug = _finite(plug_in)
    if plug is None:
        return Metric(None, None, floor)
    if replicates is None:
        return Metric(plug, None, floor, plug_in=plug)
    estimate = corrected_estimate(plug, replicates)
    interval, _ = boundary_interval(estimate, reflected_replicates(plug, replicates), level)
    return Metric(estimate, interval, floor, plug_in=plug, interval_method=METHOD, low_coverage=min_rows < RELIABLE_MIN_ROWS)


def mean_distance_metric(
    plug_ins: Sequence[float | None],
    replicates: Sequence[np.ndarray] | None,
    level: float,
    floor_samples: np.ndarray | None,
    min_rows: int,
) -> Metric:
    """The mean of several distances (e.g. ``mean_js``), as :func:`distance_metric`; None if any is missing."""
    floor = summarize_floor_samples(floor_samples)
    plugs = [_finite(p) for p in plug_ins]
    if not plugs or any(p is None for p in plugs):
        return Metric(None, None, floor)
    values = [float(p) for p in plugs if p is not None]
    plug = float(np.mean(values))
    if replicates is None or len(replicates) != len(values):
        return Metric(plug, None, floor, plug_in=plug)
    estimate, reflected = mean_of_corrected(values, replicates)
    interval, _ = boundary_interval(estimate, reflected, level)
    return Metric(estimate, interval, floor, plug_in=plug, interval_method=METHOD, low_coverage=min_rows < RELIABLE_MIN_ROWS)
