"""Tests for validator.io.readers: every format round-trips, every bad input names itself.

Fixtures are written into tmp_path by pandas/pyreadstat themselves; expected frames come
from the frame that was written (binary formats) or from pandas' own C-engine CSV reader
(text formats), never from the code under test.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pyreadstat
import pytest

from validator.errors import InputError, UsageError
from validator.io.readers import STDIN_SOURCE, SUPPORTED_FORMATS, RawTable, read_table

FRAME = pd.DataFrame(
    {
        "id": [1, 2, 3],
        "belief_t1": [10.5, 20.0, 30.25],
        "group": ["White", "Black", "Asian"],
    }
)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False)


def _write_tsv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, sep="\t")


def _write_csv_gz(frame: pd.DataFrame, path: Path) -> None:
    path.write_bytes(gzip.compress(frame.to_csv(index=False).encode(), mtime=0))


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    frame.to_parquet(path, index=False)


def _write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    frame.to_excel(path, index=False, engine="openpyxl")


def _write_dta(frame: pd.DataFrame, path: Path) -> None:
    frame.to_stata(path, write_index=False)


def _write_sav(frame: pd.DataFrame, path: Path) -> None:
    pyreadstat.write_sav(frame, str(path))


def _write_zsav(frame: pd.DataFrame, path: Path) -> None:
    pyreadstat.write_sav(frame, str(path), compress=True)


WRITERS: dict[str, tuple[str, Callable[[pd.DataFrame, Path], None]]] = {
    "csv": ("data.csv", _write_csv),
    "csv.gz": ("data.csv.gz", _write_csv_gz),
    "tsv": ("data.tsv", _write_tsv),
    "tab": ("data.tab", _write_tsv),
    "txt-tab": ("data.txt", _write_tsv),
    "txt-comma": ("data.txt", _write_csv),
    "upper-case": ("DATA.CSV", _write_csv),
    "parquet": ("data.parquet", _write_parquet),
    "pq": ("data.pq", _write_parquet),
    "xlsx": ("data.xlsx", _write_xlsx),
    "dta": ("data.dta", _write_dta),
    "sav": ("data.sav", _write_sav),
    "zsav": ("data.zsav", _write_zsav),
}
EXPECTED_FORMAT = {
    "csv": "csv",
    "csv.gz": "csv",
    "tsv": "tsv",
    "tab": "tsv",
    "txt-tab": "tsv",
    "txt-comma": "csv",
    "upper-case": "csv",
    "parquet": "parquet",
    "pq": "parquet",
    "xlsx": "xlsx",
    "dta": "dta",
    "sav": "sav",
    "zsav": "sav",
}


def _write(kind: str, tmp_path: Path, frame: pd.DataFrame = FRAME) -> Path:
    name, writer = WRITERS[kind]
    path = tmp_path / name
    writer(frame, path)
    return path


@pytest.mark.parametrize("kind", list(WRITERS))
def test_each_format_round_trips(kind: str, tmp_path: Path) -> None:
    path = _write(kind, tmp_path)
    table = read_table(str(path))
    assert table.format == EXPECTED_FORMAT[kind]
    assert table.source == str(path)
    assert table.n_rows == 3
    assert list(table.frame.columns) == ["id", "belief_t1", "group"]
    if table.format in ("csv", "tsv"):
        # Text cells stay strings: compare with what the writer put in, as text.
        expected = FRAME.astype(str)
        pdt.assert_frame_equal(table.frame.astype(object), expected.astype(object))
    else:
        pdt.assert_frame_equal(table.frame, FRAME, check_dtype=False)


@pytest.mark.parametrize("kind", list(WRITERS))
def test_sha256_is_over_the_file_bytes(kind: str, tmp_path: Path) -> None:
    path = _write(kind, tmp_path)
    assert read_table(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_text_matches_pandas_c_engine_on_a_larger_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = 2_000
    frame = pd.DataFrame(
        {
            "eth": rng.choice(["White", "Black", "", "Mixed, other", 'say "no"'], n),
            "b1": rng.integers(0, 101, n).astype(str),
            "code": rng.choice(["007", "NA", "1e3", " x ", "NULL"], n),
        }
    )
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    expected = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], engine="c")
    pdt.assert_frame_equal(read_table(path).frame, expected)


@pytest.mark.parametrize(
    ("content", "expected_code", "expected_empty"),
    [
        (b'code,empty\n007,\n', "007", None),
        (b'code,empty\nNA,""\n', "NA", None),
        (b'code,empty\n" x ",-\n', " x ", "-"),
        (b'code,empty\nNULL, \n', "NULL", " "),
    ],
)
def test_text_cells_stay_text_and_only_empty_cells_are_missing(
    content: bytes, expected_code: str, expected_empty: str | None, tmp_path: Path
) -> None:
    path = tmp_path / "cells.csv"
    path.write_bytes(content)
    row = read_table(path).frame.iloc[0]
    assert row["code"] == expected_code
    if expected_empty is None:
        assert pd.isna(row["empty"])
    else:
        assert row["empty"] == expected_empty


@pytest.mark.parametrize(
    ("content", "source", "expected_format"),
    [
        (b"a,b\n1,2\n3,4\n", STDIN_SOURCE, "csv"),
        (b"a\tb\n1\t2\n3\t4\n", STDIN_SOURCE, "tsv"),
        (b"# made by sim\na\tb\n1\t2\n3\t4\n", STDIN_SOURCE, "tsv"),
        (gzip.compress(b"a,b\n1,2\n3,4\n", mtime=0), STDIN_SOURCE, "csv"),
    ],
)
def test_stdin_sniffs_csv_and_tsv(content: bytes, source: str, expected_format: str) -> None:
    table = read_table("-", stdin=io.BytesIO(content))
    assert (table.source, table.format) == (source, expected_format)
    assert table.frame.to_dict("list") == {"a": ["1", "3"], "b": ["2", "4"]}
    assert table.sha256 == hashlib.sha256(content).hexdigest()


def test_stdin_recognises_parquet_by_its_magic_bytes() -> None:
    buffer = io.BytesIO()
    FRAME.to_parquet(buffer, index=False)
    table = read_table("-", stdin=io.BytesIO(buffer.getvalue()))
    assert table.format == "parquet"
    pdt.assert_frame_equal(table.frame, FRAME)


def test_format_argument_overrides_the_extension(tmp_path: Path) -> None:
    path = tmp_path / "export.dat"
    path.write_bytes(b"a;b\tc\n1;2\t3\n")
    assert list(read_table(path, format="tsv").frame.columns) == ["a;b", "c"]
    assert list(read_table(path, format="CSV").frame.columns) == ["a;b\tc"]


def test_comment_lines_are_skipped_and_returned(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("# source: pipeline v2\n#seed=3\n#\n\na,b\n1,2\n3,4\n", encoding="utf-8")
    table = read_table(path)
    assert table.comments == ("source: pipeline v2", "seed=3", "")
    assert table.first_data_line == 6
    assert table.frame.to_dict("list") == {"a": ["1", "3"], "b": ["2", "4"]}
    assert table.line_of(2) == 7


@pytest.mark.parametrize(
    ("content", "first_line", "exact", "line_of_2"),
    [
        (b"a,b\n1,2\n3,4\n", 2, True, 3),
        (b"a,b\r\n1,2\r\n3,4\r\n\r\n\r\n", 2, True, 3),
        (b"a,b\n\n1,2\n3,4", 3, True, 4),
        (b"a,b\n1,2\n\n3,4\n", 2, False, None),
        (b'a,b\n"x\ny",2\n3,4\n', 2, False, None),
    ],
)
def test_first_data_line_and_line_of(
    content: bytes, first_line: int, exact: bool, line_of_2: int | None, tmp_path: Path
) -> None:
    path = tmp_path / "l.csv"
    path.write_bytes(content)
    table = read_table(path)
    assert (table.n_rows, table.first_data_line, table.row_lines_exact) == (2, first_line, exact)
    assert table.line_of(2) == line_of_2


@pytest.mark.parametrize("kind", ["parquet", "dta", "sav", "xlsx"])
def test_binary_formats_name_no_line(kind: str, tmp_path: Path) -> None:
    table = read_table(_write(kind, tmp_path))
    assert table.comments == ()
    assert table.first_data_line == (2 if kind == "xlsx" else 1)
    assert table.line_of(1) is None


def test_bom_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffid,name\n1,Zoë\n".encode())
    table = read_table(path)
    assert list(table.frame.columns) == ["id", "name"]
    assert table.frame.loc[0, "name"] == "Zoë"


def test_column_names_are_stripped_and_blank_ones_named(tmp_path: Path) -> None:
    path = tmp_path / "r-export.csv"
    path.write_bytes(b'"", age ,"sex "\n"1",30,F\n')
    assert list(read_table(path).frame.columns) == ["Unnamed: 0", "age", "sex"]


def test_explicit_encoding_reads_latin_1(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("name,city\nJosé,Montréal\n".encode("latin-1"))
    frame = read_table(path, encoding="latin-1").frame
    assert frame.loc[0, "name"] == "José"


def test_codes_stay_codes_in_stata_and_spss(tmp_path: Path) -> None:
    frame = pd.DataFrame({"eth": [1, 2, 1], "dec": [0, 1, 2]})
    dta = tmp_path / "coded.dta"
    frame.to_stata(dta, write_index=False, value_labels={"eth": {1: "White", 2: "Black"}})
    sav = tmp_path / "coded.sav"
    pyreadstat.write_sav(frame, str(sav), variable_value_labels={"eth": {1: "White", 2: "Black"}})
    for path in (dta, sav):
        assert read_table(path).frame["eth"].tolist() == [1, 2, 1]


@pytest.mark.parametrize("kind", ["dta", "sav", "parquet"])
def test_empty_strings_are_missing_in_binary_formats(kind: str, tmp_path: Path) -> None:
    frame = pd.DataFrame({"id": [1, 2], "note": ["ok", ""]})
    path = _write(kind, tmp_path, frame)
    note = read_table(path).frame["note"]
    assert note.iloc[0] == "ok"
    assert pd.isna(note.iloc[1])


def test_xlsx_sheet_by_name(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        FRAME.to_excel(writer, sheet_name="notes", index=False)
        FRAME.head(2).to_excel(writer, sheet_name="data", index=False)
    assert read_table(path).n_rows == 3
    assert read_table(path, sheet="data").n_rows == 2
    with pytest.raises(InputError, match=r"book\.xlsx: has no sheet 'other'; its sheets are 'notes', 'data'"):
        read_table(path, sheet="other")


def test_supported_formats_lists_every_extension_once() -> None:
    extensions = [ext for exts in SUPPORTED_FORMATS.values() for ext in exts]
    assert len(extensions) == len(set(extensions))
    assert set(SUPPORTED_FORMATS) == {"csv", "tsv", "parquet", "xlsx", "dta", "sav"}
    assert isinstance(read_table.__doc__, str) and RawTable.line_of.__doc__


# --- bad inputs ------------------------------------------------------------------------


def _random_bytes(n: int, *, nul: bool) -> bytes:
    data = np.random.default_rng(42).integers(0, 256, n, dtype=np.uint8).tobytes()
    return data if nul else data.replace(b"\x00", b"\x01")


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "hello")
    return buffer.getvalue()


TEXT_ERRORS: list[tuple[str, str, bytes, str]] = [
    ("empty", "data.csv", b"", r": is empty$"),
    ("whitespace only", "data.csv", b" \n\t\r\n\n", r": is empty$"),
    ("comments only", "data.csv", b"# a\n# b\n", r": has only comment lines"),
    ("header only", "data.csv", b"a,b,c\n", r": has a header but no data rows$"),
    ("header and blank lines", "data.tsv", b"a\tb\n\n\n", r": has a header but no data rows$"),
    ("random bytes", "data.csv", _random_bytes(3000, nul=True), r": does not look like a CSV text file"),
    ("random bytes, no NUL", "data.csv", _random_bytes(3000, nul=False), r": does not look like a CSV text file"),
    ("NUL in text", "data.tsv", b"a\tb\n1\t\x002\n", r": does not look like a TSV text file"),
    ("PNG", "data.csv", b"\x89PNG\r\n\x1a\n" + bytes(64), r": does not look like a CSV text file \(it looks like a PNG image\)"),
    ("zip", "data.csv", _zip_bytes(), r": does not look like a CSV text file \(it looks like a ZIP archive"),
    ("UTF-16", "data.csv", "a,b\n1,2\n".encode("utf-16"), r": is UTF-16 encoded; save the file as UTF-8"),
    (
        "Latin-1",
        "data.csv",
        "name,city\nAnn,Paris\nJosé,Montréal\n".encode("latin-1"),
        r": line 3 is not valid UTF-8 \(byte 0xe9 at offset 3\); save the file as UTF-8",
    ),
    (
        "Latin-1 after comments",
        "data.csv",
        "# é\nname\nAnn\n".encode("latin-1"),
        r": line 1 is not valid UTF-8 \(byte 0xe9 at offset 2\)",
    ),
    (
        "ragged row",
        "data.csv",
        b"a,b,c\n1,2,3\n4,5,6,7\n",
        r", row 2: line 3 has 4 fields but the header has 3; a value that contains a comma must be quoted",
    ),
    (
        "ragged row after comment and blank line",
        "data.tsv",
        b"# note\na\tb\n1\t2\n\n3\t4\t5\n",
        r", row 2: line 5 has 3 fields but the header has 2; a value that contains a tab",
    ),
    ("short row", "data.csv", b"a,b,c\n1,2,3\n4,5\n", r", row 2: line 3 has 2 fields but the header has 3"),
    ("open quote", "data.csv", b'a,b\n1,2\n"3,4\n5,6\n', r": line 3 could not be parsed .*quote left open"),
    ("duplicate columns", "data.csv", b"id,x,y,x,id\n1,2,3,4,5\n", r": has duplicate column names in the header on line 1: 'id', 'x'"),
    ("duplicate after strip", "data.csv", b"# c\nx, x \n1,2\n", r": has duplicate column names in the header on line 2: 'x'"),
    ("bad gzip", "data.csv.gz", b"\x1f\x8b\x08garbage", r": could not be decompressed as gzip"),
]


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [case[1:] for case in TEXT_ERRORS],
    ids=[case[0] for case in TEXT_ERRORS],
)
def test_bad_text_input_is_named(name: str, content: bytes, pattern: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=re.escape(str(path)) + pattern) as info:
        read_table(str(path))
    assert "\n" not in str(info.value)


CORRUPT_BINARY = [
    ("data.parquet", b"PAR1 this is not really parquet", r"could not be read as a Parquet file: "),
    ("data.xlsx", b"not a zip at all", r"could not be read as an Excel \.xlsx workbook: "),
    ("data.xlsx", _zip_bytes(), r"could not be read as an Excel \.xlsx workbook: "),
    ("data.dta", b"garbage" * 20, r"could not be read as a Stata \.dta file: "),
    ("data.sav", b"garbage" * 20, r"could not be read as an SPSS \.sav file: "),
    ("data.parquet", b"", r"is empty$"),
]


@pytest.mark.parametrize(("name", "content", "pattern"), CORRUPT_BINARY)
def test_corrupt_binary_file_is_one_line(name: str, content: bytes, pattern: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=re.escape(str(path)) + ": " + pattern) as info:
        read_table(str(path))
    assert "\n" not in str(info.value)
    assert info.value.__context__ is None or info.value.__suppress_context__


@pytest.mark.parametrize(
    ("kind", "pattern"),
    [("parquet", "has columns but no data rows"), ("xlsx", "has a header but no data rows")],
)
def test_binary_file_without_rows(kind: str, pattern: str, tmp_path: Path) -> None:
    path = _write(kind, tmp_path, FRAME.head(0))
    with pytest.raises(InputError, match=re.escape(str(path)) + ": " + pattern):
        read_table(path)


def test_duplicate_xlsx_header_is_caught_before_pandas_renames_it(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "x", "x"])
    sheet.append([1, 2, 3])
    path = tmp_path / "dup.xlsx"
    book.save(path)
    with pytest.raises(InputError, match=r"dup\.xlsx: has duplicate column names: 'x'"):
        read_table(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.csv"
    with pytest.raises(InputError, match=re.escape(f"{path}: file not found")):
        read_table(str(path))


def test_missing_relative_file_says_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=re.escape(f"absent.json: file not found (looked in {tmp_path})")):
        read_table("absent.json")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(InputError, match=re.escape(f"{folder}: is a directory, not a data file")):
        read_table(str(folder))


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.csv"
    path.write_bytes(b"a\n1\n")
    path.chmod(0)
    with pytest.raises(InputError, match=re.escape(f"{path}: cannot be read: permission denied")):
        read_table(str(path))


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("data.json", r"data\.json: has an unsupported file extension '\.json'; simval reads \.csv, \.csv\.gz, .*\.zsav"),
        ("data.xls", r"data\.xls: has an unsupported file extension '\.xls' \(save the workbook as \.xlsx\)"),
        ("data.json.gz", r"has an unsupported file extension '\.json\.gz'"),
        ("data", r"data: has no file extension; simval reads"),
    ],
)
def test_unknown_extension_lists_the_supported_ones(name: str, pattern: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(b"a,b\n1,2\n")
    with pytest.raises(InputError, match=pattern):
        read_table(path)


def test_unknown_format_argument_is_a_usage_error(tmp_path: Path) -> None:
    path = _write("csv", tmp_path)
    with pytest.raises(UsageError, match=r"unknown data format 'json'; choose one of csv, tsv, parquet, xlsx, dta, sav"):
        read_table(path, format="json")


def test_stdin_errors_are_named_stdin() -> None:
    with pytest.raises(InputError, match=r"^<stdin>: has a header but no data rows$"):
        read_table("-", stdin=io.BytesIO(b"a,b\n"))


def test_cell_longer_than_a_pyarrow_block_falls_back_to_the_c_engine(tmp_path: Path) -> None:
    long_cell = "x" * 2_500_000  # pyarrow parses in 1 MiB blocks and gives up on this row
    path = tmp_path / "long.csv"
    path.write_text(f'a,b\n1,"{long_cell}"\n2,\n', encoding="utf-8")
    frame = read_table(path).frame
    assert frame["a"].tolist() == ["1", "2"]
    assert frame.loc[0, "b"] == long_cell
    assert frame["b"].isna().tolist() == [False, True]


def test_header_spanning_two_lines_moves_the_first_data_line(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(b'"belief\nt1",x\n1,2\n')
    table = read_table(path)
    assert list(table.frame.columns) == ["belief\nt1", "x"]
    assert table.first_data_line == 3


def test_permission_error_is_a_plain_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write("csv", tmp_path)

    def deny(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", deny)
    with pytest.raises(InputError, match=re.escape(f"{path}: cannot be read: permission denied")):
        read_table(str(path))


class _FakeStdin(io.TextIOWrapper):
    def __init__(self, data: bytes, *, tty: bool) -> None:
        super().__init__(io.BytesIO(data))
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def test_default_stdin_is_sys_stdin_buffer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", _FakeStdin(b"a,b\n1,2\n", tty=False))
    assert read_table("-").frame.to_dict("list") == {"a": ["1"], "b": ["2"]}


def test_stdin_from_a_terminal_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", _FakeStdin(b"", tty=True))
    with pytest.raises(InputError, match=r"^<stdin>: standard input is a terminal"):
        read_table("-")


# --- limits (validator.limits) -------------------------------------------------------


def test_a_workbook_that_decompresses_past_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import validator.io.readers as readers

    path = _write("xlsx", tmp_path)
    with zipfile.ZipFile(path) as archive:
        total = sum(part.file_size for part in archive.infolist())
    monkeypatch.setattr(readers, "DECOMPRESSED_BYTES_MAX", total - 1)
    with pytest.raises(InputError, match=r"decompresses to .*, more than the limit of"):
        read_table(str(path))


def test_gzip_past_the_limit_is_refused_while_counting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import validator.io.readers as readers

    path = tmp_path / "data.csv.gz"
    path.write_bytes(gzip.compress(b"a,b\n" + b"1,2\n" * 10_000))
    monkeypatch.setattr(readers, "DECOMPRESSED_BYTES_MAX", 1000)
    with pytest.raises(InputError, match=r"data\.csv\.gz: decompresses to more than the limit of 1000 bytes"):
        read_table(str(path))


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import validator.io.readers as readers

    path = tmp_path / "big.csv"
    with path.open("wb") as handle:
        handle.truncate(5000)  # sparse: reading it would find NUL bytes
    monkeypatch.setattr(readers, "INPUT_BYTES_MAX", 4096)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read before the size check"))
    with pytest.raises(InputError, match=r"big\.csv: is 4\.9 KiB, more than the limit of 4 KiB for one data file"):
        read_table(str(path))


def test_a_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    with pytest.raises(InputError, match="pipe.csv: is a pipe, device or socket, not a regular file"):
        read_table(str(path))


def test_too_many_columns_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import validator.io.readers as readers

    monkeypatch.setattr(readers, "COLUMNS_MAX", 3)
    path = tmp_path / "wide.csv"
    path.write_text("a,b,c,d\n1,2,3,4\n", encoding="utf-8")
    with pytest.raises(InputError, match="wide.csv: has 4 columns, more than the limit of 3"):
        read_table(str(path))


# --- reading only some columns ------------------------------------------------------

WIDE = pd.DataFrame(
    {
        "id": [1, 2, 3, 4],
        "extra_a": ["x", "y", "", "z"],
        "belief_t1": [10.5, 20.0, 30.25, 40.0],
        "extra_b": [7, 8, 9, 10],
        "group": ["White", "Black", "Asian", "White"],
    }
)


def _pick(*names: str) -> Callable[[Sequence[str]], list[str]]:
    return lambda header: [name for name in names]


@pytest.mark.parametrize("kind", list(WRITERS))
def test_a_selection_reads_those_columns_as_the_whole_read_has_them(kind: str, tmp_path: Path) -> None:
    path = _write(kind, tmp_path, WIDE)
    whole = read_table(path)
    some = read_table(path, columns=_pick("group", "belief_t1"))
    # File order, not the selector's order; every column still named in the header.
    assert list(some.frame.columns) == ["belief_t1", "group"]
    pdt.assert_frame_equal(some.frame, whole.frame[["belief_t1", "group"]])
    assert some.header == whole.column_names == tuple(WIDE.columns)
    assert (some.n_rows, some.sha256, some.format, some.first_data_line, some.row_lines_exact) == (
        whole.n_rows, whole.sha256, whole.format, whole.first_data_line, whole.row_lines_exact
    )


@pytest.mark.parametrize("picked", [(), ("absent",), tuple(WIDE.columns)])
def test_a_selection_of_nothing_or_everything_reads_every_column(picked: tuple[str, ...], tmp_path: Path) -> None:
    path = _write("csv", tmp_path, WIDE)
    assert list(read_table(path, columns=_pick(*picked)).frame.columns) == list(WIDE.columns)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # the row's extra field lies in a column not read: still found, same line and row
        (b"id,extra_a,group\n1,x,a\n2,y,z,b\n", r"line 3 has 4 fields but the header has 3"),
        (b"id,extra_a,group\n1,\"open,a\n", r"could not be parsed|line 2"),
        (b"id,group,id\n1,a,2\n", r"duplicate column names in the header on line 1: 'id'"),
    ],
)
def test_a_selection_keeps_every_message_about_the_file(content: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as whole:
        read_table(path)
    with pytest.raises(InputError) as some:
        read_table(path, columns=_pick("group"))
    assert str(some.value) == str(whole.value) and some.value.row == whole.value.row


def test_a_parquet_file_with_a_pandas_index_selects_among_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "indexed.parquet"
    WIDE.set_index("id").to_parquet(path)  # the index is stored as a column that pandas restores as the index
    whole = read_table(path)
    some = read_table(path, columns=_pick("group"))
    assert some.header == whole.column_names
    pdt.assert_frame_equal(some.frame, whole.frame[["group"]])


def test_the_c_engine_fallback_reads_the_same_selection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa

    import validator.io.readers as readers

    path = _write("csv", tmp_path, WIDE)
    whole = read_table(path)

    def failing(*args: object, **kwargs: object) -> None:
        raise pa.ArrowInvalid("a cell larger than the block size")

    monkeypatch.setattr(readers.pa_csv, "read_csv", failing)
    some = read_table(path, columns=_pick("id", "group"))
    pdt.assert_frame_equal(some.frame, whole.frame[["id", "group"]], check_dtype=False)
