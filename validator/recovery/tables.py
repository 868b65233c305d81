"""Coefficient tables as input to the recovery check.

For users who fit their models elsewhere (R, Stata): a CSV file with one row per
coefficient becomes a tuple of :class:`~validator.models.types.ModelFit`, ready
for :func:`validator.recovery.compare.compare_fits`. The CLI command
``simval recovery HUMAN_COEFS SIM_COEFS [--alpha A]`` reads both files this way.

Columns (names are case-insensitive and stripped; other columns are ignored):

============  ==============================================================
canonical     also accepted
============  ==============================================================
model         model_id
term          variable, parm
estimate      coef, coefficient, b, beta
std_error     se, std.error, "std. error", stderr, std_err, "std. err."
p_value       p, pvalue, p.value, "pr(>|z|)", "pr(>|t|)", "p>|z|", "p>|t|"
ci_low        conf.low, lower, ci_lower
ci_high       conf.high, upper, ci_upper
status        note
label         model_label
============  ==============================================================

``model``, ``term`` and ``estimate`` are required, and at least one of
``std_error`` and ``p_value``. Per row:

- a missing p-value comes from the normal approximation
  ``p = 2 * (1 - Phi(|estimate / std_error|))`` (needs ``std_error > 0``);
- a missing standard error comes from the p-value,
  ``se = |estimate| / Phi^-1(1 - p/2)``, only when ``0 < p < 1`` and the
  estimate is not 0 (otherwise it stays unknown, NaN in the record);
- a missing interval is ``estimate -/+ z_(1 - alpha/2) * se`` (NaN when the
  standard error is unknown); ``ci_low`` and ``ci_high`` come as a pair;
- ``p_adjusted`` equals ``p_value`` (the table is taken as already corrected).

A model is *not estimable* when every one of its rows has an empty estimate and
a ``status`` (or ``note``) saying so: either one of simval's reason codes
(``no_variation``, ``perfect_separation``, ``singular_design``,
``not_converged``, ``too_few_rows``, ``missing_variable``, ``fit_error``) or a
text containing "not estimable" / "non-estimable" / "inestimable" (reason
``fit_error``). Such rows may leave ``term`` empty; the status text becomes the
fit's ``detail``. Table fits carry ``family="table"``, ``formula=""``,
``n_obs=0`` (unknown) and ``cov_type="unknown"``.

Errors name the file, the data row (numbered from 1; in a file with its one
header line, the file line is row + 1, given in the message) and the column as
it is spelled in the file.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast, get_args

import pandas as pd
from scipy.stats import norm

from validator.errors import InputError, UsageError
from validator.models.types import Coefficient, ModelFit, NotEstimableReason

_ALIASES: dict[str, str] = {
    **dict.fromkeys(("model", "model_id"), "model"),
    **dict.fromkeys(("term", "variable", "parm"), "term"),
    **dict.fromkeys(("estimate", "coef", "coefficient", "b", "beta"), "estimate"),
    **dict.fromkeys(
        ("std_error", "se", "std.error", "std. error", "stderr", "std_err", "std. err."),
        "std_error",
    ),
    **dict.fromkeys(
        ("p_value", "p", "pvalue", "p.value", "pr(>|z|)", "pr(>|t|)", "p>|z|", "p>|t|"),
        "p_value",
    ),
    **dict.fromkeys(("ci_low", "conf.low", "lower", "ci_lower"), "ci_low"),
    **dict.fromkeys(("ci_high", "conf.high", "upper", "ci_upper"), "ci_high"),
    **dict.fromkeys(("status", "note"), "status"),
    **dict.fromkeys(("label", "model_label"), "label"),
}
_REQUIRED = ("model", "term", "estimate")
_REASON_CODES: frozenset[str] = frozenset(get_args(NotEstimableReason))
_NOT_ESTIMABLE = re.compile(r"\b(not[\s_-]*estimable|non[\s_-]*estimable|inestimable)\b", re.I)


@dataclass(frozen=True)
class _Row:
    """One parsed data row (numbers already checked)."""

    row: int
    model: str
    term: str | None
    estimate: float | None
    std_error: float | None
    p_value: float | None
    ci: tuple[float, float] | None
    status: str | None
    label: str | None


class _Locator:
    """Builds InputErrors that name the file, the row and the file's own column name."""

    def __init__(self, source: str, columns: Mapping[str, str], header_lines: int | None) -> None:
        self.source = source
        self.columns = columns  # canonical name -> name as spelled in the file
        self.header_lines = header_lines

    def error(self, message: str, row: int | None = None, column: str | None = None) -> InputError:
        if row is not None and self.header_lines is not None:
            message = f"{message} (file line {row + self.header_lines})"
        shown = self.columns.get(column, column) if column else None
        return InputError(message, source=self.source, row=row, column=shown)


def _is_missing(cell: Any) -> bool:
    if cell is None:
        return True
    if isinstance(cell, str):
        return not cell.strip()
    try:
        return bool(pd.isna(cell))
    except (TypeError, ValueError):
        return False


def _text(cell: Any) -> str | None:
    return None if _is_missing(cell) else str(cell).strip()


def _number(cell: Any, canonical: str, row: int, loc: _Locator) -> float | None:
    """A finite float, None for an empty cell, InputError for anything else."""
    if _is_missing(cell):
        return None
    try:
        value = float(cell.strip() if isinstance(cell, str) else cell)
    except (TypeError, ValueError):
        raise loc.error(f"'{cell}' is not a number", row, canonical) from None
    if math.isnan(value):
        return None
    if not math.isfinite(value):
        raise loc.error(f"'{cell}' is not a finite number", row, canonical)
    return value


def _map_columns(frame: pd.DataFrame, loc_source: str) -> dict[str, str]:
    """Canonical column name -> the frame's column, via the alias table."""
    found: dict[str, str] = {}
    for column in frame.columns:
        canonical = _ALIASES.get(str(column).strip().lower())
        if canonical is None:
            continue
        if canonical in found:
            raise InputError(
                f"columns '{found[canonical]}' and '{column}' both give the {canonical}; keep one",
                source=loc_source,
                column=str(column),
            )
        found[canonical] = str(column)
    listed = ", ".join(f"'{c}'" for c in frame.columns)
    for name in _REQUIRED:
        if name not in found:
            raise InputError(
                f"the required column is missing (columns found: {listed})",
                source=loc_source,
                column=name,
            )
    if "std_error" not in found and "p_value" not in found:
        raise InputError(
            f"needs a std_error or a p_value column (columns found: {listed})",
            source=loc_source,
            column="std_error",
        )
    return found


def _is_marker(status: str | None) -> bool:
    return status is not None and (
        status.lower() in _REASON_CODES or _NOT_ESTIMABLE.search(status) is not None
    )


def _reason(status: str) -> NotEstimableReason:
    """The reason code a status names, else ``fit_error``."""
    for code in get_args(NotEstimableReason):
        if status.lower() == code:
            return cast(NotEstimableReason, code)
    return "fit_error"


def _parse_row(cells: Mapping[str, Any], row: int, loc: _Locator) -> _Row:
    model = _text(cells.get("model"))
    if model is None:
        raise loc.error("the model id is empty", row, "model")
    status = _text(cells.get("status"))
    term = _text(cells.get("term"))
    estimate = _number(cells.get("estimate"), "estimate", row, loc)
    if _is_marker(status):
        if estimate is not None:
            raise loc.error(
                f"the row is marked '{status}' but gives an estimate; leave it empty",
                row,
                "estimate",
            )
        return _Row(row, model, term, None, None, None, None, status, _text(cells.get("label")))
    if term is None:
        raise loc.error("the term is empty", row, "term")
    if estimate is None:
        raise loc.error("the estimate is empty", row, "estimate")
    se = _number(cells.get("std_error"), "std_error", row, loc)
    p = _number(cells.get("p_value"), "p_value", row, loc)
    if se is not None and se < 0:
        raise loc.error(f"the standard error {se} is negative", row, "std_error")
    if p is not None and not 0.0 <= p <= 1.0:
        raise loc.error(f"the p-value {p} is not between 0 and 1", row, "p_value")
    if se is None and p is None:
        # Name the column(s) the user can fill in, as spelled in their file.
        present = [c for c in ("std_error", "p_value") if c in loc.columns]
        if len(present) == 2:
            message = (
                f"neither '{loc.columns['std_error']}' nor '{loc.columns['p_value']}' "
                "has a value; give at least one"
            )
        else:
            message = "the cell is empty; a standard error or a p-value is needed"
        raise loc.error(message, row, present[0])
    low = _number(cells.get("ci_low"), "ci_low", row, loc)
    high = _number(cells.get("ci_high"), "ci_high", row, loc)
    if (low is None) != (high is None):
        missing = "ci_high" if high is None else "ci_low"
        raise loc.error("the interval needs both bounds", row, missing)
    if low is not None and high is not None and low > high:
        raise loc.error(
            f"the interval's lower bound {low} exceeds its upper bound {high}", row, "ci_low"
        )
    ci = (low, high) if low is not None and high is not None else None
    return _Row(row, model, term, estimate, se, p, ci, status, _text(cells.get("label")))


def _coefficient(r: _Row, z: float, loc: _Locator) -> Coefficient:
    assert r.estimate is not None and r.term is not None
    estimate, se, p = r.estimate, r.std_error, r.p_value
    if p is None:
        assert se is not None
        if se == 0:
            raise loc.error(
                "the standard error is 0, so no p-value can be derived; give one",
                r.row,
                "std_error",
            )
        p = float(2.0 * norm.sf(abs(estimate / se)))
    if se is None and 0.0 < p < 1.0 and estimate != 0.0:
        se = float(abs(estimate) / norm.isf(p / 2.0))
    se_value = se if se is not None else math.nan
    low, high = r.ci if r.ci is not None else (estimate - z * se_value, estimate + z * se_value)
    return Coefficient(
        model=r.model,
        term=r.term,
        estimate=estimate,
        std_error=se_value,
        p_value=p,
        p_adjusted=p,
        ci_low=low,
        ci_high=high,
    )


def _build_fit(model: str, rows: list[_Row], z: float, loc: _Locator) -> ModelFit:
    label = next((r.label for r in rows if r.label), model)
    markers = [r for r in rows if r.estimate is None]
    if markers:
        if len(markers) < len(rows):
            first = next(r for r in rows if r.estimate is not None)
            raise loc.error(
                f"model '{model}' is marked not estimable (row {markers[0].row}) "
                "but this row gives an estimate",
                first.row,
                "estimate",
            )
        status = markers[0].status or ""
        return ModelFit(
            model=model,
            label=label,
            family="table",
            formula="",
            estimable=False,
            n_obs=0,
            n_subset_excluded=0,
            n_missing=0,
            reason=_reason(status),
            detail=status,
            cov_type="unknown",
        )
    seen: dict[str, int] = {}
    for r in rows:
        assert r.term is not None
        if r.term in seen:
            raise loc.error(
                f"term '{r.term}' of model '{model}' appears twice (first at row {seen[r.term]})",
                r.row,
                "term",
            )
        seen[r.term] = r.row
    return ModelFit(
        model=model,
        label=label,
        family="table",
        formula="",
        estimable=True,
        n_obs=0,
        n_subset_excluded=0,
        n_missing=0,
        coefficients=tuple(_coefficient(r, z, loc) for r in rows),
        cov_type="unknown",
    )


def _fits_from_frame(
    frame: pd.DataFrame, *, source: str, alpha: float, header_lines: int | None
) -> tuple[ModelFit, ...]:
    if not 0.0 < alpha < 1.0:
        raise UsageError(f"alpha must be strictly between 0 and 1, got {alpha!r}")
    columns = _map_columns(frame, source)
    loc = _Locator(source, columns, header_lines)
    z = float(norm.isf(alpha / 2.0))
    records = frame[list(columns.values())].to_dict("records")
    by_model: dict[str, list[_Row]] = {}
    for row, record in enumerate(records, start=1):
        cells = {canonical: record[name] for canonical, name in columns.items()}
        if all(_is_missing(cell) for cell in cells.values()):
            continue  # a blank line
        parsed = _parse_row(cells, row, loc)
        by_model.setdefault(parsed.model, []).append(parsed)
    if not by_model:
        raise InputError("contains no coefficient rows", source=source)
    return tuple(_build_fit(model, rows, z, loc) for model, rows in by_model.items())


def coefficient_table_from_frame(
    frame: pd.DataFrame, *, source: str, alpha: float = 0.05
) -> tuple[ModelFit, ...]:
    """Model fits from a coefficient table already in a DataFrame.

    Same columns and rules as :func:`read_coefficient_table` (see the module
    docstring); ``source`` names the table in error messages, whose row numbers
    count the frame's rows from 1. Models keep the order of their first row,
    terms the order of their rows.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"model": ["m1"], "term": ["x"], "coef": [0.5], "se": [0.25]})
    >>> fit, = coefficient_table_from_frame(frame, source="demo")
    >>> round(fit.coefficients[0].p_value, 4)
    0.0455
    """
    return _fits_from_frame(frame, source=source, alpha=alpha, header_lines=None)


def read_coefficient_table(
    path: str | os.PathLike[str], *, alpha: float = 0.05
) -> tuple[ModelFit, ...]:
    """Model fits from a CSV coefficient table (one row per coefficient).

    The file is read as UTF-8 (a byte-order mark is allowed) with a one-line
    header; empty cells, ``NA`` and Stata's ``.`` are missing values. See the
    module docstring for the columns, their aliases, how a missing p-value,
    standard error or interval is derived (normal approximation, intervals at
    ``1 - alpha``) and how a model is marked not estimable.
    """
    source = os.fspath(path)
    try:
        frame = pd.read_csv(
            path,
            encoding="utf-8-sig",
            dtype=str,
            na_values=["."],
            skip_blank_lines=False,  # keep row numbers equal to file lines - 1
        )
    except FileNotFoundError:
        raise InputError("the file does not exist", source=source) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"is not UTF-8 text (byte {exc.start}); save it as UTF-8", source=source
        ) from None
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty", source=source) from None
    except pd.errors.ParserError as exc:
        raise InputError(f"cannot be read as CSV: {exc}", source=source) from None
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror or exc}", source=source) from None
    return _fits_from_frame(frame, source=source, alpha=alpha, header_lines=1)
