"""Design matrices: plain numeric formulas are built directly, exactly as formulaic builds them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import validator.models.design as design_module
from validator.models.design import Design, build_design
from validator.spec.model import ModelSpec


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 60
    return pd.DataFrame(
        {
            "y": rng.integers(0, 2, n).astype(bool),
            "a": rng.normal(size=n),
            "b": rng.integers(0, 5, n).astype(float),
            "flag": pd.array(rng.choice([True, False], n), dtype="boolean"),
            "count": rng.integers(0, 9, n),  # int64: left to formulaic
            "group": pd.Categorical(rng.choice(["x", "y", "z"], n)),
            "gap": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
        }
    )


@pytest.mark.parametrize(
    "formula",
    [
        "y ~ a + b",
        "y ~ b + a + flag",  # term order as formulaic orders it; a boolean as 0/1
        "y ~ 0 + a + b",  # no intercept
        "y ~ a - 1",
        "y ~ a + a",  # a repeated term
        "y ~ a + gap",  # missing values: rows dropped first
        "y ~ a + group",  # a categorical: formulaic
        "y ~ a * b",  # an interaction: formulaic
        "y ~ I(a ** 2) + b",  # a transform: formulaic
        "y ~ count + a",  # integers: formulaic
    ],
)
@pytest.mark.parametrize("subset", [None, "b > 1"])
def test_a_design_is_the_matrix_formulaic_builds(formula: str, subset: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    model = ModelSpec(id="m", label="m", family="logit", formula=formula, subset=subset)
    frame = _frame()
    got = build_design(model, frame)
    monkeypatch.setattr(design_module, "_numeric_design", lambda formula, data: None)
    expected = build_design(model, frame)
    assert isinstance(got, Design) and isinstance(expected, Design)
    assert got.terms == expected.terms
    assert got.empty_terms == expected.empty_terms
    assert got.exog.dtype == expected.exog.dtype and got.exog.flags.c_contiguous
    assert np.array_equal(got.exog, expected.exog)
    assert np.array_equal(got.endog, expected.endog)
    assert np.array_equal(got.rows, expected.rows)


def test_plain_numeric_formulas_take_the_direct_path() -> None:
    data = _frame()[["a", "b"]]
    info, formula = design_module._formula("y ~ b + a")
    built = design_module._numeric_design(formula, data)
    assert built is not None and built[1] == ("Intercept", "b", "a")
    assert design_module._numeric_design(design_module._formula("y ~ a:b")[1], data) is None


def test_shared_designs_builds_each_models_design_once_per_frame() -> None:
    import contextvars
    import threading

    from validator.models.design import shared_designs

    model = ModelSpec("m", "M", "logit", "y ~ a + group", subset="b > 1")
    frame = _frame()
    assert build_design(model, frame) is not build_design(model, frame)  # no memo outside the block
    with shared_designs():
        first = build_design(model, frame)
        assert build_design(model, frame) is first
        assert build_design(model, frame.copy()) is not first  # another frame, even with the same values
        seen: list[object] = []
        context = contextvars.copy_context()
        worker = threading.Thread(target=context.run, args=(lambda: seen.append(build_design(model, frame)),))
        worker.start()
        worker.join()
        assert seen == [first] and seen[0] is first
        with shared_designs():  # nested: the same memo
            assert build_design(model, frame) is first
    again = build_design(model, frame)
    assert again is not first
    assert isinstance(again, Design) and isinstance(first, Design)
    np.testing.assert_array_equal(again.exog, first.exog)
