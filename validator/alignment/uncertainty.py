"""Bias-corrected distances and their intervals.

What a distance estimates: the distance between the two *populations'*
distributions under the spec's binning (for Wasserstein and KS, on the values).
The plug-in distance of two samples overstates it: sampling noise alone makes
two samples of one population differ, so the plug-in is biased upward by about
the noise floor, and a percentile bootstrap interval adds that bias a second
time (it resamples the samples, which already carry it).

Each distance has its own method (:data:`DISTANCE_METHODS`), chosen by measured
coverage among basic, power-scale basic, shifted-percentile, BCa and studentized
bootstrap intervals on the same replicates (docs/calibration.md; BCa and the
studentized interval covered worst, 74-89% in groups):

- ``squared`` (JS): work on the squared scale. For the Jensen-Shannon distance
  that is the JS divergence, a smooth function of the shares whose bias is close
  to additive (about ``(K - 1)(1/n_a + 1/n_b) / (8 ln 2)`` bits when the
  populations agree), so a bootstrap bias correction works there where it fails
  on the distance. Estimate ``sqrt(max(0, 2 D^2 - mean(D*^2)))`` (the bootstrap
  bias correction, Efron & Tibshirani 1993, sec. 10.6); interval: the basic
  bootstrap interval of ``D^2`` (Davison & Hinkley 1997, eq. 5.6) taken back by
  the square root, i.e. the percentiles of the reflected replicates
  ``sqrt(max(0, 2 D^2 - D*^2))``.
- ``shifted`` (TVD, Wasserstein, KS): estimate ``D - b`` with the bootstrap bias
  ``b = mean(D*) - D``; interval the percentile interval moved down by a multiple
  of the bias, ``[q_lo - k b, q_hi - k b]``, clipped at 0. The total variation,
  Wasserstein and KS distances are sums or maxima of absolute differences, not
  smooth in the shares, and the bootstrap spread of such a distance is narrower
  than its sampling spread in groups of about 100 rows; these methods take their
  percentiles at a wider *nominal* level (``tail`` times the requested tail
  probability), the level calibrated to cover at 95%.

An interval always contains its estimate (widened to it if Monte-Carlo error
puts it outside). A mean of distances (``mean_js``) averages the reflected
replicates variable by variable, replicate by replicate, so it keeps their
correlation; a variable's reflected replicate keeps its sign there
(``sign(x) sqrt(|x|)`` of ``x = 2 D^2 - D*^2``: clipping each at 0 before the
mean made the mean's interval too wide). Its estimate is the mean of the
corrected estimates. Intervals resting on fewer rows (on the smaller side) than
their method's ``min_rows`` are flagged ``low_coverage``: their coverage was
below target or not measured.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from validator.bootstrap.weights import MIN_VALID_REPLICATES, Interval
from validator.checks.metric import Metric, summarize_floor_samples


@dataclass(frozen=True)
class IntervalMethod:
    """How the bootstrap replicates of one distance become an estimate and an interval.

    ``kind`` "basic": the basic interval of ``D^power`` (``power`` 2: :func:`reflected_replicates`);
    "shifted": the percentile interval moved down by ``shift`` times the bootstrap bias.
    ``tail`` scales the requested tail probability (0.5: a 95% interval takes the
    1.25% and 98.75% points). ``min_rows``: fewer rows than this on the smaller
    side flag the interval ``low_coverage``.
    """

    name: str
    kind: Literal["basic", "shifted"]
    min_rows: int
    power: float = 1.0
    shift: float = 2.0
    tail: float = 1.0

    def nominal(self, level: float) -> float:
        """The percentile level used for a requested ``level``: ``1 - tail * (1 - level)``."""
        return 1.0 - self.tail * (1.0 - level)


#: The interval methods by key (``method`` of :func:`distance_metric`).
METHODS: dict[str, IntervalMethod] = {
    "squared": IntervalMethod("basic bootstrap of the squared distance, bias-corrected", "basic", 50, power=2.0),
    "shifted": IntervalMethod(
        "percentile bootstrap shifted by twice the bias, at the 1.25% and 98.75% points for a 95% interval, bias-corrected",
        "shifted", 100, shift=2.0, tail=0.5,
    ),
    "shifted_once": IntervalMethod("percentile bootstrap shifted by the bias, bias-corrected", "shifted", 100, shift=1.0),
}

#: Each distance's method, chosen by measured coverage (docs/calibration.md).
DISTANCE_METHODS: dict[str, str] = {"js": "squared", "tvd": "shifted", "wasserstein": "shifted_once", "ks": "shifted"}

#: How the mean of JS distances (``mean_js``) is named in the JSON.
MEAN_METHOD_NAME = "mean of the variables' signed basic bootstrap replicates of the squared distance, bias-corrected"

#: How each method is named in the JSON (``interval_method``).
METHOD_NAMES: dict[str, str] = {key: method.name for key, method in METHODS.items()}

#: Below this many rows on the smaller side an interval is flagged ``low_coverage`` (docs/calibration.md).
RELIABLE_MIN_ROWS: dict[str, int] = {key: method.min_rows for key, method in METHODS.items()}

def reflected_replicates(plug_in: float, replicates: np.ndarray, *, signed: bool = False) -> np.ndarray:
    """The reflected replicates ``sqrt(max(0, 2 * plug_in^2 - D*^2))``; NaN replicates stay NaN.

    Their percentiles are the basic bootstrap interval of the squared distance,
    taken back to the distance scale. ``signed`` keeps the sign of
    ``x = 2 * plug_in^2 - D*^2`` (``sign(x) sqrt(|x|)``) instead of clipping at 0:
    for averaging several distances replicate by replicate.

    >>> reflected_replicates(0.5, np.array([0.5, 0.7, np.nan])).round(4).tolist()
    [0.5, 0.1, nan]
    >>> reflected_replicates(0.5, np.array([0.8]), signed=True).round(4).tolist()
    [-0.3742]
    """
    boot = np.asarray(replicates, dtype=np.float64)
    x = 2.0 * plug_in * plug_in - boot * boot
    with np.errstate(invalid="ignore"):
        if signed:
            return np.asarray(np.sign(x) * np.sqrt(np.abs(x)))
        return np.sqrt(np.clip(x, 0.0, None))


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
    """The mean of the corrected estimates and the per-replicate mean of the signed reflected replicates.

    Every variable needs its replicates aligned (replicate ``b`` of each comes from
    the same resampled rows), so the mean keeps their correlation.
    """
    estimate = float(np.mean([corrected_estimate(p, r) for p, r in zip(plug_ins, replicates)]))
    reflected = np.mean([reflected_replicates(p, r, signed=True) for p, r in zip(plug_ins, replicates)], axis=0)
    return estimate, np.asarray(reflected, dtype=np.float64)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _estimate_and_bounds(plug: float, boot: np.ndarray, method: IntervalMethod, level: float) -> tuple[float, tuple[float, float, int] | None]:
    """The method's estimate and raw percentile bounds (before clipping and containment)."""
    nominal = method.nominal(level)
    if method.kind == "basic" and method.power == 2.0:
        return corrected_estimate(plug, boot), percentile_bounds(reflected_replicates(plug, boot), nominal)
    finite = boot[np.isfinite(boot)]
    enough = finite.size >= MIN_VALID_REPLICATES
    if method.kind == "basic":
        p = method.power
        theta = plug**p
        estimate = max(0.0, 2.0 * theta - float(np.mean(finite**p))) ** (1 / p) if enough else plug
        with np.errstate(invalid="ignore"):
            reflected = np.clip(2.0 * theta - boot**p, 0.0, None) ** (1 / p)
        return estimate, percentile_bounds(reflected, nominal)
    bias = float(finite.mean()) - plug if enough else 0.0
    return max(0.0, plug - bias), percentile_bounds(boot - method.shift * bias, nominal)


def distance_metric(
    plug_in: float | None,
    replicates: np.ndarray | None,
    level: float,
    floor_samples: np.ndarray | None,
    min_rows: int,
    method: str = "squared",
) -> Metric:
    """A distance: bias-corrected estimate, interval by the method ``method`` (a key of :data:`METHODS`), noise floor.

    ``min_rows`` is the smaller side's row count, for the ``low_coverage`` flag.
    Without replicates the estimate is the plug-in and there is no interval.
    """
    floor = summarize_floor_samples(floor_samples)
    plug = _finite(plug_in)
    if plug is None:
        return Metric(None, None, floor)
    if replicates is None:
        return Metric(plug, None, floor, plug_in=plug)
    chosen = METHODS[method]
    boot = np.asarray(replicates, dtype=np.float64)
    estimate, bounds = _estimate_and_bounds(plug, boot, chosen, level)
    flag = min_rows < chosen.min_rows
    if bounds is None:
        return Metric(estimate, Interval(None, None, level, 0, int(boot.size)), floor, plug_in=plug, interval_method=chosen.name, low_coverage=flag)
    low, high, valid = bounds
    interval = contained_interval(estimate, max(0.0, low), max(0.0, high), level, valid, int(boot.size))
    return Metric(estimate, interval, floor, plug_in=plug, interval_method=chosen.name, low_coverage=flag)


def mean_distance_metric(
    plug_ins: Sequence[float | None],
    replicates: Sequence[np.ndarray] | None,
    level: float,
    floor_samples: np.ndarray | None,
    min_rows: int,
) -> Metric:
    """The mean of several JS distances (e.g. ``mean_js``) from their signed reflected replicates; None if any is missing."""
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
    flag = min_rows < METHODS["squared"].min_rows
    if bounds is None:
        return Metric(estimate, Interval(None, None, level, 0, len(reflected)), floor, plug_in=plug, interval_method=MEAN_METHOD_NAME, low_coverage=flag)
    low, high, valid = bounds
    interval = contained_interval(estimate, max(0.0, low), max(0.0, high), level, valid, int(reflected.size))
    return Metric(estimate, interval, floor, plug_in=plug, interval_method=MEAN_METHOD_NAME, low_coverage=flag)
