"""Apply a study spec to a table as read: map columns, recode, coerce, check rules, derive.

Rows that break a rule are *set aside*, never dropped silently: each becomes a
:class:`SetAsideRow` with its reason, and the dataset carries the count. With
``strict=True`` the first such row is an :class:`~validator.errors.InputError`.

Rows are numbered as data rows from 1 in file order; for text files the
file's line number is given as well.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from validator.did_you_mean import did_you_mean
from validator.errors import InputError
from validator.io.readers import RawTable
from validator.present.escape import terminal_text
from validator.spec.expressions import CONSTRAINT_TOLERANCE, parse_expression
from validator.spec.model import ColumnSpec, StudySpec

#: Raw texts that mean "no answer" in every column, besides a column's own ``missing``.
DEFAULT_MISSING = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None")
_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}


@dataclass(frozen=True)
class SetAsideRow:
    """One data row left out of the analysis, and why."""

    row: int
    line: int | None
    column: str | None
    reason: str
    value: str | None
    detail: str

    def to_dict(self) -> dict[str, object]:
        return {
            "row": self.row,
            "line": self.line,
            "column": self.column,
            "reason": self.reason,
            "value": self.value,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Dataset:
    """A table after the spec is applied: the rows used, and the rows set aside with reasons.

    ``frame`` holds the spec's columns (canonical names), every derived variable and
    the file's extra columns untouched (those that were read: a check reads only the
    columns its spec needs, :func:`spec_columns`); its index is the data row number.
    ``extra_columns`` names every column of the file the spec does not declare, read or not.
    """

    label: str
    source: str
    format: str
    sha256: str
    n_rows_read: int
    frame: pd.DataFrame = field(repr=False)
    set_aside: tuple[SetAsideRow, ...]
    column_sources: tuple[tuple[str, str], ...]
    absent_optional: tuple[str, ...]
    extra_columns: tuple[str, ...]
    # Additive: the file's leading '#' comment lines (text formats), e.g. a "SYNTHETIC" notice for the report.
    comments: tuple[str, ...] = ()

    @property
    def n_used(self) -> int:
        return len(self.frame)

    @property
    def n_set_aside(self) -> int:
        return self.n_rows_read - self.n_used

    def set_aside_by_reason(self) -> dict[str, int]:
        """Rows set aside per reason (a row counts once, under its first problem)."""
        first: dict[int, str] = {}
        for item in self.set_aside:
            first.setdefault(item.row, item.reason)
        return dict(sorted(Counter(first.values()).items()))


def _find_column(spec_column: ColumnSpec, available: list[str]) -> str | None:
    for name in (spec_column.name, *spec_column.aliases):
        if name in available:
            return name
    lowered = {a.lower(): a for a in available}
    for name in (spec_column.name, *spec_column.aliases):
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def spec_columns(spec: StudySpec, header: Sequence[str]) -> list[str]:
    """The columns of a file with these column names that applying ``spec`` reads, in file order.

    Every declared column found under its name or an alias (as :func:`ingest` finds
    it), and the inference section's key and weight columns, which may be columns the
    spec does not declare. Everything a spec names besides (derived variables, models,
    cluster and resampling variables, distributions, breakdowns, coherence and
    heterogeneity variables, the persona and agreement variables) must be a declared
    column or a derived variable, which the spec loader checks.
    """
    available = list(header)
    wanted = {found for column in spec.columns if (found := _find_column(column, available)) is not None}
    if spec.inference is not None:
        wanted.update(name for name in (spec.inference.key, spec.inference.weight) if name is not None and name in available)
    return [name for name in available if name in wanted]


def _as_text(values: pd.Series) -> pd.Series:
    """Raw values as text for recoding: numbers that are whole print without '.0'."""
    if pd.api.types.is_bool_dtype(values):
        return values.map(lambda v: None if pd.isna(v) else ("true" if v else "false")).astype(object)
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.astype(float)
        whole = np.isfinite(numbers) & (numbers == np.round(numbers))
        text = numbers.astype(str)
        text[whole] = numbers[whole].astype(np.int64).astype(str)
        return cast("pd.Series", text.where(~numbers.isna(), None).astype(object))
    # Vectorised (pandas' string dtype keeps missing values missing); a per-cell lambda was the
    # slowest step of reading a 100,000-row file.
    return cast("pd.Series", values.astype("string").str.strip().astype(object).where(values.notna(), None))


def _whole_numbers_as_integers(text: pd.Series, known: set[str]) -> pd.Series:
    """'2.0' becomes '2' where '2.0' itself is not a known label, so codes match recodings."""
    unknown = text.notna() & ~text.isin(known)
    if not unknown.any():
        return text
    numbers = pd.to_numeric(text[unknown], errors="coerce")
    whole = numbers.notna() & np.isfinite(numbers) & (numbers == np.round(numbers))
    if not whole.any():
        return text
    text = text.copy()
    text[whole[whole].index] = numbers[whole].astype(np.int64).astype(str)
    return text


class _Problems:
    """Collects set-aside rows for one dataset."""

    def __init__(self, table: RawTable, strict: bool) -> None:
        self.table = table
        self.strict = strict
        self.items: list[SetAsideRow] = []

    def line_of(self, row: int) -> int | None:
        return self.table.line_of(row)

    def row_of(self, label: Any) -> int:
        """The data row of an index label of the values being coerced (here they are the rows)."""
        return int(label)

    def add(self, rows: Iterable[int], column: str | None, reason: str, values: Mapping[Any, object] | None, detail: str) -> None:
        for row in rows:
            raw = None if values is None else values.get(row)
            value = None if raw is None else str(raw)
            item = SetAsideRow(int(row), self.line_of(int(row)), column, reason, value, detail)
            if self.strict:
                line = f" (line {item.line})" if item.line is not None else ""
                shown = f" '{value}'" if value is not None else ""
                raise InputError(
                    f"{detail}{(':' + shown) if shown else ''}{line}; "
                    "without --strict such rows are set aside and reported",
                    source=self.table.source,
                    row=item.row,
                    column=column,
                )
            self.items.append(item)


class _ValueProblems(_Problems):
    """Problems found on a column's distinct values, reported for every row holding them.

    The values being coerced are indexed 0..u-1 (the distinct values, in order of
    first appearance); ``codes`` gives each row's value.
    """

    def __init__(self, problems: _Problems, codes: np.ndarray, rows: pd.Index) -> None:
        super().__init__(problems.table, problems.strict)
        self.items = problems.items
        self.codes = codes
        self.rows = rows

    def row_of(self, label: Any) -> int:
        return int(self.rows[int(np.argmax(self.codes == int(label)))])

    def add(self, rows: Iterable[int], column: str | None, reason: str, values: Mapping[Any, object] | None, detail: str) -> None:
        # Ascending rows per call, as the row-by-row path reports them.
        positions = np.flatnonzero(np.isin(self.codes, np.asarray(list(rows), dtype=np.int64)))
        labels = self.rows[positions]
        by_row = None if values is None else {row: values.get(int(code)) for row, code in zip(labels, self.codes[positions])}
        super().add(labels, column, reason, by_row, detail)


#: A text column with at most this share of distinct values is coerced value by value.
_DISTINCT_SHARE = 0.5
#: Rows of a long column looked at first: mostly distinct there, it is taken row by row at once.
_PROBE_ROWS = 10_000


def _mostly_distinct(raw: pd.Series) -> bool:
    """Whether the first rows of a long column are mostly distinct (an id column): factorizing
    all of it would be wasted (0.4 s of reading a 1,000,000-row file). Either way of coercing
    gives the same result, so this only chooses the faster one."""
    if len(raw) <= 4 * _PROBE_ROWS:
        return False
    return bool(raw.iloc[:_PROBE_ROWS].nunique(dropna=False) >= _DISTINCT_SHARE * _PROBE_ROWS)


def _coerce(column: ColumnSpec, raw: pd.Series, problems: _Problems) -> tuple[pd.Series, pd.Series]:
    """The column in its declared type, and a mask of rows that failed.

    Every step is a function of the cell's value alone, so a text column with few
    distinct values (survey answers; 1,000,000 rows of them) is coerced once per
    distinct value and the results are spread to the rows: the same values, the
    same set-aside rows in the same order, the same errors.
    """
    if isinstance(raw.dtype, pd.StringDtype) and len(raw) > 1 and not _mostly_distinct(raw):
        codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        if len(uniques) < _DISTINCT_SHARE * len(raw):
            # The missing value, if any, is one more distinct value, the last.
            codes = np.where(codes < 0, len(uniques), codes)
            distinct = pd.Series(pd.array([*uniques, pd.NA], dtype=raw.dtype))
            values, failed = _coerce_values(column, distinct, _ValueProblems(problems, codes, raw.index))
            return _spread(values, codes, raw.index), pd.Series(failed.to_numpy(dtype=bool)[codes], index=raw.index)
    return _coerce_values(column, raw, problems)


def _spread(values: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """``values`` (one per distinct value) taken for every row."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        spread = pd.Categorical.from_codes(values.cat.codes.to_numpy()[codes], dtype=values.dtype)
        return cast("pd.Series", pd.Series(spread, index=index))
    if isinstance(values.dtype, np.dtype):  # float, object: keep the dtype (pandas would infer str from objects)
        return cast("pd.Series", pd.Series(values.to_numpy()[codes], index=index, dtype=values.dtype))
    return cast("pd.Series", pd.Series(values.array.take(codes), index=index))


def _coerce_values(column: ColumnSpec, raw: pd.Series, problems: _Problems) -> tuple[pd.Series, pd.Series]:
    """:func:`_coerce` on the values of ``raw`` one by one."""
    text = _as_text(raw)
    missing_tokens = set(DEFAULT_MISSING) | set(column.missing)
    is_missing = text.isna() | text.isin(missing_tokens)
    if column.recode or column.values is not None:
        text = _whole_numbers_as_integers(text, known={k for k, _ in column.recode} | set(column.values or ()))
    if column.recode:
        text = text.replace(dict(column.recode))
    failed = pd.Series(False, index=raw.index)

    if not column.allow_missing and column.required:
        rows = raw.index[is_missing]
        if len(rows):
            problems.add(rows, column.name, "missing_value", None, f"column '{column.name}' has no value")
            failed |= is_missing

    present = ~is_missing
    if column.type == "numeric":
        if pd.api.types.is_numeric_dtype(raw) and not column.recode:
            values = raw.astype(float)
        else:
            values = pd.to_numeric(text.where(present), errors="coerce").astype(float)
        not_number = present & values.isna()
        if not_number.any():
            if not_number.sum() == present.sum():
                first = raw.index[not_number][0]
                raise InputError(
                    f"column '{column.name}' should hold numbers but holds text such as '{text[first]}'",
                    source=problems.table.source,
                    row=problems.row_of(first),
                    column=column.name,
                )
            problems.add(raw.index[not_number], column.name, "not_a_number", text.to_dict(), f"'{column.name}' is not a number")
        if column.range is not None:
            low, high = column.range
            outside = pd.Series(False, index=raw.index)
            if low is not None:
                outside |= values < low
            if high is not None:
                outside |= values > high
            if outside.any():
                bounds = f"[{'' if low is None else f'{low:g}'}, {'' if high is None else f'{high:g}'}]"
                problems.add(raw.index[outside], column.name, "out_of_range", text.to_dict(), f"'{column.name}' lies outside {bounds}")
                failed |= outside
        if column.integer:
            fractional = values.notna() & (values != np.round(values))
            if fractional.any():
                problems.add(raw.index[fractional], column.name, "not_an_integer", text.to_dict(), f"'{column.name}' is not a whole number")
                failed |= fractional
        failed |= not_number
        return values.where(present), failed

    if column.type == "boolean":
        lowered = text.str.lower()
        values = pd.Series(pd.NA, index=raw.index, dtype="boolean")
        values[lowered.isin(_TRUE) & present] = True
        values[lowered.isin(_FALSE) & present] = False
        bad = present & values.isna()
        if bad.any():
            problems.add(raw.index[bad], column.name, "not_a_boolean", text.to_dict(), f"'{column.name}' is not true/false")
            failed |= bad
        return values, failed

    if column.type == "categorical" and column.values is not None:
        unknown = present & ~text.isin(column.values)
        if unknown.any():
            if unknown.sum() == present.sum():
                first = raw.index[unknown][0]
                raise InputError(
                    f"column '{column.name}' holds '{text[first]}', which is none of "
                    f"{', '.join(column.values)} and has no recoding in the spec",
                    source=problems.table.source,
                    row=problems.row_of(first),
                    column=column.name,
                )
            problems.add(
                raw.index[unknown], column.name, "unknown_category", text.to_dict(),
                f"'{column.name}' is not one of {', '.join(column.values)}",
            )
            failed |= unknown
        categories = pd.Categorical(text.where(present & ~unknown), categories=list(column.values))
        return pd.Series(categories, index=raw.index), failed

    return text.where(present).astype(object), failed


def ingest(
    table: RawTable,
    spec: StudySpec,
    *,
    label: str | None = None,
    strict: bool = False,
    exclude_rows: Iterable[int] = (),
) -> Dataset:
    """Apply ``spec`` to ``table``: alias mapping, recoding, types, constraints, derived variables."""
    raw = table.frame
    source = table.source
    if len(raw) == 0:
        raise InputError("has no data rows", source=source)
    raw = raw.set_axis(pd.RangeIndex(1, len(raw) + 1))
    # The file's columns, also those not read (did-you-mean hints and the extra columns come from them).
    available = list(table.column_names)
    problems = _Problems(table, strict)

    columns: dict[str, pd.Series] = {}
    sources: list[tuple[str, str]] = []
    absent: list[str] = []
    failed = pd.Series(False, index=raw.index)
    used: set[str] = set()
    for column in spec.columns:
        found = _find_column(column, available)
        if found is None:
            if column.required:
                names = [column.name, *column.aliases]
                accepted = f" (also accepted: {', '.join(column.aliases)})" if column.aliases else ""
                hint = did_you_mean(column.name, available)
                raise InputError(
                    f"the required column '{column.name}'{accepted} is missing; {hint}"
                    if hint.startswith("did")
                    else f"the required column '{column.name}'{accepted} is missing; the file has "
                    + ", ".join(terminal_text(name, 60) for name in available[:20])
                    + (f" and {len(available) - 20:,} more" if len(available) > 20 else ""),
                    source=source,
                    column=names[0],
                )
            absent.append(column.name)
            columns[column.name] = pd.Series(pd.NA, index=raw.index, dtype=object)
            continue
        used.add(found)
        sources.append((column.name, found))
        values, bad = _coerce(column, raw[found], problems)
        columns[column.name] = values
        failed |= bad

    extras = [c for c in available if c not in used and c not in columns]
    read_extras = [c for c in extras if c in raw.columns]
    # One concatenation, not one insertion per extra column: inserting columns one
    # by one copies the frame's blocks each time (3,000 columns took 51 s).
    frame = (
        pd.concat([pd.DataFrame(columns, index=raw.index), raw[read_extras]], axis=1)
        if read_extras
        else pd.DataFrame(columns, index=raw.index)
    )

    excluded = pd.Series(raw.index.isin(list(exclude_rows)), index=raw.index)
    for row in raw.index[excluded]:
        # Excluding training rows is asked for, not a data problem: never an error under --strict.
        problems.items.append(
            SetAsideRow(int(row), problems.line_of(int(row)), None, "excluded", None, "listed in the exclusion manifest")
        )
    failed |= excluded

    known = list(spec.column_names)
    for derived in spec.derived:
        frame[derived.name] = parse_expression(derived.expr, known, source=spec.source).evaluate(frame)
        known.append(derived.name)

    candidates = ~failed
    for constraint in spec.constraints:
        holds = parse_expression(constraint.expr, known, source=spec.source).evaluate(frame, tolerance=CONSTRAINT_TOLERANCE)
        broken = candidates & ~holds.fillna(False).astype(bool)
        if broken.any():
            problems.add(raw.index[broken], None, f"constraint:{constraint.name}", None, constraint.message)
            failed |= broken

    kept = frame.loc[~failed]
    if kept.empty:
        first = problems.items[0] if problems.items else None
        why = f" (row {first.row}: {first.detail})" if first else ""
        raise InputError(f"every row was set aside, nothing is left to analyse{why}", source=source)
    return Dataset(
        label=label or source,
        source=source,
        format=table.format,
        sha256=table.sha256,
        n_rows_read=len(raw),
        frame=kept,
        set_aside=tuple(sorted(problems.items, key=lambda item: item.row)),
        column_sources=tuple(sources),
        absent_optional=tuple(absent),
        extra_columns=tuple(extras),
        comments=tuple(table.comments),
    )
