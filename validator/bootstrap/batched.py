"""One regression model refitted on many bootstrap replicates at once.

A bootstrap replicate is a vector of non-negative frequency weights over the
rows of a :class:`~validator.models.design.Design` (multinomial counts: a row
drawn twice has weight 2). :func:`fit_batched` fits ``B`` such weighted models
in a few stacked numpy operations instead of ``B`` statsmodels calls, and
gives each replicate exactly what statsmodels would give on the data with
every row repeated by its weight.

Estimating equations, with ``w_i`` the replicate's weight of row ``i``,
``x_i`` its design row and ``eta_i = x_i'b``:

* ``ols``: ``X'W(y - Xb) = 0``, solved in closed form;
  ``sigma^2 = sum_i w_i e_i^2 / (sum_i w_i - k)``.
* ``logit``: ``sum_i w_i (y_i - p_i) x_i = 0`` with ``p_i = expit(eta_i)``;
  information ``X' diag(w p (1 - p)) X``.
* ``probit``: ``sum_i w_i q_i lambda_i x_i = 0`` with ``q_i = 2 y_i - 1`` and
  ``lambda_i = phi(q_i eta_i) / Phi(q_i eta_i)``; observed information
  ``X' diag(w lambda (lambda + q eta)) X``, the Hessian statsmodels' Probit
  uses. The iterations are Newton-Raphson on it, not Fisher scoring.
* ``mnlogit``: for every non-reference level ``l`` (level 0 is the reference,
  as in :mod:`validator.models.fit`), ``sum_i w_i (1[y_i = l] - p_il) x_i = 0``
  with softmax probabilities; information block ``(l, m)`` is
  ``X' diag(w p_l (1[l = m] - p_m)) X``. Parameters are level-major: all terms
  of level 1, then of level 2, ...

The discrete families share one Newton driver (:func:`_newton`). Every
weighted cross product ``X' diag(c) X`` is one matrix product of the stacked
``c`` (replicates x rows) with the ``n x k(k+1)/2`` products of design
columns, so nothing of size ``B x n x k x k`` is built. Rows that repeat the
same design row and outcome are first merged into one row whose weight is
their summed weight (:func:`_collapse`): every estimating equation above is a
weighted sum over rows, so the fit is unchanged, and survey data with
discrete answers often has a fraction as many distinct rows as rows.
Replicates are fitted in blocks sized to stay in cache, with BLAS on one
thread (:mod:`validator.models.blas`).

Covariances: ``nonrobust`` is the inverse information (``sigma^2 (X'WX)^-1``
for OLS); ``HC0`` is the sandwich ``H^-1 (sum_i w_i s_i s_i') H^-1`` with the
score contributions ``s_i`` (``e_i x_i`` for OLS); for OLS, ``HC1`` scales
HC0 by ``N / (N - k)`` with ``N = sum_i w_i``, and ``HC2`` and ``HC3`` divide
each ``e_i^2`` by ``1 - h_i`` and ``(1 - h_i)^2`` with the leverage
``h_i = x_i' (X'WX)^-1 x_i``. ``cluster`` (CRV1) is
``c H^-1 (sum_g S_g S_g') H^-1`` with ``S_g = sum_{i in g} w_i s_i`` and
statsmodels' small-sample factor ``c = G / (G - 1) * (N - 1) / (N - K)``
(``G`` clusters drawn, ``K`` parameters), for OLS and the maximum-likelihood
families alike (``statsmodels.stats.sandwich_covariance.cov_cluster``).
Frequency weights count as repeated rows throughout, so ``N`` is the number
of rows of the expanded data and a repeated row stays in its cluster; a
cluster bootstrap instead counts every copy of a drawn cluster as a cluster
(``cluster_copies``). p-values are two-sided, normal for the discrete
families and Student t for OLS with ``N - k`` degrees of freedom, ``G - 1``
under ``cluster``, as statsmodels reports them.

Estimability of a replicate. It is not estimable, with NaN estimates, when

1. it has fewer than ``n_params + 1`` rows (``sum_i w_i``);
2. the outcome does not vary over its rows (``w_i > 0``); for ``mnlogit`` when
   any outcome level is missing from them (statsmodels would drop that
   level's parameters, so the replicate has no estimate of them);
3. its design is singular: ``X'WX``, scaled to unit diagonal, has a zero
   diagonal entry or an eigenvalue below ``1e-12`` times its largest;
4. (discrete families) Newton stops without converging: no step below
   ``tol`` within ``max_iter`` iterations, an estimate above ``1e6`` in
   absolute value or undefined, or an information matrix that LU cannot
   invert and that is singular as in 3;
5. (discrete families) the converged fit shows a symptom of separation, the
   same symptoms on which :mod:`validator.models.fit` runs its exact linear
   program: a standard error above ``1e3 * max(1, |estimate|)`` or undefined
   (which includes an information matrix singular as in 3), or a row with
   ``w_i > 0`` whose fitted probability of its own outcome is within
   ``1e-12`` of 1.

The linear program is too slow to run per replicate, so every symptom counts
as separation here. This is stricter than ``fit_model`` only for a fit that
converges to a finite optimum with a row predicted to within 1e-12, which
``fit_model`` would accept once the program finds no separation; with
separation proper Newton does not converge (the estimates grow without bound),
so 4 and 5 flag every replicate ``fit_model`` calls ``perfect_separation``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import numpy as np
from scipy import sparse, special, stats

from validator.models.blas import one_blas_thread
from validator.models.design import Design
from validator.models.rules import (
    BATCHED_MAX_ITER,
    min_rows,
    parameter_names,
    separation_symptoms,
)
from validator.spec.model import SUPPORTED_COV_TYPES, cov_type_problem

BATCHED_COV_TYPES: Mapping[str, tuple[str, ...]] = SUPPORTED_COV_TYPES
"""The covariance types :func:`fit_batched` computes: every one the spec allows."""

_SINGULAR = 1e-12  # smallest eigenvalue of a unit-diagonal cross-product matrix, relative to the largest
_EXPLODED = 1e6  # an estimate this large means Newton is running off along a separating direction
_COLLAPSE = 0.9  # merge repeated rows when that leaves at most this share of the rows
_BLOCK = 2**17  # replicates x rows per block: arrays of 1 MiB
_MIN_BLOCK = 16  # replicates per block at least


@dataclass(frozen=True)
class BatchedFit:
    """One model fitted on ``B`` weighted replicates.

    ``params``, ``std_errors`` and ``p_values`` are ``B x n_params``, NaN on
    the rows of replicates that are not ``estimable``; ``terms`` names the
    columns (``term[level]`` for a multinomial logit, level-major).
    """

    params: np.ndarray
    std_errors: np.ndarray
    p_values: np.ndarray
    estimable: np.ndarray
    terms: tuple[str, ...]


class _Columns:
    """The design matrix in the layouts the batched products need."""

    def __init__(self, exog: np.ndarray) -> None:
        self.x = np.ascontiguousarray(exog, dtype=float)
        self.n, self.k = self.x.shape
        self.xt = np.ascontiguousarray(self.x.T)
        self.upper = np.triu_indices(self.k)
        # x_ij * x_il for j <= l: every weighted cross product is c @ pairs.
        self.pairs = np.ascontiguousarray(self.x[:, self.upper[0]] * self.x[:, self.upper[1]])

    def gram(self, c: np.ndarray) -> np.ndarray:
        """``X' diag(c) X`` for every leading index of ``c`` (shape ``(..., n)``), as ``(..., k, k)``."""
        lead = c.shape[:-1]
        flat = c.reshape(-1, self.n) @ self.pairs
        out = np.empty((flat.shape[0], self.k, self.k))
        out[:, self.upper[0], self.upper[1]] = flat
        out[:, self.upper[1], self.upper[0]] = flat
        return out.reshape(*lead, self.k, self.k)

    def blocks(self, c: np.ndarray) -> np.ndarray:
        """The ``(a, L, L, n)`` weights ``c`` as ``(a, L k, L k)`` with block ``(l, m)`` = ``X' diag(c_lm) X``."""
        a, levels = c.shape[0], c.shape[1]
        g = self.gram(c)  # (a, L, L, k, k)
        result: np.ndarray = g.transpose(0, 1, 3, 2, 4).reshape(a, levels * self.k, levels * self.k)
        return result

    def cross(self, v: np.ndarray) -> np.ndarray:
        """``X' v_l`` for ``v`` of shape ``(a, L, n)``, level-major as ``(a, L k)``."""
        result: np.ndarray = (v.reshape(-1, self.n) @ self.x).reshape(v.shape[0], -1)
        return result

    def eta(self, beta: np.ndarray, levels: int) -> np.ndarray:
        """Linear predictors ``(a, L, n)`` of level-major parameters ``(a, L k)``."""
        result: np.ndarray = (beta.reshape(-1, self.k) @ self.xt).reshape(beta.shape[0], levels, self.n)
        return result


class _Local(NamedTuple):
    """Per-row quantities of a discrete family at the current estimates.

    The score of row ``i`` is ``w_i (r_il x_i)_l`` and the information
    ``sum_i w_i c_ilm x_i x_i'`` block by block; ``own`` is the fitted
    probability of the row's observed outcome, computed only when asked for.
    Every array is freshly allocated, so the caller may scale it in place.
    """

    r: np.ndarray  # (a, L, n)
    c: np.ndarray  # (a, L, L, n)
    own: np.ndarray | None  # (a, n)


_Family = Callable[[np.ndarray, np.ndarray, bool], _Local]


def _logit(eta: np.ndarray, y: np.ndarray, own: bool) -> _Local:
    """Logit: ``r = y - p``, ``c = p (1 - p)``."""
    # 1 / (1 + exp(-eta)) in place: numpy's vectorised exp is several times
    # faster than scipy's expit, and exp overflowing to inf gives p = 0 exactly.
    p = np.negative(eta)
    np.exp(p, out=p)
    p += 1.0
    np.reciprocal(p, out=p)
    c = 1.0 - p
    c *= p
    own_p = (1.0 - y) + (2.0 * y - 1.0) * p[:, 0] if own else None  # p where y = 1, else 1 - p
    return _Local(r=y - p, c=c[:, :, None, :], own=own_p)


def _probit(eta: np.ndarray, y: np.ndarray, own: bool) -> _Local:
    """Probit: ``r = q lambda``, ``c = lambda (lambda + q eta)`` (observed information)."""
    q = 2.0 * y - 1.0
    s = q * eta
    phi = special.ndtr(s)
    lam = np.exp(-0.5 * s * s) / (np.sqrt(2.0 * np.pi) * phi)
    # Far in the lower tail Phi underflows; there the ratio goes through logs.
    tail = s < -30.0
    if tail.any():
        lam[tail] = np.exp(-0.5 * s[tail] ** 2 - 0.5 * np.log(2.0 * np.pi) - special.log_ndtr(s[tail]))
    c = lam + s
    c *= lam
    return _Local(r=q * lam, c=c[:, :, None, :], own=phi[:, 0] if own else None)


def _mnlogit(eta: np.ndarray, codes: np.ndarray, own: bool) -> _Local:
    """Multinomial logit: ``r_l = 1[y = l] - p_l``, ``c_lm = p_l (1[l = m] - p_m)``."""
    a, levels, n = eta.shape
    # Softmax with the reference level's predictor fixed at 0, every level
    # shifted by the row's largest predictor so that exp cannot overflow.
    top = np.maximum(eta.max(axis=1), 0.0)
    p = eta - top[:, None, :]
    np.exp(p, out=p)
    reference = np.exp(-top)
    total = reference + p.sum(axis=1)
    p /= total[:, None, :]
    c = p[:, :, None, :] * p[:, None, :, :]
    np.negative(c, out=c)
    for level in range(levels):
        c[:, level, level] += p[:, level]
    indicator = (codes == np.arange(1, levels + 1)[:, None]).astype(float)  # (L, n)
    own_p = None
    if own:
        chosen = np.broadcast_to(np.maximum(codes - 1, 0), (a, 1, n))
        own_p = np.where(codes == 0, reference / total, np.take_along_axis(p, chosen, axis=1)[:, 0])
    return _Local(r=indicator - p, c=c, own=own_p)


_FAMILIES: dict[str, _Family] = {"logit": _logit, "probit": _probit, "mnlogit": _mnlogit}


def _inverse(matrices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of each symmetric positive semi-definite matrix of a stack, and whether it is regular.

    Each matrix is scaled to unit diagonal before its eigendecomposition, so
    the regularity test (smallest eigenvalue above ``_SINGULAR`` times the
    largest, every diagonal entry positive) ignores the units of the columns.
    A singular matrix gets a NaN inverse instead of failing the whole stack,
    as ``np.linalg.solve`` would.
    """
    m = matrices.shape[-1]
    diagonal = np.diagonal(matrices, axis1=-2, axis2=-1)
    positive = np.isfinite(matrices).all(axis=(-2, -1)) & (diagonal > 0).all(axis=-1)
    scale = 1.0 / np.sqrt(np.where(positive[:, None], diagonal, 1.0))
    unit = np.where(
        positive[:, None, None], matrices * scale[:, :, None] * scale[:, None, :], np.eye(m)
    )
    values, vectors = np.linalg.eigh(unit)
    regular = positive & (values[:, 0] > _SINGULAR * values[:, -1])
    values = np.where(regular[:, None], values, 1.0)
    inverse = (vectors / values[:, None, :]) @ vectors.transpose(0, 2, 1)
    inverse *= scale[:, :, None] * scale[:, None, :]
    inverse[~regular] = np.nan
    return inverse, regular


def _solve(matrices: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``matrices^-1 rhs`` for a stack, and whether each matrix is invertible.

    One batched LU solve; only when some matrix of the stack is exactly
    singular (which fails the whole stack) does it go through :func:`_inverse`.
    """
    try:
        return np.linalg.solve(matrices, rhs[:, :, None])[:, :, 0], np.ones(len(rhs), dtype=bool)
    except np.linalg.LinAlgError:
        inverse, regular = _inverse(matrices)
        return np.einsum("aij,aj->ai", inverse, rhs), regular


def _sandwich(bread: np.ndarray, meat: np.ndarray) -> np.ndarray:
    result: np.ndarray = bread @ meat @ bread
    return result


class _Clusters:
    """The cluster of every row, in the layouts the cluster sandwich needs.

    ``scores`` is the sparse ``(G k) x n`` matrix with ``x_ij`` at row
    ``g k + j`` for the cluster ``g`` of row ``i``: one product with it sums
    every replicate's score contributions ``v_il x_i`` within every cluster.
    ``members`` is the ``G x n`` 0/1 matrix of cluster membership.
    """

    def __init__(self, codes: np.ndarray, columns: _Columns) -> None:
        n, k = columns.n, columns.k
        self.n_groups = int(codes.max(initial=-1)) + 1
        rows = (codes[:, None] * k + np.arange(k)[None, :]).ravel()
        self.scores = sparse.csr_array(
            (columns.x.ravel(), (rows, np.repeat(np.arange(n), k))), shape=(self.n_groups * k, n)
        )
        self.members = sparse.csr_array((np.ones(n), (codes, np.arange(n))), shape=(self.n_groups, n))
        self.k = k

    def sums(self, v: np.ndarray) -> np.ndarray:
        """``sum_{i in g} v_il x_i`` for ``v`` of shape ``(a, L, n)``, as ``(a, G, L k)`` level-major."""
        a, levels, n = v.shape
        flat = np.asarray(self.scores @ v.reshape(a * levels, n).T)  # (G k, a L)
        result: np.ndarray = flat.reshape(self.n_groups, self.k, a, levels).transpose(2, 0, 3, 1).reshape(a, self.n_groups, -1)
        return result

    def drawn(self, w: np.ndarray) -> np.ndarray:
        """Clusters with a row drawn, per replicate: ``(a,)`` counts."""
        result: np.ndarray = np.asarray((self.members @ w.T) > 0).sum(axis=0).astype(float)
        return result


@dataclass(frozen=True)
class _Robust:
    """What a robust covariance needs beyond the fit: its type and, for ``cluster``, the clusters.

    ``copies`` (``B x G``, or None) are cluster multiplicities of a cluster
    bootstrap: each copy of a drawn cluster counts as a cluster of its own.
    """

    cov_type: str
    clusters: _Clusters | None = None
    copies: np.ndarray | None = None


def _cluster_meat(robust: _Robust, v: np.ndarray, copies: np.ndarray | None) -> np.ndarray:
    """``sum_g s_g s_g'`` with ``s_g`` the summed weighted scores ``v`` ``(a, L, n)`` of cluster ``g``.

    With cluster ``copies`` ``c_g`` (every row of a cluster weighted ``c_g``)
    the ``c_g`` copies are separate clusters with score ``s_g / c_g`` each, so
    cluster ``g`` contributes ``s_g s_g' / c_g``.
    """
    assert robust.clusters is not None
    s = robust.clusters.sums(v)
    if copies is not None:
        s *= np.sqrt(np.where(copies > 0, 1.0 / np.where(copies > 0, copies, 1.0), 0.0))[:, :, None]
    return np.asarray(s.transpose(0, 2, 1) @ s)


def _cluster_correction(robust: _Robust, w: np.ndarray, copies: np.ndarray | None, n_params: int) -> tuple[np.ndarray, np.ndarray]:
    """statsmodels' small-sample factor ``G / (G - 1) * (N - 1) / (N - K)`` and ``G`` per replicate.

    ``N`` counts rows of the expanded data and ``K`` parameters, as
    ``statsmodels.stats.sandwich_covariance.cov_cluster`` does for OLS and
    maximum-likelihood models alike.
    """
    assert robust.clusters is not None
    groups = copies.sum(axis=1) if copies is not None else robust.clusters.drawn(w)
    total = w.sum(axis=1)
    return groups / (groups - 1.0) * (total - 1.0) / (total - n_params), groups


def _newton(
    columns: _Columns,
    family: _Family,
    y: np.ndarray,
    weights: np.ndarray,
    levels: int,
    start: np.ndarray,
    running: np.ndarray,
    max_iter: int,
    tol: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Newton-Raphson for every replicate with ``running`` True, from ``start`` (one for all, or one row per replicate).

    Iterates ``b <- b + I(b)^-1 U(b)`` (score ``U``, information ``I``) on
    the replicates still running; a replicate stops as converged once its
    largest step is below ``tol``, and as failed when the information is
    singular or an estimate exceeds ``_EXPLODED`` or is undefined. Returns the
    estimates ``(B, L k)`` and the converged flags ``(B,)``.
    """
    beta = np.tile(start, (weights.shape[0], 1)) if start.ndim == 1 else np.array(start, dtype=float)
    converged = np.zeros(weights.shape[0], dtype=bool)
    running = running.copy()
    for _ in range(max_iter):
        active = np.flatnonzero(running)
        if active.size == 0:
            break
        w = weights if active.size == len(weights) else weights[active]
        local = family(columns.eta(beta[active], levels), y, False)
        np.multiply(local.r, w[:, None, :], out=local.r)
        np.multiply(local.c, w[:, None, None, :], out=local.c)
        step, regular = _solve(columns.blocks(local.c), columns.cross(local.r))
        updated = beta[active] + step
        failed = ~regular | ~np.isfinite(updated).all(axis=1) | (np.abs(updated) > _EXPLODED).any(axis=1)
        done = ~failed & (np.abs(step).max(axis=1) < tol)
        beta[active[~failed]] = updated[~failed]
        converged[active[done]] = True
        running[active[failed | done]] = False
    return beta, converged


def _start(
    columns: _Columns, family: _Family, y: np.ndarray, levels: int, full: np.ndarray, max_iter: int, tol: float
) -> np.ndarray:
    """The estimate on the full data (weights ``full``), or zeros where it does not converge.

    It is a few Newton steps from every replicate's estimate.
    """
    m = levels * columns.k
    estimate, converged = _newton(
        columns, family, y, full[None, :], levels, np.zeros(m), np.ones(1, dtype=bool), max_iter, tol
    )
    return estimate[0] if converged[0] else np.zeros(m)


def _one_step(columns: _Columns, family: _Family, y: np.ndarray, levels: int, weights: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Each replicate's start: one scoring step from the common ``start``, ``start + I^-1 U_r``.

    ``U_r`` is replicate r's score at ``start`` and ``I`` the information there at the
    replicates' mean weights, shared by all: the rows' residuals and curvatures at
    ``start`` are computed once, not per replicate. It lands about as near each
    replicate's optimum as a full Newton step from ``start`` would (whose first step is
    about one standard error), so Newton then needs one iteration fewer; where it
    fails from there, :func:`_discrete` runs Newton from ``start`` instead.
    """
    local = family(columns.eta(start[None, :], levels), y, False)
    information = columns.blocks(local.c * weights.mean(axis=0))
    scores = columns.cross(local.r * weights[:, None, :])
    try:
        step = np.linalg.solve(information[0], scores.T).T
    except np.linalg.LinAlgError:
        step = np.zeros_like(scores)
    if not np.isfinite(step).all():
        step = np.zeros_like(scores)
    result: np.ndarray = start + step
    return result


def _discrete(
    columns: _Columns,
    family: _Family,
    y: np.ndarray,
    levels: int,
    weights: np.ndarray,
    robust: _Robust,
    start: np.ndarray,
    max_iter: int,
    tol: float,
    copies: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Logit, probit or multinomial logit (``levels`` non-reference levels) on every replicate.

    Returns estimates, standard errors, whether each replicate is estimable
    and the degrees of freedom of its tests (infinite: z-tests).
    """
    m = levels * columns.k
    # Rows per outcome value (0/1, or level code) in each replicate.
    counts = weights @ (y[:, None] == np.arange(levels + 1)).astype(float)
    varies = (counts > 0).all(axis=1)
    enough = weights.sum(axis=1) >= min_rows(m)
    ok = enough & varies & _inverse(columns.gram(weights))[1]
    df = np.full(weights.shape[0], np.inf)
    if not ok.any():
        nan = np.full((weights.shape[0], m), np.nan)
        return nan, nan.copy(), ok, df
    first = _one_step(columns, family, y, levels, weights, start)
    beta, converged = _newton(columns, family, y, weights, levels, first, ok, max_iter, tol)
    retry = ok & ~converged
    if retry.any():
        # Newton from the common start instead, where it failed from the one-step start: the
        # optimum is the same, and this start is the one the fit was validated from.
        again, fixed = _newton(columns, family, y, weights, levels, start, retry, max_iter, tol)
        beta[fixed], converged[fixed] = again[fixed], True

    se = np.full_like(beta, np.nan)
    fitted = np.flatnonzero(converged)
    if fitted.size:
        w = weights[fitted]
        local = family(columns.eta(beta[fitted], levels), y, True)
        assert local.own is not None
        np.multiply(local.c, w[:, None, None, :], out=local.c)
        inverse, regular = _inverse(columns.blocks(local.c))
        r = local.r
        if robust.cov_type == "HC0":
            inverse = _sandwich(inverse, columns.blocks(w[:, None, None, :] * r[:, :, None, :] * r[:, None, :, :]))
        elif robust.cov_type == "cluster":
            block_copies = None if copies is None else copies[fitted]
            np.multiply(r, w[:, None, :], out=r)
            factor = _cluster_correction(robust, w, block_copies, m)[0]
            inverse = _sandwich(inverse, _cluster_meat(robust, r, block_copies)) * factor[:, None, None]
        se_fitted = np.sqrt(np.diagonal(inverse, axis1=1, axis2=2))
        symptoms = separation_symptoms(beta[fitted], se_fitted, local.own, w > 0)
        converged[fitted[~regular | symptoms]] = False
        se[fitted] = se_fitted
    return beta, se, converged, df


def _ols(
    columns: _Columns, y: np.ndarray, weights: np.ndarray, robust: _Robust, copies: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted least squares on every replicate: estimates, standard errors, estimable, t degrees of freedom."""
    k = columns.k
    drawn = weights > 0
    varies = np.where(drawn, y, np.inf).min(axis=1) < np.where(drawn, y, -np.inf).max(axis=1)
    inverse, regular = _inverse(columns.gram(weights))
    ok = (weights.sum(axis=1) >= min_rows(k)) & varies & regular
    beta = np.full((weights.shape[0], k), np.nan)
    se = np.full_like(beta, np.nan)
    df = weights.sum(axis=1) - k
    rows = np.flatnonzero(ok)
    if rows.size == 0:
        return beta, se, ok, df
    w, inverse = weights[rows], inverse[rows]
    b = np.einsum("aij,aj->ai", inverse, (w * y) @ columns.x)
    # One step of iterative refinement: the normal equations solved through
    # an inverse lose digits that a second pass on the residuals restores.
    resid = y - b @ columns.xt
    b += np.einsum("aij,aj->ai", inverse, (w * resid) @ columns.x)
    resid = y - b @ columns.xt
    total = w.sum(axis=1)
    cov_type = robust.cov_type
    if cov_type == "nonrobust":
        sigma2 = (w * resid * resid).sum(axis=1) / (total - k)
        cov = sigma2[:, None, None] * inverse
    elif cov_type == "cluster":
        block_copies = None if copies is None else copies[rows]
        factor, groups = _cluster_correction(robust, w, block_copies, k)
        cov = _sandwich(inverse, _cluster_meat(robust, (w * resid)[:, None, :], block_copies)) * factor[:, None, None]
        df[rows] = groups - 1.0  # statsmodels' t-tests with cluster: G - 1 degrees of freedom
    else:
        scale = w * resid * resid
        if cov_type in ("HC2", "HC3"):
            # Leverage h_i = x_i' (X'WX)^-1 x_i of every row, as the pairs of
            # design columns times the inverse's upper triangle (off-diagonal twice).
            upper = inverse[:, columns.upper[0], columns.upper[1]]
            upper *= np.where(columns.upper[0] == columns.upper[1], 1.0, 2.0)
            discount = 1.0 - upper @ columns.pairs.T
            if cov_type == "HC3":
                discount *= discount
            # A row not drawn contributes nothing, even where its leverage is 1.
            scale = np.where(w > 0, scale / np.where(w > 0, discount, 1.0), 0.0)
        cov = _sandwich(inverse, columns.gram(scale))
        if cov_type == "HC1":
            cov *= (total / (total - k))[:, None, None]
    beta[rows] = b
    se[rows] = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
    return beta, se, ok, df


def _pattern_codes(table: np.ndarray, limit: float) -> np.ndarray | None:
    """Codes ``0..u-1`` of the distinct rows of ``table``, or None when there are more than ``limit``.

    Built column by column (each column's value codes combined with the codes
    so far, then renumbered), so a column with too many distinct values ends
    the search after one sort; ``np.unique(axis=0)`` sorts whole rows, several
    times slower.
    """
    codes = np.zeros(len(table), dtype=np.int64)
    for column in table.T:
        values, inverse = np.unique(column, return_inverse=True)
        codes = np.unique(codes * len(values) + inverse, return_inverse=True)[1]
        if codes.max(initial=0) + 1 > limit:
            return None
    return codes


@dataclass(frozen=True)
class Collapsed:
    """A design's distinct rows (same design row, outcome and cluster) and how its rows map onto them.

    ``pattern_of`` is the sparse 0/1 (distinct x rows) matrix that sums each distinct
    row's weights; None when the rows are kept as they are.
    """

    exog: np.ndarray
    endog: np.ndarray
    full: np.ndarray
    groups: np.ndarray | None
    pattern_of: sparse.csr_array | None

    def weights(self, weights: np.ndarray) -> np.ndarray:
        """Replicate weights over the design's rows as weights over the distinct rows."""
        if self.pattern_of is None:
            return weights
        return np.ascontiguousarray((self.pattern_of @ weights.T).T)


def collapse_design(design: Design, cov_type: str = "nonrobust") -> Collapsed:
    """The distinct rows of ``design`` for :func:`fit_batched` (which computes them itself when not given).

    Merging depends on the design alone, not on the weights: a caller fitting one design
    on many chunks of replicates computes it once (it cost half of refitting a
    100,000-row file's chunks, each a sort of every row).
    """
    groups = np.asarray(design.groups, dtype=np.int64) if cov_type == "cluster" and design.groups is not None else None
    return _collapse(design.exog, np.asarray(design.endog, dtype=float), groups)


def _collapse(exog: np.ndarray, endog: np.ndarray, groups: np.ndarray | None) -> Collapsed:
    """Merge rows with the same design row, outcome and cluster, summing their weights.

    The rows are kept as they are when merging would leave more than ``_COLLAPSE``
    of them: merging costs a pass over the weights, a Newton fit a dozen. Rows merge
    only within a cluster, so every cluster's score sum is unchanged.
    """
    n = len(endog)
    keys = [endog, exog] if groups is None else [endog, groups.astype(float), exog]
    codes = _pattern_codes(np.column_stack(keys), _COLLAPSE * n)
    if codes is None:
        return Collapsed(exog, endog, np.ones(n), groups, None)
    first, counts = np.unique(codes, return_index=True, return_counts=True)[1:]
    # The 0/1 matrix that sums each pattern's rows, as a sparse product.
    pattern_of = sparse.csr_array((np.ones(n), (codes, np.arange(n))), shape=(len(first), n))
    return Collapsed(exog[first], endog[first], counts.astype(float), None if groups is None else groups[first], pattern_of)


def _cluster_copies(groups: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The ``B x G`` cluster multiplicities of cluster-bootstrap weights, checked constant within clusters."""
    n_groups = int(groups.max(initial=-1)) + 1
    copies = np.zeros((weights.shape[0], n_groups))
    copies[:, groups] = weights  # any row of a cluster gives its multiplicity ...
    if not np.array_equal(copies[:, groups], weights):  # ... when all of its rows agree
        raise ValueError("with cluster_copies the weights must be equal on all rows of a cluster")
    return copies


def fit_batched(
    design: Design,
    family: str,
    weights: np.ndarray,
    *,
    cov_type: str = "nonrobust",
    max_iter: int = BATCHED_MAX_ITER,
    tol: float = 1e-8,
    start: np.ndarray | None = None,
    cluster_copies: bool = False,
    progress: Callable[[int, int], None] | None = None,
    collapsed: Collapsed | None = None,
) -> BatchedFit:
    """Fit the model of ``design`` on each row of frequency ``weights`` (``B x n``).

    Each replicate's estimates, standard errors and p-values are those of
    statsmodels (Logit, Probit, MNLogit fitted by Newton; OLS) on the design's
    rows repeated by their weights; see the module docstring for the
    estimating equations and when a replicate is not estimable. Newton stops
    at the first step below ``tol`` in every parameter (statsmodels' own
    default); convergence is quadratic, so the estimate is then exact to
    about the square of that step. ``start``
    (length ``n_params``, level-major for ``mnlogit``) seeds Newton; by default
    it is the estimate on the unweighted design, fitted first.

    With ``cov_type="cluster"`` the clusters are ``design.groups``. A row
    repeated by its weight stays in its cluster; with ``cluster_copies`` the
    weights are instead a cluster bootstrap's (equal on all rows of a
    cluster) and each copy of a cluster drawn twice is a cluster of its own,
    as statsmodels sees the data with every copy given a new cluster label.

    ``collapsed`` is :func:`collapse_design` of ``design`` and ``cov_type``, for a caller
    that fits one design on many chunks (computed here when not given).

    ``progress``, when given, is called as ``progress(done, total)`` with the
    replicates fitted so far after every block of replicates (and once with
    ``done == total`` at the end), from the calling thread.

    Raises ``ValueError`` for an unknown family, a covariance type the family
    does not support, malformed weights, or ``cluster`` without clusters.

    Example: ``fit_batched(design, "logit", rng.multinomial(n, [1 / n] * n, size=1000))``.
    """
    if family not in BATCHED_COV_TYPES:
        raise ValueError(f"unknown family '{family}'; use one of {', '.join(BATCHED_COV_TYPES)}")
    if cov_type not in BATCHED_COV_TYPES[family]:
        raise ValueError(cov_type_problem(family, cov_type))
    if cov_type == "cluster" and design.groups is None:
        raise ValueError("cov_type 'cluster' needs the design's clusters (the model's 'cluster' variable)")
    w = np.asarray(weights, dtype=float)
    n = design.n_obs
    if w.ndim != 2 or w.shape[1] != n:
        raise ValueError(f"weights must have shape (B, {n}) over the design's rows, not {w.shape}")
    if not (np.isfinite(w).all() and (w >= 0).all()):
        raise ValueError("weights must be finite and non-negative")
    terms = parameter_names(family, design.terms, design.levels)
    if start is not None and np.shape(start) != (len(terms),):
        raise ValueError(f"start must have {len(terms)} values (one per parameter), not shape {np.shape(start)}")
    nan = np.full((w.shape[0], len(terms)), np.nan)
    if design.empty_terms or w.shape[0] == 0 or len(terms) == 0:
        # A term without a column is singular on every replicate, as on the full data.
        return BatchedFit(nan, nan.copy(), nan.copy(), np.zeros(w.shape[0], dtype=bool), terms)

    clustered = cov_type == "cluster"
    groups = np.asarray(design.groups, dtype=np.int64) if clustered and design.groups is not None else None
    copies = _cluster_copies(groups, w) if groups is not None and cluster_copies else None
    if collapsed is None:
        collapsed = _collapse(design.exog, np.asarray(design.endog, dtype=float), groups)
    exog, endog, full, groups = collapsed.exog, collapsed.endog, collapsed.full, collapsed.groups
    merged = collapsed.weights(w)
    columns = _Columns(exog)
    robust = _Robust(cov_type, _Clusters(groups, columns) if groups is not None else None)
    levels = max(len(design.levels) - 1, 1)
    # Replicates go through in blocks whose (replicates x rows) arrays stay in
    # the processor's cache (B = 1000 in one block ran 1.5 times slower), but
    # of at least _MIN_BLOCK replicates, since every block reads the design
    # products once per Newton step.
    block = max(_MIN_BLOCK, _BLOCK // (columns.n * levels))
    with np.errstate(all="ignore"), one_blas_thread:
        fit_block: Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
        if family == "ols":
            fit_block = partial(_ols, columns, endog, robust=robust)
        else:
            kind = _FAMILIES[family]
            y = endog.astype(np.int64) if family == "mnlogit" else endog
            first = _start(columns, kind, y, levels, full, max_iter, tol) if start is None else np.asarray(start, float)
            fit_block = partial(
                _discrete, columns, kind, y, levels, robust=robust, start=first, max_iter=max_iter, tol=tol
            )
        parts = []
        for i in range(0, len(merged), block):
            parts.append(fit_block(weights=merged[i : i + block], copies=None if copies is None else copies[i : i + block]))
            if progress is not None:
                progress(min(i + block, len(merged)), len(merged))
        params, se, estimable, df = (np.concatenate(part) for part in zip(*parts))
        estimable &= np.isfinite(params).all(axis=1) & np.isfinite(se).all(axis=1)
        statistic = params / se
        if family == "ols":
            # Student t, with N - k degrees of freedom, or G - 1 under cluster.
            p_values = 2.0 * stats.t.sf(np.abs(statistic), np.where(estimable, df, 1.0)[:, None])
        else:
            p_values = 2.0 * stats.norm.sf(np.abs(statistic))
    params[~estimable] = np.nan
    se[~estimable] = np.nan
    p_values[~estimable] = np.nan
    return BatchedFit(params=params, std_errors=se, p_values=p_values, estimable=estimable, terms=terms)
