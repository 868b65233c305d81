"""The rules both regression engines share, checked against statsmodels where it has them."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from validator.models.rules import (
    CORRECTION_METHODS,
    adjust_p_values,
    min_rows,
    n_parameters,
    parameter_names,
    separation_symptoms,
)

METHODS = [method for method in CORRECTION_METHODS if method != "none"]


def _p_values(seed: int, shape: tuple[int, int]) -> np.ndarray:
    """Uniform p-values with small ones, ties, zeros, ones and undefined entries mixed in."""
    rng = np.random.default_rng(seed)
    p = rng.random(shape) ** 3
    p[rng.random(shape) < 0.1] = np.nan
    p[:, 0] = p[:, 1]  # ties
    p[0, 2], p[1, 3] = 0.0, 1.0
    return p


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "families",
    [[slice(0, 12)], [slice(0, 5), slice(5, 12)], [np.array([0, 3, 7, 11]), slice(1, 3)]],
    ids=["one family", "two spans", "index and span"],
)
def test_adjusted_p_values_equal_multipletests_row_by_row(method: str, families: list[slice | np.ndarray]) -> None:
    p = _p_values(1, (60, 12))
    adjusted = adjust_p_values(p, families, method)
    covered = np.zeros(12, dtype=bool)
    for family in families:
        covered[family] = True
        for row, got in zip(p[:, family], adjusted[:, family]):
            ok = np.isfinite(row)
            expected = np.full(row.shape, np.nan)
            if ok.any():
                expected[ok] = multipletests(row[ok], method=method)[1]
            np.testing.assert_allclose(got, expected, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(adjusted[:, ~covered], p[:, ~covered])  # columns outside every family


@pytest.mark.parametrize("method", CORRECTION_METHODS)
def test_a_row_without_defined_p_values_stays_undefined(method: str) -> None:
    p = np.array([[np.nan, np.nan], [0.2, np.nan]])
    adjusted = adjust_p_values(p, [slice(0, 2)], method)
    assert np.isnan(adjusted[0]).all() and np.isnan(adjusted[1, 1])
    assert adjusted[1, 0] == pytest.approx(0.2)  # a family of one is not corrected


def test_none_returns_a_copy_of_the_p_values() -> None:
    p = _p_values(2, (3, 12))
    adjusted = adjust_p_values(p, [slice(0, 12)], "none")
    np.testing.assert_array_equal(adjusted, p)
    assert adjusted is not p


def test_an_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown correction method 'bh'; use one of none, bonferroni"):
        adjust_p_values(np.zeros((1, 2)), [slice(0, 2)], "bh")


@pytest.mark.parametrize(
    ("family", "columns", "levels", "expected"),
    [("logit", 4, 2, 4), ("probit", 4, 2, 4), ("ols", 3, 1, 3), ("mnlogit", 4, 3, 8), ("mnlogit", 2, 1, 2)],
)
def test_parameters_per_family(family: str, columns: int, levels: int, expected: int) -> None:
    assert n_parameters(family, columns, levels) == expected
    assert min_rows(expected) == expected + 1


@pytest.mark.parametrize(
    ("family", "expected"),
    [
        ("logit", ("Intercept", "x")),
        ("ols", ("Intercept", "x")),
        ("mnlogit", ("Intercept[b]", "x[b]", "Intercept[c]", "x[c]")),
    ],
)
def test_parameter_names_are_level_major_for_mnlogit(family: str, expected: tuple[str, ...]) -> None:
    assert parameter_names(family, ("Intercept", "x"), ("a", "b", "c")) == expected


@pytest.mark.parametrize(
    ("params", "std_errors", "own", "symptom"),
    [
        ([1.0, -2.0], [0.5, 0.7], [0.6, 0.9], False),
        ([1.0, -2.0], [0.5, 2001.0], [0.6, 0.9], True),  # 1e3 * max(1, |b|) exceeded
        ([1.0, -2.0], [0.5, 1999.0], [0.6, 0.9], False),
        ([0.1, -2.0], [999.0, 0.7], [0.6, 0.9], False),  # max(1, |b|) = 1
        ([1.0, -2.0], [0.5, np.nan], [0.6, 0.9], True),
        ([1.0, -2.0], [0.5, 0.7], [0.6, 1.0 - 1e-13], True),  # saturated row
    ],
)
def test_separation_symptoms(params: list[float], std_errors: list[float], own: list[float], symptom: bool) -> None:
    found = separation_symptoms(np.array([params]), np.array([std_errors]), np.array([own]), np.ones((1, 2), bool))
    assert found.tolist() == [symptom]


def test_a_saturated_row_that_is_not_drawn_is_no_symptom() -> None:
    found = separation_symptoms(np.ones((1, 1)), np.ones((1, 1)), np.array([[0.5, 1.0]]), np.array([[True, False]]))
    assert found.tolist() == [False]
