"""The PPI++ M-estimator against ppi-python and the classical estimator against statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.stats import norm

from validator.inference.estimator import Block, PPIData, classical, ppi
from validator.inference.families import FamilyLoss

from .conftest import shared_covariate_data


def _oracle() -> object:
    # ppi-python imports numba and JIT-compiles its logistic kernel: half a minute, so the
    # tests that use it as the oracle are marked slow (run them with -m slow).
    return pytest.importorskip("ppi_py")


def _block(family: str, x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> Block:
    weight = np.ones(len(y)) if w is None else w
    return Block(FamilyLoss(family, x, y), weight, np.arange(len(y)), len(y))  # type: ignore[arg-type]


def _data(family: str, seed: int = 1) -> tuple[PPIData, tuple[np.ndarray, ...]]:
    x, y, yhat, xu, yhat_u = shared_covariate_data(family, seed)
    data = PPIData(
        _block(family, x, y), _block(family, x, yhat), _block(family, xu, yhat_u),
        pooled_hessian=True, closed_form=family == "ols",
    )
    return data, (x, y, yhat, xu, yhat_u)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize(
    ("family", "oracle", "alpha"),
    [
        ("ols", "ppi_ols_ci", 0.05),
        ("ols", "ppi_ols_ci", 0.1),
        ("logit", "ppi_logistic_ci", 0.05),
        ("logit", "ppi_logistic_ci", 0.1),
    ],
)
@pytest.mark.parametrize("seed", [1, 2])
def test_power_tuned_interval_matches_ppi_python(family: str, oracle: str, alpha: float, seed: int) -> None:
    data, arrays = _data(family, seed)
    est = ppi(data, np.zeros(3))
    z = norm.ppf(1 - alpha / 2)
    se = np.sqrt(np.diag(est.cov))
    low, high = getattr(_oracle(), oracle)(*arrays, alpha=alpha, lam=None)
    assert 0.0 < est.lam < 1.0
    np.testing.assert_allclose(est.theta, (low + high) / 2, atol=1e-6, rtol=0)
    np.testing.assert_allclose(est.theta - z * se, low, atol=1e-4, rtol=0)
    np.testing.assert_allclose(est.theta + z * se, high, atol=1e-4, rtol=0)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize(("family", "oracle"), [("ols", "ppi_ols_ci"), ("logit", "ppi_logistic_ci")])
@pytest.mark.parametrize("lam", [0.0, 0.5, 1.0])
def test_fixed_lambda_matches_ppi_python(family: str, oracle: str, lam: float) -> None:
    data, arrays = _data(family)
    est = ppi(data, np.zeros(3), lam=lam) if lam else classical(data, np.zeros(3))
    low, high = getattr(_oracle(), oracle)(*arrays, alpha=0.05, lam=lam)
    se = np.sqrt(np.diag(est.cov))
    np.testing.assert_allclose(est.theta - norm.ppf(0.975) * se, low, atol=1e-4, rtol=0)
    np.testing.assert_allclose(est.theta + norm.ppf(0.975) * se, high, atol=1e-4, rtol=0)


@pytest.mark.slow
@pytest.mark.parametrize("coord", [0, 1, 2])
def test_per_coefficient_lambda_matches_ppi_python_ols(coord: int) -> None:
    data, arrays = _data("ols", 3)
    est = ppi(data, np.zeros(3), coord=coord)
    low, high = _oracle().ppi_ols_ci(*arrays, alpha=0.05, lam=None, coord=coord)
    se = np.sqrt(np.diag(est.cov))
    np.testing.assert_allclose(est.theta[coord], (low[coord] + high[coord]) / 2, atol=1e-6, rtol=0)
    np.testing.assert_allclose(est.theta[coord] - norm.ppf(0.975) * se[coord], low[coord], atol=1e-4, rtol=0)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_survey_weights_match_ppi_python() -> None:
    x, y, yhat, xu, yhat_u = shared_covariate_data("logit", 4)
    rng = np.random.default_rng(9)
    w, wu = rng.uniform(0.5, 2.0, len(y)), rng.uniform(0.5, 2.0, len(yhat_u))
    # Weights enter normalised to mean 1 within the labeled and the unlabeled units, as in ppi-python.
    data = PPIData(
        _block("logit", x, y, w / w.mean()), _block("logit", x, yhat, w / w.mean()),
        _block("logit", xu, yhat_u, wu / wu.mean()), pooled_hessian=True,
    )
    est = ppi(data, np.zeros(3))
    low, high = _oracle().ppi_logistic_ci(x, y, yhat, xu, yhat_u, alpha=0.05, lam=None, w=w, w_unlabeled=wu)
    np.testing.assert_allclose(est.theta, (low + high) / 2, atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    ("family", "model"),
    [("logit", sm.Logit), ("probit", sm.Probit), ("ols", sm.OLS)],
)
def test_classical_is_the_mle_with_the_sandwich_covariance(family: str, model: type) -> None:
    x, y, _, _, _ = shared_covariate_data("ols" if family == "ols" else "logit", 5)
    empty = _block(family, np.zeros((0, 3)), np.zeros(0))
    data = PPIData(_block(family, x, y), _block(family, x, y), empty, pooled_hessian=False)
    est = classical(data, np.zeros(3))
    fit = model(y, x).fit(disp=0, cov_type="HC0") if family != "ols" else model(y, x).fit(cov_type="HC0")
    n = len(y)
    np.testing.assert_allclose(est.theta, fit.params, atol=1e-8)
    # statsmodels' HC0 divides by n, np.cov by n - 1.
    np.testing.assert_allclose(est.cov, fit.cov_params() * n / (n - 1), rtol=1e-6)


@pytest.mark.parametrize("lam", [0.3, 1.0])
def test_ols_with_shared_covariates_by_hand(lam: float) -> None:
    """The closed form and its covariance, written out with numpy (the fast default-run check)."""
    data, (x, y, yhat, xu, yhat_u) = _data("ols", 7)
    est = ppi(data, np.zeros(3), lam=lam)
    n, big_n = len(y), len(yhat_u)
    beta = np.linalg.lstsq(x, y, rcond=None)[0] + lam * (
        np.linalg.lstsq(xu, yhat_u, rcond=None)[0] - np.linalg.lstsq(x, yhat, rcond=None)[0]
    )
    np.testing.assert_allclose(est.theta, beta, atol=1e-10)
    a = (x.T @ x + xu.T @ xu) / (n + big_n)
    g, g_sim, g_u = x * (x @ beta - y)[:, None], x * (x @ beta - yhat)[:, None], xu * (xu @ beta - yhat_u)[:, None]
    middle = np.cov((g - lam * g_sim).T) + n / big_n * lam**2 * np.cov(g_u.T)
    a_inv = np.linalg.inv(a)
    np.testing.assert_allclose(est.cov, a_inv @ middle @ a_inv / n, rtol=1e-10)


def test_without_unlabeled_rows_ppi_is_classical() -> None:
    x, y, yhat, _, _ = shared_covariate_data("logit", 6)
    empty = _block("logit", np.zeros((0, 3)), np.zeros(0))
    data = PPIData(_block("logit", x, y), _block("logit", x, yhat), empty, pooled_hessian=True)
    est, cl = ppi(data, np.zeros(3)), classical(data, np.zeros(3))
    assert est.lam == 0.0
    np.testing.assert_array_equal(est.theta, cl.theta)
