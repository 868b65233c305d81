"""Markdown building blocks of the report: tables (tabulate), figures, callouts, formatted numbers.

Every function here takes text that is already Markdown: strings from data or a
spec must pass through :func:`validator.report.escape.md` first. Numbers are
formatted by :mod:`validator.present.formatting`, as in the terminal output,
so a number reads the same on screen, in the HTML and in the PDF.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tabulate import tabulate

from validator.present.formatting import fmt_estimate, fmt_number, fmt_p
from validator.present.table import Cell, Table

if TYPE_CHECKING:
    from validator.bootstrap.weights import Interval
    from validator.checks.metric import Metric

CALLOUT_KINDS = ("note", "tip", "warning", "important", "caution")

# Characters of formatted numbers that Markdown would read as markup ('*' marks significance, '<0.001').
_NUMBER_ESCAPES = str.maketrans({"*": "\\*", "<": "\\<", ">": "\\>", "_": "\\_", "$": "\\$", "|": "\\|"})


def num(text: str) -> str:
    """A formatted number (``0.370 [0.347, 0.397]``, ``-0.022*``, ``<0.001``) made safe for Markdown."""
    return text.translate(_NUMBER_ESCAPES)


def number(value: float | int | None, digits: int = 3) -> str:
    """:func:`fmt_number` as Markdown ('-' for missing)."""
    return num(fmt_number(value, digits))


def p_value(value: float | None) -> str:
    """:func:`fmt_p` as Markdown."""
    return num(fmt_p(value))


def estimate(value: float | None, significant: bool | None) -> str:
    """An estimate with its significance mark, as Markdown (``-0.022\\*``)."""
    return num(fmt_estimate(value, significant))


#: A no-break space: an interval wraps as one unit in a narrow table column, never after its comma.
NBSP = "\u00a0"
_INTERVAL = re.compile(r"\[([^\[\],\s]+), ([^\[\],\s]+)\]")


def interval(low: float | None, high: float | None, digits: int = 3, scale: float = 1.0, *, wrap: bool = False) -> str:
    """``[low, high]`` (no-break space after the comma unless ``wrap``), or '' when either bound is missing."""
    if low is None or high is None:
        return ""
    space = " " if wrap else NBSP
    return num(f"[{fmt_number(low * scale, digits)},{space}{fmt_number(high * scale, digits)}]")


def metric(value: Metric | None, digits: int = 3, scale: float = 1.0) -> str:
    """A metric's estimate with its bootstrap interval: ``0.370 [0.347, 0.397]``; '-' when missing."""
    if value is None or value.estimate is None:
        return "-"
    text = number(value.estimate * scale, digits)
    bounds = interval(value.interval.low, value.interval.high, digits, scale) if value.interval is not None else ""
    return f"{text} {bounds}" if bounds else text


def with_interval(value: float | int | None, bounds: Interval | None, digits: int = 3) -> str:
    """A recovery total or rate with its bootstrap interval (counts without decimals)."""
    shown = number(value if not isinstance(value, bool) else int(value), digits)
    if bounds is None:
        return shown
    extra = interval(bounds.low, bounds.high, digits)
    return f"{shown} {extra}" if extra else shown


def yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    align: Sequence[str] | None = None,
    caption: str | None = None,
    label: str | None = None,
) -> str:
    """A Pandoc pipe table with an optional caption and cross-reference label (``tbl-...``).

    Cells are Markdown already; ``align`` holds 'left', 'right' or 'center' per column.
    """
    if not rows:
        return ""
    text = tabulate(
        [[str(cell) for cell in row] for row in rows],
        headers=list(headers),
        tablefmt="pipe",
        disable_numparse=True,
        colalign=tuple(align) if align else None,
    )
    if caption:
        text += f"\n\n: {caption}" + (f" {{#{label}}}" if label else "")
    return text


def render_table(model: Table, *, caption: str | None = None) -> str:
    """A presentation-model table as a captioned pipe table; its notes follow as a paragraph.

    Cell text comes from data and is escaped here (:func:`validator.report.escape.md`);
    strong cells are bold. The caption is the table's title unless ``caption`` (Markdown) is given.
    """
    from validator.report.escape import md

    def cell_md(value: Cell) -> str:
        # An interval wraps as one unit, as mdx.interval writes it: a no-break space after its comma.
        text = md(_INTERVAL.sub(lambda m: f"[{m.group(1)},{NBSP}{m.group(2)}]", value.text))
        return f"**{text}**" if value.strong and text and text != "-" else text

    rows = [[cell_md(value) for value in row] for row in model.rows]
    headers = [md(h) for h in model.headers]
    text = table(headers, rows, align=list(model.align) or None, caption=caption if caption is not None else md(model.title), label=f"tbl-{model.key}")
    if model.notes:
        text += "\n\n" + " ".join(md(note) for note in model.notes)
    return text


def figure(stem: str, caption: str, label: str, width: str = "100%") -> str:
    """An image without extension: the renderer adds ``.svg`` (``default-image-extension``) for HTML and PDF alike.

    Quarto and Pandoc both resolve it through ``default-image-extension``.
    """
    return f"![{caption}](figures/{stem}){{#{label} width={width}}}"


def callout(kind: str, title: str, body: str) -> str:
    """A Quarto callout block; the built-in route renders it with reports/simval.lua.

    ``title`` is fixed report text (no quotes); ``body`` is Markdown.
    """
    if kind not in CALLOUT_KINDS:
        raise ValueError(f"unknown callout kind {kind!r}")
    if '"' in title or "\n" in title:
        raise ValueError("a callout title must be one line without double quotes")
    return f'::: {{.callout-{kind} title="{title}"}}\n{body.strip()}\n:::'


def bullets(items: Sequence[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def section(level: int, title: str, label: str) -> str:
    """A heading with a fixed identifier, so no identifier is ever derived from data."""
    return f"{'#' * level} {title} {{#{label}}}"
