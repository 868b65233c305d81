"""The terminal's escaping layer: data-derived text prints as visible text, short."""

from __future__ import annotations

import pytest

from validator.limits import PRINTED_LINES_MAX, PRINTED_VALUE_CHARS_MAX
from validator.present.escape import first_lines, terminal_block, terminal_text

CASES = [
    ("ANSI colour", "a\x1b[31mred", "a\\x1b[31mred"),
    ("OSC title with BEL", "\x1b]0;pwned\x07x", "\\x1b]0;pwned\\x07x"),
    ("OSC 8 hyperlink with ST", "\x1b]8;;http://e\x1b\\link", "\\x1b]8;;http://e\\x1b\\link"),
    ("C1 CSI", "a\x9b31m", "a\\x9b31m"),
    ("NUL and DEL", "a\x00b\x7f", "a\\x00b\\x7f"),
    ("line break in a value", "a\nb\rc\td", "a\\nb\\rc\\td"),
    ("bidi override", "abc\u202edcba", "abc\\u202edcba"),
    ("plain text and unicode", "Ünïcødé 名前 ok", "Ünïcødé 名前 ok"),
]


@pytest.mark.parametrize(("raw", "shown"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_control_characters_become_visible_escapes(raw: str, shown: str) -> None:
    assert terminal_text(raw) == shown


def test_long_values_are_shortened_with_a_count() -> None:
    out = terminal_text("x" * 1_000_000)
    assert out == "x" * PRINTED_VALUE_CHARS_MAX + f"... ({1_000_000 - PRINTED_VALUE_CHARS_MAX:,} more characters)"


def test_a_block_keeps_its_layout_and_escapes_the_rest() -> None:
    assert terminal_block("col\tcol\nrow \x1b[2J\x00") == "col\tcol\nrow \\x1b[2J\\x00"
    assert len(terminal_block("y" * 100_000)) < 1000


def test_listings_end_with_how_many_were_left_out() -> None:
    lines = [str(i) for i in range(PRINTED_LINES_MAX + 5)]
    assert first_lines(lines, what="rows")[-1] == "... (5 more rows)"
    assert first_lines(lines[:3]) == lines[:3]
