"""A safe prompt template language: literal text and ``{name}`` placeholders, nothing else.

A template is parsed once, when the spec is loaded, into literal pieces and
placeholder names. Rendering replaces each placeholder with the text of a named
value and never calls ``str.format``, so a template cannot reach attributes
(``{x.__class__}``), index into values (``{x[0]}``), apply format specs
(``{x:>10}``) or conversions (``{x!r}``), or evaluate anything.

Syntax: ``{name}`` where ``name`` is a variable name (letters, digits and
underscores, not starting with a digit or an underscore); ``{{`` and ``}}`` are
literal braces. Anything else between braces is an error that names the
template's key path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from validator.did_you_mean import did_you_mean
from validator.errors import SpecError

__all__ = ["Template", "parse_template", "TemplateError"]

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


class TemplateError(SpecError):
    """A prompt template does not parse or names a value that does not exist."""


@dataclass(frozen=True)
class Template:
    """A parsed template: ``parts`` alternate literal text (even index) and placeholder names (odd index).

    >>> parse_template("You are {age} years old.").render({"age": "58"})
    'You are 58 years old.'
    """

    text: str
    parts: tuple[str, ...]

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The names used, in order of first appearance."""
        seen: dict[str, None] = {}
        for name in self.parts[1::2]:
            seen.setdefault(name, None)
        return tuple(seen)

    def render(self, values: Mapping[str, str]) -> str:
        """The template with every placeholder replaced by ``values[name]`` (already text)."""
        out = []
        for i, part in enumerate(self.parts):
            out.append(values[part] if i % 2 else part)
        return "".join(out)


def parse_template(
    text: str,
    *,
    known: Sequence[str] | None = None,
    source: str | None = None,
    path: str | None = None,
) -> Template:
    """Parse ``text`` into a :class:`Template`; with ``known``, every placeholder must be one of those names.

    Raises :class:`TemplateError` naming ``source`` and ``path`` for a stray
    brace, a placeholder that is not a plain name, or an unknown name.
    """
    parts: list[str] = []
    literal: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        literal.append(text[position : match.start()])
        position = match.end()
        token = match.group(0)
        if token == "{{":
            literal.append("{")
            continue
        if token == "}}":
            literal.append("}")
            continue
        inner = match.group(1)
        if inner is None:
            raise TemplateError(
                f"a lone '{token}' at character {match.start() + 1}; write '{token * 2}' for a literal brace",
                source=source,
                path=path,
            )
        name = inner.strip()
        if not _NAME.match(name):
            raise TemplateError(
                f"'{{{inner}}}' is not a placeholder: only {{name}} with a plain variable name is allowed "
                "(no attributes, indexes, format specs or expressions)",
                source=source,
                path=path,
            )
        if known is not None and name not in known:
            raise TemplateError(
                f"unknown placeholder '{{{name}}}' ({did_you_mean(name, known)})", source=source, path=path
            )
        parts.append("".join(literal))
        parts.append(name)
        literal = []
    literal.append(text[position:])
    parts.append("".join(literal))
    return Template(text=text, parts=tuple(parts))
