"""The regression engine: every model of a study spec, fitted with statsmodels.

:func:`fit_model` fits one model on one dataset and returns a
:class:`~validator.models.types.ModelFit`; a model that cannot be estimated on
this data comes back with ``estimable=False`` and a reason code, never as an
exception and never with a warning printed. :func:`fit_models` fits a spec's
models and applies its multiple-comparison correction.

Estimability is decided in this order:

1. ``missing_variable``: the data lacks a variable the model reads.
2. ``fit_error``: a logit/probit outcome that is not 0/1, an OLS outcome that
   is not numeric, design values that are infinite or undefined.
3. ``too_few_rows``: fewer rows than parameters + 1.
4. ``no_variation``: the outcome takes a single value.
5. ``singular_design``: the design matrix has lower rank than columns (the
   rank is numpy's ``matrix_rank`` rule), or a term has no column at all on
   these rows (a categorical with one level).
6. The fit itself. ``perfect_separation``: the maximum-likelihood estimate
   does not exist because a direction of the coefficients predicts some rows
   perfectly and no row worse (complete or quasi-complete separation, Albert
   and Anderson 1984). It is decided exactly by the linear program of Konis
   (2007) in :func:`separation_direction`. The program runs only when the
   fit shows a symptom of separation (Newton did not converge, a standard
   error is not finite or above 1e3 * max(1, |estimate|), a row's fitted
   probability of its own outcome is within 1e-12 of 1, or the fit raised):
   without one, Newton has converged to a finite optimum, which exists only
   if the data are not separated. (statsmodels' own check, which finds only
   complete separation, is switched off.) ``not_converged``: Newton reached
   ``MAX_ITER`` iterations without separation. ``fit_error``: any other
   numerical failure.

References
----------
Albert, A. and Anderson, J. A. (1984). On the existence of maximum likelihood
estimates in logistic regression models. Biometrika 71(1), 1-10.
Konis, K. (2007). Linear programming algorithms for detecting separated data
in binary logistic regression models. DPhil thesis, University of Oxford.
"""

from __future__ import annotations

import contextvars
import os
import warnings
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from statsmodels.discrete.discrete_model import Logit, MNLogit, Probit
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.sm_exceptions import (
    PerfectSeparationError,
    PerfectSeparationWarning,
)

from validator.errors import SpecError
from validator.models.blas import one_blas_thread
from validator.models.design import Design, DesignFailure, build_design
from validator.models.rules import (
    MAX_ITER,
    adjust_p_values,
    min_rows,
    n_parameters,
    parameter_names,
    separation_symptoms,
)
from validator.models.types import Coefficient, ModelFit, NotEstimableReason
from validator.pools import worker_pool
from validator.spec.model import (
    SUPPORTED_COV_TYPES,
    CorrectionSpec,
    ModelSpec,
    cov_type_problem,
)

__all__ = ["MAX_ITER", "SUPPORTED_COV_TYPES", "Separation", "correct_p_values", "fit_model", "fit_models", "separation_direction"]



class _Logit(Logit):  # type: ignore[misc]
    """statsmodels' Logit, keeping its prediction at the last parameters it was asked about.

    Each Newton step evaluates the Hessian and then the score at the same parameters,
    and each computes ``predict(params)`` (the linear predictor over every row and its
    logistic function): on a 1,000,000-row file a sixth of the fit. The second call
    gets the first one's array, so every number is the one statsmodels computes.
    Only calls on the model's own rows (``predict(params)``, ``which`` "mean" or "linear")
    are kept.
    """

    _memo: tuple[bytes, np.ndarray, np.ndarray | None] | None = None

    def predict(self, params: Any, *args: Any, **kwargs: Any) -> Any:
        which = kwargs.get("which", "mean")
        # predict(params) and, from a results object, predict(params, None): the model's own rows.
        own_rows = not args or (len(args) == 1 and args[0] is None)
        if not own_rows or set(kwargs) - {"which"} or which not in ("mean", "linear"):
            return super().predict(params, *args, **kwargs)
        key = np.asarray(params, dtype=float).tobytes()
        if self._memo is None or self._memo[0] != key:
            self._memo = (key, super().predict(params, which="linear"), None)
        _, linear, mean = self._memo
        if which == "linear":
            return linear
        if mean is None:
            mean = self.cdf(linear)  # what predict(params) returns: the logistic of the linear predictor
            self._memo = (key, linear, mean)
        return mean


_DISCRETE = {"logit": _Logit, "probit": Probit, "mnlogit": MNLogit}

#: From this many rows :func:`fit_models` fits the models in parallel threads (below it
#: a fit takes milliseconds, and the check already runs datasets and checks in parallel).
PARALLEL_FIT_ROWS = 100_000
_NO_CORRECTION = CorrectionSpec()


def fit_model(model: ModelSpec, frame: pd.DataFrame, *, alpha: float = 0.05) -> ModelFit:
    """Fit ``model`` on ``frame`` with statsmodels.

    ``frame`` holds every column and derived variable. Logit, probit and
    multinomial logit are fitted by maximum likelihood (Newton, at most
    ``MAX_ITER`` iterations) and report z-tests; OLS reports t-tests under
    every covariance type (statsmodels' ``use_t=True``; with ``cluster`` the
    t has G - 1 degrees of freedom). Confidence intervals are the
    ``1 - alpha`` Wald intervals from the same covariance. ``p_adjusted``
    equals ``p_value``; :func:`fit_models` applies corrections.
    ``pseudo_r2`` is McFadden's ``1 - llf / llnull`` for the discrete
    families and R-squared for OLS.

    Raises :class:`~validator.errors.SpecError` for a covariance type the
    family does not support (see :data:`SUPPORTED_COV_TYPES`); every problem
    of the data is a not-estimable result instead.
    """
    with one_blas_thread:
        return _fit_model(model, frame, alpha, None)


def _fit_model(
    model: ModelSpec, frame: pd.DataFrame, alpha: float, masks: dict[str, np.ndarray] | None
) -> ModelFit:
    problem = cov_type_problem(model.family, model.cov_type)
    if problem is not None:
        raise SpecError(problem, path=f"model '{model.id}' cov_type")
    design = build_design(model, frame, masks=masks)
    if isinstance(design, DesignFailure):
        return _not_estimable(
            model, design.reason, design.detail, design.n_obs, design.n_subset_excluded, design.n_missing
        )
    blocked = _precheck(model, design)
    if blocked is not None:
        return _not_estimable(model, *blocked, design.n_obs, design.n_subset_excluded, design.n_missing)
    return _fit(model, design, alpha)


def fit_models(
    models: Sequence[ModelSpec],
    frame: pd.DataFrame,
    *,
    alpha: float = 0.05,
    correction: CorrectionSpec = _NO_CORRECTION,
) -> tuple[ModelFit, ...]:
    """Fit every model on ``frame`` (:func:`fit_model`) and correct their p-values (:func:`correct_p_values`)."""
    masks: dict[str, np.ndarray] = {}  # models often share a subset
    with one_blas_thread:
        if len(frame) >= PARALLEL_FIT_ROWS and len(models) > 1:
            # A large file's fits take seconds each and numpy releases the GIL in their
            # products and reductions: fit them side by side (each fit is independent,
            # so the results are those of fitting one after the other).
            with worker_pool(max_workers=min(len(models), os.cpu_count() or 1), thread_name_prefix="simval-fit") as pool:
                # Each fit in a copy of this context: a design memo (shared_designs) reaches the threads.
                futures = [pool.submit(contextvars.copy_context().run, _fit_model, model, frame, alpha, masks) for model in models]
                fits = [future.result() for future in futures]
        else:
            fits = [_fit_model(model, frame, alpha, masks) for model in models]
    return correct_p_values(fits, correction)


def correct_p_values(
    fits: Sequence[ModelFit], correction: CorrectionSpec, *, within: Collection[str] | None = None
) -> tuple[ModelFit, ...]:
    """Set ``p_adjusted`` of every coefficient by ``correction``.

    The p-values are adjusted as ``statsmodels.stats.multitest.multipletests``
    does (:func:`~validator.models.rules.adjust_p_values`, the driver the
    bootstrap shares) with the spec's method, over the coefficients of each
    estimable model on its own (scope ``model``) or over those of all
    estimable models together (scope ``study``). With method ``none`` the
    adjusted p-value is the p-value. Not-estimable models carry no
    coefficients and enter no family. Undefined p-values stay undefined and
    do not count towards the family. ``within`` restricts the families to
    those model ids (a comparison uses the models estimable on both sides, so
    both get the same family); coefficients of other models keep
    ``p_adjusted = p_value``.
    """
    p_values = np.array([[c.p_value for fit in fits for c in fit.coefficients]], dtype=float)
    spans, start = [], 0
    for fit in fits:
        spans.append(slice(start, start + len(fit.coefficients)))
        start += len(fit.coefficients)
    # Not-estimable fits have no coefficients, so their spans are empty.
    members = [span for fit, span in zip(fits, spans) if within is None or fit.model in within]
    families: list[slice | np.ndarray] = list(members)
    if correction.scope == "study":
        families = [np.concatenate([np.arange(span.start, span.stop) for span in members])] if members else []
    adjusted = adjust_p_values(p_values, families, correction.method)[0]
    return tuple(
        replace(
            fit,
            coefficients=tuple(
                replace(c, p_adjusted=float(p)) for c, p in zip(fit.coefficients, adjusted[span])
            ),
        )
        for fit, span in zip(fits, spans)
    )


@dataclass(frozen=True)
class Separation:
    """A direction of the coefficients along which the likelihood rises without bound.

    ``direction`` has one entry per parameter (for a multinomial logit,
    level-major: all terms of the second level, then of the third, ...).
    ``n_perfect`` counts the rows that this direction predicts perfectly
    (another direction may predict more).
    """

    direction: np.ndarray
    n_perfect: int


def separation_direction(exog: np.ndarray, codes: np.ndarray, n_levels: int) -> Separation | None:
    """Detect complete or quasi-complete separation exactly, or return None.

    For outcome levels ``0..J-1`` (level 0 the reference, its coefficients
    fixed at 0) the maximum-likelihood estimate of a full-rank logit, probit
    or multinomial logit fails to exist if and only if some non-zero
    coefficient direction ``d`` satisfies ``x_i'(d_{y_i} - d_l) >= 0`` for
    every row ``i`` and every other level ``l`` (Albert and Anderson 1984).
    Following Konis (2007), the linear program maximises the sum of these
    margins subject to them being non-negative and ``-1 <= d <= 1``; its
    optimum is positive exactly when such a direction exists. A binary
    outcome is the case ``J = 2``.
    """
    n, k = exog.shape
    rows = np.arange(n)
    blocks, owners = [], []
    for level in range(n_levels):
        others = rows[codes != level]
        margin = np.zeros((others.size, n_levels, k))
        margin[np.arange(others.size), codes[others], :] += exog[others]
        margin[:, level, :] -= exog[others]
        blocks.append(margin[:, 1:, :].reshape(others.size, -1))
        owners.append(others)
    constraints = np.vstack(blocks)
    owner = np.concatenate(owners)
    result = linprog(
        -constraints.sum(axis=0),
        A_ub=-constraints,
        b_ub=np.zeros(constraints.shape[0]),
        bounds=(-1.0, 1.0),
        method="highs",
    )
    if result.status != 0:
        return None
    direction = np.asarray(result.x)
    margins = constraints @ direction
    # The optimum is 0 without separation; HiGHS' feasibility tolerance is 1e-7
    # per constraint, so a positive optimum must clear that scale to count.
    scale = max(1.0, float(np.abs(exog).max()))
    if -float(result.fun) <= 1e-6 * scale or margins.min() < -1e-6 * scale:
        return None
    positive = np.zeros(n, dtype=bool)
    positive[owner[margins > 1e-6 * scale]] = True
    return Separation(direction=direction, n_perfect=int(positive.sum()))


def _not_estimable(
    model: ModelSpec,
    reason: NotEstimableReason,
    detail: str,
    n_obs: int,
    n_subset_excluded: int,
    n_missing: int,
    *,
    converged: bool = True,
) -> ModelFit:
    return ModelFit(
        model=model.id,
        label=model.label,
        family=model.family,
        formula=model.formula,
        estimable=False,
        n_obs=n_obs,
        n_subset_excluded=n_subset_excluded,
        n_missing=n_missing,
        reason=reason,
        detail=detail,
        cov_type=model.cov_type,
        converged=converged,
    )


def _n_params(model: ModelSpec, design: Design) -> int:
    return n_parameters(model.family, int(design.exog.shape[1]), len(design.levels))


def _precheck(model: ModelSpec, design: Design) -> tuple[NotEstimableReason, str] | None:
    """The reason the model cannot be fitted on this design, before trying."""
    n, k = design.exog.shape
    n_params = _n_params(model, design)
    if k == 0:
        return "fit_error", "the formula has no terms on its right-hand side"
    if n < min_rows(n_params):
        return "too_few_rows", f"{n} rows for {n_params} parameters (at least {min_rows(n_params)} are needed)"
    if model.family == "mnlogit":
        if len(design.levels) < 2:
            return "no_variation", f"the outcome '{design.outcome}' is '{design.levels[0]}' on all {n} rows"
    elif np.ptp(design.endog) == 0:
        value = design.endog[0]
        shown = str(int(value)) if float(value).is_integer() else str(value)
        return "no_variation", f"the outcome '{design.outcome}' is {shown} on all {n} rows"
    if design.empty_terms:
        names = ", ".join(f"'{term}'" for term in design.empty_terms)
        return "singular_design", f"the term {names} has no column on these rows (a categorical with one level)"
    collinear = _collinear_columns(design.exog)
    if collinear:
        zero = [j for j in collinear if not design.exog[:, j].any()]
        parts = []
        if zero:
            parts.append(f"{_quoted(design.terms, zero)} {'is' if len(zero) == 1 else 'are'} zero on every row")
        combined = [j for j in collinear if j not in zero]
        if combined:
            parts.append(
                f"{_quoted(design.terms, combined)} "
                f"{'is a linear combination' if len(combined) == 1 else 'are linear combinations'} "
                "of the columns before"
            )
        rank = k - len(collinear)
        return "singular_design", f"the design matrix has rank {rank} < {k} columns: {'; '.join(parts)}"
    return None


def _quoted(terms: tuple[str, ...], columns: list[int]) -> str:
    return ", ".join(f"'{terms[j]}'" for j in columns)


def _collinear_columns(exog: np.ndarray) -> list[int]:
    """Columns that do not raise the rank of the columns to their left (empty when full rank).

    The rank is ``numpy.linalg.matrix_rank`` of ``exog`` with its default
    tolerance, computed on the ``k x k`` triangular factor of ``exog``'s QR
    decomposition, which has the same singular values and is cheap to reuse.
    """
    n, k = exog.shape
    triangular = np.asarray(np.linalg.qr(exog, mode="r"))
    singular = np.linalg.svd(triangular, compute_uv=False)
    tol = float(singular.max()) * max(n, k) * np.finfo(float).eps
    if int((singular > tol).sum()) == k:
        return []
    kept: list[int] = []
    collinear: list[int] = []
    for j in range(k):
        if np.linalg.matrix_rank(triangular[:, kept + [j]], tol=tol) > len(kept):
            kept.append(j)
        else:
            collinear.append(j)
    return collinear


def _llnull(codes: np.ndarray) -> float:
    """Log-likelihood of the intercept-only model.

    Its maximum-likelihood fit reproduces the outcome's marginal shares, so
    it is ``sum_j n_j log(n_j / n)`` for logit, probit and multinomial logit
    alike; statsmodels would refit it by Nelder-Mead, which costs more than
    the model itself.
    """
    counts = np.unique(codes, return_counts=True)[1]
    return float(np.sum(counts * np.log(counts / counts.sum())))


def _no_check(*args: Any) -> None:
    return None


def _symptoms(model: ModelSpec, design: Design, res: Any, params: np.ndarray, bse: np.ndarray) -> bool:
    if not bool(res.mle_retvals.get("converged", True)):
        return True
    if not np.isfinite(params).all():
        return True
    fitted = np.asarray(res.predict())
    if model.family == "mnlogit":
        own = fitted[np.arange(design.n_obs), design.endog]
    else:
        own = np.where(design.endog == 1.0, fitted, 1.0 - fitted)
    return bool(separation_symptoms(params.ravel(), bse.ravel(), own, np.ones(own.shape, dtype=bool)))


def _separation_detail(model: ModelSpec, design: Design, separation: Separation | None) -> str:
    if separation is None:
        return "statsmodels found the outcome perfectly predicted on every row (complete separation)"
    names = _parameter_names(model, design)
    scale = float(np.abs(separation.direction).max())
    involved = [name for name, d in zip(names, separation.direction) if abs(d) > 1e-6 * scale]
    shown = [name for name in involved if not name.startswith("Intercept")] or involved
    return (
        f"separation along {', '.join(shown)}: the outcome is predicted perfectly on at least "
        f"{separation.n_perfect} of {design.n_obs} rows and wrongly on none, so the estimates diverge"
    )


def _parameter_names(model: ModelSpec, design: Design) -> tuple[str, ...]:
    return parameter_names(model.family, design.terms, design.levels)


@dataclass
class _Attempt:
    """What statsmodels returned, or how it failed."""

    result: Any = None
    error: Exception | None = None
    separated: bool = False  # statsmodels itself reported perfect prediction


def _attempt(model: ModelSpec, design: Design) -> _Attempt:
    kwargs: dict[str, Any] = {"cov_type": model.cov_type}
    if model.cov_type == "cluster":
        kwargs["cov_kwds"] = {"groups": design.groups}
    attempt = _Attempt()
    try:
        if model.family in _DISCRETE:
            # callback: statsmodels' per-iteration perfect-prediction check
            # finds only complete separation and costs a fifth of a large fit;
            # separation_direction decides instead.
            # check_rank=False: _precheck has established full column rank (numpy's rule);
            # statsmodels' own QR rank only sets df_model/df_resid, which no reported
            # number of a discrete model uses, and cost a sixth of a 1,000,000-row fit.
            # hasconst=False: statsmodels then does not look for a constant column (a
            # column-wise min and max over every row, another tenth); the constant only
            # enters its null model (llnull, which _fit sets itself) and AIC/BIC, neither
            # of which simval reads. Estimates, standard errors and tests do not use it.
            attempt.result = _DISCRETE[model.family](design.endog, design.exog, check_rank=False, hasconst=False).fit(
                method="newton", maxiter=MAX_ITER, disp=0, callback=_no_check, **kwargs
            )
        else:
            attempt.result = OLS(design.endog, design.exog).fit(use_t=True, **kwargs)
    except PerfectSeparationError:  # raised by statsmodels < 0.14 and kept for safety
        attempt.separated = True
    except (np.linalg.LinAlgError, ValueError, ArithmeticError) as exc:
        attempt.error = exc
    return attempt


def _fit(model: ModelSpec, design: Design, alpha: float) -> ModelFit:
    discrete = model.family in _DISCRETE

    def blocked(reason: NotEstimableReason, detail: str, *, converged: bool = True) -> ModelFit:
        return _not_estimable(
            model, reason, detail, design.n_obs, design.n_subset_excluded, design.n_missing, converged=converged
        )

    # Every statsmodels/numpy warning is recorded, not shown: how a difficult
    # fit ended is told by the reason code.
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        attempt = _attempt(model, design)
        res = attempt.result
        try:
            if res is not None:
                params = np.asarray(res.params, dtype=float)
                bse = np.asarray(res.bse, dtype=float)
                p_values = np.asarray(res.pvalues, dtype=float)
                ci = np.asarray(res.conf_int(alpha), dtype=float)
        except (np.linalg.LinAlgError, ValueError, ArithmeticError) as exc:
            attempt.error, res = exc, None
        separated = attempt.separated or any(issubclass(w.category, PerfectSeparationWarning) for w in caught)
        converged = res is not None and bool(res.mle_retvals.get("converged", True)) if discrete else True
        if discrete and (res is None or separated or _symptoms(model, design, res, params, bse)):
            codes = design.endog.astype(np.int64)
            separation = separation_direction(design.exog, codes, max(len(design.levels), 2))
            if separated or separation is not None:
                detail = _separation_detail(model, design, separation)
                return blocked("perfect_separation", detail, converged=converged)
        if res is None:
            return blocked("fit_error", f"{type(attempt.error).__name__}: {attempt.error}".splitlines()[0])
        if not converged:
            return blocked("not_converged", f"Newton did not converge in {MAX_ITER} iterations", converged=False)
        if not (np.isfinite(params).all() and np.isfinite(bse).all()):
            return blocked("fit_error", "the fit produced undefined estimates or standard errors")
        if discrete:
            res.set_null_options(llnull=_llnull(design.endog))
            pseudo_r2 = float(res.prsquared)
        else:
            pseudo_r2 = float(res.rsquared)
        log_likelihood = float(res.llf)

    if model.family == "mnlogit":
        # statsmodels: params (k, J-1) with one column per non-reference level; ci (J-1, k, 2).
        params, bse, p_values = params.T.ravel(), bse.T.ravel(), p_values.T.ravel()
        ci = ci.reshape(-1, 2)
    coefficients = tuple(
        Coefficient(
            model=model.id,
            term=name,
            estimate=float(params[j]),
            std_error=float(bse[j]),
            p_value=float(p_values[j]),
            p_adjusted=float(p_values[j]),
            ci_low=float(ci[j, 0]),
            ci_high=float(ci[j, 1]),
        )
        for j, name in enumerate(_parameter_names(model, design))
    )
    return ModelFit(
        model=model.id,
        label=model.label,
        family=model.family,
        formula=model.formula,
        estimable=True,
        n_obs=design.n_obs,
        n_subset_excluded=design.n_subset_excluded,
        n_missing=design.n_missing,
        coefficients=coefficients,
        cov_type=model.cov_type,
        converged=True,
        log_likelihood=log_likelihood,
        pseudo_r2=pseudo_r2,
    )
