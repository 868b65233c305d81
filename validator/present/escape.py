"""The terminal's one escaping layer: data-derived text made visible, harmless and short.

A value from a data file, a spec or a file name may hold ANSI or OSC escape
sequences (which recolour the terminal, set its title, write hyperlinks or, on some
terminals, answer back), other C0 and C1 control characters, or Unicode bidi
controls that reorder what the reader sees. :func:`terminal_text` replaces each
such character with a visible escape (``\\x1b``, ``\\n``, ``\\u202e``) so the
sequence prints as text and does nothing, and shortens long values to
:data:`~validator.limits.PRINTED_VALUE_CHARS_MAX` characters with a
"... (N more characters)" marker. :func:`terminal_block` does the same to a whole
block of output, keeping its line breaks and tabs. :func:`first_lines` caps a
listing at :data:`~validator.limits.PRINTED_LINES_MAX` lines with "... (N more)".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from validator.limits import PRINTED_LINES_MAX, PRINTED_VALUE_CHARS_MAX

__all__ = ["first_lines", "terminal_block", "terminal_text"]

# C0 controls, DEL, C1 controls, and the Unicode format characters that reorder or hide text.
_CONTROL = "\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
_UNSAFE = re.compile(f"[{_CONTROL}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

#: Longest line of a block (an error message, a table row) printed whole.
BLOCK_LINE_CHARS_MAX = 4 * PRINTED_VALUE_CHARS_MAX


def _visible(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit:,} more characters)"


def terminal_text(value: object, limit: int = PRINTED_VALUE_CHARS_MAX) -> str:
    """One value as it may be printed: control characters escaped, at most ``limit`` characters.

    >>> terminal_text("red\\x1b[31m\\nnext")
    'red\\\\x1b[31m\\\\nnext'
    >>> terminal_text("x" * 250)[-24:]
    '... (50 more characters)'
    """
    return _UNSAFE.sub(_visible, _shorten(str(value), limit))


def terminal_block(text: str, line_limit: int = BLOCK_LINE_CHARS_MAX) -> str:
    """A block of output (many lines) as it may be printed: line breaks and tabs kept, every other
    control character escaped, each line at most ``line_limit`` characters."""
    lines = text.split("\n")
    return "\n".join(_BLOCK_UNSAFE.sub(_visible, _shorten(line, line_limit)) for line in lines)


def first_lines(lines: Sequence[str], limit: int = PRINTED_LINES_MAX, *, what: str = "") -> list[str]:
    """At most ``limit`` of ``lines``, then a "... (N more)" line naming how many were left out."""
    if len(lines) <= limit:
        return list(lines)
    return [*lines[:limit], f"... ({len(lines) - limit:,} more{f' {what}' if what else ''})"]


# In a block, tab and line feed stay (they are the layout); everything else is escaped.
_BLOCK_UNSAFE = re.compile(f"[{_CONTROL.replace(chr(0) + '-' + chr(0x1f), chr(0) + '-' + chr(8) + chr(0x0b) + '-' + chr(0x1f))}]")
