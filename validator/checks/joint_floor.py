"""One family-wise "indistinguishable from a fresh human sample" decision over many noise-floor flags.

Each flag is a statistic (e.g. the JS distance of one variable in one subgroup)
with draws of it under the hypothesis that the simulated rows come from the
human population (the permutation draws of :mod:`validator.alignment.permutation`,
all flags on the *same* relabellings). A flag alone is within noise when its
value is at most its draws' 95th percentile; many flags at once are not: a
perfect simulator would trip one of 70 such flags most of the time.

The joint decision is the single-step min-p procedure (Westfall & Young 1993,
ch. 2): turn every value into its permutation p-value, take the smallest over
the flags, and compare it with the distribution of that minimum over the draws,
which the same draws give because every draw has a value for every flag. A
perfect simulator passes with probability ``level``, whatever the dependence
between the flags.
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


def _exceedance(draws: np.ndarray, values: np.ndarray, direction: Direction) -> np.ndarray:
    """Share of draws at least as extreme as each value (NaN draws never are)."""
    finite = np.sort(draws[np.isfinite(draws)])
    total = max(int(np.isfinite(draws).sum()), 1)
    if direction == "upper":
        at_least = finite.size - np.searchsorted(finite, values, side="left")
        return np.asarray(at_least / total, dtype=float)
    below = np.searchsorted(finite, values, side="right") / total
    above = (finite.size - np.searchsorted(finite, values, side="left")) / total
    return np.asarray(np.minimum(1.0, 2.0 * np.minimum(below, above)), dtype=float)


def joint_floor(flags: Sequence[Flag], level: float) -> JointFloor | None:
    """The min-p decision over ``flags`` (None without flags or draws)."""
    usable = [f for f in flags if math.isfinite(f.observed) and np.isfinite(f.draws).sum() >= 20]
    if not usable:
        return None
    b = min(f.draws.size for f in usable)
    draws_p = np.ones(b)
    observed_p = []
    for f in usable:
        d = np.asarray(f.draws[:b], dtype=float)
        p_draws = _exceedance(d, np.where(np.isfinite(d), d, -np.inf if f.direction == "upper" else np.nan), f.direction)
        p_draws = np.where(np.isfinite(d), p_draws, 1.0)
        draws_p = np.minimum(draws_p, p_draws)
        # The observed value counts itself among the draws: (1 + #{at least as extreme}) / (B + 1).
        p = float(_exceedance(d, np.array([f.observed]), f.direction)[0])
        observed_p.append((p * np.isfinite(d).sum() + 1) / (np.isfinite(d).sum() + 1))
    min_p = float(min(observed_p))
    p_value = float((1 + np.sum(draws_p <= min_p)) / (b + 1))
    # Many flags can share the smallest p-value (1 / (B + 1)); name the one furthest past its own 95% point.
    def excess(f: Flag) -> float:
        d = f.draws[np.isfinite(f.draws)]
        centre, edge = np.quantile(d, [0.5, 0.95])
        return float((f.observed - centre) / (edge - centre)) if edge > centre else math.inf
    tied = [i for i, p in enumerate(observed_p) if p <= min(observed_p) + 1e-12]
    worst_index = max(tied, key=lambda i: excess(usable[i])) if usable[tied[0]].direction == "upper" else tied[0]
    worst = usable[worst_index]
    # The worst flag's own threshold at the joint level: the draws' quantile at the critical min-p.
    critical = float(np.quantile(draws_p, 1 - level))
    d = worst.draws[np.isfinite(worst.draws)]
    if worst.direction == "upper":
        low, high = -math.inf, float(np.quantile(d, min(1.0, 1 - critical)))
    else:
        low, high = (float(x) for x in np.quantile(d, [critical / 2, min(1.0, 1 - critical / 2)]))
    return JointFloor(
        passed=p_value > 1 - level,
        p_value=p_value,
        level=level,
        n_flags=len(usable),
        draws=b,
        worst=worst.label,
        worst_value=float(worst.observed),
        worst_low=low,
        worst_high=high,
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
