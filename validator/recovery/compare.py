"""Compare the model fits on the human data with those on the simulated data.

Each model is fitted on both datasets (by :mod:`validator.models`, or read from
coefficient tables by :mod:`validator.recovery.tables`). :func:`compare_fits`
matches the fits by model id and the coefficients by term, classifies every
coefficient estimable in both datasets (:mod:`validator.recovery.classify`) and
adds two closeness measures per coefficient, :func:`std_diff` and
:func:`ci_overlap`.

What leaves the comparison (docs/metrics.md): a model not estimable on either side
contributes no coefficients; in a model estimable on both sides, a term present
in one fit only, or whose estimate or adjusted p-value is not a finite number on
either side, is excluded and listed in ``ModelComparison.excluded_terms``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from validator.errors import UsageError
from validator.models.types import Coefficient, ModelFit
from validator.recovery.classify import (
    coefficient_outcome,
    estimate_sign,
    is_significant,
    summarize,
)
from validator.recovery.records import (
    CoefficientComparison,
    ModelComparison,
    RecoveryResult,
)

MISSING = "missing"


def _finite(value: float | None) -> float | None:
    """The value as a float, or None when it is missing or not finite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def std_diff(
    human_estimate: float,
    human_std_error: float | None,
    sim_estimate: float,
    sim_std_error: float | None,
) -> float | None:
    """Standardized difference of two estimates of the same coefficient.

    ``(b_sim - b_human) / sqrt(se_human**2 + se_sim**2)``: the z statistic of
    the difference when the two samples are independent. A missing or
    non-finite standard error counts as 0; the result is None when both are
    0/missing or when an estimate is missing. (synthpop's ``compute.diff``
    divides by the observed-data SE only; simval uses both, since the
    simulation is an independent sample, not a synthesis of the human one.)

    >>> std_diff(1.0, 0.3, 0.5, 0.4)
    -1.0
    """
    b_h, b_s = _finite(human_estimate), _finite(sim_estimate)
    if b_h is None or b_s is None:
        return None
    se_h, se_s = _finite(human_std_error) or 0.0, _finite(sim_std_error) or 0.0
    pooled = math.hypot(se_h, se_s)
    if pooled == 0.0:
        return None
    return (b_s - b_h) / pooled


def ci_overlap(lo_a: float, hi_a: float, lo_b: float, hi_b: float) -> float | None:
    """Confidence-interval overlap of two intervals (Karr et al., 2006).

    With ``L = max(lo_a, lo_b)`` and ``U = min(hi_a, hi_b)``::

        overlap = 0.5 * ((U - L) / (hi_a - lo_a) + (U - L) / (hi_b - lo_b))

    It is 1 for identical intervals, between 0 and 1 for partly overlapping or
    nested ones, and negative for disjoint intervals: like synthpop, simval
    reports the negative value instead of clipping it at 0, so the distance
    between disjoint intervals stays visible. None when a bound is missing or
    non-finite, or an interval does not have a positive width.

    This is the ``CI overlap`` of synthpop's ``compare.fit.synds``, computed
    in ``compare.CI`` (R/compare.syn.r of bnowok/synthpop; its clip at 0 is
    commented out there). The formula is symmetric in the two intervals.
    Reference: Karr, Kohnen, Oganian, Reiter and Sanil (2006), "A framework for
    evaluating the utility of data altered to protect confidentiality",
    The American Statistician 60(3), 224-232.

    >>> ci_overlap(0.0, 2.0, 1.0, 2.0)
    0.75
    >>> ci_overlap(0.0, 1.0, 2.0, 3.0)
    -1.0
    """
    la, ha, lb, hb = (_finite(v) for v in (lo_a, hi_a, lo_b, hi_b))
    if la is None or ha is None or lb is None or hb is None:
        return None
    if not (ha > la and hb > lb):
        return None
    shared = min(ha, hb) - max(la, lb)
    return 0.5 * (shared / (ha - la) + shared / (hb - lb))


#: The level of the intervals whose overlap is reported, whatever the spec's alpha.
OVERLAP_LEVEL = 0.95


def normal_interval(estimate: float, std_error: float | None, level: float = OVERLAP_LEVEL) -> tuple[float, float]:
    """``estimate -+ z * std_error`` with ``z`` the normal ``(1 + level) / 2`` quantile (NaN bounds without an SE).

    synthpop's ``compare.CI`` builds its intervals this way for every model
    (``qnorm(1 - (1 - ci.level) / 2)``, ``ci.level = 0.95``), OLS included, so the
    overlap does not depend on a model's degrees of freedom or on alpha.

    >>> [round(v, 4) for v in normal_interval(1.0, 0.5)]
    [0.02, 1.98]
    """
    from scipy.stats import norm

    se = _finite(std_error)
    if se is None:
        return math.nan, math.nan
    z = float(norm.ppf(0.5 + level / 2))
    return estimate - z * se, estimate + z * se


def _in_interval(value: float, low: float, high: float) -> bool:
    """``low <= value <= high``; False when a bound is NaN."""
    return bool(low <= value <= high)


def _unusable(coef: Coefficient) -> bool:
    """A coefficient that cannot be classified: non-finite estimate or adjusted p."""
    return _finite(coef.estimate) is None or _finite(coef.p_adjusted) is None


def _compare_coefficient(
    model: str, h: Coefficient, s: Coefficient, alpha: float
) -> CoefficientComparison:
    h_sig, s_sig = is_significant(h.p_adjusted, alpha), is_significant(s.p_adjusted, alpha)
    h_sign, s_sign = estimate_sign(h.estimate), estimate_sign(s.estimate)
    return CoefficientComparison(
        model=model,
        term=h.term,
        human_estimate=float(h.estimate),
        human_std_error=_finite(h.std_error),
        human_p_value=_finite(h.p_value),
        human_significant=h_sig,
        human_sign=h_sign,
        sim_estimate=float(s.estimate),
        sim_std_error=_finite(s.std_error),
        sim_p_value=_finite(s.p_value),
        sim_significant=s_sig,
        sim_sign=s_sign,
        outcome=coefficient_outcome(h_sig, s_sig, h_sign, s_sign),
        std_diff=std_diff(h.estimate, h.std_error, s.estimate, s.std_error),
        ci_overlap=ci_overlap(*normal_interval(h.estimate, h.std_error), *normal_interval(s.estimate, s.std_error)),
        sim_in_human_ci=_in_interval(s.estimate, h.ci_low, h.ci_high),
        human_p_adjusted=_finite(h.p_adjusted),
        sim_p_adjusted=_finite(s.p_adjusted),
    )


def _by_term(fit: ModelFit, side: str) -> dict[str, Coefficient]:
    terms: dict[str, Coefficient] = {}
    for coef in fit.coefficients:
        if coef.term in terms:
            raise UsageError(f"the {side} fit of model '{fit.model}' has term '{coef.term}' twice")
        terms[coef.term] = coef
    return terms


def _compare_model(
    model: str, human: ModelFit | None, sim: ModelFit | None, alpha: float
) -> tuple[ModelComparison, list[CoefficientComparison]]:
    present = human if human is not None else sim
    label = present.label if present is not None else model
    h_ok = human is not None and human.estimable
    s_ok = sim is not None and sim.estimable

    def reason(fit: ModelFit | None) -> str | None:
        if fit is None:
            return MISSING
        return None if fit.estimable else (fit.reason or "fit_error")

    compared: list[CoefficientComparison] = []
    excluded: list[str] = []
    if h_ok and s_ok:
        assert human is not None and sim is not None
        h_terms, s_terms = _by_term(human, "human"), _by_term(sim, "simulated")
        for term, h_coef in h_terms.items():
            s_coef = s_terms.get(term)
            if s_coef is None:
                excluded.append(f"{term} (not in the simulated fit)")
            elif _unusable(h_coef) or _unusable(s_coef):
                excluded.append(f"{term} (estimate or p-value not a number)")
            else:
                compared.append(_compare_coefficient(model, h_coef, s_coef, alpha))
        excluded.extend(f"{t} (not in the human fit)" for t in s_terms if t not in h_terms)
    comparison = ModelComparison(
        model=model,
        label=label,
        human_estimable=h_ok,
        sim_estimable=s_ok,
        human_reason=reason(human),
        sim_reason=reason(sim),
        n_compared=len(compared),
        excluded_terms=tuple(excluded),
    )
    return comparison, compared


def _by_model(fits: Sequence[ModelFit], side: str) -> dict[str, ModelFit]:
    out: dict[str, ModelFit] = {}
    for fit in fits:
        if fit.model in out:
            raise UsageError(f"the {side} fits contain model '{fit.model}' twice")
        out[fit.model] = fit
    return out


def compare_fits(
    human: Sequence[ModelFit], sim: Sequence[ModelFit], *, alpha: float = 0.05
) -> RecoveryResult:
    """Sign-aware coefficient recovery of the simulated fits against the human ones.

    Models are matched by ``ModelFit.model`` in the order of ``human`` (models
    found only in ``sim`` follow, in their order); coefficients by ``term``.
    A coefficient is significant when ``Coefficient.p_adjusted < alpha``.
    Every coefficient estimable in both datasets gets an outcome (TP, FP, FN,
    sign_flip, TN; see :mod:`validator.recovery.classify`), a
    :func:`std_diff`, a :func:`ci_overlap` of the normal 95% intervals
    (:func:`normal_interval`, as synthpop's ``compare.fit.synds``), and whether
    the simulated estimate lies in the stored (1 - alpha) human interval. A model id
    present on one side only is reported not estimable on the other with
    reason ``"missing"``.

    >>> from validator.models.types import Coefficient, ModelFit
    >>> c = Coefficient("m1", "x", 0.5, 0.1, 1e-6, 1e-6, 0.3, 0.7)
    >>> fit = ModelFit("m1", "M1", "logit", "y ~ x", True, 100, 0, 0, (c,))
    >>> compare_fits([fit], [fit]).summary.tp
    1
    """
    if not 0.0 < alpha < 1.0:
        raise UsageError(f"alpha must be strictly between 0 and 1, got {alpha!r}")
    h_fits, s_fits = _by_model(human, "human"), _by_model(sim, "simulated")
    order = list(h_fits) + [m for m in s_fits if m not in h_fits]
    models: list[ModelComparison] = []
    coefficients: list[CoefficientComparison] = []
    for model in order:
        comparison, compared = _compare_model(model, h_fits.get(model), s_fits.get(model), alpha)
        models.append(comparison)
        coefficients.extend(compared)
    return RecoveryResult(
        alpha=float(alpha),
        summary=summarize([c.outcome for c in coefficients]),
        coefficients=tuple(coefficients),
        models=tuple(models),
    )
