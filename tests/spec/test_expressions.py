"""Tests of the safe expression language: whitelist, evaluation, missing values."""

from __future__ import annotations

import builtins
import warnings

import numpy as np
import pandas as pd
import pytest

from validator.errors import ExpressionError
from validator.spec.expressions import FUNCTIONS, Expression, parse_expression

NA = pd.NA


@pytest.fixture
def frame() -> pd.DataFrame:
    """Four respondents; the third has every answer missing. A non-default index on purpose."""
    return pd.DataFrame(
        {
            "belief_t1": [30.0, 50.0, np.nan, 0.0],
            "belief_t2": [20.0, 40.0, np.nan, 100.0],
            "belief_both": [50.0, 12.0, np.nan, 0.0],
            "s1": [0.8, 0.62, np.nan, 0.0],
            "s2": [0.7, 0.52, np.nan, 1.0],
            "age": [19, 35, 52, 70],
            "decision": ["abort", "t1", None, "t2"],
            "valuation": ["V1", "V2", "V1", "V2"],
            "disclosure": ["A1", "A2", "A3", "A4"],
        },
        index=[10, 11, 12, 13],
    )


KNOWN = (
    "belief_t1",
    "belief_t2",
    "belief_both",
    "s1",
    "s2",
    "age",
    "decision",
    "valuation",
    "disclosure",
)


def _boolean(values: list[object], index: pd.Index) -> pd.Series:
    return pd.Series(values, index=index, dtype="boolean")


# --------------------------------------------------------------------------
# Evaluation against pandas computed directly
# --------------------------------------------------------------------------

NUMERIC_CASES = [
    ("(belief_t1 + belief_both) / 100", lambda f: (f.belief_t1 + f.belief_both) / 100),
    ("0.05 + 0.40 * (s2 - s1)", lambda f: 0.05 + 0.40 * (f.s2 - f.s1)),
    ("0.05 + 0.80 * (0.80 - 0.50 * s1)", lambda f: 0.05 + 0.80 * (0.80 - 0.50 * f.s1)),
    ("age // 10", lambda f: f.age // 10),
    ("age % 7", lambda f: f.age % 7),
    ("age ** 2", lambda f: f.age.astype(float) ** 2),
    ("age ** -1", lambda f: 1.0 / f.age),
    ("-belief_t1", lambda f: -f.belief_t1),
    ("+age", lambda f: f.age),
    ("abs(belief_t1 - 40)", lambda f: (f.belief_t1 - 40).abs()),
    ("sqrt(belief_t2)", lambda f: np.sqrt(f.belief_t2)),
    ("log(age)", lambda f: np.log(f.age)),
    ("log10(age)", lambda f: np.log10(f.age)),
    ("exp(s1)", lambda f: np.exp(f.s1)),
    ("floor(s1 * 10 + 0.5)", lambda f: np.floor(f.s1 * 10 + 0.5)),
    ("ceil(s1 * 10 - 0.5)", lambda f: np.ceil(f.s1 * 10 - 0.5)),
    ("round(age / 3)", lambda f: (f.age / 3).round(0)),
    ("round(age / 3, 2)", lambda f: (f.age / 3).round(2)),
    ("round(age * 10, -2)", lambda f: (f.age * 10).round(-2).astype(float)),
    ("min(belief_t1, belief_t2)", lambda f: f[["belief_t1", "belief_t2"]].min(axis=1, skipna=False)),
    (
        "max(belief_t1, belief_t2, 45)",
        lambda f: f[["belief_t1", "belief_t2"]].assign(c=45.0).max(axis=1, skipna=False),
    ),
    ("clip(belief_t2, 25, 75)", lambda f: f.belief_t2.clip(25, 75)),
    (
        "where(belief_t1 > belief_t2, belief_t1, belief_t2)",
        lambda f: f[["belief_t1", "belief_t2"]].max(axis=1, skipna=False),
    ),
    # True counts 1; a comparison with a missing value is missing, so is the sum.
    ("(belief_t1 > 10) + (belief_t2 > 10)", lambda f: pd.Series([2.0, 2.0, np.nan, 1.0], index=f.index)),
    ("(decision == 'abort') * 1", lambda f: pd.Series([1.0, 0.0, np.nan, 0.0], index=f.index)),
    ("float(valuation == 'V2')", lambda f: pd.Series([0.0, 1.0, 0.0, 1.0], index=f.index)),
    ("float(age)", lambda f: f.age.astype(float)),
    ("sqrt(16)", lambda f: pd.Series(4.0, index=f.index)),
    ("2.5", lambda f: pd.Series(2.5, index=f.index)),
    ("nan", lambda f: pd.Series(np.nan, index=f.index)),
]


@pytest.mark.parametrize(("text", "expected"), NUMERIC_CASES, ids=[case[0] for case in NUMERIC_CASES])
def test_numeric_expressions_match_pandas(frame: pd.DataFrame, text: str, expected) -> None:
    result = parse_expression(text, KNOWN).evaluate(frame)
    pd.testing.assert_series_equal(
        result, expected(frame).astype(float), check_names=False, check_dtype=False
    )
    assert result.index.equals(frame.index)


LOGICAL_CASES = [
    ("decision == 'abort'", [True, False, NA, False]),
    ("decision != 'abort'", [False, True, NA, True]),
    ("abs(belief_t1 + belief_t2 + belief_both - 100) <= 1", [True, False, NA, True]),
    ("belief_t1 < belief_t2", [False, False, NA, True]),
    ("belief_t1 >= 30", [True, True, NA, False]),
    ("0 < belief_t1 <= 30", [True, False, NA, False]),
    ("decision in ['t1', 't2']", [False, True, NA, True]),
    ("decision not in ('abort',)", [False, True, NA, True]),
    ("age in [19, 70.0]", [True, False, False, True]),
    ("age in [-1, 0]", [False, False, False, False]),
    ("valuation == 'V1' and age > 30", [False, False, True, False]),
    ("valuation == 'V1' or age > 30", [True, True, True, True]),
    ("not valuation == 'V1'", [False, True, False, True]),
    ("between(age, 19, 52)", [True, True, True, False]),
    ("between(belief_t1, 0, 30)", [True, False, NA, True]),
    ("isnull(decision)", [False, False, True, False]),
    ("notnull(belief_t1)", [True, True, False, True]),
    ("where(age > 40, 1, 0) == 1", [False, False, True, True]),
    # A number is true when non-zero.
    ("age - 19 and True", [False, True, True, True]),
]


@pytest.mark.parametrize(("text", "values"), LOGICAL_CASES, ids=[case[0] for case in LOGICAL_CASES])
def test_logical_expressions_are_nullable_booleans(
    frame: pd.DataFrame, text: str, values: list[object]
) -> None:
    result = parse_expression(text, KNOWN).evaluate(frame)
    pd.testing.assert_series_equal(result, _boolean(values, frame.index), check_names=False)


TEXT_CASES = [
    ("valuation + disclosure", lambda f: f.valuation + f.disclosure),
    ("valuation + '-' + disclosure", lambda f: f.valuation + "-" + f.disclosure),
    ("concat(valuation, disclosure)", lambda f: f.valuation + f.disclosure),
    ("concat(valuation, '_', age)", lambda f: f.valuation + "_" + f.age.astype(str)),
    ("decision + '!'", lambda f: f.decision + "!"),
    ("str(age)", lambda f: f.age.astype(str)),
    ("where(age > 40, 'old', 'young')", lambda f: pd.Series(["young", "young", "old", "old"], index=f.index)),
]


@pytest.mark.parametrize(("text", "expected"), TEXT_CASES, ids=[case[0] for case in TEXT_CASES])
def test_text_expressions_match_pandas(frame: pd.DataFrame, text: str, expected) -> None:
    result = parse_expression(text, KNOWN).evaluate(frame)
    pd.testing.assert_series_equal(result, expected(frame), check_names=False)


def test_concat_with_missing_is_missing(frame: pd.DataFrame) -> None:
    result = parse_expression("concat(decision, valuation)", KNOWN).evaluate(frame)
    assert result.isna().tolist() == [False, False, True, False]
    assert result[10] == "abortV1"


INT_CASES = [
    ("int(belief_t1 / 7)", [4, 7, NA, 0]),  # 30/7 = 4.29, 50/7 = 7.14: truncated
    ("int(0 - belief_t1 / 7)", [-4, -7, NA, 0]),  # toward zero, as Python's int()
    ("int(age)", [19, 35, 52, 70]),
]


@pytest.mark.parametrize(("text", "expected"), INT_CASES)
def test_int_truncates_and_keeps_missing(frame: pd.DataFrame, text: str, expected: list[object]) -> None:
    result = parse_expression(text, KNOWN).evaluate(frame)
    pd.testing.assert_series_equal(
        result, pd.Series(expected, index=frame.index, dtype="Int64"), check_names=False
    )


def test_float_reads_text_as_number() -> None:
    frame = pd.DataFrame({"raw": ["1.5", "2", None]})
    result = parse_expression("float(raw) * 2", ["raw"]).evaluate(frame)
    assert result.tolist()[:2] == [3.0, 4.0]
    assert np.isnan(result.tolist()[2])


def test_every_function_is_exercised_by_a_case() -> None:
    texts = " ".join(case[0] for case in NUMERIC_CASES + LOGICAL_CASES + TEXT_CASES + INT_CASES)
    missing = [name for name in FUNCTIONS if f"{name}(" not in texts]
    assert missing == [], f"no evaluation test calls {missing}"


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("sqrt", (16.0,), 4.0),
        ("abs", (-3,), 3),
        ("round", (2.345, 2), 2.35),
        ("round", (2.5,), 2.0),  # half to even, as numpy and Python
        ("min", (3, 1, 2), 1),
        ("max", (3, 1, 2), 3),
        ("clip", (5, 0, 1), 1),
        ("where", (False, "a", "b"), "b"),
        ("between", (1, 1, 2), True),
        ("concat", ("V", 1), "V1"),
        ("int", (-2.7,), -2),
        ("int", ("12",), 12),
        ("str", (3,), "3"),
    ],
)
def test_functions_also_work_on_scalars(name: str, args: tuple[object, ...], expected: object) -> None:
    assert FUNCTIONS[name].implementation(*args) == expected


def test_functions_on_series_and_scalars_broadcast() -> None:
    series = pd.Series([1.0, 5.0, 9.0], index=["a", "b", "c"])
    result = FUNCTIONS["clip"].implementation(series, 2, 8)
    pd.testing.assert_series_equal(result, pd.Series([2.0, 5.0, 8.0], index=["a", "b", "c"]))


# --------------------------------------------------------------------------
# Missing values
# --------------------------------------------------------------------------


def test_comparison_with_missing_is_missing_not_false(frame: pd.DataFrame) -> None:
    # pandas alone says NaN != 'abort' is True; the spec language says missing.
    assert (frame.decision != "abort")[12]
    result = parse_expression("decision != 'abort'").evaluate(frame)
    assert result[12] is NA


def test_comparison_with_nan_constant_is_always_missing(frame: pd.DataFrame) -> None:
    result = parse_expression("belief_t1 == nan").evaluate(frame)
    assert result.isna().all()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Kleene logic: False and NA = False, True or NA = True, otherwise NA.
        ("belief_t1 > 10 and valuation == 'V2'", [False, True, False, False]),
        ("belief_t1 > 10 and valuation == 'V1'", [True, False, NA, False]),
        ("belief_t1 > 10 or valuation == 'V1'", [True, True, True, False]),
        ("belief_t1 > 10 or valuation == 'V2'", [True, True, NA, True]),
        ("not belief_t1 > 10", [False, False, NA, True]),
        ("isnull(belief_t1) or belief_t1 > 10", [True, True, True, False]),
    ],
)
def test_and_or_not_use_three_valued_logic(frame: pd.DataFrame, text: str, expected: list[object]) -> None:
    result = parse_expression(text, KNOWN).evaluate(frame)
    pd.testing.assert_series_equal(result, _boolean(expected, frame.index), check_names=False)


def test_where_with_missing_condition_is_missing(frame: pd.DataFrame) -> None:
    result = parse_expression("where(belief_t1 > 10, 1, 0)").evaluate(frame)
    assert result.tolist()[:2] == [1, 1]
    assert pd.isna(result.tolist()[2])
    assert result.tolist()[3] == 0


def test_arithmetic_propagates_missing(frame: pd.DataFrame) -> None:
    result = parse_expression("belief_t1 + age").evaluate(frame)
    assert result.isna().tolist() == [False, False, True, False]


def test_nullable_integer_columns_keep_missing() -> None:
    frame = pd.DataFrame({"n": pd.array([1, None, 3], dtype="Int64")})
    assert parse_expression("n > 1").evaluate(frame).tolist() == [False, NA, True]
    assert parse_expression("n * 2").evaluate(frame).tolist() == [2, NA, 6]


def test_division_by_zero_follows_numpy_without_warnings(frame: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = parse_expression("belief_t1 / 0").evaluate(frame)
        logs = parse_expression("log(belief_t1 - 10)").evaluate(frame)
        scalar = parse_expression("1 / 0").evaluate(frame)
    assert result.tolist()[:2] == [np.inf, np.inf]
    assert np.isnan(result.tolist()[3])  # 0 / 0
    assert np.isnan(logs[13])  # log of a negative number
    assert (scalar == np.inf).all()


def test_huge_constant_power_is_fast_and_infinite(frame: pd.DataFrame) -> None:
    # Python would try to build an integer with ten billion digits.
    assert (parse_expression("10 ** 10 ** 10").evaluate(frame) == np.inf).all()


# --------------------------------------------------------------------------
# Rejected expressions
# --------------------------------------------------------------------------

REJECTED = [
    ("x.__class__", r"uses attribute access \('\.__class__'\), which specs may not use"),
    ("().__class__.__bases__", r"uses attribute access \('\.__bases__'\)"),
    ("x.y()", r"uses attribute access \('\.y'\)"),
    ("[x for x in y]", r"uses a comprehension \('\[x for x in y\]'\)"),
    ("{x: 1 for x in y}", r"uses a comprehension"),
    ("sum(x for x in y)", r"calls 'sum', which is not an allowed function"),
    ("lambda: 1", r"uses a lambda"),
    ("(lambda: 1)()", r"uses a lambda"),
    ("__builtins__", r"uses the name '__builtins__', which starts with an underscore"),
    ("_x + 1", r"uses the name '_x', which starts with an underscore"),
    ("getattr(x, 'y')", r"calls 'getattr', which is not an allowed function; allowed: abs, between, ceil, "),
    ("eval('1')", r"calls 'eval', which is not an allowed function"),
    ("exec('import os')", r"calls 'exec', which is not an allowed function"),
    ("open('f')", r"calls 'open', which is not an allowed function"),
    ("__import__('os').system('x')", r"uses attribute access \('\.system'\)"),
    ("__import__('os')", r"calls '__import__', which is not an allowed function"),
    ("x[0]", r"uses a subscript \('x\[0\]'\)"),
    ("x[1:2]", r"uses a subscript"),
    ("f'{x}'", r"uses an f-string"),
    ("x if y else z", r"uses a conditional expression \(use where\(cond, a, b\)\)"),
    ("(y := 1)", r"uses an assignment expression"),
    ("{'a': 1}", r"uses a dict literal"),
    ("{1, 2}", r"uses a set literal"),
    ("x & y", r"uses the operator '&'"),
    ("x | y", r"uses the operator '\|'"),
    ("x << 2", r"uses the operator '<<'"),
    ("~x", r"uses the operator '~'"),
    ("x is None", r"uses the operator 'is'"),
    ("x @ y", r"uses the operator '@'"),
    ("b'x'", r"uses a constant of type bytes"),
    ("1j", r"uses a constant of type complex"),
    ("...", r"uses a constant of type ellipsis"),
    (
        "round(x, ndigits=2)",
        r"calls 'round' with the keyword argument 'ndigits='; pass arguments by position",
    ),
    ("abs(**x)", r"calls 'abs' with the keyword argument '\*\*'"),
    ("abs(*x)", r"uses star unpacking"),
    ("abs(x, y)", r"calls 'abs' with 2 argument\(s\); it takes 1"),
    ("clip(x)", r"calls 'clip' with 1 argument\(s\); it takes 3"),
    ("min(x)", r"calls 'min' with 1 argument\(s\); it takes at least 2"),
    ("round(x, 1, 2)", r"it takes 1 to 2"),
    ("round(x, y)", r"calls 'round' with digits that are not a whole number"),
    ("round(x, 99)", r"more than 15 digits"),
    ("x in y", r"'in' must be followed by a list of constants"),
    ("x in 'abc'", r"'in' must be followed by a list of constants"),
    ("x in [y]", r"uses 'y' in an 'in' list"),
    ("a < b in [1]", r"chains 'in' with other comparisons"),
    ("[1, 2]", r"uses a list literal \('\[1, 2\]'\) outside 'in \[...\]'"),
    ("abs((1, 2))", r"uses a tuple literal"),
    ("'a' * 3", r"uses '\*' on text"),
    ("'%s' % x", r"uses '%' on text"),
    ("x.__class__.__subclasses__()", r"uses attribute access"),
    ("a +", r"does not parse: invalid syntax"),
    ("a b", r"does not parse: invalid syntax at column 3"),
    ("import os", r"does not parse"),
    ("x = 1", r"does not parse"),
    ("", r"the expression is empty"),
    ("   ", r"the expression is empty"),
    ("-" * 1500 + "x", r"too deeply nested"),
    ("x" + "+x" * 2100, r"longer than the limit of 4000"),
]


@pytest.mark.parametrize(("text", "pattern"), REJECTED, ids=[case[0][:40] for case in REJECTED])
def test_rejected_expressions_name_the_construct(text: str, pattern: str) -> None:
    with pytest.raises(ExpressionError, match=pattern) as caught:
        parse_expression(text, source="spec.yaml", path="derived[0].expr")
    message = str(caught.value)
    assert message.startswith("spec.yaml, at derived[0].expr: ")
    assert caught.value.source == "spec.yaml"
    assert caught.value.path == "derived[0].expr"


@pytest.mark.parametrize("value", [3, 2.5, None, True, ["a"]])
def test_non_text_is_rejected(value: object) -> None:
    with pytest.raises(ExpressionError, match=r"must be text, not"):
        parse_expression(value)  # type: ignore[arg-type]


def test_nothing_is_executed(monkeypatch: pytest.MonkeyPatch, frame: pd.DataFrame) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    expression = parse_expression("where(decision in ['abort'], concat(valuation, '!'), str(age ** 2))")
    assert expression.evaluate(frame).tolist()[0] == "V1!"


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("(belief_t1 + belief_both) / 100", {"belief_t1", "belief_both"}),
        ("abs(x) + round(y, 2) + nan + inf", {"x", "y"}),  # functions and constants are not variables
        ("decision in ['abort']", {"decision"}),
        ("1 + 2", set()),
    ],
)
def test_names_are_the_variables_read(text: str, names: set[str]) -> None:
    assert parse_expression(text).names == frozenset(names)


def test_unknown_variable_suggests_the_closest_name() -> None:
    with pytest.raises(
        ExpressionError,
        match=r"^spec\.yaml, at derived\[1\]\.expr: expression 'beleif_t1 \+ 1' uses unknown variable "
        r"'beleif_t1' \(did you mean 'belief_t1'\?\)$",
    ):
        parse_expression("beleif_t1 + 1", KNOWN, source="spec.yaml", path="derived[1].expr")


def test_unknown_variable_without_close_match_lists_known_names() -> None:
    with pytest.raises(ExpressionError, match=r"unknown variable 'zzz'; known variables: a, b$"):
        parse_expression("zzz > 1", ["b", "a"])


def test_function_name_used_as_variable_is_an_unknown_variable() -> None:
    with pytest.raises(ExpressionError, match=r"unknown variable 'sqrt'"):
        parse_expression("sqrt + 1", ["x"])


def test_without_known_any_plain_name_is_accepted() -> None:
    assert parse_expression("anything + other").names == {"anything", "other"}


def test_missing_column_at_evaluation(frame: pd.DataFrame) -> None:
    expression = parse_expression("beleif_t1 + 1", source="spec.yaml", path="derived[2].expr")
    with pytest.raises(
        ExpressionError,
        match=r"^spec\.yaml, at derived\[2\]\.expr: expression 'beleif_t1 \+ 1' cannot be evaluated: "
        r"variable 'beleif_t1' is not in the data \(did you mean 'belief_t1'\?\)$",
    ):
        expression.evaluate(frame)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("decision * 3", r"'\*' needs numbers but got text"),
        ("decision + 1", r"'\+' joins text only with text; use concat\(\)"),
        ("decision < 1", r"cannot compare values of type str and int64 with '<'"),
        ("sqrt(valuation)", r"sqrt\(\) needs numbers but got text"),
        ("valuation and True", r"'and'/'or' needs true/false values"),
        ("float(valuation)", r"float\(\) cannot read text as a number"),
    ],
)
def test_unsuitable_data_is_an_expression_error(frame: pd.DataFrame, text: str, pattern: str) -> None:
    expression = parse_expression(text, KNOWN, source="spec.yaml", path="constraints[0].expr")
    with pytest.raises(
        ExpressionError, match=r"^spec\.yaml, at constraints\[0\]\.expr: .*cannot be evaluated: " + pattern
    ):
        expression.evaluate(frame)


# --------------------------------------------------------------------------
# The Expression record
# --------------------------------------------------------------------------


def test_expression_is_a_frozen_value() -> None:
    first = parse_expression("a + b", source="one.yaml")
    second = parse_expression("a + b", source="two.yaml")
    assert first == second and hash(first) == hash(second)
    assert first.text == "a + b" and first.names == {"a", "b"}
    assert "_tree" not in repr(first)
    with pytest.raises(AttributeError):
        first.text = "c"  # type: ignore[misc]


def test_direct_construction_is_checked_too() -> None:
    with pytest.raises(ExpressionError, match=r"attribute access"):
        Expression("x.__class__", frozenset({"x"}))
    with pytest.raises(ValueError, match=r"differ from those read"):
        Expression("a + b", frozenset({"a"}))
    assert Expression("a + b", frozenset({"a", "b"})) == parse_expression("a + b")


def test_multiline_yaml_text_is_accepted(frame: pd.DataFrame) -> None:
    expression = parse_expression("(belief_t1 +\n belief_both)\n / 100\n", KNOWN)
    assert expression.evaluate(frame).tolist()[0] == 0.8


def test_result_is_a_series_on_the_frame_index_without_a_name(frame: pd.DataFrame) -> None:
    result = parse_expression("age").evaluate(frame)
    assert result.name is None and result.index.equals(frame.index)
    assert frame["age"].name == "age"  # the frame's column is untouched


def test_empty_frame_gives_empty_series() -> None:
    frame = pd.DataFrame({"x": pd.Series([], dtype=float)})
    assert len(parse_expression("x * 2 > 1").evaluate(frame)) == 0


# Constraints compare decimal data with a tolerance (1e-9 relative, at least absolute).
TOLERANCE_CASES = [
    ("abs(a + b + c - 100) <= 1", (30.1, 34.2, 36.7), True),  # 101.00000000000001 in binary
    ("abs(a + b + c - 100) <= 1", (33.3, 33.3, 34.4), True),
    ("abs(a + b + c - 100) <= 1", (33.4, 33.3, 34.4), False),  # 101.1: a real miss
    ("a + b + c == 100", (0.1, 0.2, 99.7), True),
    ("a + b + c != 100", (0.1, 0.2, 99.7), False),
    ("a + b + c < 100", (0.1, 0.2, 99.7), False),
    ("a + b + c > 100", (0.1, 0.2, 99.7), False),
    ("a + b + c >= 100", (0.1, 0.2, 99.7), True),
    ("a < b", (1.0, 1.0 + 1e-6, 0.0), True),  # beyond the tolerance: compared as usual
]


@pytest.mark.parametrize(("text", "values", "holds"), TOLERANCE_CASES)
def test_constraint_comparisons_have_a_documented_tolerance(text: str, values: tuple[float, ...], holds: bool) -> None:
    from validator.spec.expressions import CONSTRAINT_TOLERANCE

    frame = pd.DataFrame({"a": [values[0]], "b": [values[1]], "c": [values[2]]})
    result = parse_expression(text, ["a", "b", "c"]).evaluate(frame, tolerance=CONSTRAINT_TOLERANCE)
    assert bool(result.iloc[0]) is holds


def test_without_tolerance_comparisons_are_exact() -> None:
    frame = pd.DataFrame({"a": [30.1], "b": [34.2], "c": [36.7]})
    assert not parse_expression("abs(a + b + c - 100) <= 1").evaluate(frame).iloc[0]


def _categorical_frame() -> pd.DataFrame:
    values = ["abort", "attack", None, "attack", "unused"]
    return pd.DataFrame(
        {
            "decision": pd.Categorical(values, categories=["attack", "abort", "unused"]),
            "cell": pd.Categorical(["V1", "V2", "V1", None, "V2"], categories=["V1", "V2"]),
            "letter": pd.Series(["A", None, "B", "C", "D"], dtype="str"),
        }
    )


@pytest.mark.parametrize(
    "text",
    [
        "decision == 'abort'",
        "decision != 'abort'",
        "decision == 'unused'",
        "decision == 'not a category'",
        "'abort' == decision",
        "decision == 'abort' == decision",
        "not (decision != 'attack')",
    ],
)
def test_a_categorical_compared_with_one_text_equals_the_comparison_with_that_text_on_every_row(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import validator.spec.expressions as expressions

    frame = _categorical_frame()
    got = parse_expression(text).evaluate(frame)
    # The definition: the text repeated on every row and compared row by row.
    monkeypatch.setattr(expressions, "_is_category_label", lambda left, right: False)
    row_by_row = parse_expression(text).evaluate(frame)
    pd.testing.assert_series_equal(got, row_by_row, check_exact=True)
    assert str(got.dtype) == "boolean"


def test_concat_of_categoricals_is_their_text_joined_row_by_row() -> None:
    frame = _categorical_frame()
    got = parse_expression("concat(cell, decision, letter)").evaluate(frame)
    expected = frame["cell"].astype("str") + frame["decision"].astype("str") + frame["letter"].astype("str")
    pd.testing.assert_series_equal(got, expected.rename(None), check_exact=True)
