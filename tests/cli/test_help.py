"""Every ``--help`` of the console script reads as plain text (no argparse escapes left in it)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from validator.cli.main import build_parser


def _parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, (*path, name))


PARSERS = list(_parsers(build_parser()))


@pytest.mark.parametrize(("path", "parser"), PARSERS, ids=[" ".join(p) or "simval" for p, _ in PARSERS])
def test_help_prints_no_doubled_percent_sign(path: tuple[str, ...], parser: argparse.ArgumentParser) -> None:
    # argparse %-formats an argument's help but not a description: "95%%" in a description is printed as is.
    assert "%%" not in parser.format_help()


def test_gates_suggest_help_says_95_percent() -> None:
    help_text = dict(PARSERS)[("gates", "suggest")].format_help()
    assert "95% of the pairs pass jointly" in " ".join(help_text.split())
