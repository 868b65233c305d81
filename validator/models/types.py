"""Result records of the regression engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

NotEstimableReason = Literal[
    "no_variation",
    "perfect_separation",
    "singular_design",
    "not_converged",
    "too_few_rows",
    "missing_variable",
    "fit_error",
]


@dataclass(frozen=True)
class Coefficient:
    """One estimated coefficient of one model on one dataset.

    ``term`` is the design-matrix column name (``Intercept``, ``belief_t1``);
    for a multinomial logit it is ``term[outcome_level]``. ``p_value`` is the
    two-sided p-value as the model reports it (z for logit/probit/mnlogit, t for
    OLS); ``p_adjusted`` is after the spec's multiple-comparison correction
    (equal to ``p_value`` without one). ``ci_low``/``ci_high`` bound the 95%
    (1 - alpha) Wald interval.
    """

    model: str
    term: str
    estimate: float
    std_error: float
    p_value: float
    p_adjusted: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class ModelFit:
    """A model fitted on one dataset, or the reason it could not be estimated."""

    model: str
    label: str
    family: str
    formula: str
    estimable: bool
    n_obs: int
    n_subset_excluded: int
    n_missing: int
    coefficients: tuple[Coefficient, ...] = ()
    reason: NotEstimableReason | None = None
    detail: str | None = None
    cov_type: str = "nonrobust"
    converged: bool = True
    log_likelihood: float | None = None
    pseudo_r2: float | None = None
