"""Bias-corrected distances and their intervals.

What a distance estimates: the distance between the two *populations'*
distributions under the spec's binning (for Wasserstein and KS, on the values).
The plug-in distance of two samples overstates it: sampling noise alone makes
two samples of one population differ, so the plug-in is biased upward by about
the noise floor, and a percentile bootstrap interval adds that bias a second
time (it resamples the samples, which already carry it).

The methods, chosen by measured coverage (docs/calibration.md):

- ``squared`` (JS, TVD and mean JS): work on the squared scale. For the
  Jensen-Shannon distance that is the JS divergence, a smooth function of the
  shares whose bias is close to additive (about
  ``(K - 1)(1/n_a + 1/n_b) / (8 ln 2)`` bits when the populations agree), so a
  bootstrap bias correction works there where it fails on the distance.
  Estimate ``sqrt(max(0, 2 D^2 - mean(D*^2)))`` (the bootstrap bias correction,
  Efron & Tibshirani 1993, sec. 10.6); interval: the basic bootstrap interval of
  ``D^2`` (Davison & Hinkley 1997, eq. 5.6) taken back by the square root, i.e.
  the percentiles of the reflected replicates ``sqrt(max(0, 2 D^2 - D*^2))``.
- ``shifted`` (Wasserstein, KS): estimate ``2 D - mean(D*)``, interval the
  percentile interval moved down by twice the bootstrap bias,
  ``[q_lo - 2b, q_hi - 2b]`` with ``b = mean(D*) - D``, clipped at 0; it
  covered these better than the squared scale did.

An interval always contains its estimate (widened to it if Monte-Carlo error
puts it outside). A mean of distances (``mean_js``) averages the reflected
replicates variable by variable, replicate by replicate, so it keeps their
correlation, and its estimate is the mean of the corrected estimates.
Intervals resting on fewer rows (on the smaller side) than ``RELIABLE_MIN_ROWS``
of their method are flagged ``low_coverage``: their coverage was below target or
not measured.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np

from validator.bootstrap.weights import MIN_VALID_REPLICATES, Interval
from validator.checks.metric import Metric, summarize_floor_samples

Method = Literal["squared", "shifted"]

#: How each method is named in the JSON (``interval_method``).
METHOD_NAMES: dict[str, str] = {
    "squared": "basic bootstrap of the squared distance, bias-corrected",
    "shifted": "percentile bootstrap shifted by twice the bias, bias-corrected",
}

#: Below this many rows on the smaller side an interval is flagged ``low_coverage`` (docs/calibration.md).
RELIABLE_MIN_ROWS: dict[str, int] = {"squared": 50, "shifted": 100}


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

    >>> round(corrected_estimate(0.3, np.array([0.3, 0.4] * 10)), 4)
    0.2345
    """
    boot = np.asarray(replicates, dtype=np.float64)
    finite = boot[np.isfinite(boot)]
    if finite.size < MIN_VALID_REPLICATES:
        return float(plug_in)
    return math.sqrt(max(0.0, 2.0 * plug_in * plug_in - float(np.mean(finite * finite))))


def contained_interval(estimate: float, low: float, high: float, level: float, valid: int, replicates: int) -> Interval:
    """An interval widened, if need be, to contain its estimate."""
    return Interval(min(float(low), estimate), max(float(high), estimate), level, valid, replicates)


def percentile_bounds(values: np.ndarray, level: float) -> tuple[float, float, int] | None:
    """The (1-level)/2 and (1+level)/2 percentiles of the finite values and their count; None if too few."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size < MIN_VALID_REPLICATES:
        return None
    low, high = np.percentile(finite, [100 * (1 - level) / 2, 100 * (1 + level) / 2])
    return float(low), float(high), int(finite.size)


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
    method: Method = "squared",
) -> Metric:
    """A distance: bias-corrected estimate, interval by ``method``, noise floor.

    ``min_rows`` is the smaller side's row count, for the ``low_coverage`` flag.
    Without replicates the estimate is the plug-in and there is no interval.
    """
    floor = summarize_floor_samples(floor_samples)
    plug = _finite(plug_in)
    if plug is None:
        return Metric(None, None, floor)
    if replicates is None:
        return Metric(plug, None, floor, plug_in=plug)
    boot = np.asarray(replicates, dtype=np.float64)
    if method == "squared":
        estimate = corrected_estimate(plug, boot)
        bounds = percentile_bounds(reflected_replicates(plug, boot), level)
    else:
        finite = boot[np.isfinite(boot)]
        bias = float(finite.mean()) - plug if finite.size >= MIN_VALID_REPLICATES else 0.0
        estimate = max(0.0, plug - bias)
        bounds = percentile_bounds(boot - 2.0 * bias, level)
    flag = min_rows < RELIABLE_MIN_ROWS[method]
    if bounds is None:
        return Metric(estimate, Interval(None, None, level, 0, int(boot.size)), floor, plug_in=plug, interval_method=METHOD_NAMES[method], low_coverage=flag)
    low, high, valid = bounds
    interval = contained_interval(estimate, max(0.0, low), max(0.0, high), level, valid, int(boot.size))
    return Metric(estimate, interval, floor, plug_in=plug, interval_method=METHOD_NAMES[method], low_coverage=flag)


def mean_distance_metric(
    plug_ins: Sequence[float | None],
    replicates: Sequence[np.ndarray] | None,
    level: float,
    floor_samples: np.ndarray | None,
    min_rows: int,
) -> Metric:
    """The mean of several distances (e.g. ``mean_js``) by the ``squared`` method; None if any is missing."""
    floor = summarize_floor_samples(floor_samples)
    plugs = [_finite(p) for p in plug_ins]
    if not plugs or any(p is None for p in plugs):
        return Metric(None, None, floor)
    values = [float(p) for p in plugs if p is not None]
    plug = float(np.mean(values))
    if replicates is None or len(replicates) != len(values):
        return Metric(plug, None, floor, plug_in=plug)
    estimate, reflected = mean_of_corrected(values, replicates)
    bounds = percentile_bounds(reflected, level)
    flag = min_rows < RELIABLE_MIN_ROWS["squared"]
    if bounds is None:
        return Metric(estimate, Interval(None, None, level, 0, len(reflected)), floor, plug_in=plug, interval_method=METHOD_NAMES["squared"], low_coverage=flag)
    low, high, valid = bounds
    interval = contained_interval(estimate, low, high, level, valid, int(reflected.size))
    return Metric(estimate, interval, floor, plug_in=plug, interval_method=METHOD_NAMES["squared"], low_coverage=flag)
