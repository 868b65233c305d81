"""Parse a model's reply (bracketed arrays) into the study's columns, and write human answers back.

The reference study asks for every answer as a bracketed array: ``[1]`` for a
choice, ``[30, 20, 50]`` for beliefs, ``[cost, risk]`` for free text. A reply is
read as follows.

1. The top-level bracketed arrays are collected in order. Brackets nest, and
   inside an element that starts with a quote (``"``, ``'`` or a curly quote)
   brackets and commas are text. A reply holding exactly one array whose
   elements are all arrays (``[[30, 20, 50], [cost], [1], [why]]``) is unwrapped.
2. There must be exactly as many arrays as the turn expects, else the reply
   is malformed (too few, too many, or an unclosed bracket).
3. Each array is read by its :class:`AnswerItem`: a ``choice`` has one element
   among the accepted answers (case-insensitive; quotes, a trailing period and
   surrounding spaces ignored); ``numbers`` has one number per column (a
   trailing ``%`` is allowed), each within the column's range, whole where the
   column is whole, summing to ``total`` within ``tolerance``; ``text`` is the
   array's content as written (quotes around a single element removed).

A malformed reply raises :class:`AnswerError` with a one-line reason; the
runner retries it and, past the limit, records it as failed with the raw text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from validator.simulate.model import AnswerItem

__all__ = ["AnswerError", "BracketGroup", "find_arrays", "parse_reply", "render_reply", "format_number"]

_OPEN_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z")


class AnswerError(ValueError):
    """A reply that cannot be read as the expected bracketed arrays; ``str()`` says why."""


@dataclass(frozen=True)
class BracketGroup:
    """One top-level ``[...]``: its inner text and its top-level elements (stripped)."""

    inner: str
    elements: tuple[str, ...]


def find_arrays(text: str) -> list[BracketGroup]:
    """The top-level bracketed arrays of ``text``, in order.

    Raises :class:`AnswerError` for an array that is never closed.

    >>> [g.elements for g in find_arrays('beliefs: [30, 20, 50] and ["a, b"]')]
    [('30', '20', '50'), ('"a, b"',)]
    """
    groups: list[BracketGroup] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] != "[":
            i += 1
            continue
        start = i + 1
        depth = 1
        elements: list[str] = []
        element_start = start
        at_element_start = True
        quote: str | None = None
        i += 1
        while i < n and depth:
            ch = text[i]
            if quote is not None:
                if ch == "\\":
                    i += 2
                    continue
                if ch == quote:
                    quote = None
            elif at_element_start and depth == 1 and ch in _OPEN_QUOTES:
                quote = _OPEN_QUOTES[ch]
                at_element_start = False
            elif ch == "[":
                depth += 1
                at_element_start = False
            elif ch == "]":
                depth -= 1
                if depth == 0:
                    elements.append(text[element_start:i].strip())
                    break
            elif ch == "," and depth == 1:
                elements.append(text[element_start:i].strip())
                element_start = i + 1
                at_element_start = True
            elif not ch.isspace():
                at_element_start = False
            i += 1
        if depth:
            raise AnswerError(f"a bracket opened at character {start} is never closed")
        inner = text[start:i]
        if elements == [""]:
            elements = []
        groups.append(BracketGroup(inner, tuple(elements)))
        i += 1
    return groups


def parse_reply(text: str | None, items: Sequence[AnswerItem]) -> dict[str, object]:
    """Read one reply into ``{column: value}`` for the turn's ``items`` (see the module docstring)."""
    if text is None or not text.strip():
        raise AnswerError("the reply is empty")
    groups = find_arrays(text)
    if len(items) > 1 and len(groups) == 1:
        nested = find_arrays(groups[0].inner)
        if len(nested) == len(groups[0].elements) and len(nested) == len(items):
            groups = nested
    if len(groups) != len(items):
        if not groups:
            raise AnswerError(f"no bracketed array in the reply; expected {len(items)}")
        raise AnswerError(f"expected {len(items)} bracketed array{'s' if len(items) != 1 else ''}, found {len(groups)}")
    values: dict[str, object] = {}
    for position, (item, group) in enumerate(zip(items, groups), start=1):
        try:
            values.update(_read_item(item, group))
        except AnswerError as exc:
            raise AnswerError(f"array {position} ({item.label}): {exc}") from None
    return values


def _read_item(item: AnswerItem, group: BracketGroup) -> dict[str, object]:
    if item.kind == "text":
        if len(group.elements) == 1:
            return {item.columns[0]: _unquote(group.elements[0])}
        return {item.columns[0]: group.inner.strip()}
    if item.kind == "choice":
        if len(group.elements) != 1:
            raise AnswerError(f"expected one answer, got {len(group.elements)}")
        token = _unquote(group.elements[0]).rstrip(".").strip()
        choices = dict(item.choices)
        value = choices.get(token.casefold())
        if value is None:
            accepted = ", ".join(dict.fromkeys(t for t, _ in item.choices))
            raise AnswerError(f"'{_short(token)}' is not an accepted answer ({accepted})")
        return {item.columns[0]: value}
    if len(group.elements) != len(item.columns):
        raise AnswerError(f"expected {len(item.columns)} number{'s' if len(item.columns) > 1 else ''}, got {len(group.elements)}")
    numbers: dict[str, float] = {}
    for column, element, bounds, whole in zip(item.columns, group.elements, item.ranges or [(None, None)] * len(item.columns), item.integer or [False] * len(item.columns)):
        raw = _unquote(element).rstrip("%").strip()
        if not _NUMBER.match(raw):
            raise AnswerError(f"'{_short(element)}' is not a number")
        number = float(raw)
        if not math.isfinite(number):
            raise AnswerError(f"'{_short(element)}' is not a finite number")
        low, high = bounds
        if (low is not None and number < low) or (high is not None and number > high):
            raise AnswerError(f"{format_number(number)} for {column} is outside [{_bound(low, '-inf')}, {_bound(high, 'inf')}]")
        if whole and number != round(number):
            raise AnswerError(f"{format_number(number)} for {column} is not a whole number")
        numbers[column] = number
    if item.total is not None:
        total = sum(numbers.values())
        if abs(total - item.total) > item.tolerance + 1e-9:
            raise AnswerError(f"the numbers sum to {format_number(total)}, not {format_number(item.total)}")
    return dict(numbers)


def render_reply(items: Sequence[AnswerItem], values: Mapping[str, object]) -> str:
    """The reply a participant with these ``values`` would give: the inverse of :func:`parse_reply`.

    A choice is written with the first accepted answer for its value (the
    spec's ``map`` comes first), numbers with :func:`format_number`, text as
    given (an empty array when the value is missing).

    >>> from validator.simulate.model import AnswerItem
    >>> render_reply([AnswerItem("numbers", ("a", "b"))], {"a": 30.0, "b": 70.0})
    '[30, 70]'
    """
    arrays = []
    for item in items:
        if item.kind == "text":
            value = values.get(item.columns[0])
            arrays.append(f"[{'' if _missing(value) else str(value)}]")
        elif item.kind == "choice":
            value = str(values[item.columns[0]])
            token = next((t for t, v in item.choices if v == value), value)
            arrays.append(f"[{token}]")
        else:
            arrays.append("[" + ", ".join(format_number(float(values[c])) for c in item.columns) + "]")  # type: ignore[arg-type]
    return ", ".join(arrays)


def format_number(value: float) -> str:
    """A number as a person writes it: ``30`` not ``30.0``, ``33.3`` as is."""
    if value == round(value) and abs(value) < 1e15:
        return str(int(round(value)))
    return repr(float(value))


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value) in ("", "<NA>", "nan")


def _unquote(element: str) -> str:
    text = element.strip()
    if len(text) >= 2 and text[0] in _OPEN_QUOTES and text[-1] == _OPEN_QUOTES[text[0]]:
        return text[1:-1].strip()
    return text


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _bound(value: float | None, unbounded: str) -> str:
    return unbounded if value is None else format_number(value)
