"""The neutral presentation model: a table of text cells, built once from result records.

Check presenters build :class:`Table` objects; :mod:`validator.present.text` renders
them for the terminal (tabulate, fitted to the width) and
:mod:`validator.report.markdown` for the report (tabulate's pipe tables, escaped).
Cells hold text as a reader sees it (numbers already formatted); neither renderer
computes anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Union

Align = Literal["left", "right", "center"]


@dataclass(frozen=True)
class Cell:
    """One cell; ``strong`` cells are bold in the report (e.g. a sign flip)."""

    text: str
    strong: bool = False


CellLike = Union[str, Cell]


@dataclass(frozen=True)
class Table:
    """A titled table with optional notes below it.

    ``key`` is a stable identifier (the report's cross-reference label is ``tbl-<key>``);
    ``detail`` is the terminal verbosity from which the table is shown (0 always,
    1 with ``-v``, 2 with ``-vv``); the report shows every table.
    """

    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    align: tuple[Align, ...] = ()
    notes: tuple[str, ...] = ()
    detail: int = 1
    transposable: bool = False

    def transposed(self) -> Table:
        """Rows become columns: the first column's cells become the headers (for a short, wide table).

        >>> t = table("t", "T", ["", "a", "b"], [["value", "1", "2"]]).transposed()
        >>> t.headers, [[c.text for c in row] for row in t.rows]
        (('', 'value'), [['a', '1'], ['b', '2']])
        """
        headers = (self.headers[0], *(row[0].text for row in self.rows))
        rows = tuple((Cell(header), *(row[i] for row in self.rows)) for i, header in enumerate(self.headers) if i > 0)
        right: tuple[Align, ...] = tuple("right" for _ in self.rows)
        align: tuple[Align, ...] = ("left", *right)
        return Table(self.key, self.title, headers, rows, align, self.notes, self.detail, False)


def cell(value: CellLike) -> Cell:
    return value if isinstance(value, Cell) else Cell(str(value))


def table(
    key: str,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[CellLike]],
    *,
    align: Sequence[Align] = (),
    notes: Sequence[str] = (),
    detail: int = 1,
    transposable: bool = False,
) -> Table:
    """A :class:`Table` from plain strings (or cells).

    >>> t = table("demo", "Demo", ["a", "b"], [["1", Cell("x", strong=True)]])
    >>> t.rows[0][1].strong
    True
    """
    return Table(
        key=key,
        title=title,
        headers=tuple(headers),
        rows=tuple(tuple(cell(value) for value in row) for row in rows),
        align=tuple(align),
        notes=tuple(notes),
        detail=detail,
        transposable=transposable,
    )
