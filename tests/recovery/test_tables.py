"""Coefficient tables (CSV from R or Stata) as input to the recovery check.

Reference numbers are textbook normal quantiles, as R prints them:
2 * pnorm(-2) = 0.04550026389635842, qnorm(0.975) = 1.959963984540054,
qnorm(0.95) = 1.6448536269514722.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from validator.errors import InputError, UsageError
from validator.recovery.compare import compare_fits
from validator.recovery.tables import coefficient_table_from_frame, read_coefficient_table

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "worked_example"
P_Z2 = 0.04550026389635842  # two-sided normal p at |z| = 2
Z95, Z90 = 1.959963984540054, 1.6448536269514722


def write(tmp_path: Path, text: str, name: str = "coefs.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_worked_example_files_give_the_study_numbers() -> None:
    human = read_coefficient_table(EXAMPLE / "human_coefs.csv")
    sim = read_coefficient_table(EXAMPLE / "sim_coefs.csv")
    assert [f.model for f in human] == ["m1", "m2", "m3", "m4", "m5", "m6"]
    assert [len(f.coefficients) for f in human] == [3, 5, 3, 5, 2, 4]
    s = compare_fits(human, sim).summary
    assert (s.n_coefficients, s.n_reference_significant) == (22, 13)
    assert (s.tp, s.fp, s.fn, s.tn, s.sign_flips) == (10, 3, 3, 6, 0)
    assert s.fpr is not None and s.fnr is not None and s.f1_sign is not None
    assert s.fpr == pytest.approx(3 / 9, abs=1e-15) and round(s.fpr, 4) == 0.3333
    assert s.fnr == pytest.approx(3 / 13, abs=1e-15) and round(s.fnr, 4) == 0.2308
    assert s.f1_sign == pytest.approx(20 / 26, abs=1e-15) and round(s.f1_sign, 4) == 0.7692
    assert s.f1_strict == s.f1_sign
    assert human[0].label == "Abort on beliefs"


@pytest.mark.parametrize(
    "header",
    [
        "model,term,estimate,std_error,p_value",
        "Model,Term,Estimate,SE,P",
        "model,term,estimate,std.error,p.value",
        "model,term,coef,Std. Error,Pr(>|z|)",
        "model_id,variable,b,stderr,pvalue",
        "model,parm,beta,Std_Err,P>|z|",
        " MODEL , term ,Coefficient,std. err.,Pr(>|t|)",
    ],
)
def test_column_aliases(tmp_path: Path, header: str) -> None:
    path = write(tmp_path, f'{header}\nm1,x,0.5,0.25,0.03\n')
    (fit,) = read_coefficient_table(path)
    (c,) = fit.coefficients
    assert (fit.model, c.term, c.estimate, c.std_error, c.p_value, c.p_adjusted) == (
        "m1", "x", 0.5, 0.25, 0.03, 0.03,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("header", "low", "high"),
    [("ci_low,ci_high", -0.1, 1.2), ("conf.low,conf.high", -0.1, 1.2), ("Lower,Upper", -0.1, 1.2)],
)
def test_given_intervals_are_kept(tmp_path: Path, header: str, low: float, high: float) -> None:
    path = write(tmp_path, f"model,term,estimate,se,{header}\nm1,x,0.5,0.25,{low},{high}\n")
    c = read_coefficient_table(path)[0].coefficients[0]
    assert (c.ci_low, c.ci_high) == (low, high)


@pytest.mark.parametrize(
    ("estimate", "se", "p"),
    [(0.5, 0.25, P_Z2), (-0.5, 0.25, P_Z2), (Z95, 1.0, 0.05), (0.0, 1.0, 1.0), (3.0, 1.5, P_Z2)],
)
def test_p_value_from_the_standard_error(estimate: float, se: float, p: float) -> None:
    frame = pd.DataFrame({"model": ["m1"], "term": ["x"], "estimate": [estimate], "se": [se]})
    c = coefficient_table_from_frame(frame, source="t")[0].coefficients[0]
    assert c.p_value == pytest.approx(p, rel=1e-12)
    assert c.p_adjusted == c.p_value
    assert (c.ci_low, c.ci_high) == pytest.approx((estimate - Z95 * se, estimate + Z95 * se))


@pytest.mark.parametrize(
    ("estimate", "p", "se"),
    [(-1.0, P_Z2, 0.5), (Z95, 0.05, 1.0), (2 * Z90, 0.1, 2.0), (0.0, 0.3, None), (1.0, 1.0, None),
     (1.0, 0.0, None)],
)  # fmt: skip
def test_standard_error_from_the_p_value(estimate: float, p: float, se: float | None) -> None:
    frame = pd.DataFrame({"model": ["m"], "term": ["x"], "estimate": [estimate], "p": [p]})
    c = coefficient_table_from_frame(frame, source="t")[0].coefficients[0]
    assert c.p_value == p
    if se is None:
        assert math.isnan(c.std_error) and math.isnan(c.ci_low) and math.isnan(c.ci_high)
    else:
        assert c.std_error == pytest.approx(se, rel=1e-12)
        assert (c.ci_low, c.ci_high) == pytest.approx((estimate - Z95 * se, estimate + Z95 * se))


def test_intervals_follow_alpha() -> None:
    frame = pd.DataFrame({"model": ["m"], "term": ["x"], "estimate": [1.0], "se": [0.5]})
    c = coefficient_table_from_frame(frame, source="t", alpha=0.1)[0].coefficients[0]
    assert (c.ci_low, c.ci_high) == pytest.approx((1 - Z90 * 0.5, 1 + Z90 * 0.5))


def test_models_and_terms_keep_file_order_and_missing_tokens_are_missing(tmp_path: Path) -> None:
    text = (
        "model,term,estimate,se,p\n"
        "m2,b,1.0,.,0.01\n"  # Stata's "." is missing
        "m1,a,2.0,0.5,NA\n"  # R's NA is missing
        "\n"
        "m2,a,-1.0,0.5,\n"
    )
    fits = read_coefficient_table(write(tmp_path, text))
    assert [(f.model, [c.term for c in f.coefficients]) for f in fits] == [
        ("m2", ["b", "a"]), ("m1", ["a"]),
    ]  # fmt: skip
    assert fits[0].coefficients[1].p_value == pytest.approx(P_Z2, rel=1e-12)
    assert all(f.estimable and f.family == "table" and f.label == f.model for f in fits)


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffmodel,term,estimate,se\nm1,x,0.5,0.25\n".encode())
    assert read_coefficient_table(path)[0].model == "m1"


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("not estimable: no abort in the data", "fit_error"),
        ("Not_Estimable", "fit_error"),
        ("inestimable", "fit_error"),
        ("perfect_separation", "perfect_separation"),
        ("no_variation", "no_variation"),
    ],
)
def test_a_model_marked_not_estimable(tmp_path: Path, status: str, reason: str) -> None:
    text = (
        "model,term,estimate,se,status\n"
        "m1,x,0.5,0.25,\n"
        f"m2,,,,{status}\n"
        f"m2,x,,,{status}\n"
    )
    m1, m2 = read_coefficient_table(write(tmp_path, text))
    assert m1.estimable
    assert (m2.estimable, m2.reason, m2.detail, m2.coefficients) == (False, reason, status, ())
    result = compare_fits([m1, m2], [m1, m2])
    assert result.models[1].human_reason == reason
    assert result.summary.n_coefficients == 1


# (csv text, row, column as spelled in the file, message fragment); file line = row + 1
ROW_ERRORS = [
    ("model,term,estimate,se\nm1,a,0.5,0.2\nm1,b,abc,0.2\n", 2, "estimate", "'abc' is not a"),
    ("model,term,coef,se\nm1,a,,0.2\n", 1, "coef", "estimate is empty"),
    ("model,term,estimate,se\nm1,a,inf,0.2\n", 1, "estimate", "not a finite number"),
    ("model,term,estimate,SE,p\nm1,a,0.5,0.2,0.1\nm1,b,0.5,,\n", 2, "SE", "neither 'SE' nor 'p'"),
    ("model,term,estimate,se\nm1,a,0.5,\n", 1, "se", "the cell is empty"),
    ("model,term,estimate,p.value\nm1,a,0.5,1.5\n", 1, "p.value", "not between 0 and 1"),
    ("model,term,estimate,p.value\nm1,a,0.5,<0.001\n", 1, "p.value", "'<0.001' is not a number"),
    ("model,term,estimate,se\nm1,a,0.5,-0.2\n", 1, "se", "negative"),
    ("model,term,estimate,se\nm1,a,0.5,0\n", 1, "se", "no p-value can be derived"),
    ("model,term,estimate,se,conf.low\nm1,a,0.5,0.2,0.1\n", 1, "ci_high", "both bounds"),
    ("model,term,estimate,se,conf.low,conf.high\nm1,a,0.5,0.2,,0.1\n", 1, "conf.low", "both"),
    ("model,term,estimate,se,lower,upper\nm1,a,0.5,0.2,0.9,0.1\n", 1, "lower", "exceeds"),
    ("model,term,estimate,se\nm1,a,0.5,0.2\n,b,0.5,0.2\n", 2, "model", "model id is empty"),
    ("model,term,estimate,se\nm1,,0.5,0.2\n", 1, "term", "term is empty"),
    ("model,term,estimate,se\nm1,a,0.5,0.2\nm2,a,1,1\nm1,a,0.4,0.2\n", 3, "term", "first at row 1"),
    (
        "model,term,estimate,se,note\nm1,a,,,not estimable\nm1,b,0.5,0.2,\n", 2, "estimate",
        "marked not estimable (row 1)",
    ),
    ("model,term,estimate,se,status\nm1,a,0.5,0.2,no_variation\n", 1, "estimate", "leave it empty"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "row", "column", "fragment"), ROW_ERRORS)
def test_row_errors_name_file_row_and_column(
    tmp_path: Path, text: str, row: int, column: str, fragment: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_coefficient_table(path)
    err = info.value
    assert (err.source, err.row, err.column) == (str(path), row, column)
    message = str(err)
    assert message.startswith(f"{path}, row {row}, column '{column}': ")
    assert fragment in message
    assert message.endswith(f"(file line {row + 1})")


def test_row_numbers_count_blank_lines_like_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "model,term,estimate,se\nm1,a,0.5,0.2\n\nm1,b,x,0.2\n")
    with pytest.raises(InputError, match=r"row 3, column 'estimate'.*\(file line 4\)"):
        read_coefficient_table(path)


def test_frame_errors_give_frame_rows_without_a_file_line() -> None:
    frame = pd.DataFrame(
        {"model": ["m1", "m1"], "term": ["a", "b"], "b": [0.5, "oops"], "p": [0.1, 0.2]}
    )
    with pytest.raises(InputError) as info:
        coefficient_table_from_frame(frame, source="my table")
    assert str(info.value) == "my table, row 2, column 'b': 'oops' is not a number"


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("model,estimate,se\nm1,0.5,0.2\n", "term", "required column is missing"),
        ("model,term,se\nm1,a,0.2\n", "estimate", "required column is missing"),
        ("model,term,estimate,statistic\nm1,a,0.5,2.5\n", "std_error", "std_error or a p_value"),
        ("model,term,estimate,se,std_error\nm1,a,0.5,0.2,0.2\n", "std_error", "both give"),
    ],
)
def test_column_errors(tmp_path: Path, text: str, column: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment) as info:
        read_coefficient_table(write(tmp_path, text))
    assert info.value.column == column and info.value.row is None


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"model,term,estimate,se\n", "no coefficient rows"),
        ("model,term,estimate,se\nm\xe9,a,0.5,0.2\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_file_errors(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "coefs.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=fragment) as info:
        read_coefficient_table(path)
    assert str(info.value).startswith(str(path))


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_coefficient_table(tmp_path / "nope.csv")


def test_alpha_out_of_range_is_a_usage_error() -> None:
    frame = pd.DataFrame({"model": ["m"], "term": ["x"], "estimate": [1.0], "se": [0.5]})
    with pytest.raises(UsageError, match="alpha"):
        coefficient_table_from_frame(frame, source="t", alpha=1.5)
