"""The PPI++ M-estimator on whole simulated rows, and the classical human-only estimator.

Notation. ``n`` labeled units (humans, each with its simulated partner rows) and ``N``
unlabeled units (simulated rows whose persona has no human answer). For a model with
per-row loss ``l`` (:mod:`validator.inference.families`), unit ``i`` contributes

- ``g_i(theta)``: the weighted sum of loss gradients of its *human* rows,
- ``g~_i(theta)``: the same on its *simulated* rows (outcome and covariates from the
  simulation; several simulated rows of one persona are averaged),

and an unlabeled unit ``j`` contributes ``g~_j(theta)``. A row outside the model's
subset, or with a missing value, contributes zero, so a human who attacks and a partner
who aborts are handled exactly (the M-estimator of the subset population).

The PPI++ estimate (Angelopoulos, Duchi and Zrnic 2023, eq. 5) minimises

    L_lam(theta) = mean_i l_i(theta) + lam * (mean_j l~_j(theta) - mean_i l~_i(theta)),

whose expectation is the human loss for every ``lam``: the simulated terms cancel in
expectation because labeled and unlabeled personas are exchangeable. Its covariance is

    Sigma = A^-1 [ (n/N) Cov(lam g~_j) + Cov(g_i - lam g~_i) ] A^-1 / n,

with ``A`` the Jacobian of the estimating equation, the mean Hessian of the human loss.
When the simulated rows share the human covariates of their persona and the family has
a canonical link (logit, OLS), the Hessian depends on the covariates only and ``A`` is
pooled over the human rows and the unlabeled rows, ``(n + N)`` in the denominator, as in
``ppi-python``; otherwise ``A`` is the human rows' own mean Hessian. Power tuning picks

    lam = tr(A^-1 C A^-1) / (2 (1 + n/N) tr(A^-1 V A^-1)),  clipped to [0, 1],

with ``C = (1/n) (Gc' G~c + G~c' Gc)`` (centred gradients of the labeled units) and ``V``
the covariance of ``g~`` over labeled and unlabeled units together; ``lam = 0`` is the
classical estimate, ``lam = 1`` plain PPI. As in ``ppi-python``, lam is tuned twice: at
the ``lam = 1`` estimate, then at the estimate with the first lam; the interval uses the
estimate at the second lam.

The classical estimate minimises the human loss alone; its covariance is the sandwich
``A_h^-1 Cov(g_i) A_h^-1 / n`` (the ``lam = 0`` case), so that effective sample sizes
compare like with like.

References
----------
Angelopoulos, A. N., Bates, S., Fannjiang, C., Jordan, M. I. and Zrnic, T. (2023).
Prediction-powered inference. Science 382(6671), 669-674.
Angelopoulos, A. N., Duchi, J. C. and Zrnic, T. (2023). PPI++: Efficient
prediction-powered inference. arXiv:2311.01453.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from validator.inference.families import FamilyLoss

MAX_ITER = 100
"""Newton iterations allowed to one minimisation."""

_STEP_TOL = 1e-11
_RIDGE = 1e-10


@dataclass(frozen=True)
class Block:
    """Rows of one source for one model: their loss, weight and the unit each belongs to.

    ``weight`` already holds the unit's (normalised) survey weight divided by the number
    of rows the unit has in this source.
    """

    loss: FamilyLoss
    weight: np.ndarray
    unit: np.ndarray
    n_units: int


@dataclass(frozen=True)
class UnitTerms:
    """Per-unit sums of weighted losses (units), gradients (units x d) and Hessians (units x d x d)."""

    loss: np.ndarray
    grad: np.ndarray
    hess: np.ndarray


def unit_terms(block: Block, theta: np.ndarray, *, expected: bool = False) -> UnitTerms:
    """The per-unit loss, gradient and Hessian of ``block`` at ``theta``."""
    d = theta.shape[0]
    rows = block.loss.terms(theta)
    factor = block.loss.expected_factor(theta) if expected else rows.hess_factor
    w = block.weight
    loss = np.zeros(block.n_units)
    grad = np.zeros((block.n_units, d))
    hess = np.zeros((block.n_units, d, d))
    if block.loss.n_rows:
        x = block.loss.exog
        # A trial Newton step can overflow; the line search then rejects it (its loss is not finite).
        np.add.at(loss, block.unit, w * rows.loss)
        np.add.at(grad, block.unit, w[:, None] * rows.grad)
        with np.errstate(invalid="ignore", over="ignore"):
            np.add.at(hess, block.unit, (w * factor)[:, None, None] * x[:, :, None] * x[:, None, :])
    return UnitTerms(loss, grad, hess)


@dataclass(frozen=True)
class PPIData:
    """The three blocks of one model: human rows, their simulated partners, unlabeled simulations."""

    human: Block
    paired: Block
    unlabeled: Block
    pooled_hessian: bool
    closed_form: bool = False

    @property
    def n(self) -> int:
        return self.human.n_units

    @property
    def big_n(self) -> int:
        return self.unlabeled.n_units


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its covariance (``cov`` already divided by n)."""

    theta: np.ndarray
    cov: np.ndarray
    lam: float
    converged: bool


@dataclass(frozen=True)
class Gradients:
    """Per-unit gradients and Hessians at one theta, everything a variance needs."""

    human: np.ndarray
    paired: np.ndarray
    unlabeled: np.ndarray
    human_hess: np.ndarray
    unlabeled_hess: np.ndarray


def _objective(data: PPIData, theta: np.ndarray, lam: float) -> tuple[float, np.ndarray, np.ndarray]:
    """L_lam, its gradient and its Hessian at ``theta``."""
    h = unit_terms(data.human, theta)
    value = h.loss.sum() / data.n
    grad = h.grad.sum(axis=0) / data.n
    hess = h.hess.sum(axis=0) / data.n
    if lam != 0.0 and data.big_n > 0:
        s = unit_terms(data.paired, theta)
        u = unit_terms(data.unlabeled, theta)
        value += lam * (u.loss.sum() / data.big_n - s.loss.sum() / data.n)
        grad = grad + lam * (u.grad.sum(axis=0) / data.big_n - s.grad.sum(axis=0) / data.n)
        hess = hess + lam * (u.hess.sum(axis=0) / data.big_n - s.hess.sum(axis=0) / data.n)
    return float(value), grad, hess


def _newton_direction(grad: np.ndarray, hess: np.ndarray) -> np.ndarray:
    sym = (hess + hess.T) / 2.0
    eigenvalues, vectors = np.linalg.eigh(sym)
    # The rectified loss need not be convex far from the optimum: flip and floor the
    # curvature so that the step always descends (a modified Newton step).
    floor = _RIDGE * max(1.0, float(np.abs(eigenvalues).max()))
    safe = np.maximum(np.abs(eigenvalues), floor)
    return np.asarray(-(vectors @ ((vectors.T @ grad) / safe)), dtype=float)


def _least_squares(block: Block) -> np.ndarray:
    """Weighted least squares of the block's outcome on its covariates."""
    x, y, w = block.loss.exog, block.loss.endog, block.weight
    return np.asarray(np.linalg.solve(x.T @ (w[:, None] * x), x.T @ (w * y)), dtype=float)


def minimise(data: PPIData, lam: float, start: np.ndarray) -> tuple[np.ndarray, bool]:
    """argmin of L_lam by damped Newton from ``start``; also whether it converged.

    With ``closed_form`` (OLS on shared covariates) the estimate is ppi-python's
    ``beta_h + lam (beta_u - beta_s)`` from three weighted least-squares fits. It differs
    from the argmin only by using each source's own Gram matrix where the argmin pools
    them; with shared covariates both estimate the same ``E[x x']``, so the two have the
    same influence function and the same covariance.
    """
    if data.closed_form:
        theta = _least_squares(data.human)
        if lam != 0.0 and data.big_n > 0:
            theta = theta + lam * (_least_squares(data.unlabeled) - _least_squares(data.paired))
        return theta, True
    theta = np.asarray(start, dtype=float).copy()
    value, grad, hess = _objective(data, theta, lam)
    for _ in range(MAX_ITER):
        step = _newton_direction(grad, hess)
        t = 1.0
        while True:
            candidate = theta + t * step
            new_value, new_grad, new_hess = _objective(data, candidate, lam)
            if np.isfinite(new_value) and new_value <= value + 1e-4 * t * float(grad @ step):
                break
            t /= 2.0
            if t < 1e-12:
                # No descent left at machine precision: the gradient is as small as it gets.
                return theta, bool(np.max(np.abs(grad)) < 1e-8)
        theta, value, grad, hess = candidate, new_value, new_grad, new_hess
        if np.max(np.abs(t * step)) < _STEP_TOL * max(1.0, float(np.max(np.abs(theta)))):
            return theta, True
    return theta, False


def gradients(data: PPIData, theta: np.ndarray) -> Gradients:
    """Per-unit gradients of all three blocks and the Hessians the Jacobian is built from."""
    canonical = data.pooled_hessian
    h = unit_terms(data.human, theta, expected=canonical)
    s = unit_terms(data.paired, theta)
    u = unit_terms(data.unlabeled, theta, expected=canonical)
    return Gradients(h.grad, s.grad, u.grad, h.hess, u.hess)


def jacobian(g: Gradients, *, pooled: bool, use_unlabeled: bool) -> np.ndarray:
    """A: the human rows' mean Hessian, or pooled with the unlabeled rows'."""
    n, big_n = g.human.shape[0], g.unlabeled.shape[0]
    if pooled and use_unlabeled and big_n > 0:
        return np.asarray((g.human_hess.sum(axis=0) + g.unlabeled_hess.sum(axis=0)) / (n + big_n), dtype=float)
    return np.asarray(g.human_hess.sum(axis=0) / n, dtype=float)


def _cov(values: np.ndarray) -> np.ndarray:
    d = values.shape[1]
    if values.shape[0] < 2:
        return np.zeros((d, d))
    return np.atleast_2d(np.cov(values.T))


def tune_lambda(g: Gradients, a_inv: np.ndarray, coord: int | None = None) -> float:
    """The power-tuning lam that minimises the trace of the PPI++ covariance, in [0, 1].

    With ``coord`` it minimises the variance of that coefficient alone (ppi-python's
    ``coord``): the numerator and denominator use row ``coord`` of ``A^-1`` only.
    """
    n, big_n = g.human.shape[0], g.unlabeled.shape[0]
    if big_n == 0:
        return 0.0
    centred = g.human - g.human.mean(axis=0)
    centred_sim = g.paired - g.paired.mean(axis=0)
    cross = (centred.T @ centred_sim + centred_sim.T @ centred) / n
    var_sim = _cov(np.concatenate([g.paired, g.unlabeled], axis=0))
    if coord is None:
        numerator = float(np.trace(a_inv @ cross @ a_inv))
        denominator = 2.0 * (1.0 + n / big_n) * float(np.trace(a_inv @ var_sim @ a_inv))
    else:
        v = a_inv[coord]
        numerator = float(v @ cross @ v)
        denominator = 2.0 * (1.0 + n / big_n) * float(v @ var_sim @ v)
    if not denominator > 0.0:
        return 0.0
    lam = numerator / denominator
    return float(np.clip(lam, 0.0, 1.0))


def sandwich(g: Gradients, a_inv: np.ndarray, lam: float) -> np.ndarray:
    """Sigma: the covariance of the PPI++ estimate at tuning ``lam`` (lam 0: classical)."""
    n, big_n = g.human.shape[0], g.unlabeled.shape[0]
    middle = _cov(g.human - lam * g.paired)
    if lam != 0.0 and big_n > 0:
        middle = middle + (n / big_n) * _cov(lam * g.unlabeled)
    return np.asarray(a_inv @ middle @ a_inv / n, dtype=float)


def _inverse(matrix: np.ndarray) -> np.ndarray:
    return np.linalg.inv(matrix)


def covariance_at(data: PPIData, theta: np.ndarray, lam: float) -> tuple[np.ndarray, Gradients, np.ndarray]:
    """Sigma at ``theta`` and ``lam``, with the gradients and A^-1 it was computed from."""
    g = gradients(data, theta)
    a_inv = _inverse(jacobian(g, pooled=data.pooled_hessian, use_unlabeled=lam != 0.0))
    return sandwich(g, a_inv, lam), g, a_inv


def classical(data: PPIData, start: np.ndarray) -> Estimate:
    """The human-only M-estimate and its sandwich covariance."""
    theta, converged = minimise(data, 0.0, start)
    cov, _, _ = covariance_at(data, theta, 0.0)
    return Estimate(theta, cov, 0.0, converged)


def ppi(data: PPIData, start: np.ndarray, *, lam: float | None = None, coord: int | None = None) -> Estimate:
    """The PPI++ estimate: power-tuned when ``lam`` is None (for coefficient ``coord`` alone
    when given), else at the given lam."""
    if data.big_n == 0:
        return classical(data, start)
    converged = True
    if lam is None:
        theta, ok = minimise(data, 1.0, start)
        converged &= ok
        tuned = 1.0
        for _ in range(2):
            g = gradients(data, theta)
            a_inv = _inverse(jacobian(g, pooled=data.pooled_hessian, use_unlabeled=True))
            tuned = tune_lambda(g, a_inv, coord)
            theta, ok = minimise(data, tuned, theta)
            converged &= ok
    else:
        tuned = lam
        theta, converged = minimise(data, lam, start)
    cov, _, _ = covariance_at(data, theta, tuned)
    return Estimate(theta, cov, float(tuned), converged)
