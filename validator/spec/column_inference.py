"""Guess, from data files, what each column of a study is: the groundwork of ``simval spec init``.

Every guess here is a starting point the researcher checks, never a rule: the starter
spec says so beside each one. The guesses:

* an **identifier** (a column named like ``id``, ``pid``, ``respondent_id``, or a
  whole-number column with one distinct value per row) is a text key, never a number
  with a range;
* a **numeric** column is an integer **scale** when it holds whole numbers only and
  spans at most :data:`MAX_SCALE_POINTS` points (a Likert item, a 0/1 answer, a GSS
  code): its distribution gets one bin per point;
* a **categorical** column (text with at most :data:`MAX_CATEGORIES` distinct values)
  lists its values in the order they first appear in the data, the first one being
  a model's reference level;
* a **treatment** column is a categorical one named like ``treatment``, ``condition``
  or ``arm``, or whose values are short codes (``V1``, ``A3``) over nearly equal groups,
  as random assignment produces;
* a **share group** is two to four numeric columns in [0, 100] that sum to 100 in
  (nearly) every row, like the beliefs of the reference study.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

#: A text column with at most this many distinct values is offered as categorical.
MAX_CATEGORIES = 20
#: A whole-number column spanning at most this many points is a scale (one bin per point).
MAX_SCALE_POINTS = 11
#: The share of complete rows that must sum to 100 (within 1) for a share group.
SHARE_GROUP_AGREEMENT = 0.95
#: Bins of a numeric column that is not a scale.
NUMERIC_BINS = 10

# The tokens the readers treat as "no answer" (docs/spec-format.md, Columns).
_MISSING_TOKENS = frozenset({"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"})
_ID_NAME = re.compile(r"(^|_)(id|pid|uuid|key|respondent|participant)$|^(id|pid|uuid)_", re.IGNORECASE)
_TREATMENT_NAME = re.compile(r"treat|condition|^cond$|(^|_)arm($|_)|(^|_)cell($|_)|manipulation|vignette|ballot", re.IGNORECASE)
_CODE_VALUE = re.compile(r"^[A-Za-z]{0,3}_?\d{1,2}$")
# Groups with at most this relative spread in size look randomly assigned.
_BALANCE_TOLERANCE = 0.15
# Share groups are looked for among at most this many candidate columns (combinations grow fast).
_MAX_SHARE_CANDIDATES = 24

Kind = Literal["identifier", "numeric", "categorical", "text", "empty"]


@dataclass(frozen=True)
class ColumnGuess:
    """What a column looks like over all the files given to ``spec init``.

    ``values`` are the categories in first-seen order (categorical columns);
    ``low``/``high`` the observed range and ``integer`` whether every value is whole
    (numeric columns); ``absent_from`` the files that lack the column.
    """

    name: str
    kind: Kind
    n_rows: int
    n_missing: int
    distinct: int
    values: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    integer: bool = False
    treatment: bool = False
    absent_from: tuple[str, ...] = ()

    @property
    def scale_points(self) -> int | None:
        """The number of points of an integer scale (``high - low + 1``), None when the column is not one."""
        if self.kind != "numeric" or not self.integer or self.low is None or self.high is None:
            return None
        points = int(self.high - self.low) + 1
        return points if points <= MAX_SCALE_POINTS else None


def _present(values: pd.Series) -> pd.Series:
    present = values.dropna()
    text = present.astype(str).str.strip()
    return present[~text.isin(_MISSING_TOKENS)]


def _first_seen(values: pd.Series) -> list[str]:
    # pandas' unique keeps the order of first appearance; sorting would put "10" before "2" and lose the data's order.
    return [str(v) for v in pd.unique(values.astype(str).str.strip())]


def _is_balanced(values: pd.Series) -> bool:
    counts = values.astype(str).value_counts()
    return len(counts) >= 2 and bool(counts.max() - counts.min() <= _BALANCE_TOLERANCE * counts.mean())


def _one_per_row(column: pd.Series) -> bool:
    present = _present(column)
    return len(present) == len(column) and present.astype(str).str.strip().nunique() == len(present)


def guess_column(name: str, columns: Sequence[pd.Series], absent_from: Sequence[str] = ()) -> ColumnGuess:
    """The guess for one column from its values in every file that has it; ``absent_from`` names the files without it."""
    values = pd.concat(list(columns), ignore_index=True) if columns else pd.Series([], dtype=object)
    present = _present(values)
    n_rows, n_missing = len(values), len(values) - len(present)
    absent = tuple(absent_from)
    if len(present) == 0:
        return ColumnGuess(name, "empty", n_rows, n_missing, 0, absent_from=absent)
    numbers = pd.to_numeric(present, errors="coerce")
    distinct = int(present.astype(str).str.strip().nunique())
    whole = bool(numbers.notna().all() and (numbers == numbers.round()).all())
    # A whole number on every row, unique within each file (the same ids may recur across files: personas).
    unique_per_row = whole and len(present) > MAX_CATEGORIES and all(_one_per_row(c) for c in columns)
    if _ID_NAME.search(name) or unique_per_row:
        return ColumnGuess(name, "identifier", n_rows, n_missing, distinct, absent_from=absent)
    if numbers.notna().all():
        return ColumnGuess(
            name, "numeric", n_rows, n_missing, distinct, low=float(numbers.min()), high=float(numbers.max()), integer=whole, absent_from=absent
        )
    if distinct <= MAX_CATEGORIES:
        levels = _first_seen(present)
        coded = all(_CODE_VALUE.match(level) for level in levels)
        treatment = bool(_TREATMENT_NAME.search(name)) or (coded and _is_balanced(present))
        return ColumnGuess(name, "categorical", n_rows, n_missing, distinct, values=tuple(levels), treatment=treatment, absent_from=absent)
    return ColumnGuess(name, "text", n_rows, n_missing, distinct, absent_from=absent)


def guess_columns(frames: Sequence[pd.DataFrame], sources: Sequence[str]) -> list[ColumnGuess]:
    """One guess per column of any file: the first file's columns in its order, then the others' new ones."""
    names: list[str] = []
    for frame in frames:
        names += [str(c) for c in frame.columns if str(c) not in names]
    guesses = []
    for name in names:
        having = [frame[name] for frame in frames if name in frame.columns]
        absent = [source for frame, source in zip(frames, sources) if name not in frame.columns]
        guesses.append(guess_column(name, having, absent))
    return guesses


def share_group(frames: Sequence[pd.DataFrame], guesses: Sequence[ColumnGuess]) -> tuple[str, ...]:
    """The largest group of two to four numeric columns in [0, 100] that sum to 100 in nearly every row; () if none."""
    candidates = [
        g.name
        for g in guesses
        if g.kind == "numeric" and not g.absent_from and g.low is not None and g.high is not None and g.low >= 0 and g.high <= 100
    ][:_MAX_SHARE_CANDIDATES]
    if len(candidates) < 2:
        return ()
    table = pd.concat([frame[candidates].apply(pd.to_numeric, errors="coerce") for frame in frames], ignore_index=True)
    for size in (4, 3, 2):
        for group in itertools.combinations(candidates, size):
            block = table[list(group)].dropna()
            if len(block) == 0:
                continue
            agree = np.abs(block.sum(axis=1).to_numpy() - 100.0) <= 1.0
            if agree.mean() >= SHARE_GROUP_AGREEMENT:
                return group
    return ()


def bins_for(guess: ColumnGuess) -> tuple[float, float, int] | None:
    """``(start, stop, count)`` of a numeric column's bins: one per point of a scale, else ten over the observed range."""
    if guess.kind != "numeric" or guess.low is None or guess.high is None:
        return None
    points = guess.scale_points
    if points is not None:
        # Half a point either side, so that each bin holds exactly one value of the scale.
        return guess.low - 0.5, guess.high + 0.5, points
    if guess.high <= guess.low:
        return None
    return guess.low, guess.high, NUMERIC_BINS


def round_bound(value: float) -> float | int:
    """A bound as YAML should show it: ``3`` rather than ``3.0``, other values as they are."""
    return int(value) if math.isfinite(value) and value == int(value) else value


__all__ = ["MAX_CATEGORIES", "MAX_SCALE_POINTS", "ColumnGuess", "bins_for", "guess_column", "guess_columns", "round_bound", "share_group"]
