"""Tests of the regression engine against statsmodels fitted directly."""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.multitest import multipletests

from validator.errors import SpecError
from validator.models import fit as fit_module
from validator.models.design import Design
from validator.models.fit import (
    MAX_ITER,
    SUPPORTED_COV_TYPES,
    correct_p_values,
    cov_type_problem,
    fit_model,
    fit_models,
    separation_direction,
)
from validator.models.types import ModelFit
from validator.spec.model import CorrectionMethod, CorrectionScope, CorrectionSpec, CovType, Family, ModelSpec

RTOL = 1e-8


def _frame(n: int = 400, seed: int = 7) -> pd.DataFrame:
    """Generated data with a binary, a numeric and a three-level outcome and mixed predictors."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.uniform(0, 10, size=n)
    g = rng.choice(["a", "b", "c"], size=n)
    flag = rng.random(n) < 0.4
    eta = -0.5 + 0.8 * x1 - 0.1 * x2 + 0.6 * (g == "b") - 0.4 * flag
    y = rng.random(n) < 1 / (1 + np.exp(-eta))
    z = 1.0 + 0.5 * x1 - 0.2 * x2 + rng.normal(scale=1 + np.abs(x1), size=n)
    u = rng.random(n)
    choice = np.where(u < 0.3 + 0.1 * (x1 > 0), "stay", np.where(u < 0.65, "left", "right"))
    cluster = rng.integers(0, 25, size=n)
    return pd.DataFrame(
        {"y": y, "z": z, "choice": choice, "x1": x1, "x2": x2, "g": g, "flag": flag, "cl": cluster}
    )


def _reference(family: str, formula: str, data: pd.DataFrame, cov_type: str):
    """The same model fitted by statsmodels' formula interface."""
    kwargs: dict[str, Any] = {"cov_type": cov_type}
    if cov_type == "cluster":
        kwargs["cov_kwds"] = {"groups": data["cl"].to_numpy()}
    if family == "ols":
        return smf.ols(formula, data).fit(use_t=True, **kwargs)
    fitter = {"logit": smf.logit, "probit": smf.probit, "mnlogit": smf.mnlogit}[family]
    return fitter(formula, data).fit(method="newton", maxiter=100, disp=0, **kwargs)


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    # The reference sees booleans as 0/1 floats, as simval does.
    return frame.assign(y=frame["y"].astype(float), flag=frame["flag"].astype(float))


def _compare(fit: ModelFit, expected: dict[str, tuple[float, float, float, float, float]]) -> None:
    assert fit.estimable, fit.detail
    assert [c.term for c in fit.coefficients] == list(expected)
    for c in fit.coefficients:
        np.testing.assert_allclose(
            [c.estimate, c.std_error, c.p_value, c.ci_low, c.ci_high], expected[c.term], rtol=RTOL, atol=1e-12
        )
        assert c.p_adjusted == c.p_value


BINARY_CASES = [(family, cov) for family in ("logit", "probit") for cov in SUPPORTED_COV_TYPES[family]]
OLS_CASES = [("ols", cov) for cov in SUPPORTED_COV_TYPES["ols"]]


@pytest.mark.parametrize(("family", "cov_type"), BINARY_CASES + OLS_CASES)
def test_binary_and_ols_match_statsmodels(family: Family, cov_type: CovType) -> None:
    frame = _frame()
    outcome = "z" if family == "ols" else "y"
    formula = f"{outcome} ~ x1 + x2 + g + flag"
    model = ModelSpec("m", "M", family, formula, cov_type=cov_type, cluster="cl" if cov_type == "cluster" else None)
    fit = fit_model(model, frame, alpha=0.1)
    ref = _reference(family, formula, _numeric(frame), cov_type)
    ci = ref.conf_int(0.1)
    names = ["Intercept", "x1", "x2", "g[T.b]", "g[T.c]", "flag"]
    expected = {
        name: (ref.params[name], ref.bse[name], ref.pvalues[name], ci.loc[name, 0], ci.loc[name, 1]) for name in names
    }
    _compare(fit, expected)
    assert fit.n_obs == len(frame) and fit.cov_type == cov_type and fit.converged
    assert fit.log_likelihood is not None and fit.pseudo_r2 is not None
    np.testing.assert_allclose(fit.log_likelihood, ref.llf, rtol=RTOL)
    # statsmodels refits the null model by Nelder-Mead; simval uses its closed form.
    reference_r2 = ref.rsquared if family == "ols" else ref.prsquared
    np.testing.assert_allclose(fit.pseudo_r2, reference_r2, rtol=1e-6)


@pytest.mark.parametrize("cov_type", SUPPORTED_COV_TYPES["mnlogit"])
def test_mnlogit_matches_statsmodels_with_named_levels(cov_type: CovType) -> None:
    frame = _frame()
    model = ModelSpec(
        "mn", "MN", "mnlogit", "choice ~ x1 + flag", cov_type=cov_type, cluster="cl" if cov_type == "cluster" else None
    )
    fit = fit_model(model, frame)
    # Reference level: the first in sorted order ("left"); codes 1, 2 = "right", "stay".
    data = _numeric(frame).assign(code=pd.Categorical(frame["choice"], categories=["left", "right", "stay"]).codes)
    ref = _reference("mnlogit", "code ~ x1 + flag", data, cov_type)
    ci = np.asarray(ref.conf_int(0.05)).reshape(2, 3, 2)  # rows level-major: (level, term)
    expected = {}
    for j, level in enumerate(["right", "stay"]):
        for i, term in enumerate(["Intercept", "x1", "flag"]):
            expected[f"{term}[{level}]"] = (
                ref.params.iloc[i, j], ref.bse.iloc[i, j], ref.pvalues.iloc[i, j], ci[j, i, 0], ci[j, i, 1]
            )
    _compare(fit, expected)
    assert fit.pseudo_r2 is not None
    np.testing.assert_allclose(fit.pseudo_r2, ref.prsquared, rtol=1e-6)


def test_mnlogit_reference_level_follows_declared_categories() -> None:
    frame = _frame()
    frame["choice"] = pd.Categorical(frame["choice"], categories=["stay", "right", "left", "never"])
    fit = fit_model(ModelSpec("mn", "MN", "mnlogit", "choice ~ x1"), frame)
    # "never" is declared but absent, so it is no level of the fit.
    assert [c.term for c in fit.coefficients] == ["Intercept[right]", "x1[right]", "Intercept[left]", "x1[left]"]


def test_boolean_and_integer_coding_give_the_same_fit() -> None:
    frame = _frame()
    as_bool = fit_model(ModelSpec("m", "M", "logit", "y ~ x1 + flag"), frame)
    as_int = fit_model(
        ModelSpec("m", "M", "logit", "y ~ x1 + flag"),
        frame.assign(y=frame["y"].astype(int), flag=frame["flag"].astype(pd.BooleanDtype())),
    )
    assert [c.term for c in as_bool.coefficients] == ["Intercept", "x1", "flag"]
    assert as_bool.coefficients == as_int.coefficients


def test_cluster_groups_from_text_and_rows_missing_a_cluster() -> None:
    frame = _frame()
    frame["cl"] = "c" + frame["cl"].astype(str)
    frame.loc[[3, 50, 99], "cl"] = None
    model = ModelSpec("m", "M", "logit", "y ~ x1 + x2", cov_type="cluster", cluster="cl")
    fit = fit_model(model, frame)
    used = _numeric(frame).dropna(subset=["cl"])
    ref = smf.logit("y ~ x1 + x2", used).fit(
        method="newton", disp=0, cov_type="cluster", cov_kwds={"groups": pd.factorize(used["cl"])[0]}
    )
    assert (fit.n_obs, fit.n_missing) == (len(frame) - 3, 3)
    np.testing.assert_allclose([c.std_error for c in fit.coefficients], ref.bse.to_numpy(), rtol=RTOL)


def test_subset_and_missing_rows_are_counted() -> None:
    rng = np.random.default_rng(3)
    n = 40
    frame = pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.normal(size=n),
            "group": np.array(["keep", "drop"] * (n // 2), dtype=object),
        }
    )
    frame.loc[[1, 3], "group"] = None  # odd rows are "drop" anyway: 20 rows leave by the subset
    frame.loc[[0, 2], "group"] = None  # a missing subset value excludes the row too: 22 in all
    frame.loc[[4, 6, 8], "x"] = np.nan  # 3 kept rows lack x
    frame.loc[[10], "y"] = np.nan  # 1 kept row lacks the outcome
    frame.loc[[5], "x"] = np.nan  # already excluded by the subset: counted there only
    fit = fit_model(ModelSpec("m", "M", "ols", "y ~ x", subset="group == 'keep'"), frame)
    assert (fit.n_subset_excluded, fit.n_missing, fit.n_obs) == (22, 4, 14)
    used = frame[(frame["group"] == "keep") & frame["x"].notna() & frame["y"].notna()]
    ref = smf.ols("y ~ x", used).fit(use_t=True)
    np.testing.assert_allclose([c.estimate for c in fit.coefficients], ref.params.to_numpy(), rtol=RTOL)


def _separated(n: int = 60, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    d = (np.arange(n) % 4 == 0).astype(float)
    y = (rng.random(n) < 0.5).astype(float)
    quasi = np.where(d == 1, 1.0, y)
    choice = np.where(d == 1, "c", rng.choice(["a", "b", "c"], size=n))
    return pd.DataFrame(
        {
            "y": y, "x": x, "d": d, "sep": (x > 0).astype(float), "quasi": quasi, "choice": choice,
            "const": np.zeros(n), "three": np.arange(n) % 3, "word": np.where(x > 0, "yes", "no"),
            "x2": 2 * x, "one": ["a"] * n, "cat": pd.Categorical(["a"] * n, categories=["a", "b"]),
            "zero": np.where(np.arange(n) == 0, 0.0, 1.0 + np.abs(x)),
        }
    )


NOT_ESTIMABLE = [
    ("no variation", "logit", "const ~ x", None, "no_variation", "is 0 on all 60 rows"),
    ("no variation ols", "ols", "const ~ x", None, "no_variation", "'const'"),
    ("no variation mnlogit", "mnlogit", "choice ~ x", "choice == 'c'", "no_variation", "'c'"),
    ("complete separation", "logit", "sep ~ x", None, "perfect_separation", "separation along x:"),
    ("complete separation probit", "probit", "sep ~ x", None, "perfect_separation", "of 60 rows and wrongly on none"),
    ("quasi-separation", "logit", "quasi ~ x + d", None, "perfect_separation", "at least 15 of 60 rows"),
    ("quasi-separation probit", "probit", "quasi ~ x + d", None, "perfect_separation", "separation along d:"),
    ("quasi-separation mnlogit", "mnlogit", "choice ~ x + d", None, "perfect_separation", "d[c]"),
    ("collinear columns", "logit", "y ~ x + x2", None, "singular_design", "'x2' is a linear combination"),
    ("collinear ols", "ols", "x ~ d + I(1 - d)", None, "singular_design", "'I(1 - d)'"),
    ("declared level never seen", "logit", "y ~ x + cat", None, "singular_design", "'cat[T.b]' is zero on every row"),
    ("single text level", "logit", "y ~ x + one", None, "singular_design", "'one'"),
    ("too few rows", "logit", "y ~ x + d", "x > 1.2", "too_few_rows", "for 3 parameters"),
    ("subset removes all", "logit", "y ~ x", "x > 100", "too_few_rows", "no rows are left"),
    ("missing formula variable", "logit", "y ~ x + nowhere", None, "missing_variable", "'nowhere'"),
    ("missing subset variable", "logit", "y ~ x", "nowhere > 0", "missing_variable", "'nowhere'"),
    ("non-binary logit outcome", "logit", "three ~ x", None, "fit_error", "0, 1, 2"),
    ("text logit outcome", "probit", "word ~ x", None, "fit_error", "no, yes"),
    ("text ols outcome", "ols", "word ~ x", None, "fit_error", "numeric outcome"),
    ("infinite design value", "ols", "x ~ log(zero)", None, "fit_error", "'log(zero)'"),
]


@pytest.mark.parametrize(
    ("family", "formula", "subset", "reason", "detail"),
    [case[1:] for case in NOT_ESTIMABLE],
    ids=[case[0] for case in NOT_ESTIMABLE],
)
def test_not_estimable_reasons_without_warnings(
    family: Family, formula: str, subset: str | None, reason: str, detail: str
) -> None:
    model = ModelSpec("m", "M", family, formula, subset=subset)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = fit_model(model, _separated())
    assert [str(w.message) for w in caught] == []
    assert (fit.estimable, fit.reason, fit.coefficients) == (False, reason, ())
    assert detail in (fit.detail or "")


def test_missing_cluster_variable() -> None:
    model = ModelSpec("m", "M", "logit", "y ~ x", cov_type="cluster", cluster="school")
    fit = fit_model(model, _separated())
    assert (fit.reason, fit.detail) == ("missing_variable", "the data has no variable 'school'")


def test_non_convergence_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fit_module, "MAX_ITER", 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = fit_model(ModelSpec("m", "M", "logit", "y ~ x1 + x2"), _frame())
    assert caught == []
    assert (fit.estimable, fit.reason, fit.converged) == (False, "not_converged", False)


def test_separation_direction_on_overlapping_and_separated_data() -> None:
    data = _separated(n=200, seed=4)
    exog = np.column_stack([np.ones(200), data["x"], data["d"]])
    assert separation_direction(exog, data["y"].to_numpy(dtype=np.int64), 2) is None
    found = separation_direction(exog, data["quasi"].to_numpy(dtype=np.int64), 2)
    assert found is not None and found.n_perfect == int(data["d"].sum())
    np.testing.assert_allclose(found.direction, [0.0, 0.0, 1.0], atol=1e-9)


@pytest.mark.parametrize("family", ["logit", "probit", "mnlogit"])
@pytest.mark.parametrize("cov_type", ["HC1", "HC2", "HC3"])
def test_small_sample_hc_types_are_refused_for_likelihood_models(family: Family, cov_type: CovType) -> None:
    assert cov_type_problem(family, cov_type) is not None
    model = ModelSpec("m7", "M", family, "y ~ x1", cov_type=cov_type)
    with pytest.raises(SpecError, match=f"cov_type '{cov_type}' is not available for a {family} model"):
        fit_model(model, _frame())


def test_every_ols_cov_type_is_supported() -> None:
    assert all(cov_type_problem("ols", cov) is None for cov in ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"))


MODELS = (
    ModelSpec("m1", "M1", "logit", "y ~ x1 + x2"),
    ModelSpec("m2", "M2", "logit", "y ~ x1 + g + flag", subset="x2 > 3"),
    ModelSpec("m3", "M3", "ols", "z ~ x1 + x2 + g"),
    ModelSpec("m4", "M4", "logit", "y ~ nowhere"),  # not estimable: enters no family
)


@pytest.mark.parametrize("method", ["bonferroni", "holm", "sidak", "fdr_bh", "fdr_by"])
@pytest.mark.parametrize("scope", ["model", "study"])
def test_corrections_equal_multipletests(method: CorrectionMethod, scope: CorrectionScope) -> None:
    frame = _frame()
    raw = fit_models(MODELS, frame)
    fits = fit_models(MODELS, frame, correction=CorrectionSpec(method, scope))
    assert [f.estimable for f in fits] == [True, True, True, False]
    groups = [[0], [1], [2]] if scope == "model" else [[0, 1, 2]]
    for group in groups:
        p = np.concatenate([[c.p_value for c in raw[i].coefficients] for i in group])
        expected = multipletests(p, method=method)[1]
        got = np.concatenate([[c.p_adjusted for c in fits[i].coefficients] for i in group])
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    for before, after in zip(raw, fits):
        assert [c.p_value for c in before.coefficients] == [c.p_value for c in after.coefficients]


def test_no_correction_keeps_p_values() -> None:
    fits = fit_models(MODELS, _frame(), correction=CorrectionSpec("none", "study"))
    stale = tuple(replace(f, coefficients=tuple(replace(c, p_adjusted=1.0) for c in f.coefficients)) for f in fits)
    for fit in correct_p_values(stale, CorrectionSpec("none", "model")):
        assert all(c.p_adjusted == c.p_value for c in fit.coefficients)


def test_row_index_labels_do_not_matter() -> None:
    frame = _frame()
    model = ModelSpec("m", "M", "logit", "y ~ x1 + g", subset="x2 > 2")
    relabelled = frame.set_axis(np.arange(len(frame))[::-1] * 3 % 7, axis=0)  # repeated, unordered labels
    assert fit_model(model, relabelled) == fit_model(model, frame)


def test_fits_in_parallel_threads_equal_the_fits_one_after_the_other(monkeypatch: pytest.MonkeyPatch) -> None:
    import validator.models.fit as fit_module
    from validator.models.design import shared_designs

    frame = _frame()
    one_by_one = fit_models(MODELS, frame, correction=CorrectionSpec("holm", "study"))
    monkeypatch.setattr(fit_module, "PARALLEL_FIT_ROWS", 1)  # every frame counts as large
    assert fit_models(MODELS, frame, correction=CorrectionSpec("holm", "study")) == one_by_one
    with shared_designs():  # the threads see the design memo
        assert fit_models(MODELS, frame, correction=CorrectionSpec("holm", "study")) == one_by_one


def test_the_logit_that_keeps_its_last_prediction_fits_what_statsmodels_fits_bit_for_bit() -> None:
    import statsmodels.api as sm

    from validator.models.fit import _Logit

    frame = _frame(2000, seed=3)
    exog = sm.add_constant(frame[["x1", "x2"]].to_numpy(dtype=float))
    endog = frame["y"].to_numpy(dtype=float)
    for cov_type in ("nonrobust", "HC0"):
        plain = sm.Logit(endog, exog).fit(method="newton", disp=0, cov_type=cov_type)
        kept = _Logit(endog, exog).fit(method="newton", disp=0, cov_type=cov_type)
        for name in ("params", "bse", "pvalues"):
            assert np.array_equal(getattr(plain, name), getattr(kept, name)), name
        assert plain.llf == kept.llf and plain.mle_retvals["iterations"] == kept.mle_retvals["iterations"]
        assert np.array_equal(plain.predict(), kept.predict())
        assert np.array_equal(plain.predict(exog[:5] * 2), kept.predict(exog[:5] * 2))  # another exog: not from the memo


@pytest.mark.parametrize("family", ["logit", "probit", "mnlogit"])
@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "cluster"])
def test_the_fit_without_statsmodels_rank_and_constant_checks_is_statsmodels_default_fit_bit_for_bit(family: Family, cov_type: CovType) -> None:
    import statsmodels.api as sm

    from validator.models.design import build_design
    from validator.models.fit import _attempt

    frame = _frame(1500, seed=5)
    outcome = "choice" if family == "mnlogit" else "y"
    model = ModelSpec("m", "M", family, f"{outcome} ~ x1 + x2 + g", cov_type=cov_type, cluster="cl" if cov_type == "cluster" else None)
    design = build_design(model, frame)
    assert isinstance(design, Design)
    kwargs: dict[str, Any] = {"cov_type": cov_type}
    if cov_type == "cluster":
        kwargs["cov_kwds"] = {"groups": design.groups}
    default = {"logit": sm.Logit, "probit": sm.Probit, "mnlogit": sm.MNLogit}[family](design.endog, design.exog).fit(
        method="newton", maxiter=MAX_ITER, disp=0, **kwargs
    )
    ours = _attempt(model, design).result
    for name in ("params", "bse", "pvalues"):
        assert np.array_equal(np.asarray(getattr(default, name)), np.asarray(getattr(ours, name))), name
    assert np.array_equal(np.asarray(default.conf_int(0.05)), np.asarray(ours.conf_int(0.05)))
    assert default.llf == ours.llf
    ours.set_null_options(llnull=default.llnull)
    assert default.prsquared == ours.prsquared
