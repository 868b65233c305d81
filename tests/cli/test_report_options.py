"""The line after the report paths names the tools that rendered the formats asked for."""

from __future__ import annotations

import pytest

from validator.cli.report_options import rendered_with

BUILTIN = "built-in: Pandoc 3.6 (pypandoc-binary) and Typst (typst 0.14.0)"


@pytest.mark.parametrize(
    ("description", "formats", "line"),
    [
        (BUILTIN, ("html", "pdf"), BUILTIN),
        (BUILTIN, ("pdf",), BUILTIN),
        (BUILTIN, ("html",), "built-in: Pandoc 3.6 (pypandoc-binary)"),  # no Typst without a PDF
        ("Quarto 1.6.1 (/usr/bin/quarto)", ("html",), "Quarto 1.6.1 (/usr/bin/quarto)"),
    ],
)
def test_an_html_only_render_does_not_claim_typst(description: str, formats: tuple[str, ...], line: str) -> None:
    assert rendered_with(description, formats) == line
