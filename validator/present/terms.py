"""Readable names for formula terms: ``race[black]`` where the formula says
``C(race, levels=[...])[T.black]``.

The JSON keeps the full formula term; everything a person reads goes through
:func:`readable_term`.
"""

from __future__ import annotations

import re

_CALL = re.compile(r"^C\(\s*([A-Za-z_][A-Za-z0-9_.]*)\s*[,)]")
_TREATMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)\[T\.(.*)\]$")
_INTEGER_FLOAT = re.compile(r"^(-?\d+)\.0$")


def _level(text: str) -> str:
    match = _INTEGER_FLOAT.match(text)
    return match.group(1) if match else text


def readable_term(term: str) -> str:
    """A formula term as a researcher writes it.

    >>> readable_term("C(race, levels=['white', 'black'])[T.black]")
    'race[black]'
    >>> readable_term("C(position)[T.2.0]")
    'position[2]'
    >>> readable_term("valuation[T.V2]")
    'valuation[V2]'
    >>> readable_term("C(a)[T.x]:b")
    'a[x]:b'
    >>> readable_term("belief_t1")
    'belief_t1'
    """
    parts = term.split(":")
    if len(parts) > 1:
        return ":".join(readable_term(part) for part in parts)
    call = _CALL.match(term)
    if call:
        closing = _closing_paren(term)
        rest = term[closing + 1 :] if closing is not None else ""
        if rest.startswith("[") and rest.endswith("]"):
            level = rest[1:-1]
            level = level[2:] if level.startswith("T.") else level
            return f"{call.group(1)}[{_level(level)}]"
        return term
    match = _TREATMENT.match(term)
    if match:
        return f"{match.group(1)}[{_level(match.group(2))}]"
    return term


def _closing_paren(term: str) -> int | None:
    """Index of the parenthesis closing the call that opens ``term`` (quotes respected)."""
    depth, quote = 0, ""
    for index, char in enumerate(term):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
    return None


def readable_level(value: str) -> str:
    """A breakdown level as text: ``'1'`` for the float ``'1.0'``.

    >>> readable_level("1.0"), readable_level("white")
    ('1', 'white')
    """
    return _level(value)
