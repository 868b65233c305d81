"""One family-wise "indistinguishable from a fresh human sample" decision over many noise-floor flags.

Each flag is a statistic (e.g. the JS distance of one variable in one subgroup)
with draws of it under the hypothesis that the simulated rows come from the
human population (the permutation draws of :mod:`validator.alignment.permutation`,
all flags on the *same* relabellings). A flag alone is within noise when its
value is at most its draws' 95th percentile; many flags at once are not: a
perfect simulator would trip one of 70 such flags most of the time.

The joint decision is a max-type permutation test (single-step max-T,
Westfall & Young 1993, ch. 2): standardize every flag by its own draws,
``z = (T - median) / (q95 - median)`` (two-sided flags by the distance to the
2.5% or 97.5% point on their side), take the largest ``z`` over the flags, and
compare it with the same maximum over the draws, which the same draws give
because every draw has a value for every flag. The observed maximum is
exchangeable with the draws' maxima under the hypothesis, so a perfect
simulator passes with probability ``level`` whatever the dependence between
the flags. (Rank p-values and their minimum would not do: with 70 flags and
1,000 draws the smallest attainable family-wise p-value would exceed 5%.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from validator.verdict.records import ConstructVerdict

Direction = str
"""``"upper"``: large values are bad (distances); ``"both"``: far from the centre either way."""


@dataclass(frozen=True)
class Flag:
    """One statistic, its observed value and its draws under the null (aligned across flags)."""

    label: str
    observed: float
    draws: np.ndarray
    direction: Direction = "upper"


@dataclass(frozen=True)
class JointFloor:
    """The family-wise decision: p-value of the smallest flag p-value, and the worst flag."""

    passed: bool
    p_value: float
    level: float
    n_flags: int
    draws: int
    worst: str
    worst_value: float
    worst_low: float
    worst_high: float
    worst_direction: Direction

    def to_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "p_value": self.p_value,
            "level": self.level,
            "n_flags": self.n_flags,
            "draws": self.draws,
            "worst": self.worst,
            "worst_value": self.worst_value,
            "worst_threshold": [self.worst_low, self.worst_high] if self.worst_direction == "both" else self.worst_high,
        }


def _standardize(draws: np.ndarray, values: np.ndarray, direction: Direction, level: float) -> tuple[np.ndarray, float, float, float]:
    """``z`` of each value against the finite draws, with the median and the scales used (low side, high side)."""
    finite = draws[np.isfinite(draws)]
    if direction == "upper":
        centre, edge = (float(x) for x in np.quantile(finite, [0.5, level]))
        scale_hi = edge - centre if edge > centre else _fallback(finite)
        return (values - centre) / scale_hi, centre, scale_hi, scale_hi
    tail = (1 - level) / 2
    low, centre, high = (float(x) for x in np.quantile(finite, [tail, 0.5, 1 - tail]))
    scale_lo = centre - low if centre > low else _fallback(finite)
    scale_hi = high - centre if high > centre else _fallback(finite)
    z = np.where(values >= centre, (values - centre) / scale_hi, (centre - values) / scale_lo)
    return np.asarray(z, dtype=float), centre, scale_lo, scale_hi


def _fallback(finite: np.ndarray) -> float:
    """A scale for draws whose quantiles coincide (a discrete statistic): their SD, or a tiny positive number."""
    sd = float(np.std(finite))
    return sd if sd > 0 else 1e-12


def joint_floor(flags: Sequence[Flag], level: float) -> JointFloor | None:
    """The max-T decision over ``flags`` (None without usable flags)."""
    usable = [f for f in flags if math.isfinite(f.observed) and np.isfinite(f.draws).sum() >= 20]
    if not usable:
        return None
    b = min(f.draws.size for f in usable)
    max_draws = np.full(b, -np.inf)
    observed_z: list[float] = []
    scales: list[tuple[float, float, float]] = []
    for f in usable:
        d = np.asarray(f.draws[:b], dtype=float)
        z, centre, scale_lo, scale_hi = _standardize(d, np.where(np.isfinite(d), d, np.nan), f.direction, level)
        max_draws = np.maximum(max_draws, np.where(np.isfinite(z), z, -np.inf))
        observed_z.append(float(_standardize(d, np.array([f.observed]), f.direction, level)[0][0]))
        scales.append((centre, scale_lo, scale_hi))
    top = max(observed_z)
    p_value = float((1 + np.sum(max_draws >= top - 1e-12)) / (b + 1))
    # The critical maximum: each flag's threshold at the joint level is centre + critical * scale.
    critical = float(np.quantile(max_draws, level))
    worst_index = int(np.argmax(observed_z))
    worst = usable[worst_index]
    centre, scale_lo, scale_hi = scales[worst_index]
    low = centre - critical * scale_lo if worst.direction == "both" else -math.inf
    return JointFloor(
        passed=p_value > 1 - level,
        p_value=p_value,
        level=level,
        n_flags=len(usable),
        draws=b,
        worst=worst.label,
        worst_value=float(worst.observed),
        worst_low=low,
        worst_high=centre + critical * scale_hi,
        worst_direction=worst.direction,
    )


def verdict_from_joint(joint: JointFloor, what: str) -> ConstructVerdict:
    """``pass``/``fail`` with a one-line reason naming the worst flag and its (joint) threshold.

    ``what`` names the family of several flags, e.g. ``"70 JS distances"``.
    """
    pct = f"{100 * joint.level:g}%"
    if joint.worst_direction == "both":
        bound = f"{joint.worst_low:.3g} to {joint.worst_high:.3g}"
        point = f"central {pct}"
    else:
        bound = f"<= {joint.worst_high:.3g}"
        point = f"{pct} point"
    scope = f"joint {pct} point over {what}" if joint.n_flags > 1 else point
    detail = f"{joint.worst} {joint.worst_value:.3g} vs {bound} for a fresh human sample ({scope})"
    if joint.passed:
        return ConstructVerdict("pass", f"within a fresh human sample's noise; closest: {detail}")
    p_name = "family-wise p" if joint.n_flags > 1 else "permutation p"
    return ConstructVerdict("fail", f"{detail}; {p_name} = {joint.p_value:.3g}")
