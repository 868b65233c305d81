"""Escaping for Markdown, YAML, HTML, Typst and matplotlib, checked against the tools that read the text."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from validator.report.escape import html, md, md_code, mpl, safe_name, typst_markup, typst_string, yaml_md

HOSTILE = [
    "<script>alert(1)</script>",
    "#set page(width: 1pt)",
    "a | b * c _d_ `e` [f](g) $h$ @i ^j^ ~k~ {{< pagebreak >}}",
    "1. not a list",
    "- not a bullet",
    "# not a heading",
    "back\\slash & ampersand &amp; 'quotes' \"double\"",
    "line\nbreak\r\nand\ttab",
]


def pandoc_ast(markdown: str) -> dict:
    import pypandoc

    out = subprocess.run([pypandoc.get_pandoc_path(), "-f", "markdown", "-t", "json"], input=markdown, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def plain_text(node: object) -> str:
    """The text of a Pandoc AST fragment: Str contents and spaces."""
    if isinstance(node, dict):
        kind = node.get("t")
        if kind == "Str":
            return node["c"]
        if kind in ("Space", "SoftBreak"):
            return " "
        if kind in ("RawInline", "RawBlock"):
            raise AssertionError(f"raw {node['c'][0]} passed through: {node['c'][1]!r}")
        if kind in ("Emph", "Strong", "Link", "Code", "Math", "Cite", "Superscript", "Subscript", "Strikeout", "Span", "Quoted"):
            raise AssertionError(f"markup {kind} was created")
        return plain_text(node.get("c", ""))
    if isinstance(node, list):
        return "".join(plain_text(item) for item in node)
    return ""


@pytest.mark.parametrize("text", HOSTILE)
def test_md_is_read_back_as_the_same_text(text):
    ast = pandoc_ast(f"Before {md(text)} after\n")
    (para,) = ast["blocks"]
    assert para["t"] == "Para"
    expected = " ".join(text.split())
    assert plain_text(para["c"]) == f"Before {expected} after"


@pytest.mark.parametrize("text", HOSTILE)
def test_md_in_a_table_cell_stays_in_its_cell(text):
    ast = pandoc_ast(f"| a | b |\n|---|---|\n| {md(text)} | x |\n")
    (table,) = ast["blocks"]
    assert table["t"] == "Table"
    body_rows = table["c"][4][0][3]
    cells = body_rows[0][1]
    assert len(cells) == 2
    assert plain_text(cells[0][4]) == " ".join(text.split())


@pytest.mark.parametrize("text", HOSTILE)
def test_yaml_md_title_round_trips(text):
    ast = pandoc_ast(f"---\ntitle: {yaml_md(text)}\n---\n\nbody\n")
    assert plain_text(ast["meta"]["title"]["c"]) == " ".join(text.split())


@pytest.mark.parametrize("text", ["`tick`", "a``b", "plain", "<script>"])
def test_md_code_is_literal(text):
    ast = pandoc_ast(f"x {md_code(text)} y\n")
    codes = [node for node in ast["blocks"][0]["c"] if node["t"] == "Code"]
    assert [code["c"][1] for code in codes] == [text]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("<script>", "&lt;script&gt;"), ('a "b" & \'c\'', "a &quot;b&quot; &amp; &#x27;c&#x27;"), ("plain", "plain")],
)
def test_html(text, expected):
    assert html(text) == expected


@pytest.mark.parametrize("text", HOSTILE[:3] + ['quote " and backslash \\'])
def test_typst_escapes_show_the_text(text, tmp_path):
    """Typst compiles the escaped markup and string to a PDF whose text is the input, on an A4 page."""
    import typst
    from pypdf import PdfReader

    source = tmp_path / "t.typ"
    source.write_text(f'#set page(paper: "a4")\n{typst_markup(text)}\n\n#text({typst_string(text)})\n', encoding="utf-8")
    typst.compile(str(source), output=str(tmp_path / "t.pdf"))
    reader = PdfReader(str(tmp_path / "t.pdf"))
    assert len(reader.pages) == 1 and round(float(reader.pages[0].mediabox.width)) == 595
    lines = [" ".join(line.split()) for line in (reader.pages[0].extract_text() or "").splitlines()]
    assert lines.count(" ".join(text.split())) == 2


@pytest.mark.parametrize(("text", "expected"), [("$x$ and $y$", r"\$x\$ and \$y\$"), ("two\nlines", "two lines")])
def test_mpl(text, expected):
    assert mpl(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/data/sim run#1.csv", "sim_run_1"),
        ("C:\\runs\\gpt-4.1.parquet", "gpt-4.1"),
        ("<script>.csv", "script"),
        ("Ünïcödé.csv", "Unicode"),
        ("....", "run"),
        ("-", "run"),
    ],
)
def test_safe_name(text, expected):
    assert safe_name(text) == expected


@pytest.mark.parametrize(
    "text",
    ["simval check {{< env HOME >}}.csv", "{{% include secrets.md %}}", "a {{ < env HOME > }} b", "{{<include /etc/passwd>}}"],
)
def test_code_from_data_never_holds_a_quarto_shortcode(text: str) -> None:
    from validator.report.escape import md_code

    out = md_code(text)
    assert not re.search(r"\{\{\s*[<%]", out)
    assert out.startswith("[") and out.endswith("]{.code}")


def test_qmd_from_data_holds_no_shortcode_or_raw_block(tmp_path, demo_result) -> None:
    """A file named like a shortcode, on the command line and as a run label, reaches report.qmd as text."""
    from dataclasses import replace

    from validator.report import build_reports

    hostile = "{{< env HOME >}} ```{=html} <script>x</script>.csv"
    first = demo_result.simulations[0]
    sim = replace(first, dataset=replace(first.dataset, label=hostile))
    result = replace(demo_result, simulations=(sim,))
    reports = build_reports(result, tmp_path / "out", formats=("html",), command=["simval", "check", "h.csv", hostile], renderer="builtin")
    qmd = reports.runs[0].qmd.read_text(encoding="utf-8")
    assert not re.search(r"\{\{\s*[<%]", qmd)
    assert "{=html}" not in qmd.replace("\\{=html\\}", "").replace("\\{\\=html\\}", "")
    assert "<script>" not in qmd
