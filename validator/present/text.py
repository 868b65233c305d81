"""Terminal rendering of the presentation model: tables and lines that fit a given width.

The width comes from ``COLUMNS`` or the terminal (:func:`terminal_width`); a table
wider than that wraps its widest text columns (tabulate's ``maxcolwidths``) until it
fits, and titles and notes wrap at word boundaries.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Sequence

from tabulate import tabulate

from validator.present.table import Table

#: Narrowest a wrapped column may become.
MIN_COLUMN = 6
#: Spaces between columns in tabulate's "simple" format.
GAP = 2
#: tabulate makes a column at least its header's width plus this.
HEADER_PAD = 2


def terminal_width(default: int = 100) -> int:
    """``COLUMNS`` when set to a number, else the terminal's width, else ``default``; at least 40."""
    value = os.environ.get("COLUMNS", "")
    if value.strip().isdigit():
        return max(40, int(value))
    return max(40, shutil.get_terminal_size((default, 24)).columns)


def wrap(text: str, width: int, indent: str = "", first: str = "") -> list[str]:
    """``text`` wrapped to ``width``: the first line starts with ``first``, the others with ``indent``.

    >>> wrap("one two three", 9, indent="  ")
    ['one two', '  three']
    """
    if len(first) + len(text) <= width:
        return [first + text]
    return textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=indent, break_on_hyphens=False) or [first + text]


def _natural(table: Table) -> tuple[list[int], list[int]]:
    """Each column's natural width and its longest word (the narrowest it wraps to without breaking words)."""
    # tabulate pads every header by two characters (its MIN_PADDING), so a column is at least that wide.
    widths = [len(h) + HEADER_PAD for h in table.headers]
    words = [max((len(w) for w in h.split()), default=0) + HEADER_PAD for h in table.headers]
    for row in table.rows:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], max((len(part) for part in value.text.split("\n")), default=0))
            words[i] = max(words[i], max((len(w) for w in value.text.split()), default=0))
    return widths, words


def fitted_widths(natural: Sequence[int], width: int, words: Sequence[int] | None = None, unbroken: Sequence[int] = ()) -> list[int] | None:
    """Column widths whose table fits ``width``; None if it fits already.

    The widest column narrows first, never below its longest word while another column
    can still give way; only then are words broken (down to :data:`MIN_COLUMN`).

    >>> fitted_widths([10, 40, 8], 50)
    [10, 28, 8]
    >>> fitted_widths([10, 40, 8], 50, words=[10, 30, 8])
    [10, 28, 8]
    >>> fitted_widths([20, 20], 30, words=[18, 6])
    [18, 10]
    >>> fitted_widths([10, 8], 50) is None
    True
    """
    widths = list(natural)
    total = sum(widths) + GAP * (len(widths) - 1)
    if total <= width:
        return None
    floors = [max(MIN_COLUMN, min(w, n)) for w, n in zip(words or [MIN_COLUMN] * len(widths), natural)]
    keep = set(unbroken)
    floors = [natural[i] if i in keep else floors[i] for i in range(len(widths))]
    for limit in (floors, [natural[i] if i in keep else MIN_COLUMN for i in range(len(widths))]):
        while total > width:
            candidates = [i for i in range(len(widths)) if widths[i] > limit[i]]
            if not candidates:
                break
            widest = max(candidates, key=lambda i: widths[i])
            widths[widest] -= 1
            total -= 1
    return widths


#: Where a name without spaces (a file name, a term) is broken when it must be: after one of these.
_BREAK_AFTER = "_-./:,]"


def _pieces(word: str, width: int) -> list[str]:
    """``word`` cut into pieces of at most ``width``, after a separator where one is in the right half."""
    pieces = []
    while len(word) > width:
        cut = max((word.rfind(mark, 0, width) for mark in _BREAK_AFTER), default=-1) + 1
        if cut <= width // 2:
            cut = width  # no separator late enough: break inside the word
        pieces.append(word[:cut])
        word = word[cut:]
    return [*pieces, word] if word else pieces


def wrap_cell(text: str, width: int) -> str:
    """A cell's text in lines of at most ``width``: at spaces, and inside long names after separators.

    >>> print(wrap_cell("sim_finetuned_balanced.csv (best)", 14))
    sim_finetuned_
    balanced.csv
    (best)
    >>> print(wrap_cell("374 vs 340", 6))
    374 vs
    340
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = [piece for word in paragraph.split() for piece in _pieces(word, width)]
        lines.extend(textwrap.wrap(" ".join(words), width=width, break_long_words=True, break_on_hyphens=False) if words else [""])
    return "\n".join(lines)


def render_table(table: Table, width: int) -> str:
    """The table as tabulate's "simple" text, its title above and notes below, within ``width``."""
    natural, words = _natural(table)
    if table.transposable and sum(natural) + GAP * (len(natural) - 1) > width:
        # A short, wide table (Table 2) reads better with its rows as columns than wrapped.
        return render_table(table.transposed(), width)
    rows = [[value.text for value in row] for row in table.rows]
    headers = list(table.headers)
    widths = fitted_widths(natural, width, words, table.unbroken)
    align = list(table.align) if table.align else None
    options: dict[str, object] = {"tablefmt": "simple", "disable_numparse": True}
    if align:
        options["colalign"] = align
    if widths is not None:
        # Wrapped here rather than by tabulate, which breaks a long file name at any character.
        rows = [[wrap_cell(text, w) if len(text) > w else text for text, w in zip(row, widths)] for row in rows]
        options["maxcolwidths"] = widths
        options["maxheadercolwidths"] = [max(1, w - HEADER_PAD) for w in widths]
    body = tabulate(rows, headers=headers, **options) if rows else "(no rows)"  # type: ignore[arg-type]
    lines = [*wrap(table.title, width)] if table.title else []
    lines.append(body)
    for note in table.notes:
        lines.extend(wrap(note, width, indent="    ", first="  "))
    return "\n".join(lines)
