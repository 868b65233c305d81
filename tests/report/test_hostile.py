"""Labels from data and spec that mean something to a renderer come out as text in Markdown, HTML and PDF."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SCRIPT = "<script>alert(1)</script>"
TYPST = "#set page(width: 1pt)"
PIPE = "plain | pipe *star*"
GROUPS = [SCRIPT, TYPST, PIPE]

SPEC = f"""\
simval_spec: 1
name: hostile
title: "Hostile <b>title</b> {TYPST}"
alpha: 0.05
columns:
  group:
    type: categorical
    values: {json.dumps(GROUPS)}
  x:
    type: numeric
  y:
    type: numeric
models:
  - id: m1
    label: "y on x <i>italic</i> $math$"
    family: ols
    formula: y ~ x
distributions:
  variables:
    - {{name: group}}
    - {{name: y, bins: {{start: -4, stop: 4, count: 4}}}}
  breakdowns: [group]
  min_group_size: 5
heterogeneity:
  - name: patterns
    columns: [group]
uncertainty:
  bootstrap: 0
  level: 0.95
  equal_n_draws: 20
"""


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory):
    import validator
    from validator.report import build_reports

    folder = tmp_path_factory.mktemp("hostile")
    (folder / "spec.yaml").write_text(SPEC, encoding="utf-8")
    rng = np.random.default_rng(7)
    paths = []
    for name in ("human.csv", "sim #set [x] <i>.csv"):
        x = rng.normal(size=60)
        frame = pd.DataFrame({"group": rng.choice(GROUPS, 60), "x": x.round(3), "y": (0.5 * x + rng.normal(size=60)).round(3)})
        frame.to_csv(folder / name, index=False)
        paths.append(folder / name)
    result = validator.check(paths[0], [paths[1]], spec=folder / "spec.yaml")
    reports = build_reports(result, folder / "out", renderer="builtin")
    (run,) = reports.runs
    return run


def test_run_folder_name_is_safe(hostile_run):
    assert hostile_run.directory.name == "sim_set_x_i"


def test_markdown_has_no_raw_html_or_typst(hostile_run):
    import pypandoc

    ast = subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", "markdown", "-t", "json", str(hostile_run.qmd)], capture_output=True, text=True, check=True
    ).stdout
    raw = re.findall(r'"t":"Raw(?:Inline|Block)","c":\["([a-z]+)","((?:[^"\\]|\\.)*)"', ast)
    # Only the template's own HTML comment is raw; every label was read as text.
    assert [content for fmt, content in raw if fmt != "html" or not content.startswith("<!--")] == []
    strings = "".join(re.findall(r'"t":"Str","c":"((?:[^"\\]|\\.)*)"', ast))
    assert "<script>alert(1)</script>" in json.loads(f'"{strings}"')


def test_html_shows_the_labels_as_text(hostile_run):
    from html.parser import HTMLParser

    class Page(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[str] = []
            self.text: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)

        def handle_data(self, data):
            self.text.append(data)

    page = Page()
    page.feed(hostile_run.html.read_text(encoding="utf-8"))
    assert "script" not in page.tags and "b" not in page.tags and "i" not in page.tags
    text = "".join(page.text)
    for label in (*GROUPS, "Hostile <b>title</b>", "<i>italic</i> $math$", "sim #set [x] <i>.csv"):
        assert label in text, label


def test_pdf_shows_the_labels_on_a4_pages(hostile_run):
    from pypdf import PdfReader

    reader = PdfReader(str(hostile_run.pdf))
    assert {round(float(page.mediabox.width)) for page in reader.pages} == {595}
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    flat = " ".join(text.split())
    for label in (SCRIPT, TYPST, PIPE, "sim #set [x] <i>.csv", "<i>italic</i> $math$"):
        assert label in flat, label


def test_svg_figures_escape_the_labels(hostile_run):
    svg = (Path(hostile_run.directory) / "figures" / "distributions.svg").read_text(encoding="utf-8")
    assert "<script" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
