"""Tests of the batched refits against statsmodels fitted on the rows repeated by their weights."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.discrete.discrete_model import Logit, MNLogit, Probit
from statsmodels.regression.linear_model import OLS

from validator.api import read_dataset
from validator.bootstrap import batched
from validator.bootstrap.batched import BATCHED_COV_TYPES, BatchedFit, fit_batched
from validator.demo.generate import generate_human
from validator.models.design import Design, build_design
from validator.models.fit import fit_model, separation_direction
from validator.spec.load import load_spec
from validator.spec.model import ModelSpec

RTOL = 1e-10  # the fits agree to about 1e-13 in practice

FORMULAS = {
    "logit": "y ~ x1 + x2 + g + flag",
    "probit": "y ~ x1 + x2 + g + flag",
    "ols": "z ~ x1 + x2 + g + flag",
    "mnlogit": "choice ~ x1 + flag",
}
CASES = [(family, cov_type) for family, cov_types in BATCHED_COV_TYPES.items() for cov_type in cov_types]
CLUSTERS = 12  # levels of the cluster variable 'cl' of the generated data


def _frame(n: int = 240, seed: int = 5, copies: int = 1) -> pd.DataFrame:
    """Generated data with binary, numeric, integer and three-level outcomes and mixed predictors.

    With ``copies`` > 1 every row appears that many times, so that the fit
    merges repeated rows before fitting.
    """
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.uniform(0, 10, size=n)
    g = rng.choice(["a", "b", "c"], size=n)
    flag = rng.random(n) < 0.4
    eta = -0.3 + 0.9 * x1 - 0.1 * x2 + 0.6 * (g == "b") - 0.5 * flag
    y = rng.random(n) < 1 / (1 + np.exp(-eta))
    z = 1.0 + 0.5 * x1 - 0.2 * x2 + rng.normal(scale=1 + np.abs(x1), size=n)
    u = rng.random(n)
    choice = np.where(u < 0.3 + 0.15 * (x1 > 0), "stay", np.where(u < 0.65, "left", "right"))
    frame = pd.DataFrame(
        {"y": y, "z": z, "zi": rng.integers(0, 4, size=n), "choice": choice, "x1": x1, "x2": x2, "g": g, "flag": flag}
    )
    frame["cl"] = rng.integers(0, CLUSTERS, size=n)
    repeated: pd.DataFrame = pd.concat([frame] * copies, ignore_index=True)
    return repeated


def _spec(family: str, cov_type: str = "nonrobust", formula: str | None = None) -> ModelSpec:
    cluster = "cl" if cov_type == "cluster" else None
    return ModelSpec("m", "M", family, formula or FORMULAS[family], cov_type=cov_type, cluster=cluster)  # type: ignore[arg-type]


def _design(family: str, frame: pd.DataFrame, formula: str | None = None, cov_type: str = "nonrobust") -> Design:
    design = build_design(_spec(family, cov_type, formula), frame)
    assert isinstance(design, Design)
    return design


def _statsmodels(
    design: Design, family: str, cov_type: str, weights: np.ndarray, *, relabel: bool = False
) -> tuple[np.ndarray, ...]:
    """Estimates, standard errors and p-values of statsmodels on the rows repeated by ``weights``.

    With ``relabel`` every copy of a row gets its own cluster label per copy
    number (the data a cluster bootstrap builds: cluster g drawn twice is two clusters).
    """
    rows = np.repeat(np.arange(design.n_obs), weights.astype(int))
    endog, exog = design.endog[rows], design.exog[rows]
    kwargs: dict[str, Any] = {"cov_type": cov_type}
    if cov_type == "cluster":
        assert design.groups is not None
        groups = design.groups[rows]
        if relabel:
            copy = np.concatenate([np.arange(int(c)) for c in weights])  # 0, 1, ... within each row's copies
            groups = groups * int(weights.max()) + copy
        kwargs["cov_kwds"] = {"groups": groups}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if family == "ols":
            res: Any = OLS(endog, exog).fit(use_t=True, **kwargs)
        else:
            model = {"logit": Logit, "probit": Probit, "mnlogit": MNLogit}[family]
            res = model(endog, exog).fit(method="newton", maxiter=100, disp=0, **kwargs)
    values = (np.asarray(res.params), np.asarray(res.bse), np.asarray(res.pvalues))
    # MNLogit: (k, J - 1), one column per non-reference level; simval is level-major.
    return tuple(v.T.ravel() for v in values) if family == "mnlogit" else values


def _assert_matches(fit: BatchedFit, b: int, expected: tuple[np.ndarray, ...]) -> None:
    assert fit.estimable[b]
    np.testing.assert_allclose(fit.params[b], expected[0], rtol=RTOL, atol=1e-9)
    np.testing.assert_allclose(fit.std_errors[b], expected[1], rtol=RTOL, atol=0)
    np.testing.assert_allclose(fit.p_values[b], expected[2], rtol=RTOL, atol=1e-300)


def _no_warnings(call: Callable[[], BatchedFit]) -> BatchedFit:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return call()


@pytest.mark.parametrize(("family", "cov_type"), CASES)
def test_unit_weights_match_statsmodels_and_fit_model(family: str, cov_type: str) -> None:
    frame = _frame()
    design = _design(family, frame, cov_type=cov_type)
    fit = _no_warnings(lambda: fit_batched(design, family, np.ones((1, design.n_obs)), cov_type=cov_type))
    _assert_matches(fit, 0, _statsmodels(design, family, cov_type, np.ones(design.n_obs)))
    reference = fit_model(_spec(family, cov_type), frame)
    assert fit.terms == tuple(c.term for c in reference.coefficients)
    np.testing.assert_allclose(fit.params[0], [c.estimate for c in reference.coefficients], rtol=RTOL, atol=1e-9)
    np.testing.assert_allclose(fit.std_errors[0], [c.std_error for c in reference.coefficients], rtol=RTOL)
    np.testing.assert_allclose(fit.p_values[0], [c.p_value for c in reference.coefficients], rtol=RTOL)


@pytest.mark.parametrize("copies", [1, 3])
@pytest.mark.parametrize(("family", "cov_type"), CASES)
def test_bootstrap_replicates_match_statsmodels_on_repeated_rows(family: str, cov_type: str, copies: int) -> None:
    design = _design(family, _frame(copies=copies), cov_type=cov_type)
    n = design.n_obs
    weights = np.random.default_rng(11).multinomial(n, np.full(n, 1 / n), size=20)
    fit = _no_warnings(lambda: fit_batched(design, family, weights, cov_type=cov_type))
    assert fit.params.shape == fit.std_errors.shape == fit.p_values.shape == (20, len(fit.terms))
    assert fit.estimable.all()
    for b in range(20):
        _assert_matches(fit, b, _statsmodels(design, family, cov_type, weights[b]))


def test_ols_p_values_use_t_with_expanded_degrees_of_freedom() -> None:
    design = _design("ols", _frame())
    weights = np.full((1, design.n_obs), 2.0)  # every row twice: 2n - k degrees of freedom
    fit = fit_batched(design, "ols", weights)
    expected = _statsmodels(design, "ols", "nonrobust", weights[0])
    _assert_matches(fit, 0, expected)
    unit = fit_batched(design, "ols", np.ones((1, design.n_obs)))
    assert (fit.p_values[0] < unit.p_values[0]).all()


def _keep(mask: Callable[[pd.DataFrame], Any]) -> Callable[[pd.DataFrame], np.ndarray]:
    """Weights 1 on the rows where ``mask`` holds and 0 elsewhere."""
    return lambda frame: np.asarray(mask(frame), dtype=float)


DEGENERATE = [
    ("logit", None, _keep(lambda f: ~f["y"]), "no variation"),
    ("probit", None, _keep(lambda f: f["y"]), "no variation"),
    ("mnlogit", None, _keep(lambda f: f["choice"] != "right"), "a level missing"),
    ("ols", "zi ~ x1 + x2", _keep(lambda f: f["zi"] == 2), "no variation"),
    ("logit", "y ~ x1 + x2", _keep(lambda f: (f["x1"] > 0) == f["y"]), "complete separation"),
    ("probit", "y ~ x1 + x2", _keep(lambda f: (f["x1"] > 0) == f["y"]), "complete separation"),
    ("logit", None, _keep(lambda f: ~(f["flag"] & ~f["y"])), "quasi-complete separation"),
    ("probit", None, _keep(lambda f: ~(f["flag"] & ~f["y"])), "quasi-complete separation"),
    ("mnlogit", None, _keep(lambda f: (f["x1"] < -0.5) == (f["choice"] == "stay")), "quasi-complete separation"),
    ("logit", None, _keep(lambda f: f["g"] != "b"), "singular: a dummy zero on every drawn row"),
    ("probit", None, _keep(lambda f: f["g"] != "c"), "singular: a dummy zero on every drawn row"),
    ("ols", None, _keep(lambda f: f["g"] != "b"), "singular: a dummy zero on every drawn row"),
    ("mnlogit", None, _keep(lambda f: ~f["flag"]), "singular: a dummy zero on every drawn row"),
    ("logit", None, _keep(lambda f: np.arange(len(f)) < 5), "too few rows"),
    ("ols", None, lambda f: np.zeros(len(f)), "no rows"),
]


@pytest.mark.parametrize(("family", "formula", "weights_of", "why"), DEGENERATE)
@pytest.mark.parametrize(("cov_type", "copies"), [("nonrobust", 1), ("HC0", 1), ("nonrobust", 2), ("cluster", 1)])
def test_degenerate_replicates_are_not_estimable(
    family: str,
    formula: str | None,
    weights_of: Callable[[pd.DataFrame], np.ndarray],
    why: str,
    cov_type: str,
    copies: int,
) -> None:
    frame = _frame(copies=copies)
    design = _design(family, frame, formula, cov_type)
    bad = weights_of(frame)
    if "separation" in why:  # the exact linear program of fit.py agrees that the MLE does not exist
        rows = np.repeat(np.arange(design.n_obs), bad.astype(int))
        codes = design.endog[rows].astype(np.int64)
        assert separation_direction(design.exog[rows], codes, max(len(design.levels), 2)) is not None
    # Next to a regular replicate, which must come out as if fitted alone.
    weights = np.vstack([bad, np.ones(design.n_obs)])
    fit = _no_warnings(lambda: fit_batched(design, family, weights, cov_type=cov_type))
    assert fit.estimable.tolist() == [False, True], why
    assert np.isnan(fit.params[0]).all() and np.isnan(fit.std_errors[0]).all() and np.isnan(fit.p_values[0]).all()
    _assert_matches(fit, 1, _statsmodels(design, family, cov_type, weights[1]))


def test_a_term_without_columns_makes_every_replicate_not_estimable() -> None:
    frame = _frame().assign(h="only")
    design = _design("logit", frame, "y ~ x1 + h")
    assert design.empty_terms == ("h",)
    fit = fit_batched(design, "logit", np.ones((3, design.n_obs)))
    assert not fit.estimable.any() and np.isnan(fit.params).all()


def test_start_values_do_not_change_the_estimates() -> None:
    design = _design("mnlogit", _frame())
    n = design.n_obs
    weights = np.random.default_rng(2).multinomial(n, np.full(n, 1 / n), size=5)
    default = fit_batched(design, "mnlogit", weights)
    from_zero = fit_batched(design, "mnlogit", weights, start=np.zeros(len(default.terms)))
    np.testing.assert_allclose(from_zero.params, default.params, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(from_zero.std_errors, default.std_errors, rtol=1e-9)


@pytest.mark.parametrize("family", ["logit", "probit", "mnlogit"])
def test_a_replicate_newton_loses_from_its_one_step_start_is_refitted_from_the_common_start(family: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import validator.bootstrap.batched as batched

    design = _design(family, _frame())
    n = design.n_obs
    weights = np.random.default_rng(4).multinomial(n, np.full(n, 1 / n), size=6)
    expected = fit_batched(design, family, weights)
    # A one-step start far off along every parameter: Newton explodes from it, so each replicate is retried.
    monkeypatch.setattr(batched, "_one_step", lambda columns, family, y, levels, w, start: np.full((len(w), start.size), 50.0))
    retried = fit_batched(design, family, weights)
    assert retried.estimable.all()
    np.testing.assert_allclose(retried.params, expected.params, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(retried.std_errors, expected.std_errors, rtol=1e-9)


def test_newton_that_runs_out_of_iterations_is_not_estimable() -> None:
    design = _design("logit", _frame())
    fit = fit_batched(design, "logit", np.ones((2, design.n_obs)), max_iter=2, start=np.zeros(6))
    assert not fit.estimable.any()


@pytest.mark.parametrize(
    ("family", "cov_type", "message"),
    [
        ("probit", "HC1", "cov_type 'HC1' is not available for a probit model"),
        ("logit", "HC3", "cov_type 'HC3' is not available for a logit model"),
        ("tobit", "nonrobust", "unknown family 'tobit'"),
        ("ols", "cluster", "cov_type 'cluster' needs the design's clusters"),
    ],
)
def test_unsupported_covariances_and_families_raise(family: str, cov_type: str, message: str) -> None:
    design = _design("ols", _frame())
    with pytest.raises(ValueError, match=message):
        fit_batched(design, family, np.ones((1, design.n_obs)), cov_type=cov_type)


@pytest.mark.parametrize("family", FORMULAS)
def test_cluster_copies_count_each_copy_of_a_drawn_cluster_as_a_cluster(family: str) -> None:
    frame = _frame()
    design = _design(family, frame, cov_type="cluster")
    assert design.groups is not None
    rng = np.random.default_rng(8)
    drawn = rng.multinomial(CLUSTERS, np.full(CLUSTERS, 1 / CLUSTERS), size=6)  # clusters drawn with replacement
    weights = drawn[:, design.groups].astype(float)
    copies = _no_warnings(lambda: fit_batched(design, family, weights, cov_type="cluster", cluster_copies=True))
    rows = _no_warnings(lambda: fit_batched(design, family, weights, cov_type="cluster"))
    for b in range(len(weights)):
        _assert_matches(copies, b, _statsmodels(design, family, "cluster", weights[b], relabel=True))
        _assert_matches(rows, b, _statsmodels(design, family, "cluster", weights[b]))
    np.testing.assert_allclose(copies.params, rows.params, rtol=1e-12)  # only the covariance differs
    assert not np.allclose(copies.std_errors, rows.std_errors)


def test_cluster_copies_need_weights_equal_within_a_cluster() -> None:
    design = _design("logit", _frame(), cov_type="cluster")
    weights = np.ones((1, design.n_obs))
    weights[0, 0] = 2.0
    with pytest.raises(ValueError, match="equal on all rows of a cluster"):
        fit_batched(design, "logit", weights, cov_type="cluster", cluster_copies=True)


def test_ols_cluster_p_values_use_t_with_clusters_minus_one_degrees_of_freedom() -> None:
    design = _design("ols", _frame(), cov_type="cluster")
    fit = fit_batched(design, "ols", np.ones((1, design.n_obs)), cov_type="cluster")
    t = fit.params[0] / fit.std_errors[0]
    np.testing.assert_allclose(fit.p_values[0], 2 * stats.t.sf(np.abs(t), CLUSTERS - 1), rtol=1e-12)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (np.ones(240), r"weights must have shape \(B, 240\)"),
        (np.ones((2, 239)), r"weights must have shape \(B, 240\)"),
        (-np.ones((1, 240)), "finite and non-negative"),
        (np.full((1, 240), np.nan), "finite and non-negative"),
    ],
)
def test_malformed_weights_raise(weights: np.ndarray, message: str) -> None:
    design = _design("logit", _frame())
    with pytest.raises(ValueError, match=message):
        fit_batched(design, "logit", weights)


@pytest.fixture(scope="module")
def hunt() -> tuple[Any, pd.DataFrame]:
    spec = load_spec("hunt2025")
    return spec, read_dataset(generate_human(), spec).frame


@pytest.mark.parametrize("model_id", ["m1", "m2", "m3", "m4", "m5", "m6"])
def test_hunt2025_models_on_demo_data(hunt: tuple[Any, pd.DataFrame], model_id: str) -> None:
    spec, frame = hunt
    model = next(m for m in spec.models if m.id == model_id)
    design = build_design(model, frame)
    assert isinstance(design, Design)
    n = design.n_obs
    weights = np.vstack([np.ones(n), np.random.default_rng(7).multinomial(n, np.full(n, 1 / n), size=49)])
    fit = _no_warnings(lambda: fit_batched(design, model.family, weights, cov_type=model.cov_type))
    assert fit.estimable.all()
    reference = fit_model(model, frame)
    assert fit.terms == tuple(c.term for c in reference.coefficients)
    np.testing.assert_allclose(fit.params[0], [c.estimate for c in reference.coefficients], rtol=RTOL, atol=1e-9)
    np.testing.assert_allclose(fit.std_errors[0], [c.std_error for c in reference.coefficients], rtol=RTOL)
    for b in range(5):
        _assert_matches(fit, b, _statsmodels(design, model.family, model.cov_type, weights[b]))


def test_blocks_of_replicates_give_the_same_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _frame()
    design = _design("logit", frame)
    n = design.n_obs
    weights = np.vstack(
        [
            np.random.default_rng(3).multinomial(n, np.full(n, 1 / n), size=7),
            (frame["g"] != "b").to_numpy(dtype=float),  # singular
            np.random.default_rng(4).multinomial(n, np.full(n, 1 / n), size=2),
        ]
    )
    whole = fit_batched(design, "logit", weights)
    monkeypatch.setattr(batched, "_BLOCK", 1)
    monkeypatch.setattr(batched, "_MIN_BLOCK", 3)  # blocks of 3, 3, 3 and 1 replicates
    blocked = fit_batched(design, "logit", weights)
    assert whole.estimable.tolist() == blocked.estimable.tolist() == [True] * 7 + [False] + [True] * 2
    for a, b in [(whole.params, blocked.params), (whole.std_errors, blocked.std_errors)]:
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)


def test_progress_reports_every_block_and_ends_at_the_total(monkeypatch: pytest.MonkeyPatch) -> None:
    design = _design("logit", _frame())
    n = design.n_obs
    weights = np.random.default_rng(6).multinomial(n, np.full(n, 1 / n), size=10)
    monkeypatch.setattr(batched, "_BLOCK", 1)
    monkeypatch.setattr(batched, "_MIN_BLOCK", 4)  # blocks of 4, 4 and 2 replicates
    calls: list[tuple[int, int]] = []
    with_progress = fit_batched(design, "logit", weights, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(4, 10), (8, 10), (10, 10)]
    np.testing.assert_array_equal(with_progress.params, fit_batched(design, "logit", weights).params)


def test_fits_in_parallel_threads_agree_and_leave_blas_threads_as_they_were() -> None:
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads() -> list[int]:
        return [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]

    design = _design("probit", _frame(copies=2))
    n = design.n_obs
    chunks = [np.random.default_rng(seed).multinomial(n, np.full(n, 1 / n), size=10) for seed in range(8)]
    before = blas_threads()
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda w: fit_batched(design, "probit", w, cov_type="HC0"), chunks))
    assert blas_threads() == before
    for weights, fit in zip(chunks, parallel):
        serial = fit_batched(design, "probit", weights, cov_type="HC0")
        np.testing.assert_array_equal(fit.params, serial.params)
        np.testing.assert_array_equal(fit.std_errors, serial.std_errors)


@pytest.fixture(scope="module")
def realshaped() -> tuple[Any, pd.DataFrame]:
    """The benchmark study of bench/realshaped.py (50 states, seven models), at 600 rows."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "bench" / "realshaped.py"
    loaded = importlib.util.spec_from_file_location("realshaped", path)
    assert loaded is not None and loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    spec = load_spec(str(module.SPEC))
    return spec, read_dataset(module.generate(600, seed=3), spec).frame


@pytest.mark.parametrize("model_id", ["r1", "r2", "r3", "r4", "r5", "r6", "r7"])
def test_realshaped_models_match_statsmodels(realshaped: tuple[Any, pd.DataFrame], model_id: str) -> None:
    spec, frame = realshaped
    model = next(m for m in spec.models if m.id == model_id)
    design = build_design(model, frame)
    assert isinstance(design, Design)
    n = design.n_obs
    weights = np.vstack([np.ones(n), np.random.default_rng(9).multinomial(n, np.full(n, 1 / n), size=4)])
    fit = _no_warnings(lambda: fit_batched(design, model.family, weights, cov_type=model.cov_type))
    reference = fit_model(model, frame)
    assert fit.terms == tuple(c.term for c in reference.coefficients)
    np.testing.assert_allclose(fit.std_errors[0], [c.std_error for c in reference.coefficients], rtol=RTOL)
    np.testing.assert_allclose(fit.p_values[0], [c.p_value for c in reference.coefficients], rtol=RTOL)
    for b in range(len(weights)):
        _assert_matches(fit, b, _statsmodels(design, model.family, model.cov_type, weights[b]))
