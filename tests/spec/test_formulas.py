"""Tests of the formula whitelist and of the formulaic evaluation context."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from formulaic import model_matrix
from formulaic.transforms import TRANSFORMS

from validator.errors import ExpressionError
from validator.spec.expressions import FUNCTIONS, parse_expression
from validator.spec.formulas import FORMULA_FUNCTIONS, FormulaInfo, check_formula, formula_context

KNOWN = (
    "abort",
    "attack_t1",
    "belief_t1",
    "belief_t2",
    "v2",
    "pre_t1",
    "ev_diff",
    "valuation",
    "age",
    "x",
    "y",
)


ALLOWED = [
    ("abort ~ belief_t1 + belief_t2", "abort", {"abort", "belief_t1", "belief_t2"}),
    (
        "abort ~ belief_t1 + belief_t2 + v2 + pre_t1",
        "abort",
        {"abort", "belief_t1", "belief_t2", "v2", "pre_t1"},
    ),
    ("attack_t1 ~ ev_diff", "attack_t1", {"attack_t1", "ev_diff"}),
    ("abort~belief_t1", "abort", {"abort", "belief_t1"}),
    ("abort ~ 1", "abort", {"abort"}),
    ("abort ~ 0 + x", "abort", {"abort", "x"}),
    ("abort ~ -1 + x", "abort", {"abort", "x"}),
    ("abort ~ x - 1", "abort", {"abort", "x"}),
    ("abort ~ x * y", "abort", {"abort", "x", "y"}),
    ("abort ~ x + x:y", "abort", {"abort", "x", "y"}),
    ("abort ~ (x + y + age) ** 2", "abort", {"abort", "x", "y", "age"}),
    ("abort ~ C(valuation)", "abort", {"abort", "valuation"}),
    ("abort ~ C(valuation, levels=['V1', 'V2'])", "abort", {"abort", "valuation"}),
    ("abort ~ C(valuation, levels=('V2', 'V1')) * x", "abort", {"abort", "valuation", "x"}),
    ("abort ~ I(belief_t1 / 100)", "abort", {"abort", "belief_t1"}),
    ("abort ~ age + I(age ** 2)", "abort", {"abort", "age"}),
    ("abort ~ I((belief_t1 + belief_t2) / 100 - 0.5)", "abort", {"abort", "belief_t1", "belief_t2"}),
    ("abort ~ I(x > 50)", "abort", {"abort", "x"}),
    ("abort ~ I(where(x > 50, x, 0)) + I(clip(y, 0, 1))", "abort", {"abort", "x", "y"}),
    ("abort ~ log(age) + log10(age) + exp(x) + sqrt(age) + abs(x)", "abort", {"abort", "age", "x"}),
    ("abort ~ log(age + 1)", "abort", {"abort", "age"}),
    ("abort ~ center(age) + scale(x)", "abort", {"abort", "age", "x"}),
    ("abort ~ " + "*".join("abcdefghi"), "abort", {"abort", *"abcdefghi"}),  # 511 terms
    (
        "abort ~ " + " + ".join(f"x{i}" for i in range(300)),
        "abort",
        {"abort", *(f"x{i}" for i in range(300))},
    ),
    ("abort ~ I(x * nan)", "abort", {"abort", "x"}),
]


@pytest.mark.parametrize(("text", "outcome", "variables"), ALLOWED, ids=[case[0][:60] for case in ALLOWED])
def test_allowed_formulas(text: str, outcome: str, variables: set[str]) -> None:
    info = check_formula(text, KNOWN + tuple(variables))
    assert info == FormulaInfo(text, outcome, frozenset(variables))


def test_without_known_any_plain_name_is_accepted() -> None:
    assert check_formula("out ~ a + C(b) + I(c / 2)").variables == {"out", "a", "b", "c"}


REJECTED = [
    # Attack vectors: every one must be refused before formulaic evaluates anything.
    (
        "abort ~ __import__('os').system('x')",
        r"calls '__import__' at column 9, which is not an allowed formula function",
    ),
    ("abort ~ np.log(x)", r"uses attribute access \('\.log'\), which specs may not use"),
    (
        "abort ~ open('f')",
        r"calls 'open' at column 9, which is not an allowed formula function; allowed: C, I, abs, ",
    ),
    ("abort ~ x.y", r"uses 'x\.y' at column 9, which is not a plain variable name"),
    ("abort ~ {x + 1}", r"uses the Python block '\{x \+ 1\}' at column 9"),
    ("abort ~ {__import__('os')}", r"uses the Python block"),
    ("abort ~ `x`", r"uses the backtick-quoted name `x` at column 9"),
    ("abort ~ x[0]", r"uses a subscript \('x\[0\]'\)"),
    ("abort ~ I(().__class__.__bases__)", r"uses attribute access \('\.__bases__'\)"),
    ("abort ~ I([x for x in y])", r"uses a comprehension"),
    ("abort ~ I(lambda: 1)", r"uses a lambda"),
    ("abort ~ __builtins__", r"uses the name '__builtins__', which starts with an underscore"),
    ("abort ~ I(__builtins__)", r"uses the name '__builtins__', which starts with an underscore"),
    ("abort ~ _x", r"uses the name '_x', which starts with an underscore"),
    ("abort ~ getattr(x, 'y')", r"calls 'getattr' at column 9, which is not an allowed formula function"),
    ("abort ~ eval('1')", r"calls 'eval' at column 9, which is not an allowed formula function"),
    ("abort ~ I(eval('1'))", r"calls 'eval', which is not an allowed function; allowed: abs, between"),
    ("abort ~ f'{x}'", r"does not parse"),
    ("abort ~ I(f'{x}')", r"uses an f-string"),
    ("abort ~ I(x.__class__)", r"uses attribute access \('\.__class__'\)"),
    ("abort ~ log(x).real", r"which is not a plain variable name"),
    ("abort ~ np.log(x)(1)", r"uses attribute access"),
    ("abort ~ C(x)(1)", r"calls 'C', which is not an allowed function"),
    ("abort ~ log(x)(1)", r"calls 'log\(x\)', which is not a function name"),
    ("abort ~ bs(x)", r"calls 'bs' at column 9, which is not an allowed formula function"),
    ("abort ~ poly(x, 2)", r"calls 'poly'"),
    ("abort ~ I(C(x))", r"calls 'C', which is not an allowed function"),
    # Operators and values outside the whitelist.
    ("abort ~ x / y", r"uses the operator '/' at column 11; allowed: ~ \+ - \* : \*\* \( \)"),
    ("abort ~ x | y", r"uses the operator '\|'"),
    ("abort ~ x ^ 2", r"uses the operator '\^'"),
    ("abort ~ x %in% y", r"uses the operator '%in%'"),
    ("abort ~ x ? y", r"uses the operator '\?'"),
    ("abort ~ .", r"uses '\.' \(all other columns\)"),
    ("abort ~ x + 2", r"uses the number '2' at column 13"),
    ("abort ~ x + 1.5", r"uses the value '1\.5'"),
    ("abort ~ 'text'", r"uses the value \"'text'\""),
    ("abort ~ [x]", r"uses '\[' at column 9; only \( and \) may group terms"),
    # Structure.
    ("abort + x", r"has 0 '~'; a formula is 'outcome ~ predictors' with exactly one '~'"),
    ("abort ~ x ~ y", r"has 2 '~'"),
    ("~ x", r"must have a single variable name left of '~'"),
    ("abort + x ~ y", r"must have a single variable name left of '~'"),
    ("C(valuation) ~ x", r"must have a single variable name left of '~'"),
    ("abort ~ x +", r"is not a valid formula: Operator `\+` has insuffient arguments"),
    ("abort ~ (x + y", r"is not a valid formula"),
    ("abort ~ x ** 0", r"is not a valid formula"),
    ("abort ~ x + nan", r"uses the constant 'nan' as a term at column 13"),
    ("abort ~ True", r"uses 'True' at column 9, which is not a plain variable name"),
    # Requests that would make formulaic expand billions of terms.
    ("abort ~ " + "*".join("abcdefghij"), r"expands to more than 1000 terms"),
    ("abort ~ (a + b + c + d + e + f + g + h + i + j + k) ** 3", r"expands to more than 1000 terms"),
    ("abort ~ x ** 1000000", r"raises to the power 1000000 at column 14; the largest allowed is 10"),
    ("abort ~ " + " + ".join(f"x{i}" for i in range(600)), r"longer than the limit of 4000"),
    # Calls with the wrong arguments.
    ("abort ~ C(x, contrasts=1)", r"calls 'C' with the keyword argument 'contrasts=' at column 9"),
    ("abort ~ C(x, levels=[y])", r"gives C\(\) levels=\[y\] at column 9; levels must be a list of constants"),
    ("abort ~ C(x, levels='V1')", r"levels must be a list of constants"),
    ("abort ~ C(x + 1)", r"calls C\(\) on 'x \+ 1' at column 9; C\(\) takes a variable name"),
    ("abort ~ C(x, y)", r"calls 'C' with 2 positional arguments at column 9; it takes one"),
    ("abort ~ I(x, y)", r"calls 'I' with 2 positional arguments"),
    ("abort ~ log(x, base=2)", r"calls 'log' with the keyword argument 'base='"),
    ("abort ~ I(*x)", r"star unpacking"),
    ("abort ~ I(**x)", r"calls 'I' with the keyword argument '\*\*'"),
    # Python would evaluate these itself, with Python's meaning on pandas Series.
    ("abort ~ I(x and y)", r"uses 'and' inside a formula"),
    ("abort ~ I(not x)", r"uses 'not' inside a formula"),
    ("abort ~ I(x in [1, 2])", r"uses 'in' \('x in \[1, 2\]'\) inside a formula"),
    ("abort ~ I(0 < x < 1)", r"uses a chained comparison"),
    ("abort ~ I(10 ** 10 ** 10)", r"computes with constants only \('10 \*\* 10 \*\* 10'\)"),
    ("abort ~ I(x + 'a' * 1000000000)", r"uses '\*' on text"),
    ("abort ~ I(x + 2 ** 100000000)", r"computes with constants only"),
    # Not text at all.
    ("", r"the formula is empty"),
]


@pytest.mark.parametrize(("text", "pattern"), REJECTED, ids=[case[0][:60] or "empty" for case in REJECTED])
def test_rejected_formulas_name_the_token(text: str, pattern: str) -> None:
    with pytest.raises(ExpressionError, match=pattern) as caught:
        check_formula(text, None, source="spec.yaml", path="models[2].formula")
    assert str(caught.value).startswith("spec.yaml, at models[2].formula: ")
    assert caught.value.source == "spec.yaml" and caught.value.path == "models[2].formula"


@pytest.mark.parametrize("value", [None, 3, ["abort ~ x"]])
def test_non_text_is_rejected(value: object) -> None:
    with pytest.raises(ExpressionError, match=r"must be text, not"):
        check_formula(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("abort ~ beleif_t1", r"uses unknown variable 'beleif_t1' \(did you mean 'belief_t1'\?\)$"),
        ("abrot ~ belief_t1", r"uses unknown variable 'abrot' \(did you mean 'abort'\?\)$"),
        ("abort ~ C(valuaton)", r"uses unknown variable 'valuaton' \(did you mean 'valuation'\?\)$"),
        ("abort ~ I(beleif_t1 / 100)", r"uses unknown variable 'beleif_t1' \(did you mean 'belief_t1'\?\)$"),
        ("abort ~ zzz", r"uses unknown variable 'zzz'; known variables: abort, age, attack_t1, "),
    ],
)
def test_unknown_variables_suggest_the_closest_name(text: str, pattern: str) -> None:
    with pytest.raises(
        ExpressionError, match=r"^spec\.yaml, at models\[0\]\.formula: formula '.*' " + pattern
    ):
        check_formula(text, KNOWN, source="spec.yaml", path="models[0].formula")


# --------------------------------------------------------------------------
# The evaluation context and formulaic
# --------------------------------------------------------------------------


def test_context_holds_the_expression_functions_and_nothing_dangerous() -> None:
    context = formula_context()
    assert set(context) == set(FUNCTIONS) | {"nan", "inf"}
    for name in ("np", "eval", "exec", "open", "getattr", "__builtins__", "__import__"):
        assert name not in context


def test_formulaic_provides_the_other_formula_functions() -> None:
    # C, I, center and scale are formulaic's own transforms; the context must not shadow them.
    for name in set(FORMULA_FUNCTIONS) - set(formula_context()):
        assert name in TRANSFORMS
    assert not {"C", "I", "center", "scale"} & set(formula_context())


@pytest.fixture
def data() -> pd.DataFrame:
    rng = np.random.default_rng(20250611)
    n = 40
    return pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "belief_t1": rng.integers(0, 101, n).astype(float),
            "age": rng.integers(18, 80, n),
            "z": rng.normal(0, 2, n),
            "valuation": rng.choice(["V1", "V2"], n),
        }
    )


DESIGN_CASES = [
    ("I(belief_t1 / 100)", lambda d: d.belief_t1 / 100),
    ("I(age ** 2)", lambda d: d.age.astype(float) ** 2),
    ("log(age)", lambda d: np.log(d.age)),
    ("log10(age)", lambda d: np.log10(d.age)),
    ("sqrt(age)", lambda d: np.sqrt(d.age)),
    ("exp(z)", lambda d: np.exp(d.z)),
    ("abs(z)", lambda d: np.abs(d.z)),
    ("center(age)", lambda d: d.age - d.age.mean()),
    ("scale(z)", lambda d: (d.z - d.z.mean()) / d.z.std(ddof=1)),
    ("I(clip(z, -1, 1))", lambda d: d.z.clip(-1, 1)),
    ("I(where(z > 0, z, 0))", lambda d: d.z.clip(lower=0)),
    ("I(round(z, 1))", lambda d: d.z.round(1)),
    ("I(max(z, age / 40))", lambda d: np.maximum(d.z, d.age / 40)),
    ("I(floor(z) + ceil(z))", lambda d: np.floor(d.z) + np.ceil(d.z)),
    ("I(z > 0)", lambda d: (d.z > 0).astype(float)),
]


@pytest.mark.parametrize(("term", "expected"), DESIGN_CASES, ids=[case[0] for case in DESIGN_CASES])
def test_formulaic_with_the_context_builds_the_expected_columns(
    data: pd.DataFrame, term: str, expected
) -> None:
    text = f"y ~ {term}"
    check_formula(text, data.columns)
    matrices = model_matrix(text, data, context=formula_context())
    rhs = matrices.rhs
    assert list(rhs.columns) == ["Intercept", term]
    np.testing.assert_allclose(rhs[term].to_numpy(dtype=float), expected(data).to_numpy(dtype=float))
    np.testing.assert_array_equal(matrices.lhs["y"].to_numpy(), data.y.to_numpy())


@pytest.mark.parametrize(
    "expression",
    ["belief_t1 / 100 - 0.5", "where(z > 0, z, 0)", "clip(age, 20, 60)", "round(z / 3, 2)", "min(z, 1, age)"],
)
def test_formulas_and_expressions_agree(data: pd.DataFrame, expression: str) -> None:
    """An I(...) term that formulaic evaluates equals the same text evaluated as an expression."""
    rhs = model_matrix(f"y ~ I({expression})", data, context=formula_context()).rhs
    expected = parse_expression(expression, data.columns).evaluate(data)
    np.testing.assert_allclose(rhs[f"I({expression})"].to_numpy(dtype=float), expected.to_numpy(dtype=float))


@pytest.mark.parametrize(
    ("levels", "reference", "other"), [(["V1", "V2"], "V1", "V2"), (["V2", "V1"], "V2", "V1")]
)
def test_c_levels_set_the_reference_category(
    data: pd.DataFrame, levels: list[str], reference: str, other: str
) -> None:
    term = f"C(valuation, levels={levels!r})"
    text = f"y ~ {term}"
    check_formula(text, data.columns)
    rhs = model_matrix(text, data, context=formula_context()).rhs
    assert list(rhs.columns) == ["Intercept", f"{term}[T.{other}]"]
    np.testing.assert_array_equal(rhs[f"{term}[T.{other}]"].to_numpy(), (data.valuation == other).to_numpy())
    # The reference level has no column: its rows are those with every dummy at 0.
    assert not any(f"[T.{reference}]" in column for column in rhs.columns)


def test_formula_functions_do_not_warn_on_invalid_values(
    data: pd.DataFrame, recwarn: pytest.WarningsRecorder
) -> None:
    data = data.assign(z=data.z.where(data.z > 0, -1.0))
    rhs = model_matrix("y ~ log(z) + sqrt(z)", data, context=formula_context(), na_action="ignore").rhs
    assert rhs["log(z)"].isna().sum() == (data.z < 0).sum()
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


# Inside I() Python evaluates the code, and Python repeats text times a number: each
# of these would build gigabytes. The derived-variable language refuses them too.
TEXT_ARITHMETIC = [
    ("str(belief_t1) * 1000000000", "'*' on text"),
    ("1000000000 * str(x)", "'*' on text"),
    ("concat(x, 'a') * 3", "'*' on text"),
    ("(str(x) + 'a') * 3", "'*' on text"),
    ("where(x > 0, 'a', 'b') * 3", "'*' on text"),
    ("str(x) % x", "'%' on text"),
    ("-str(x)", "a sign on text"),
    ("g * 1000000000", "'*' on text"),  # g is a text variable
]


@pytest.mark.parametrize(("inside", "message"), TEXT_ARITHMETIC)
def test_i_refuses_arithmetic_on_text_like_a_derived_variable(inside: str, message: str) -> None:
    known = ["y", "x", "belief_t1", "g"]
    with pytest.raises(ExpressionError, match=re.escape(f"uses {message}")):
        check_formula(f"y ~ I({inside})", known, text_variables=["g"])
    if "g" not in inside:  # a derived variable learns a column's type from the data
        with pytest.raises(ExpressionError, match=re.escape(f"uses {message}")):
            parse_expression(inside, known)


@pytest.mark.parametrize("inside", ["x * 1000000000", "str(x) + str(x)", "x ** 2", "float(str(x)) * 2"])
def test_i_accepts_what_a_derived_variable_accepts(inside: str) -> None:
    known = ["y", "x"]
    check_formula(f"y ~ I({inside})", known, text_variables=["g"])
    parse_expression(inside, known)
