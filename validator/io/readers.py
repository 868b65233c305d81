"""Turn a data file (or standard input) into a raw pandas DataFrame, before any spec applies.

This layer only *reads*: it does not rename, recode, coerce or check values against a
spec (that is the ingestion module's job). What it guarantees:

* **Formats.** CSV (``.csv``, ``.csv.gz``), TSV (``.tsv``, ``.tab``, ``.txt``, each also
  ``.gz``), Parquet (``.parquet``, ``.pq``), Excel (``.xlsx``, first sheet unless
  ``sheet=``), Stata (``.dta``) and SPSS (``.sav``, ``.zsav``), chosen by the extension
  (case-insensitive) or by ``format=``. Standard input (path ``-``) is sniffed: Parquet,
  xlsx, Stata and SPSS by their magic bytes, otherwise text, which is TSV when the header
  line holds a tab and CSV when not. A ``.txt`` file is sniffed the same way.
* **Text cells stay text.** Every CSV/TSV cell is read as a string, so ``"007"``,
  ``"NA"`` or ``"1e3"`` reach ingestion untouched. The one exception is an empty cell
  (nothing between the delimiters, or ``""``), which becomes missing (NaN in pandas'
  string dtype).
* **Empty strings are missing in every format.** In binary formats too, a string cell that
  is exactly ``""`` becomes missing (Stata and SPSS store a missing string as ``""``).
  Numeric codes are kept as codes: Stata value labels and SPSS value formats are *not*
  applied, because the spec recodes them.
* **Column names** are converted to ``str`` and stripped of surrounding whitespace; an
  empty name becomes ``"Unnamed: i"`` (0-based position, pandas' convention); duplicate
  names are an error.
* **Text encoding.** UTF-8, with or without a byte-order mark. Anything else is an error
  naming the line and byte, never a silent guess; ``encoding=`` reads another encoding
  explicitly.
* **Errors** are :class:`~validator.errors.InputError` with one plain sentence that starts
  with the file's name (or ``<stdin>``).

Row and line numbering convention
---------------------------------
Messages about data speak of **data rows numbered from 1 in file order** (the first row
below the header is row 1, whatever the format), and, for text formats, also of the
**file line** (1-based, as an editor shows it). :attr:`RawTable.first_data_line` is the
file line of data row 1 (2 for a plain CSV with a header; each leading comment or blank
line adds one). Data row ``r`` is on line ``first_data_line + r - 1`` unless blank lines
or quoted line breaks occur among the data; :meth:`RawTable.line_of` applies the rule and
returns ``None`` where it does not hold, so a message can always say "row r" and add
"line L" when ``line_of`` gives one. Frame index position ``i`` is data row ``i + 1``.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import math
import os
import re
import stat
import sys
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO, TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from validator.errors import InputError, UsageError
from validator.io.bounds import check_parquet_footer, check_sav_dictionary
from validator.limits import (
    COLUMNS_MAX,
    DECOMPRESSED_BYTES_MAX,
    INPUT_BYTES_MAX,
    format_bytes,
)

__all__ = ["STDIN_SOURCE", "SUPPORTED_FORMATS", "ColumnSelector", "RawTable", "read_table"]

ColumnSelector = Callable[[Sequence[str]], Collection[str]]
"""Given a file's column names (cleaned, in file order), the names of the columns to read."""

SUPPORTED_FORMATS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "csv": (".csv", ".csv.gz"),
        "tsv": (".tsv", ".tab", ".txt", ".tsv.gz", ".tab.gz", ".txt.gz"),
        "parquet": (".parquet", ".pq"),
        "xlsx": (".xlsx",),
        "dta": (".dta",),
        "sav": (".sav", ".zsav"),
    }
)
"""Each format simval reads, with the file extensions that select it."""

STDIN_SOURCE = "<stdin>"
"""What a table read from standard input is called in messages."""

TEXT_FORMATS = frozenset({"csv", "tsv"})

_DESCRIPTIONS: Mapping[str, str] = {
    "csv": "a CSV text file",
    "tsv": "a TSV text file",
    "parquet": "a Parquet file",
    "xlsx": "an Excel .xlsx workbook",
    "dta": "a Stata .dta file",
    "sav": "an SPSS .sav file",
}

# Extensions that would otherwise sniff the delimiter (".txt" is often comma-separated).
_SNIFFED_EXTENSIONS = (".txt", ".txt.gz")

_UTF8_BOM = b"\xef\xbb\xbf"
_GZIP_MAGIC = b"\x1f\x8b"

# Leading bytes of formats people hand over by mistake; used to explain "not a text file".
_MAGIC_NAMES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook is one)"),
    (b"PAR1", "a Parquet file"),
    (b"<stata_dta>", "a Stata .dta file"),
    (b"$FL2", "an SPSS .sav file"),
    (b"$FL3", "an SPSS .zsav file"),
    (b"\xd0\xcf\x11\xe0", "an old-style .xls workbook or other Office file"),
)
# Binary formats recognised on standard input by their leading bytes.
_STDIN_MAGIC_FORMATS: tuple[tuple[bytes, str], ...] = (
    (b"PAR1", "parquet"),
    (b"PK\x03\x04", "xlsx"),
    (b"<stata_dta>", "dta"),
    (b"$FL2", "sav"),
    (b"$FL3", "sav"),
)
# C0 control bytes that never occur in text (tab, LF, FF and CR do).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"
_SNIFF_BYTES = 8192
_NON_SPACE = re.compile(r"\S")


@dataclass(frozen=True)
class RawTable:
    """A data file as read, before any spec is applied.

    ``first_data_line`` is the 1-based file line of data row 1 for text formats, the sheet
    row of data row 1 for xlsx (always 2: pandas takes sheet row 1 as the header), and 1
    for Parquet, Stata and SPSS, which have no lines. ``row_lines_exact`` says whether
    data row ``r`` sits on line ``first_data_line + r - 1`` (false when blank lines or
    quoted line breaks occur among the data rows of a text file). ``header`` names every
    column of the file in file order; ``frame`` holds those a ``columns`` selector chose
    (all of them without one), and ``header`` is empty for a table that was never a file.
    """

    frame: pd.DataFrame
    source: str
    format: str
    sha256: str
    n_rows: int
    comments: tuple[str, ...]
    first_data_line: int
    row_lines_exact: bool = True
    header: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        """Every column of the file (read or not), in file order."""
        return self.header or tuple(str(c) for c in self.frame.columns)

    def line_of(self, row: int) -> int | None:
        """File line of data row ``row`` (1-based) of a text file, or None where none can be named.

        Definition: ``first_data_line + row - 1`` for CSV/TSV when ``row_lines_exact``;
        None for binary formats and for text files whose data has blank lines or quoted
        line breaks. Example: a CSV with one comment line, then the header, puts data row
        1 on line 3, so ``line_of(17) == 19``.
        """
        if self.format not in TEXT_FORMATS or not self.row_lines_exact:
            return None
        return self.first_data_line + row - 1


def read_table(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    stdin: BinaryIO | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    columns: ColumnSelector | None = None,
) -> RawTable:
    """Read one data file (or ``-``, standard input) into a :class:`RawTable`.

    The format comes from ``format`` if given, else from the file extension (see
    :data:`SUPPORTED_FORMATS`), else, for standard input and ``.txt``, from the content.
    ``stdin`` replaces ``sys.stdin.buffer`` (for tests). ``encoding`` names the encoding
    of a text file when it is not UTF-8 (e.g. ``"latin-1"``). ``sheet`` picks an xlsx
    sheet by name or 0-based position (default: the first). The SHA-256 digest is of the
    bytes as read (before any gzip decompression). ``columns`` picks, from the file's
    column names, the columns to read (the others are parsed for their structure, as
    every row's field count is checked, but not converted or kept); every check on the
    header (duplicates, the column limit) still applies to all columns, and
    :attr:`RawTable.header` lists them all. A selector that picks none reads every column.

    Raises :class:`InputError` for a file that is missing, unreadable, empty, of an
    unknown type, malformed or corrupt, and :class:`UsageError` for an unknown ``format``.

    Example: ``read_table("human.csv").frame`` holds every CSV cell as a string.
    """
    name = os.fspath(path)
    requested = _check_format_name(format)
    if name == "-":
        source = STDIN_SOURCE
        data = _read_stdin(stdin)
        fmt = requested or _sniff_stdin_format(data)
    else:
        source = name
        _check_exists(Path(name), source)  # a missing file beats a wrong extension
        fmt = requested or _format_from_extension(name)
        data = _read_file(Path(name), source)
    digest = hashlib.sha256(data).hexdigest()

    if fmt is None or fmt in TEXT_FORMATS:
        text_table = _read_text(data, fmt, source, encoding, columns)
        frame, fmt, header = text_table.frame, text_table.format, text_table.header
        comments, first_line, exact = text_table.comments, text_table.first_line, text_table.exact
    else:
        frame, header = _read_binary(data, fmt, source, sheet, columns)
        comments, first_line, exact = (), 2 if fmt == "xlsx" else 1, True

    return RawTable(
        frame=frame,
        source=source,
        format=fmt,
        sha256=digest,
        n_rows=len(frame),
        comments=comments,
        first_data_line=first_line,
        row_lines_exact=exact,
        header=header,
    )


def _selected(names: Sequence[str], columns: ColumnSelector | None) -> list[int] | None:
    """Positions (ascending) of the columns ``columns`` picks from ``names``; None: read them all."""
    if columns is None:
        return None
    wanted = set(columns(names))
    keep = [i for i, name in enumerate(names) if name in wanted]
    # Nothing picked (no column of the spec is in the file): read everything, so that
    # what follows (a missing-column message, a row count) sees the file as it is.
    return keep if keep and len(keep) < len(names) else None


# --- choosing the format -----------------------------------------------------------


def _check_format_name(format: str | None) -> str | None:
    if format is None:
        return None
    key = format.lower().lstrip(".")
    if key not in SUPPORTED_FORMATS:
        raise UsageError(
            f"unknown data format '{format}'; choose one of {', '.join(SUPPORTED_FORMATS)}"
        )
    return key


def _format_from_extension(name: str) -> str | None:
    """The format selected by the file's extension; None means "text, sniff the delimiter"."""
    lower = name.lower()
    if lower.endswith(_SNIFFED_EXTENSIONS):
        return None
    # Longest extension first, so ".csv.gz" wins over any shorter match.
    by_length = sorted(
        ((ext, fmt) for fmt, exts in SUPPORTED_FORMATS.items() for ext in exts),
        key=lambda pair: -len(pair[0]),
    )
    for ext, fmt in by_length:
        if lower.endswith(ext):
            return fmt
    suffixes = Path(name).suffixes
    suffix = "".join(suffixes[-2:] if suffixes[-1:] == [".gz"] else suffixes[-1:])
    what = f"an unsupported file extension '{suffix}'" if suffix else "no file extension"
    hint = " (save the workbook as .xlsx)" if lower.endswith(".xls") else ""
    supported = ", ".join(ext for exts in SUPPORTED_FORMATS.values() for ext in exts)
    raise InputError(
        f"has {what}{hint}; simval reads {supported}, or name the format explicitly",
        source=name,
    )


def _sniff_stdin_format(data: bytes) -> str | None:
    for magic, fmt in _STDIN_MAGIC_FORMATS:
        if data.startswith(magic):
            return fmt
    return None


# --- getting the bytes -------------------------------------------------------------


def _check_exists(path: Path, source: str) -> None:
    """Refuse a missing file, a folder, a pipe or device, and a file over INPUT_BYTES_MAX, before opening it."""
    try:
        info = path.stat()
    except FileNotFoundError:
        where = "" if path.is_absolute() else f" (looked in {Path.cwd()})"
        raise InputError(f"file not found{where}", source=source) from None
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror or exc}", source=source) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a directory, not a data file", source=source)
    if not stat.S_ISREG(info.st_mode):
        # Opening a FIFO blocks until a writer appears, and a device may never end.
        raise InputError(
            "is a pipe, device or socket, not a regular file; to read a pipe, give '-' and redirect it to standard input",
            source=source,
        )
    _check_size(info.st_size, source)


def _check_size(size: int, source: str) -> None:
    if size > INPUT_BYTES_MAX:
        raise InputError(
            f"is {format_bytes(size)}, more than the limit of {format_bytes(INPUT_BYTES_MAX)} for one data file",
            source=source,
        )


def _read_file(path: Path, source: str) -> bytes:
    try:
        data = path.read_bytes()  # its size was checked by _check_exists
        _check_size(len(data), source)  # in case it grew since
        return data
    except FileNotFoundError:
        where = "" if path.is_absolute() else f" (looked in {Path.cwd()})"
        raise InputError(f"file not found{where}", source=source) from None
    except PermissionError:
        raise InputError("cannot be read: permission denied", source=source) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a data file", source=source) from None
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror or exc}", source=source) from None


def _read_stdin(stdin: BinaryIO | None) -> bytes:
    if stdin is None:
        if sys.stdin is None:
            raise InputError("standard input is closed", source=STDIN_SOURCE)
        # Reading a terminal would wait for typing; say what '-' expects instead.
        if sys.stdin.isatty():
            raise InputError(
                "standard input is a terminal; pipe a data file in, or give its path instead of '-'",
                source=STDIN_SOURCE,
            )
        stdin = sys.stdin.buffer
    data = stdin.read(INPUT_BYTES_MAX + 1)
    _check_size(len(data), STDIN_SOURCE)
    return data


# --- text formats ------------------------------------------------------------------


@dataclass(frozen=True)
class _TextTable:
    frame: pd.DataFrame
    format: str
    comments: tuple[str, ...]
    first_line: int
    exact: bool
    header: tuple[str, ...]


def _read_text(
    data: bytes, fmt: str | None, source: str, encoding: str | None, columns: ColumnSelector | None = None
) -> _TextTable:
    """Parse CSV/TSV bytes; ``fmt`` None means "TSV if the header holds a tab, else CSV"."""
    if data.startswith(_GZIP_MAGIC):
        data = _gunzip(data, source)
    described = _DESCRIPTIONS[fmt] if fmt else "a CSV or TSV text file"
    if not data.strip():
        raise InputError("is empty", source=source)
    text, body, bom = _decode(data, source, described, encoding)
    if not text.strip():
        raise InputError("is empty", source=source)

    comments, header_pos, skipped = _leading_comments(text)
    if header_pos >= len(text):
        raise InputError("has only comment lines: no header and no data rows", source=source)
    if fmt is None:
        header_end = text.find("\n", header_pos)
        fmt = "tsv" if "\t" in text[header_pos : header_end if header_end >= 0 else None] else "csv"
    sep = "\t" if fmt == "tsv" else ","

    header_line = skipped + 1
    raw_names, header_lines = _parse_header(text, header_pos, sep, source, header_line)
    names = _clean_names(raw_names)
    _check_column_count(len(names), source)
    _reject_duplicates(names, source, f" in the header on line {header_line}")

    data_pos = _advance_lines(text, header_pos, header_lines)
    blank_after, data_pos = _skip_blank_lines(text, data_pos)
    if _NON_SPACE.search(text, data_pos) is None:
        raise InputError("has a header but no data rows", source=source)
    first_line = header_line + header_lines + blank_after

    start = bom + len(text[:data_pos].encode("utf-8"))
    end = _end_of_last_content_line(body, start)
    text_end = len(text) - len(body[end:].decode("utf-8"))

    def data_lines() -> Iterator[str]:
        return _iter_lines(text, data_pos, text_end)

    keep = _selected(names, columns)
    frame = _parse_rows(body, start, end, names, sep, data_lines, first_line, source, fmt, keep)
    if len(frame) == 0:
        raise InputError("has a header but no data rows", source=source)
    # Each data row on its own line iff the data section has exactly one line per row.
    exact = body.count(b"\n", start, end) + 1 == len(frame)
    return _TextTable(frame, fmt, tuple(comments), first_line, exact, tuple(names))


def _gunzip(data: bytes, source: str) -> bytes:
    """Decompress gzip data, refusing it (before keeping any of it) when it exceeds DECOMPRESSED_BYTES_MAX.

    The first pass only counts, in constant memory, so a gzip bomb costs time (about a
    second per GiB) but never memory; the second pass keeps what fits the limit.
    """
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            total = 0
            while chunk := stream.read(1 << 20):
                total += len(chunk)
                if total > DECOMPRESSED_BYTES_MAX:
                    raise InputError(
                        f"decompresses to more than the limit of {format_bytes(DECOMPRESSED_BYTES_MAX)}",
                        source=source,
                    )
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"could not be decompressed as gzip: {_short_reason(exc)}", source=source) from None


def _decode(data: bytes, source: str, described: str, encoding: str | None) -> tuple[str, bytes, int]:
    """Return (text, UTF-8 body, length of the BOM in body) or raise a precise InputError."""
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    if utf16 and encoding is None:
        raise InputError("is UTF-16 encoded; save the file as UTF-8", source=source)
    if not utf16 and _looks_binary(data):
        raise InputError(f"does not look like {described}{_magic_hint(data)}", source=source)

    if encoding is not None and _normalised(encoding) not in ("utf8", "utf8sig"):
        try:
            text = data.decode(encoding)
        except LookupError:
            raise UsageError(f"unknown text encoding '{encoding}'") from None
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{_decode_position(data, exc.start)} is not valid {encoding}", source=source
            ) from None
        text = text.removeprefix("\ufeff")
        # pyarrow parses UTF-8 only, so re-encode once; positions then refer to this body.
        return text, text.encode("utf-8"), 0

    bom = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        position = bom + exc.start
        raise InputError(
            f"{_decode_position(data, position)} is not valid UTF-8 "
            f"(byte 0x{data[position]:02x} at offset {_offset_in_line(data, position)}); "
            "save the file as UTF-8",
            source=source,
        ) from None
    return text, data, bom


def _normalised(encoding: str) -> str:
    return encoding.lower().replace("-", "").replace("_", "")


def _decode_position(data: bytes, position: int) -> str:
    line = data.count(b"\n", 0, position) + 1
    return f"line {line}"


def _offset_in_line(data: bytes, position: int) -> int:
    """0-based byte offset of ``position`` within its line."""
    return position - (data.rfind(b"\n", 0, position) + 1)


def _looks_binary(data: bytes) -> bool:
    """True for bytes that cannot be a text table: any NUL byte, or >5% control bytes at the start."""
    if b"\x00" in data:
        return True
    sample = data[:_SNIFF_BYTES]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls * 20 > len(sample)


def _magic_hint(data: bytes) -> str:
    for magic, what in _MAGIC_NAMES:
        if data.startswith(magic):
            return f" (it looks like {what})"
    return " (it contains binary data)"


def _leading_comments(text: str) -> tuple[list[str], int, int]:
    """Comment texts, the position of the header and the number of lines before it.

    Leading lines that start with '#' are comments ("# note" gives "note"); blank lines
    among them are skipped too, since neither can be a header.
    """
    comments: list[str] = []
    pos = skipped = 0
    for line in _iter_lines(text, 0):
        content = line.rstrip("\r\n")
        if content.startswith("#"):
            body = content[1:]
            comments.append((body.removeprefix(" ")).rstrip())
        elif content.strip():
            break
        pos += len(line)
        skipped += 1
    return comments, pos, skipped


def _iter_lines(text: str, pos: int, stop: int | None = None) -> Iterator[str]:
    """Lines of ``text[pos:stop]``, each with its line ending (the csv module needs them)."""
    stop = len(text) if stop is None else stop
    while pos < stop:
        end = text.find("\n", pos, stop)
        nxt = stop if end < 0 else end + 1
        yield text[pos:nxt]
        pos = nxt


def _advance_lines(text: str, pos: int, count: int) -> int:
    for _ in range(count):
        end = text.find("\n", pos)
        if end < 0:
            return len(text)
        pos = end + 1
    return pos


def _skip_blank_lines(text: str, pos: int) -> tuple[int, int]:
    """Skip empty lines (the only ones the parser ignores); return (count, new position)."""
    count = 0
    for line in _iter_lines(text, pos):
        if line.rstrip("\r\n"):
            break
        pos += len(line)
        count += 1
    return count, pos


def _parse_header(text: str, pos: int, sep: str, source: str, line: int) -> tuple[list[str], int]:
    """Header fields and the number of physical lines they span."""
    reader = csv.reader(_iter_lines(text, pos), delimiter=sep, strict=True)
    try:
        fields = next(reader)
    except csv.Error as exc:
        raise InputError(
            f"the header on line {line} could not be parsed ({exc}); is a quote left open?",
            source=source,
        ) from None
    return fields, reader.line_num


def _clean_names(raw: Sequence[object]) -> list[str]:
    names = []
    for i, value in enumerate(raw):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            name = ""
        elif isinstance(value, float) and value.is_integer():
            name = str(int(value))  # a year typed as a header in Excel: 2020, not "2020.0"
        else:
            name = str(value).strip()
        names.append(name or f"Unnamed: {i}")
    return names


def _check_column_count(count: int, source: str) -> None:
    if count > COLUMNS_MAX:
        raise InputError(f"has {count:,} columns, more than the limit of {COLUMNS_MAX:,}", source=source)


def _reject_duplicates(names: list[str], source: str, where: str = "") -> None:
    duplicated = [name for name, count in Counter(names).items() if count > 1]
    if duplicated:
        listed = ", ".join(f"'{n}'" for n in duplicated)
        raise InputError(
            f"has duplicate column names{where}: {listed}; every column needs a unique name",
            source=source,
        )


def _end_of_last_content_line(body: bytes, start: int) -> int:
    """End of the last line that holds anything but whitespace (trailing blank lines dropped)."""
    end = len(body)
    while end > start and body[end - 1] in b" \t\r\n":
        end -= 1
    newline = body.find(b"\n", end)
    return len(body) if newline < 0 else newline


def _parse_rows(
    body: bytes,
    start: int,
    end: int,
    names: list[str],
    sep: str,
    data_lines: Callable[[], Iterator[str]],
    first_line: int,
    source: str,
    fmt: str,
    keep: list[int] | None = None,
) -> pd.DataFrame:
    """Parse the data rows with pyarrow; on failure, find the offending line, else use the C engine.

    ``keep`` (positions) restricts the columns converted and returned; pyarrow still splits
    every row into all its fields, so a malformed row is found wherever it is.
    """
    internal = [f"f{i}" for i in range(len(names))]
    included = internal if keep is None else [internal[i] for i in keep]
    kept = names if keep is None else [names[i] for i in keep]
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(memoryview(body)[start:end]),
            read_options=pa_csv.ReadOptions(column_names=internal),
            parse_options=pa_csv.ParseOptions(delimiter=sep, newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                # large_string is the storage of pandas' string dtype: to_pandas then
                # copies nothing (string columns were cast, a tenth of reading 1,000,000 rows).
                column_types={name: pa.large_string() for name in included},
                include_columns=included,
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except pa.ArrowException:
        # pyarrow's messages name no line; the csv module re-reads the rows to find it.
        _raise_row_problem(data_lines(), sep, len(names), first_line, source)
        frame = _parse_rows_c_engine(body, start, end, names, sep, source, fmt, kept if keep is not None else None)
    else:
        frame = table.to_pandas()
    frame.columns = pd.Index(kept)
    return frame


def _raise_row_problem(
    lines: Iterator[str], sep: str, n_columns: int, first_line: int, source: str
) -> None:
    """Raise an InputError naming the first row whose field count differs from the header's.

    ``lines`` are the data section's lines, the first of them on file line ``first_line``.
    Returns quietly when every row is well formed.
    """
    reader = csv.reader(lines, delimiter=sep, strict=True)
    row = 0
    while True:
        start_line = first_line + reader.line_num  # line_num counts lines consumed so far
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field limit" in str(exc):
                return  # a huge cell, not a malformed row: leave it to the C engine
            raise InputError(
                f"line {start_line} could not be parsed ({exc}); is a quote left open?", source=source
            ) from None
        if not record:  # an empty line, which the parser skips too
            continue
        row += 1
        if len(record) != n_columns:
            sep_name = "tab" if sep == "\t" else "comma"
            fields = "field" if len(record) == 1 else "fields"
            raise InputError(
                f"line {start_line} has {len(record)} {fields} but the header has {n_columns}; "
                f"a value that contains a {sep_name} must be quoted",
                source=source,
                row=row,
            )


def _parse_rows_c_engine(
    body: bytes, start: int, end: int, names: list[str], sep: str, source: str, fmt: str, usecols: list[str] | None = None
) -> pd.DataFrame:
    try:
        return pd.read_csv(
            io.BytesIO(body[start:end]),
            sep=sep,
            header=None,
            names=names,
            usecols=usecols,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            engine="c",
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(
            f"could not be read as {_DESCRIPTIONS[fmt]}: {_short_reason(exc)}", source=source
        ) from None


# --- binary formats ----------------------------------------------------------------


def _read_binary(
    data: bytes, fmt: str, source: str, sheet: str | int | None, columns: ColumnSelector | None = None
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The frame of the columns ``columns`` picks (all without it), and every column's name.

    Parquet reads only the columns picked (its footer names them all); the other
    formats are read whole and the columns not picked dropped.
    """
    if not data.strip():
        raise InputError("is empty", source=source)
    # What the file declares about its size, checked before anything is decompressed.
    if fmt == "xlsx":
        _check_zip_size(data, source)
    elif fmt == "parquet":
        check_parquet_footer(data, source)
    elif fmt == "sav":
        check_sav_dictionary(data, source)
    parquet = _parquet_selection(data, columns) if fmt == "parquet" else None
    readers: Mapping[str, Callable[[io.BytesIO], pd.DataFrame]] = {
        "parquet": lambda buf: pd.read_parquet(buf, engine="pyarrow", columns=None if parquet is None else parquet[0]),
        "xlsx": lambda buf: _read_xlsx(buf, source, sheet),
        "dta": lambda buf: pd.read_stata(buf, convert_categoricals=False),
        "sav": _read_sav,
    }
    try:
        frame = _quietly(lambda: readers[fmt](io.BytesIO(data)))
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - each library raises its own types on corrupt input
        raise InputError(
            f"could not be read as {_DESCRIPTIONS[fmt]}: {_short_reason(exc)}", source=source
        ) from None

    names = _clean_names(list(frame.columns))
    if parquet is not None and names != [parquet[1][i] for i in parquet[2]]:
        # The columns read are not named as the footer said (pandas metadata restored
        # other labels): read the file whole, as without a selection.
        return _read_binary(data, fmt, source, sheet)
    header = parquet[1] if parquet is not None else names
    _check_column_count(len(header), source)
    _reject_duplicates(header, source)
    frame.columns = pd.Index(names)
    if len(frame) == 0:
        what = "a header" if fmt == "xlsx" else "columns"
        raise InputError(f"has {what} but no data rows", source=source)
    keep = _selected(names, columns) if parquet is None else None
    if keep is not None:
        frame = frame.iloc[:, keep]
    return _empty_strings_to_missing(frame), tuple(header)


def _parquet_selection(data: bytes, columns: ColumnSelector | None) -> tuple[list[str], list[str], list[int]] | None:
    """(raw names to read, every column's cleaned name, positions read) of a Parquet file; None: read it whole.

    The names come from the footer's schema without the index columns pandas' metadata
    lists (pandas makes those the index, not columns). A footer that cannot be read, a
    header with duplicate names or over the column limit, or a selection of nothing or
    everything is read whole, so that the messages are those of a whole read.
    """
    if columns is None:
        return None
    import pyarrow.parquet as pq  # only Parquet files need it

    try:
        schema = pq.read_schema(pa.BufferReader(data))
        metadata = schema.pandas_metadata or {}
    except (pa.ArrowException, OSError, ValueError):
        return None
    index = {name for name in metadata.get("index_columns", []) if isinstance(name, str)}
    raw = [name for name in schema.names if name not in index]
    names = _clean_names(raw)
    if len(set(names)) != len(names) or len(names) > COLUMNS_MAX:
        return None
    keep = _selected(names, columns)
    if keep is None:
        return None
    return [raw[i] for i in keep], names, keep


def _check_zip_size(data: bytes, source: str) -> None:
    """Refuse a workbook whose parts would decompress to more than DECOMPRESSED_BYTES_MAX.

    The sizes come from the zip directory; zipfile never reads past a part's declared
    size, so a lying directory cannot make a part larger.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(part.file_size for part in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a readable zip: the xlsx reader says so
    if total > DECOMPRESSED_BYTES_MAX:
        raise InputError(
            f"decompresses to {format_bytes(total)}, more than the limit of {format_bytes(DECOMPRESSED_BYTES_MAX)}",
            source=source,
        )


def _read_xlsx(buf: io.BytesIO, source: str, sheet: str | int | None) -> pd.DataFrame:
    with pd.ExcelFile(buf, engine="openpyxl") as book:
        sheets = book.sheet_names
        chosen: str | int = 0 if sheet is None else sheet
        known = chosen in sheets if isinstance(chosen, str) else 0 <= chosen < len(sheets)
        if not known:
            listed = ", ".join(f"'{s}'" for s in sheets)
            raise InputError(f"has no sheet {chosen!r}; its sheets are {listed}", source=source)
        # pandas renames a repeated header to "x.1"; read the header row raw to catch it.
        header = pd.read_excel(book, sheet_name=chosen, header=None, nrows=1)
        if header.empty:
            label = sheets[chosen] if isinstance(chosen, int) else chosen
            raise InputError(f"is empty (sheet '{label}' has no cells)", source=source)
        frame = pd.read_excel(book, sheet_name=chosen)
    raw = list(header.iloc[0])
    if len(raw) == frame.shape[1]:
        frame.columns = pd.Index(_clean_names(raw))
    return frame


def _read_sav(buf: io.BytesIO) -> pd.DataFrame:
    import pyreadstat  # only SPSS users need this C extension loaded

    frame, _meta = pyreadstat.read_sav(buf, apply_value_formats=False)
    return frame


_T = TypeVar("_T")


def _quietly(read: Callable[[], _T]) -> _T:
    """Run a reader; drop its warnings if it fails (noise about a corrupt file), else replay them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = read()
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return result


def _empty_strings_to_missing(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_string_dtype(values) and not isinstance(values.dtype, pd.CategoricalDtype):
            empty = (values == "").to_numpy(dtype=bool, na_value=False)
            if empty.any():
                frame[column] = values.mask(empty)
    return frame


def _short_reason(exc: BaseException) -> str:
    """A library's exception as one short clause: first line, first sentence, at most 200 chars."""
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    text = str(text).strip().splitlines()[0] if str(text).strip() else type(exc).__name__
    sentence_end = text.find(". ")
    if sentence_end > 0:
        text = text[:sentence_end]
    return text[:200].rstrip(". ")
