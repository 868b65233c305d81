"""The rows and design matrices one regression model is fitted on.

:func:`build_design` turns a model spec and a data frame into the arrays that
statsmodels fits: the subset is applied, rows with a missing value in any
variable the model reads are dropped (and counted), booleans become 0/1
floats, formulaic builds the right-hand side, and the outcome is coded for the
model's family. A design that cannot be built on this data (a variable the
frame lacks, a logit outcome that is not 0/1) is a :class:`DesignFailure`
with a reason code, not an exception.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from formulaic import Formula
from formulaic.parser.types import Factor

from validator.errors import ExpressionError
from validator.models.types import NotEstimableReason
from validator.spec.expressions import Expression, parse_expression
from validator.spec.formulas import FormulaInfo, check_formula, formula_context
from validator.spec.model import ModelSpec

BINARY_FAMILIES = ("logit", "probit")

EvalMethod = Factor.EvalMethod


@dataclass(frozen=True)
class Design:
    """The arrays one model is fitted on.

    ``exog`` is the ``n x k`` design matrix with column names ``terms``;
    ``outcome`` is the left-hand side of the formula.
    ``endog`` is the outcome: 0/1 floats for logit/probit, floats for OLS,
    integer codes ``0..J-1`` into ``levels`` for a multinomial logit (code 0 is
    the reference level). ``groups`` holds integer cluster codes aligned with
    the rows, or None. ``empty_terms`` names formula terms that produced no
    column on these rows (a categorical with a single level), which makes the
    model as unestimable as a rank-deficient design. ``rows`` are the positions
    in the frame of the rows used, so per-row bootstrap weights map onto the design.
    """

    exog: np.ndarray
    terms: tuple[str, ...]
    outcome: str
    endog: np.ndarray
    levels: tuple[str, ...]
    groups: np.ndarray | None
    empty_terms: tuple[str, ...]
    n_subset_excluded: int
    n_missing: int
    rows: np.ndarray | None = None

    @property
    def n_obs(self) -> int:
        return int(self.exog.shape[0])


@dataclass(frozen=True)
class DesignFailure:
    """Why no design could be built for a model on this data."""

    reason: NotEstimableReason
    detail: str
    n_subset_excluded: int = 0
    n_missing: int = 0
    n_obs: int = 0


@lru_cache(maxsize=256)
def _formula(text: str) -> tuple[FormulaInfo, Formula]:
    """Check and parse a formula once per text."""
    return check_formula(text), Formula(text)


@lru_cache(maxsize=256)
def _subset(text: str) -> Expression:
    return parse_expression(text)


def _as_mask(values: pd.Series, text: str) -> np.ndarray:
    """A subset's truth values as a boolean array; a missing value counts as False."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return np.asarray(values.fillna(False), dtype=bool)
    present = values.dropna()
    if present.map(lambda v: isinstance(v, (bool, np.bool_))).all():
        return np.asarray(values.map(lambda v: v is True or v is np.True_), dtype=bool)
    raise ExpressionError(f"the subset '{text}' must be true or false on every row, not {values.dtype} values")


def _as_float(values: pd.Series) -> pd.Series:
    # Booleans (numpy or pandas' nullable "boolean") become 0/1 floats so that
    # formulaic names the column after the variable, not "x[T.True]".
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype(float)
    return values


def _numeric_design(formula: Formula, data: pd.DataFrame) -> tuple[np.ndarray, tuple[str, ...]] | None:
    """The design matrix of a formula of plain numeric variables, as formulaic builds it; None otherwise.

    When every term of the right-hand side is the intercept or one variable
    looked up by name, and every such variable is a float column without
    missing values, formulaic's matrix is the intercept's ones and the columns
    themselves, in its term order: built here directly, since materialising it
    through formulaic cost more than the fit itself on survey-sized data.
    """
    columns: list[np.ndarray] = []
    names: list[str] = []
    for term in formula.rhs:
        factors = term.factors
        if len(factors) != 1:
            return None
        factor = factors[0]
        if factor.eval_method is EvalMethod.LITERAL and str(factor.expr) == "1":
            columns.append(np.ones(len(data)))
            names.append("Intercept")
            continue
        if factor.eval_method is not EvalMethod.LOOKUP or factor.expr not in data.columns:
            return None
        values = data[factor.expr]
        if values.dtype != np.float64:
            return None
        column = values.to_numpy()
        if np.isnan(column).any():
            return None
        columns.append(column)
        names.append(str(factor.expr))
    if not columns or len(set(names)) != len(names):
        return None
    return np.ascontiguousarray(np.column_stack(columns), dtype=float), tuple(names)


def _preview(values: pd.Series) -> str:
    shown = sorted(map(str, pd.unique(values)))
    return ", ".join(shown[:5]) + (", ..." if len(shown) > 5 else "")


def _outcome_levels(values: pd.Series) -> tuple[np.ndarray, tuple[str, ...]]:
    """Integer codes and level names of a multinomial outcome.

    Levels are those observed, in the declared category order when the column
    is a pandas categorical and in sorted order otherwise; the first one is
    the reference level.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        observed = set(values.unique())
        ordered = [level for level in values.cat.categories if level in observed]
    else:
        ordered = sorted(pd.unique(values))
    codes = pd.Categorical(np.asarray(values, dtype=object), categories=ordered).codes.astype(np.int64)
    return codes, tuple(str(level) for level in ordered)


def _binary_outcome(values: pd.Series, name: str, family: str) -> np.ndarray | str:
    """The outcome as 0/1 floats, or why it is not binary."""
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        numbers = np.asarray(values, dtype=float)
        if np.isin(numbers, (0.0, 1.0)).all():
            return numbers
    return (
        f"a {family} model needs a binary outcome (true/false or 0/1), "
        f"but '{name}' takes the values {_preview(values)}"
    )


def _numeric_outcome(values: pd.Series, name: str) -> np.ndarray | str:
    """The outcome as floats, or why it is not a finite number."""
    if not (pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype)):
        return f"an ols model needs a numeric outcome, but '{name}' takes the values {_preview(values)}"
    numbers = np.asarray(values, dtype=float)
    return numbers if np.isfinite(numbers).all() else f"the outcome '{name}' has infinite values"


def _rows(
    frame: pd.DataFrame,
    subset: Expression | None,
    read: list[str],
    masks: dict[str, np.ndarray] | None,
) -> tuple[np.ndarray, int, int]:
    """Positions of the rows used, and the counts excluded by the subset and for missing values."""
    keep = np.ones(len(frame), dtype=bool)
    if subset is not None:
        cached = masks.get(subset.text) if masks is not None else None
        keep = cached if cached is not None else _as_mask(subset.evaluate(frame), subset.text)
        if masks is not None:
            masks[subset.text] = keep
    missing = frame[read].isna().to_numpy().any(axis=1)
    return np.flatnonzero(keep & ~missing), int((~keep).sum()), int((keep & missing).sum())


_SHARED: ContextVar[dict[tuple[int, ModelSpec], tuple[pd.DataFrame, Design | DesignFailure]] | None] = ContextVar(
    "simval_shared_designs", default=None
)


@contextmanager
def shared_designs() -> Iterator[None]:
    """Inside the block, :func:`build_design` builds each model's design on a frame once.

    A check fits a model on a dataset with statsmodels and then refits it on the same
    rows for its equal-n draws or bootstrap replicates: the design (subset, missing
    values, the matrix) is the same both times, and on a 1,000,000-row file building
    it cost about as much as statsmodels' fit. The designs (arrays nobody writes to)
    are kept until the block ends; the frames must not change inside it. Threads see
    the block when they run in a copy of its context (``contextvars.copy_context``).
    """
    memo = _SHARED.get()
    token = _SHARED.set({} if memo is None else memo)
    try:
        yield
    finally:
        _SHARED.reset(token)


def build_design(
    model: ModelSpec, frame: pd.DataFrame, *, masks: dict[str, np.ndarray] | None = None
) -> Design | DesignFailure:
    """Build the design of ``model`` on ``frame`` (once per frame inside :func:`shared_designs`).

    Rows are used when the subset holds (a missing subset value counts as
    false) and no variable of the formula, nor the cluster variable, is
    missing. ``n_subset_excluded`` counts the rows the subset drops and
    ``n_missing`` the remaining rows dropped for missing values. Categorical
    predictors are dummy-coded by formulaic against their first level (the
    declared order of a pandas categorical, else sorted order); declared
    levels absent from the rows still get a column, which is then all zero.
    ``masks`` caches subset masks by subset text across calls on one frame.
    """
    memo = _SHARED.get()
    if memo is None:
        return _build_design(model, frame, masks)
    key = (id(frame), model)
    hit = memo.get(key)
    if hit is not None and hit[0] is frame:  # the frame itself, not a later one with the same id
        return hit[1]
    design = _build_design(model, frame, masks)
    memo[key] = (frame, design)
    return design


def _build_design(model: ModelSpec, frame: pd.DataFrame, masks: dict[str, np.ndarray] | None) -> Design | DesignFailure:
    info, formula = _formula(model.formula)
    outcome_name = info.outcome
    subset = _subset(model.subset) if model.subset else None
    read = sorted(info.variables | {outcome_name})
    if model.cluster and model.cluster not in read:
        read.append(model.cluster)
    absent = sorted({*read, *(subset.names if subset else ())} - set(frame.columns))
    if absent:
        names = ", ".join(f"'{name}'" for name in absent)
        return DesignFailure("missing_variable", f"the data has no variable {names}")

    rows, n_subset_excluded, n_missing = _rows(frame, subset, read, masks)

    def fail(reason: NotEstimableReason, detail: str) -> DesignFailure:
        return DesignFailure(reason, detail, n_subset_excluded, n_missing, int(rows.size))

    if rows.size == 0:
        return fail("too_few_rows", "no rows are left after the subset and missing values")
    data = pd.DataFrame({name: _as_float(frame[name].iloc[rows]).reset_index(drop=True) for name in read})
    numeric = _numeric_design(formula, data)
    empty_terms: tuple[str, ...] = ()  # every term of a numeric design is one column
    if numeric is not None:
        exog, terms = numeric
    else:
        try:
            rhs = formula.rhs.get_model_matrix(
                data, context=dict(formula_context()), output="pandas", na_action="raise"
            )
        except Exception as exc:  # noqa: BLE001 - formulaic raises many types; the model is then simply not estimable
            message = str(exc).strip().splitlines()
            return fail("fit_error", f"the design matrix could not be built: {message[0] if message else repr(exc)}")
        exog = np.ascontiguousarray(rhs.to_numpy(dtype=float))
        terms = tuple(str(name) for name in rhs.columns)
        empty_terms = tuple(str(term) for term, index in rhs.model_spec.term_indices.items() if not index)
    bad = [terms[j] for j in np.flatnonzero(~np.isfinite(exog).all(axis=0))]
    if bad:
        names = ", ".join(f"'{name}'" for name in bad)
        return fail("fit_error", f"the design column {names} has infinite or undefined values")

    # check_formula guarantees a single variable name left of "~"; the raw
    # column keeps a multinomial outcome's labels and categories.
    outcome = frame[outcome_name].iloc[rows].reset_index(drop=True)
    levels: tuple[str, ...] = ()
    endog: np.ndarray | str
    if model.family == "mnlogit":
        endog, levels = _outcome_levels(outcome)
    elif model.family in BINARY_FAMILIES:
        endog = _binary_outcome(outcome, outcome_name, model.family)
    else:
        endog = _numeric_outcome(outcome, outcome_name)
    if isinstance(endog, str):
        return fail("fit_error", endog)

    return Design(
        exog=exog,
        terms=terms,
        outcome=outcome_name,
        endog=endog,
        levels=levels,
        groups=pd.factorize(data[model.cluster])[0] if model.cluster else None,
        empty_terms=empty_terms,
        n_subset_excluded=n_subset_excluded,
        n_missing=n_missing,
        rows=rows,
    )
