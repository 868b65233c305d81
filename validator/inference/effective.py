"""Effective sample size, PPI correlation and the bootstrap interval of "worth K humans".

Per coefficient ``j``: ``n_eff_j = n * Var_classical_j / Var_ppi_j`` (Broska, Howes and
van Loon 2025, eq. 9; Huang, Wu and Wang 2025 call ``n_eff - n`` the synthetic sample
size a simulation is worth). Per model, the generalised-variance ratio
``n_eff = n * (det Sigma_classical / det Sigma_ppi) ** (1/d)``: invariant to rescaling
any covariate, and equal to the per-coefficient value when all of those agree.

The PPI correlation of coefficient ``j`` is ``corr(psi_ij, psi~_ij)`` over the pairs,
with influence values ``psi_i = A^-1 g_i`` (human) and ``psi~_i = A^-1 g~_i``
(simulated partner). For a mean this is the correlation of answers and predictions, and
with a per-coefficient optimal lambda ``n_eff = n / (1 - rho^2 N / (n + N))``.

The interval of ``n_eff`` (and of ``K = n_eff - n``) is a percentile bootstrap that
resamples labeled units (a human row with its simulated partners, together) and
unlabeled units, and recomputes A, lambda and both covariances from the per-unit
gradients at the full-sample estimates (the estimates themselves are not refitted: the
variance ratio depends on them only at second order, and this keeps 1000 replicates
cheap).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from validator.inference.estimator import Gradients, jacobian, sandwich, tune_lambda

__all__ = ["BootstrapN", "bootstrap_effective_n", "effective_n", "model_effective_n", "ppi_correlation"]


def effective_n(n: int, cov_classical: np.ndarray, cov_ppi: np.ndarray) -> np.ndarray:
    """Per-coefficient ``n * Var_classical / Var_ppi``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(n * np.diag(cov_classical) / np.diag(cov_ppi), dtype=float)


def model_effective_n(n: int, cov_classical: np.ndarray, cov_ppi: np.ndarray) -> float:
    """``n * (det Sigma_classical / det Sigma_ppi) ** (1/d)``, from log-determinants."""
    d = cov_classical.shape[0]
    sign_c, log_c = np.linalg.slogdet(cov_classical)
    sign_p, log_p = np.linalg.slogdet(cov_ppi)
    if sign_c <= 0 or sign_p <= 0:
        return float("nan")
    return float(n * np.exp((log_c - log_p) / d))


def ppi_correlation(g: Gradients, a_inv: np.ndarray) -> np.ndarray:
    """Per coefficient, the correlation of human and simulated influence values over the pairs."""
    human = g.human @ a_inv.T
    sim = g.paired @ a_inv.T
    out = np.full(human.shape[1], np.nan)
    for j in range(human.shape[1]):
        if human.shape[0] > 2 and np.std(human[:, j]) > 0 and np.std(sim[:, j]) > 0:
            out[j] = float(np.corrcoef(human[:, j], sim[:, j])[0, 1])
    return out


@dataclass(frozen=True)
class BootstrapN:
    """Percentile bounds of the model's n_eff, or None when there are no replicates."""

    low: float | None
    high: float | None


def _take(g: Gradients, labeled: np.ndarray[Any, Any], unlabeled: np.ndarray[Any, Any]) -> Gradients:
    return Gradients(
        g.human[labeled], g.paired[labeled], g.unlabeled[unlabeled], g.human_hess[labeled], g.unlabeled_hess[unlabeled]
    )


def per_coefficient_model_n(n: int, ratios: np.ndarray) -> float:
    """With a lambda per coefficient: ``n`` times the geometric mean of the variance ratios."""
    finite = ratios[np.isfinite(ratios) & (ratios > 0)]
    if finite.size != ratios.size:
        return float("nan")
    return float(n * np.exp(np.mean(np.log(finite))))


def _ppi_cov(gp: Gradients, pooled: bool, power_tuning: bool, lam: float, coord: int | None) -> np.ndarray:
    a_tuned = np.linalg.inv(jacobian(gp, pooled=pooled, use_unlabeled=True))
    lam_b = tune_lambda(gp, a_tuned, coord) if power_tuning else lam
    a_ppi = np.linalg.inv(jacobian(gp, pooled=pooled, use_unlabeled=lam_b != 0.0))
    return sandwich(gp, a_ppi, lam_b)


def bootstrap_effective_n(
    g_ppi: Gradients | list[Gradients],
    g_classical: Gradients,
    *,
    lam: float,
    power_tuning: bool,
    pooled: bool,
    replicates: int,
    level: float,
    rng: np.random.Generator,
) -> BootstrapN:
    """Percentile interval of the model's n_eff over resampled labeled and unlabeled units.

    ``g_ppi`` is one set of gradients (one lambda for the model), or one per coefficient
    (a lambda per coefficient, each at its own estimate).
    """
    first = g_ppi[0] if isinstance(g_ppi, list) else g_ppi
    n, big_n = first.human.shape[0], first.unlabeled.shape[0]
    if replicates <= 0 or big_n == 0 or n < 3:
        return BootstrapN(None, None)
    values = np.empty(replicates)
    for b in range(replicates):
        labeled = np.asarray(rng.integers(0, n, size=n), dtype=np.int64)
        unlabeled = np.asarray(rng.integers(0, big_n, size=big_n), dtype=np.int64)
        gc = _take(g_classical, labeled, unlabeled)
        try:
            a_cl = np.linalg.inv(jacobian(gc, pooled=pooled, use_unlabeled=False))
            cov_cl = sandwich(gc, a_cl, 0.0)
            if isinstance(g_ppi, list):
                ratios = np.array([
                    cov_cl[j, j] / _ppi_cov(_take(g, labeled, unlabeled), pooled, power_tuning, lam, j)[j, j]
                    for j, g in enumerate(g_ppi)
                ])
                values[b] = per_coefficient_model_n(n, ratios)
            else:
                cov_p = _ppi_cov(_take(g_ppi, labeled, unlabeled), pooled, power_tuning, lam, None)
                values[b] = model_effective_n(n, cov_cl, cov_p)
        except np.linalg.LinAlgError:
            values[b] = np.nan
    finite = values[np.isfinite(values)]
    if finite.size < replicates // 2:
        return BootstrapN(None, None)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(finite, [tail, 1.0 - tail])
    return BootstrapN(float(low), float(high))
