"""The weighted bootstrap kernels against the estimator's own functions on resampled rows."""

from __future__ import annotations

import numpy as np
import pytest

from validator.inference.effective import (
    Resampled,
    effective_n,
    model_effective_n,
    take,
)
from validator.inference.estimator import (
    Block,
    Gradients,
    PPIData,
    gradients,
    jacobian,
    sandwich,
    tune_lambda,
)
from validator.inference.families import FamilyLoss

from .conftest import shared_covariate_data


def _gradients(pooled: bool) -> Gradients:
    x, y, yhat, xu, yhat_u = shared_covariate_data("logit", 11)

    def block(xb: np.ndarray, yb: np.ndarray) -> Block:
        return Block(FamilyLoss("logit", xb, yb), np.ones(len(yb)), np.arange(len(yb)), len(yb))

    data = PPIData(block(x, y), block(x, yhat), block(xu, yhat_u), pooled_hessian=pooled)
    return gradients(data, np.array([-0.2, 0.7, -0.4]))


@pytest.mark.parametrize("pooled", [True, False])
@pytest.mark.parametrize("coord", [None, 0, 2])
def test_count_weights_equal_resampled_rows(pooled: bool, coord: int | None) -> None:
    g = _gradients(pooled)
    n, big_n = g.human.shape[0], g.unlabeled.shape[0]
    rng = np.random.default_rng(5)
    labeled, unlabeled = np.asarray(rng.integers(0, n, n)), np.asarray(rng.integers(0, big_n, big_n))
    cl = np.bincount(labeled, minlength=n).astype(float)
    cu = np.bincount(unlabeled, minlength=big_n).astype(float)
    rows = take(g, labeled, unlabeled)
    kernel = Resampled(g)
    a = jacobian(rows, pooled=pooled, use_unlabeled=True)
    np.testing.assert_allclose(kernel.jacobian(cl, cu, pooled=pooled, use_unlabeled=True), a, rtol=1e-12)
    a_inv = np.linalg.inv(a)
    assert kernel.tune(cl, cu, a_inv, coord) == pytest.approx(tune_lambda(rows, a_inv, coord), rel=1e-10)
    np.testing.assert_allclose(kernel.sandwich(cl, cu, a_inv, 0.4), sandwich(rows, a_inv, 0.4), rtol=1e-10)


def test_effective_n_definitions() -> None:
    classical, rectified = np.diag([4.0, 1.0]), np.diag([2.0, 1.0])
    np.testing.assert_allclose(effective_n(100, classical, rectified), [200.0, 100.0])
    # The generalised-variance ratio: (det ratio) ** (1 / d) = sqrt(2).
    assert model_effective_n(100, classical, rectified) == pytest.approx(100 * np.sqrt(2))
