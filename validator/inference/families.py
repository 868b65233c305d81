"""Per-row losses, gradients and Hessians of each model family, taken from statsmodels.

The PPI M-estimator (:mod:`validator.inference.estimator`) needs, for every row, the
loss ``l(theta) = -log f(y | x, theta)``, its gradient and its Hessian. They come from
statsmodels' generalized linear model of the family (``GLM.score_obs`` and
``GLM.hessian_factor``; the Hessian of row r is ``h_r x_r x_r'``) so that simval
never hand-writes a likelihood:

- ``logit``: Binomial with the logit link (the canonical link: observed = expected Hessian);
- ``probit``: Binomial with the probit link (the observed Hessian depends on y);
- ``ols``: Gaussian with the identity link and scale 1, i.e. ``l = (y - x'theta)^2 / 2``,
  whose minimiser is least squares.

The multinomial logit is not offered: its per-row Hessian is not a scalar times
``x x'`` and statsmodels' ``MNLogit`` has no weighted Hessian, so it is reported as
unsupported rather than approximated.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from statsmodels.genmod import families as sm_families
from statsmodels.genmod.generalized_linear_model import GLM

SupportedFamily = Literal["logit", "probit", "ols"]
SUPPORTED_FAMILIES: tuple[str, ...] = ("logit", "probit", "ols")

#: Families whose Hessian does not depend on the outcome (canonical link), so it may be
#: estimated on rows whose outcome belongs to another source (the pooled Hessian).
CANONICAL_FAMILIES: tuple[str, ...] = ("logit", "ols")


def _glm_family(family: SupportedFamily) -> sm_families.Family:
    if family == "logit":
        return sm_families.Binomial()
    if family == "probit":
        return sm_families.Binomial(link=sm_families.links.Probit())
    return sm_families.Gaussian()


@dataclass(frozen=True)
class RowTerms:
    """Per-row loss, gradient (rows x d) and Hessian factor (rows) at one theta."""

    loss: np.ndarray
    grad: np.ndarray
    hess_factor: np.ndarray


class FamilyLoss:
    """The loss of one family on one block of rows (``exog``, ``endog``)."""

    def __init__(self, family: SupportedFamily, exog: np.ndarray, endog: np.ndarray) -> None:
        self.family = family
        self.exog = np.asarray(exog, dtype=float)
        self.endog = np.asarray(endog, dtype=float)
        self._glm_family = _glm_family(family)
        self._glm: GLM | None = None
        if self.exog.shape[0] > 0:
            with warnings.catch_warnings():
                # A block may hold one value of the outcome only (a few simulated rows);
                # that is no problem for evaluating the loss, only for fitting.
                warnings.simplefilter("ignore")
                self._glm = GLM(self.endog, self.exog, family=self._glm_family)

    @property
    def n_rows(self) -> int:
        return int(self.exog.shape[0])

    def terms(self, theta: np.ndarray) -> RowTerms:
        """The per-row loss, loss gradient and Hessian factor at ``theta``."""
        d = self.exog.shape[1]
        if self._glm is None:
            return RowTerms(np.zeros(0), np.zeros((0, d)), np.zeros(0))
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            mu = self._glm.predict(theta)
            loss = -self._glm_family.loglike_obs(self.endog, mu, scale=1.0)
            grad = -self._glm.score_obs(theta, scale=1.0)
            factor = self._glm.hessian_factor(theta, scale=1.0, observed=True)
        return RowTerms(np.asarray(loss, dtype=float), np.asarray(grad, dtype=float), np.asarray(factor, dtype=float))

    def expected_factor(self, theta: np.ndarray) -> np.ndarray:
        """The expected (Fisher) Hessian factor, which depends on the rows' x only."""
        if self._glm is None:
            return np.zeros(0)
        return np.asarray(self._glm.hessian_factor(theta, scale=1.0, observed=False), dtype=float)
