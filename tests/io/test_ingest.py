"""Ingestion: aliases, recoding, types and rules; rows set aside are counted with reasons."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

from validator.errors import InputError
from validator.io.ingest import ingest
from validator.io.readers import read_table
from validator.spec.load import load_spec, parse_spec_text

SPEC = parse_spec_text(
    textwrap.dedent(
        """
        name: tiny
        columns:
          score: {type: numeric, range: [0, 100], aliases: [points]}
          group: {type: categorical, values: [a, b], recode: {1: a, 2: b}}
          flag: {type: boolean, required: false}
          note: {type: text, required: false, allow_missing: true}
        constraints:
          - name: score_not_50
            expr: score != 50
            message: a score of 50 is not allowed here
        derived:
          - name: high
            expr: score > 60
        """
    ),
    source="tiny.yaml",
)


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def test_aliases_recoding_and_derived_variables(tmp_path):
    path = write(tmp_path, """
        points,group,extra
        10,1,x
        70,2,y
        """)
    data = ingest(read_table(path), SPEC)
    assert data.n_used == 2 and data.n_set_aside == 0
    assert list(data.frame["group"].astype(str)) == ["a", "b"]
    assert list(data.frame["score"]) == [10.0, 70.0]
    assert list(data.frame["high"]) == [False, True]
    assert data.column_sources == (("score", "points"), ("group", "group"))
    assert data.extra_columns == ("extra",)
    assert set(data.absent_optional) == {"flag", "note"}
    assert list(data.frame.index) == [1, 2]


def test_bad_rows_are_set_aside_with_their_reasons(tmp_path):
    path = write(tmp_path, """
        score,group
        10,a
        abc,b
        120,a
        50,b
        30,c
        ,a
        """)
    data = ingest(read_table(path), SPEC)
    assert data.n_rows_read == 6
    assert data.n_used == 1
    assert data.n_set_aside == 5
    reasons = {(item.row, item.reason) for item in data.set_aside}
    assert reasons == {
        (2, "not_a_number"),
        (3, "out_of_range"),
        (4, "constraint:score_not_50"),
        (5, "unknown_category"),
        (6, "missing_value"),
    }
    assert data.set_aside_by_reason() == {
        "constraint:score_not_50": 1,
        "missing_value": 1,
        "not_a_number": 1,
        "out_of_range": 1,
        "unknown_category": 1,
    }
    assert {item.row: item.line for item in data.set_aside}[2] == 3


def test_strict_turns_the_first_bad_row_into_an_error(tmp_path):
    path = write(tmp_path, """
        score,group
        10,a
        120,a
        """)
    with pytest.raises(InputError, match=r"data\.csv, row 2, column 'score': 'score' lies outside \[0, 100\].*line 3"):
        ingest(read_table(path), SPEC, strict=True)


def test_missing_required_column_names_file_and_column(tmp_path):
    path = write(tmp_path, "scor,group\n1,a\n")
    with pytest.raises(InputError, match=r"data\.csv, column 'score': the required column 'score' .*missing; did you mean 'scor'"):
        ingest(read_table(path), SPEC)


def test_a_column_of_text_where_numbers_belong_is_an_error(tmp_path):
    path = write(tmp_path, "score,group\nhigh,a\nlow,b\n")
    with pytest.raises(InputError, match=r"row 1, column 'score': column 'score' should hold numbers"):
        ingest(read_table(path), SPEC)


def test_every_row_set_aside_is_an_error(tmp_path):
    path = write(tmp_path, "score,group\n50,a\n50,b\n")
    with pytest.raises(InputError, match=r"every row was set aside.*row 1: a score of 50 is not allowed"):
        ingest(read_table(path), SPEC)


def test_excluded_rows_are_reported_not_errors(tmp_path):
    path = write(tmp_path, "score,group\n10,a\n20,b\n30,a\n")
    data = ingest(read_table(path), SPEC, exclude_rows=[2], strict=True)
    assert list(data.frame.index) == [1, 3]
    assert data.set_aside_by_reason() == {"excluded": 1}


def test_reference_spec_sets_aside_beliefs_that_do_not_sum_to_100(tmp_path):
    spec = load_spec("hunt2025")
    frame = pd.DataFrame(
        {
            "ethnicity": ["White", "Black"],
            "valuation": [1, 2],
            "disclosure": [1, 4],
            "pre_choice": [1, 2],
            "belief_1": [50, 30],
            "belief_2": [30, 30],
            "belief_3": [20, 30],
            "decision": [3, 1],
        }
    )
    path = tmp_path / "beliefs.csv"
    frame.to_csv(path, index=False)
    data = ingest(read_table(path), spec)
    assert data.n_used == 1
    (item,) = data.set_aside
    assert (item.row, item.reason) == (2, "constraint:beliefs_sum_to_100")
    row = data.frame.loc[1]
    assert (row["valuation"], row["disclosure"], row["decision"]) == ("V1", "A1", "abort")
    assert bool(row["abort"]) is True and row["ev_diff"] == pytest.approx(0.05 + 0.40 * (0.5 - 0.7))
    with pytest.raises(InputError, match=r"beliefs\.csv, row 2: the three beliefs must sum to 100"):
        ingest(read_table(path), spec, strict=True)


def test_five_thousand_extra_columns_ingest_in_one_step(tmp_path, monkeypatch):
    """Extra columns join the frame in one concatenation: no per-column insertion (which was quadratic)."""
    header = ",".join(["score", "group", *(f"extra{i}" for i in range(5000))])
    row = ",".join(["70", "a", *("1" for _ in range(5000))])
    path = write(tmp_path, f"{header}\n{row}\n{row}\n")
    inserts = []
    original = pd.DataFrame.__setitem__

    def counting(self, key, value):
        inserts.append(key)
        return original(self, key, value)

    table = read_table(path)
    monkeypatch.setattr(pd.DataFrame, "__setitem__", counting)
    data = ingest(table, SPEC)
    assert data.frame.shape[1] >= 5002
    assert list(data.frame.columns[-2:]) == ["extra4998", "extra4999"] or "extra4999" in data.frame.columns
    assert len([k for k in inserts if str(k).startswith("extra")]) == 0


PARITY_SPEC = parse_spec_text(
    textwrap.dedent(
        """
        name: parity
        columns:
          score: {type: numeric, range: [0, 100], integer: true}
          group: {type: categorical, values: [a, b], recode: {1: a, 2: b}}
          flag: {type: boolean, required: false}
          note: {type: text, required: false, allow_missing: true}
          age: {type: numeric, required: false, allow_missing: true, missing: ["-99"]}
        """
    ),
    source="parity.yaml",
)

# Repeated values (so each column has few distinct ones) with every kind of problem.
PARITY_ROWS = [
    "score,group,flag,note,age",
    *["10,1,true, hello ,30", "70,b,no,,-99", "2.5,a,yes,x,NA", "x,2,maybe,y,40", "150,c,,z,41"] * 6,
    "10,2.0,1, ,1e1",
    " 20 ,a,FALSE,w,",
]


def _ingest_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lines: list[str], strict: bool = False):
    import validator.io.ingest as ingest_module

    path = tmp_path / "parity.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outcomes = []
    for share in (0.5, 0.0):  # 0.0: every column row by row
        monkeypatch.setattr(ingest_module, "_DISTINCT_SHARE", share)
        try:
            outcomes.append(ingest(read_table(path), PARITY_SPEC, strict=strict))
        except InputError as exc:
            outcomes.append(str(exc))
    return outcomes


def test_coercing_each_distinct_value_once_gives_the_row_by_row_result(tmp_path, monkeypatch):
    by_value, by_row = _ingest_both_ways(tmp_path, monkeypatch, PARITY_ROWS)
    pd.testing.assert_frame_equal(by_value.frame, by_row.frame, check_exact=True)
    assert by_value.set_aside == by_row.set_aside
    assert by_value.set_aside  # every kind of problem is there to compare
    assert len({item.reason for item in by_value.set_aside}) >= 5


def test_the_same_first_row_is_an_error_under_strict_either_way(tmp_path, monkeypatch):
    by_value, by_row = _ingest_both_ways(tmp_path, monkeypatch, PARITY_ROWS, strict=True)
    assert isinstance(by_value, str) and by_value == by_row


def test_a_column_of_text_only_names_the_same_first_row_either_way(tmp_path, monkeypatch):
    lines = ["score,group", *["x,a", "y,b"] * 10]
    by_value, by_row = _ingest_both_ways(tmp_path, monkeypatch, lines)
    assert isinstance(by_value, str) and by_value == by_row and "row 1" in by_value


# --- reading only the spec's columns ------------------------------------------------

from validator.io.ingest import spec_columns  # noqa: E402


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["score", "group", "flag", "note"], ["score", "group", "flag", "note"]),
        (["x", "POINTS", "y", "Group"], ["POINTS", "Group"]),  # an alias, any case; file order
        (["group", "other", "score"], ["group", "score"]),  # an absent optional column is no column to read
    ],
)
def test_spec_columns_are_the_declared_columns_as_ingest_finds_them(header: list[str], expected: list[str]) -> None:
    assert spec_columns(SPEC, header) == expected


def test_spec_columns_add_the_inference_key_and_weight(tmp_path: Path) -> None:
    spec = parse_spec_text(
        textwrap.dedent(
            """
            name: paired
            columns:
              y: {type: numeric}
              x: {type: numeric}
            models:
              - {id: m, family: ols, formula: y ~ x}
            inference: {key: pid, weight: wt}
            """
        ),
        source="paired.yaml",
    )
    assert spec_columns(spec, ["pid", "junk", "y", "wt", "x"]) == ["pid", "y", "wt", "x"]


def _both_ways(path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    whole = ingest(read_table(path), SPEC, **kwargs)  # type: ignore[arg-type]
    some = ingest(read_table(path, columns=lambda header: spec_columns(SPEC, header)), SPEC, **kwargs)  # type: ignore[arg-type]
    return whole, some


def test_ingesting_the_spec_columns_only_gives_the_same_dataset_but_the_extras_values(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        points,junk,group,more
        70,a,1,x
        50,b,2,y
        abc,c,a,z
        80,d,c,w
        90,e,b,v
        """,
    )
    whole, some = _both_ways(path)
    assert some.extra_columns == whole.extra_columns == ("junk", "more")
    assert some.set_aside == whole.set_aside and some.set_aside_by_reason() == whole.set_aside_by_reason()
    assert (some.n_rows_read, some.column_sources, some.absent_optional) == (whole.n_rows_read, whole.column_sources, whole.absent_optional)
    pd.testing.assert_frame_equal(some.frame, whole.frame.drop(columns=["junk", "more"]))


@pytest.mark.parametrize(
    "text",
    [
        "scor,group,junk\n1,a,x\n",  # did you mean, from the file's header
        "a1,a2,a3,a4,a5,a6,a7,a8,a9,a10,a11,a12,a13,a14,a15,a16,a17,a18,a19,a20,a21,a22,group\n" + "1," * 22 + "a\n",
    ],
)
def test_a_missing_column_is_told_from_the_whole_header(text: str, tmp_path: Path) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as whole:
        ingest(read_table(path), SPEC)
    with pytest.raises(InputError) as some:
        ingest(read_table(path, columns=lambda header: spec_columns(SPEC, header)), SPEC)
    assert str(some.value) == str(whole.value)
    assert "more" in str(whole.value) or "did you mean 'scor'" in str(whole.value)


def test_set_aside_rows_under_strict_are_the_same_error(tmp_path: Path) -> None:
    path = write(tmp_path, "score,junk,group\n70,x,a\n120,y,b\n")
    with pytest.raises(InputError) as whole:
        ingest(read_table(path), SPEC, strict=True)
    with pytest.raises(InputError) as some:
        ingest(read_table(path, columns=lambda header: spec_columns(SPEC, header)), SPEC, strict=True)
    assert str(some.value) == str(whole.value)


def test_a_long_column_of_distinct_texts_is_coerced_row_by_row_with_the_same_result(tmp_path, monkeypatch):
    import validator.io.ingest as ingest_module

    spec = parse_spec_text(
        "name: ids\ncolumns:\n  pid: {type: text}\n  group: {type: categorical, values: [a, b]}\n", source="ids.yaml"
    )
    path = tmp_path / "ids.csv"
    path.write_text("pid,group\n" + "".join(f"p{i},{'ab'[i % 2]}\n" for i in range(50_000)), encoding="utf-8")
    assert ingest_module._mostly_distinct(read_table(path).frame["pid"])
    assert not ingest_module._mostly_distinct(read_table(path).frame["group"])
    probed = ingest(read_table(path), spec)
    monkeypatch.setattr(ingest_module, "_mostly_distinct", lambda raw: False)  # factorize every column
    factorized = ingest(read_table(path), spec)
    pd.testing.assert_frame_equal(probed.frame, factorized.frame, check_exact=True)
    assert probed.set_aside == factorized.set_aside
