"""Classify one coefficient's recovery and total the outcomes.

Definitions (docs/metrics.md, "Coefficient recovery (sign-aware)"): a coefficient is
significant when its p-value is below alpha. Compared between the human data
(the reference) and the simulation it is

- ``TP``: significant in both, same sign;
- ``FP``: significant in the simulation only;
- ``FN``: significant in the human data only;
- ``sign_flip``: significant in both, opposite signs;
- ``TN``: significant in neither.

Totals follow the replication paper's convention exactly:
``FPR = FP / (FP + TN)`` (the coefficients not significant in the human data),
``FNR = FN / (TP + FN + flips)`` (those significant in the human data),
``F1(Sign) = 2TP / (2TP + FP + FN)``. Sign flips enter none of the three and are
always reported beside them, with a strict F1 that counts each flip as both a
false positive and a false negative: ``2TP / (2TP + FP + FN + 2 flips)``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import get_args

import numpy as np

from validator.recovery.records import SUMMARY_KEYS, Outcome, RecoverySummary

OUTCOMES: tuple[str, ...] = get_args(Outcome)


def estimate_sign(estimate: float) -> int:
    """The sign of an estimate: +1, -1, or 0 when it is exactly zero.

    >>> estimate_sign(-0.3), estimate_sign(0.0), estimate_sign(2)
    (-1, 0, 1)
    """
    if math.isnan(estimate):
        raise ValueError("the sign of a NaN estimate is undefined")
    return (estimate > 0) - (estimate < 0)


def is_significant(p_value: float, alpha: float) -> bool:
    """``p_value < alpha`` (strictly); a NaN p-value is not significant."""
    return bool(p_value < alpha)


def coefficient_outcome(
    human_significant: bool, sim_significant: bool, human_sign: int, sim_sign: int
) -> Outcome:
    """The recovery outcome of one coefficient (see the module docstring).

    Signs only matter when the coefficient is significant in both datasets.
    A sign of 0 (estimate exactly zero) should not occur together with
    significance; if it does, 0 counts as different from every sign, 0
    included, so the outcome is ``sign_flip`` rather than a silent ``TP``.

    >>> coefficient_outcome(True, True, 1, 1), coefficient_outcome(True, True, 1, -1)
    ('TP', 'sign_flip')
    >>> coefficient_outcome(False, True, 1, 1), coefficient_outcome(True, False, -1, 1)
    ('FP', 'FN')
    """
    for name, sign in (("human_sign", human_sign), ("sim_sign", sim_sign)):
        if sign not in (-1, 0, 1):
            raise ValueError(f"{name} must be -1, 0 or 1, got {sign!r}")
    if human_significant and sim_significant:
        return "TP" if human_sign == sim_sign and human_sign != 0 else "sign_flip"
    if sim_significant:
        return "FP"
    if human_significant:
        return "FN"
    return "TN"


def outcome_counts(
    human_significant: np.ndarray,
    sim_significant: np.ndarray,
    human_sign: np.ndarray,
    sim_sign: np.ndarray,
    valid: np.ndarray,
) -> dict[str, np.ndarray]:
    """Per row (a replicate), the number of coefficients with each outcome, counted where ``valid``.

    The vectorised form of :func:`coefficient_outcome` over (replicates x coefficients)
    arrays: a sign of 0 matches no sign, 0 included, exactly as there.
    """
    hs, ss = human_significant & valid, sim_significant & valid
    same = (human_sign == sim_sign) & (human_sign != 0)
    return {
        "TP": (hs & ss & same).sum(axis=1),
        "FP": (~hs & ss).sum(axis=1),
        "FN": (hs & ~ss).sum(axis=1),
        "TN": (~hs & ~ss & valid).sum(axis=1),
        "sign_flip": (hs & ss & ~same).sum(axis=1),
    }


def recovery_totals(counts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The totals and rates of :data:`SUMMARY_KEYS` from outcome counts, one value per row.

    The one definition of FPR, FNR, F1(Sign) and the strict F1 (module docstring),
    used by the point estimate (:func:`summarize`) and by every bootstrap replicate.
    A ratio with a zero denominator is NaN.
    """
    tp, fp, fn, tn, flips = (np.asarray(counts[o], dtype=float) for o in ("TP", "FP", "FN", "TN", "sign_flip"))

    def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)

    return {
        "n_coefficients": tp + fp + fn + tn + flips,
        "n_reference_significant": tp + fn + flips,
        "n_sim_significant": tp + fp + flips,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "sign_flips": flips,
        "fpr": ratio(fp, fp + tn),
        "fnr": ratio(fn, tp + fn + flips),
        "f1_sign": ratio(2 * tp, 2 * tp + fp + fn),
        "f1_strict": ratio(2 * tp, 2 * tp + fp + fn + 2 * flips),
    }


def summarize(outcomes: Sequence[Outcome]) -> RecoverySummary:
    """Count the outcomes and compute FPR, FNR, F1(Sign) and the strict F1.

    ``FPR = FP/(FP+TN)``, ``FNR = FN/(TP+FN+flips)``,
    ``F1(Sign) = 2TP/(2TP+FP+FN)``, ``F1 strict = 2TP/(2TP+FP+FN+2 flips)``;
    a ratio with a zero denominator is None. Reference: Wang et al. (2025),
    arXiv 2511.21218, and docs/metrics.md.

    >>> s = summarize(["TP"] * 10 + ["FP"] * 3 + ["FN"] * 3 + ["TN"] * 6)
    >>> round(s.fpr, 4), round(s.fnr, 4), round(s.f1_sign, 4)
    (0.3333, 0.2308, 0.7692)
    """
    counts = Counter(outcomes)
    unknown = sorted(set(counts) - set(OUTCOMES))
    if unknown:
        raise ValueError(f"unknown outcome(s) {unknown}; expected one of {list(OUTCOMES)}")
    totals = recovery_totals({o: np.array([counts[o]]) for o in OUTCOMES})  # type: ignore[index]
    values: dict[str, int | float | None] = {}
    for key in SUMMARY_KEYS:
        value = float(totals[key][0])
        if key in ("fpr", "fnr", "f1_sign", "f1_strict"):
            values[key] = None if math.isnan(value) else value
        else:
            values[key] = int(value)
    return RecoverySummary(**values)  # type: ignore[arg-type]
