"""Classify one coefficient's recovery and total the outcomes.

Definitions (STUDY.md, "Coefficient recovery (sign-aware)"): a coefficient is
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

from validator.recovery.records import Outcome, RecoverySummary

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


def _ratio(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator`` as a float, or None when the denominator is 0."""
    return numerator / denominator if denominator else None


def summarize(outcomes: Sequence[Outcome]) -> RecoverySummary:
    """Count the outcomes and compute FPR, FNR, F1(Sign) and the strict F1.

    ``FPR = FP/(FP+TN)``, ``FNR = FN/(TP+FN+flips)``,
    ``F1(Sign) = 2TP/(2TP+FP+FN)``, ``F1 strict = 2TP/(2TP+FP+FN+2 flips)``;
    a ratio with a zero denominator is None. Reference: Wang et al. (2025),
    arXiv 2511.21218, and STUDY.md.

    >>> s = summarize(["TP"] * 10 + ["FP"] * 3 + ["FN"] * 3 + ["TN"] * 6)
    >>> round(s.fpr, 4), round(s.fnr, 4), round(s.f1_sign, 4)
    (0.3333, 0.2308, 0.7692)
    """
    counts = Counter(outcomes)
    unknown = sorted(set(counts) - set(OUTCOMES))
    if unknown:
        raise ValueError(f"unknown outcome(s) {unknown}; expected one of {list(OUTCOMES)}")
    tp, fp, fn, tn, flips = (counts[o] for o in ("TP", "FP", "FN", "TN", "sign_flip"))
    return RecoverySummary(
        n_coefficients=tp + fp + fn + tn + flips,
        n_reference_significant=tp + fn + flips,
        n_sim_significant=tp + fp + flips,
        tp=tp,
        fp=fp,
        fn=fn,
        tn=tn,
        sign_flips=flips,
        fpr=_ratio(fp, fp + tn),
        fnr=_ratio(fn, tp + fn + flips),
        f1_sign=_ratio(2 * tp, 2 * tp + fp + fn),
        f1_strict=_ratio(2 * tp, 2 * tp + fp + fn + 2 * flips),
    )
