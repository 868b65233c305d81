"""The rules both regression engines follow: estimability, parameter names, p-value correction.

simval fits a model in two ways: once per dataset with statsmodels
(:mod:`validator.models.fit`) and on many bootstrap replicates at once
(:mod:`validator.bootstrap.batched`). Both must call the same fits estimable,
name the same parameters the same way and correct p-values the same way, so
the rules live here and nowhere else.

Estimability
    A model needs at least :func:`min_rows` rows; a fit whose standard error
    exceeds ``SE_BLOWUP * max(1, |estimate|)`` or that predicts some row's own
    outcome with a probability within ``SATURATED`` of 1 shows a symptom of
    separation (:func:`separation_symptoms`).

Names
    A coefficient is named by its design column (``Intercept``, ``x1``); a
    multinomial logit has one per column and non-reference level,
    ``term[level]``, level-major (:func:`parameter_names`).

Correction
    :func:`adjust_p_values` applies a multiple-comparison correction of
    ``statsmodels.stats.multitest.multipletests`` to every row of a matrix of
    p-values (one row per replicate) at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MAX_ITER = 100
"""Newton iterations allowed to a statsmodels logit, probit or multinomial logit fit."""

BATCHED_MAX_ITER = 50
"""Newton iterations allowed to a batched replicate fit.

It starts from the full data's estimate, a few quadratic steps from its own,
so a replicate still running after 50 steps is running off along a
separating direction; allowing 100 would only double the cost of those.
"""

SATURATED = 1e-12
"""A fitted probability of a row's own outcome this close to 1 is a symptom of separation."""

SE_BLOWUP = 1e3
"""A standard error this many times ``max(1, |estimate|)`` is a symptom of separation."""

CORRECTION_METHODS = ("none", "bonferroni", "holm", "sidak", "fdr_bh", "fdr_by")
"""The methods :func:`adjust_p_values` applies (the spec's ``correction.method``)."""


def n_parameters(family: str, n_columns: int, n_levels: int) -> int:
    """Parameters of a model: one per design column, times non-reference levels for ``mnlogit``.

    >>> n_parameters("mnlogit", 4, 3), n_parameters("logit", 4, 2)
    (8, 4)
    """
    return n_columns * max(n_levels - 1, 1) if family == "mnlogit" else n_columns


def min_rows(n_params: int) -> int:
    """Rows a model with ``n_params`` parameters needs: one more than its parameters.

    >>> min_rows(6)
    7
    """
    return n_params + 1


def parameter_names(family: str, terms: Sequence[str], levels: Sequence[str]) -> tuple[str, ...]:
    """The names of a model's parameters, in the order both engines report them.

    >>> parameter_names("mnlogit", ["Intercept", "x"], ["stay", "left", "right"])
    ('Intercept[left]', 'x[left]', 'Intercept[right]', 'x[right]')
    """
    if family != "mnlogit":
        return tuple(terms)
    return tuple(f"{term}[{level}]" for level in levels[1:] for term in terms)


def separation_symptoms(params: np.ndarray, std_errors: np.ndarray, own: np.ndarray, drawn: np.ndarray) -> np.ndarray:
    """Whether each fit (leading axis) shows a symptom of separation.

    ``params`` and ``std_errors`` are ``(..., n_params)``; ``own`` is the
    fitted probability of every row's observed outcome ``(..., n)`` and
    ``drawn`` marks the rows the fit uses. A symptom is an undefined or
    blown-up standard error or a saturated row (see the module docstring).
    """
    blowup = ~(std_errors <= SE_BLOWUP * np.maximum(1.0, np.abs(params))).all(axis=-1)
    saturated = ((own >= 1.0 - SATURATED) & drawn).any(axis=-1)
    return np.asarray(blowup | saturated)


def adjust_p_values(p_values: np.ndarray, families: Sequence[slice | np.ndarray], method: str) -> np.ndarray:
    """Correct the p-values of each family of columns, row by row, as ``multipletests`` does.

    ``p_values`` is ``(B, m)``: one row per replicate (or a single row), one
    column per coefficient; each entry of ``families`` selects the columns
    corrected together. Undefined p-values (NaN) stay undefined and do not
    count towards their family's size. The result equals
    ``multipletests(row[family][finite], method=method)[1]`` for every row and
    family (a test checks this against statsmodels), computed with one sort
    of the whole matrix instead of a Python call per replicate.

    >>> adjust_p_values(np.array([[0.01, 0.04, np.nan]]), [slice(0, 3)], "bonferroni")
    array([[0.02, 0.08,  nan]])
    """
    if method not in CORRECTION_METHODS:
        raise ValueError(f"unknown correction method '{method}'; use one of {', '.join(CORRECTION_METHODS)}")
    p: np.ndarray = np.asarray(p_values, dtype=float)
    adjusted: np.ndarray = p.copy()
    if method == "none" or p.size == 0:
        return adjusted
    for family in families:
        if p[:, family].shape[1]:
            adjusted[:, family] = _adjust_family(p[:, family], method)
    return adjusted


def _adjust_family(p: np.ndarray, method: str) -> np.ndarray:
    """:func:`adjust_p_values` for one family: ``p`` is ``(B, m)``."""
    finite = np.isfinite(p)
    with np.errstate(all="ignore"):
        return np.asarray(_adjusted(p, finite, method), dtype=float)


def _adjusted(p: np.ndarray, finite: np.ndarray, method: str) -> np.ndarray:
    m = finite.sum(axis=1, keepdims=True).astype(float)  # family size per replicate
    out = np.full_like(p, np.nan)
    if method == "bonferroni":
        out = np.minimum(p * m, 1.0)
    elif method == "sidak":
        out = -np.expm1(m * np.log1p(-p))
    else:
        # Sorted per row with the undefined values last (as +inf), so that the
        # running extremes over the defined values never see them.
        order = np.argsort(np.where(finite, p, np.inf), axis=1, kind="stable")
        ordered = np.take_along_axis(np.where(finite, p, np.inf), order, axis=1)
        rank = np.arange(1, p.shape[1] + 1, dtype=float)[None, :]
        if method == "holm":
            step = np.maximum.accumulate((m - rank + 1.0) * ordered, axis=1)
        else:
            factor = rank / m
            if method == "fdr_by":
                # Benjamini-Yekutieli: divided by the harmonic number of the family's
                # size, summed as statsmodels sums it (np.sum), for identical bits.
                harmonic = np.array([np.sum(1.0 / np.arange(1, j + 1)) for j in range(1, p.shape[1] + 1)])
                factor = factor / harmonic[np.maximum(m[:, 0].astype(int) - 1, 0)][:, None]
            step = np.minimum.accumulate((ordered / factor)[:, ::-1], axis=1)[:, ::-1]
        step = np.minimum(step, 1.0)
        np.put_along_axis(out, order, step, axis=1)
    out[~finite] = np.nan
    return np.asarray(out)
