"""The prompt template language: only {name} placeholders, never str.format."""

from __future__ import annotations

import pytest

from validator.simulate.template import TemplateError, parse_template


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("You are {age} years old.", {"age": "58"}, "You are 58 years old."),
        ("{a}{b}{a}", {"a": "x", "b": "y"}, "xyx"),
        ("literal {{braces}} and {x}", {"x": "1"}, "literal {braces} and 1"),
        ("{{{x}}}", {"x": "v"}, "{v}"),
        ("no placeholders", {}, "no placeholders"),
        ("{ spaced }", {"spaced": "ok"}, "ok"),
        # a value that looks like a placeholder is inserted as text, never expanded again
        ("{x}", {"x": "{y.__class__}"}, "{y.__class__}"),
        ("[{x}, {y}]", {"x": "1", "y": "2"}, "[1, 2]"),
    ],
)
def test_render_fills_placeholders_with_text(text, values, expected):
    assert parse_template(text).render(values) == expected


def test_placeholders_in_order_of_first_use():
    assert parse_template("{b} {a} {b}").placeholders == ("b", "a")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{x.__class__}", "only {name}"),
        ("{x[0]}", "only {name}"),
        ("{x:>10}", "only {name}"),
        ("{x!r}", "only {name}"),
        ("{0}", "only {name}"),
        ("{}", "only {name}"),
        ("{_private}", "only {name}"),
        ("{a + b}", "only {name}"),
        ("lone { brace", "lone '{'"),
        ("lone } brace", "lone '}'"),
        ("{agee}", "unknown placeholder '{agee}' (did you mean 'age'?)"),
    ],
)
def test_anything_but_a_known_plain_name_is_an_error_naming_the_path(text, message):
    with pytest.raises(TemplateError) as err:
        parse_template(text, known=["age", "x", "a", "b"], source="s.yaml", path="simulation.persona")
    assert message in str(err.value)
    assert str(err.value).startswith("s.yaml, at simulation.persona: ")
