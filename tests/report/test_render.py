"""Choosing the renderer, Quarto's command lines (through a fake quarto), and failures that keep the sources."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from validator.cli.main import main
from validator.report.render import QUARTO_ENV, RenderError, find_renderer, quarto_command

FAKE_QUARTO = """#!{python}
import json, os, sys
from pathlib import Path
log = Path({log!r})
with log.open("a") as handle:
    handle.write(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd()}}) + "\\n")
if sys.argv[1:] == ["--version"]:
    print("9.9.9")
    sys.exit(0)
if {fail!r}:
    sys.stderr.write("ERROR: compilation failed\\nerror: unknown font family: Imaginary Sans\\n")
    sys.exit(1)
target = {{"html": "html", "typst": "pdf"}}[sys.argv[sys.argv.index("--to") + 1]]
Path(Path(sys.argv[2]).stem + "." + target).write_text("rendered")
"""


def fake_quarto(folder: Path, *, fail: bool = False) -> tuple[Path, Path]:
    """A stand-in 'quarto' executable that logs its arguments (and fails when asked)."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "calls.jsonl"
    exe = folder / "quarto"
    exe.write_text(FAKE_QUARTO.format(python=sys.executable, log=str(log), fail=fail), encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return exe, log


def calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


@pytest.fixture()
def no_quarto(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin") + os.pathsep + os.path.dirname(sys.executable))
    monkeypatch.delenv(QUARTO_ENV, raising=False)


@pytest.mark.parametrize(("fmt", "target"), [("html", "html"), ("pdf", "typst")])
def test_quarto_command_line(fmt, target):
    assert quarto_command("/opt/quarto/bin/quarto", Path("/r/run/report.qmd"), fmt) == ["/opt/quarto/bin/quarto", "render", "report.qmd", "--to", target]


def test_builtin_route_without_quarto(no_quarto):
    renderer = find_renderer()
    assert renderer.route == "builtin"
    assert "Pandoc" in renderer.description and "typst" in renderer.description.lower()


def test_quarto_on_path_is_preferred(monkeypatch, tmp_path):
    exe, _ = fake_quarto(tmp_path / "bin")
    monkeypatch.setenv("PATH", str(exe.parent) + os.pathsep + os.environ["PATH"])
    monkeypatch.delenv(QUARTO_ENV, raising=False)
    renderer = find_renderer()
    assert (renderer.route, renderer.executable) == ("quarto", str(exe))
    assert "9.9.9" in renderer.description


@pytest.mark.parametrize("value", ["none", "off", "0"])
def test_simval_quarto_none_forces_the_builtin_route(monkeypatch, tmp_path, value):
    exe, _ = fake_quarto(tmp_path / "bin")
    monkeypatch.setenv("PATH", str(exe.parent) + os.pathsep + os.environ["PATH"])
    monkeypatch.setenv(QUARTO_ENV, value)
    assert find_renderer().route == "builtin"


def test_simval_quarto_naming_nothing_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv(QUARTO_ENV, str(tmp_path / "missing" / "quarto"))
    with pytest.raises(RenderError, match="SIMVAL_QUARTO names .* not an executable file"):
        find_renderer()


def test_quarto_route_runs_quarto_render_per_format(monkeypatch, tmp_path, demo_result):
    from validator.report import build_reports

    exe, log = fake_quarto(tmp_path / "elsewhere")
    monkeypatch.setenv(QUARTO_ENV, str(exe))
    reports = build_reports(demo_result, tmp_path / "out")
    (run,) = reports.runs
    renders = [c for c in calls(log) if c["argv"] != ["--version"]]
    assert [c["argv"] for c in renders] == [["render", "report.qmd", "--to", "html"], ["render", "report.qmd", "--to", "typst"]]
    # Quarto renders in the run's staging folder beside its place, which then replaces the run folder whole.
    assert all(Path(c["cwd"]).parent == run.directory.parent and Path(c["cwd"]).name.startswith(f".{run.directory.name}.") for c in renders)
    assert run.html == run.directory / "report.html" and run.pdf == run.directory / "report.pdf"
    # Quarto gets the SVG figures, which serve the HTML and the Typst PDF alike.
    assert list((run.directory / "figures").glob("*.svg")) and not list((run.directory / "figures").glob("*.png"))


def test_failed_render_keeps_the_sources_and_says_why(monkeypatch, tmp_path, demo_result):
    from validator.report import build_reports

    exe, _ = fake_quarto(tmp_path / "bin", fail=True)
    monkeypatch.setenv(QUARTO_ENV, str(exe))
    with pytest.raises(RenderError) as caught:
        build_reports(demo_result, tmp_path / "out", formats="html")
    message = str(caught.value)
    assert message.startswith("the report could not be rendered (sim_unfinetuned_synthetic/report.qmd to HTML) with Quarto 9.9.9")
    assert "failed with exit code 1" in message and "unknown font family: Imaginary Sans" in message
    assert caught.value.exit_code == 2
    folder = tmp_path / "out" / "sim_unfinetuned_synthetic"
    assert (folder / "report.qmd").is_file() and (folder / "results.json").is_file()
    assert list((folder / "figures").glob("*.svg"))


def test_broken_typst_source_reports_typst_error(monkeypatch, tmp_path, demo_run, no_quarto):
    """A Typst failure on the built-in route names the file and line, and leaves the .typ to debug with."""
    import shutil

    from validator.report.render import RenderJob

    folder = tmp_path / "run"
    shutil.copytree(demo_run.directory, folder, ignore=shutil.ignore_patterns("report.html", "report.pdf"))
    qmd = folder / "report.qmd"
    # A raw Typst block that does not compile: the renderer's own error must come through.
    qmd.write_text(qmd.read_text(encoding="utf-8") + "\n\n```{=typst}\n#undefined-function()\n```\n", encoding="utf-8")
    job = RenderJob(qmd, ("html", "pdf"), find_renderer("builtin"))
    job.start()
    outputs, failures = job.finish()
    assert set(outputs) == {"html"}
    (failure,) = failures
    assert failure.format == "pdf" and "typst could not compile report.typ" in failure.message
    assert "unknown variable: undefined-function" in failure.message + failure.detail
    assert (folder / "report.typ").is_file()


def test_cli_render_failure_exits_2_with_a_clear_message(monkeypatch, tmp_path, demo_paths, capsys):
    exe, _ = fake_quarto(tmp_path / "bin", fail=True)
    monkeypatch.setenv(QUARTO_ENV, str(exe))
    out = tmp_path / "out"
    code = main(["check", str(demo_paths["human"]), str(demo_paths["unfinetuned"]), "--bootstrap", "0", "--quiet", "--report", str(out), "--format", "pdf"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("simval: error: the report could not be rendered (sim_unfinetuned_synthetic/report.qmd to PDF)")
    assert "unknown font family: Imaginary Sans" in err
    assert (out / "sim_unfinetuned_synthetic" / "report.qmd").is_file()


# --- the PDF as poppler reads it --------------------------------------------------------------------------------

MARK_INFO = b"<</Type/Catalog/MarkInfo<</Marked true/Suspects false>>/Lang(en)>>"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (MARK_INFO, b"<</Type/Catalog/MarkInfo<</Marked true" + b" " * 15 + b">>/Lang(en)>>"),
        (b"<</MarkInfo<</Marked true/Suspects true>>>>", b"<</MarkInfo<</Marked true/Suspects true>>>>"),  # true is left alone
        (b"<</Type/Catalog/Lang(en)>>", b"<</Type/Catalog/Lang(en)>>"),  # no MarkInfo
    ],
)
def test_false_suspects_is_blanked_in_place(tmp_path, data, expected):
    from validator.report.render import _strip_false_suspects

    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(data)
    _strip_false_suspects(pdf)
    assert pdf.read_bytes() == expected
    assert len(expected) == len(data)  # same length: the cross-reference offsets stay right


def poppler_stderr(pdf: Path) -> str:
    """What pdfinfo and pdftotext say on standard error about ``pdf``."""
    import subprocess

    out = [subprocess.run([tool, str(pdf), *extra], capture_output=True, text=True, check=False).stderr for tool, extra in (("pdfinfo", []), ("pdftotext", ["-"]))]
    return "".join(out)


def test_pdf_reads_without_poppler_warnings(demo_run):
    import shutil

    if shutil.which("pdfinfo") is None or shutil.which("pdftotext") is None:
        pytest.skip("poppler (pdfinfo, pdftotext) is not installed")
    stderr = poppler_stderr(demo_run.pdf)
    assert "Syntax Error" not in stderr and "Syntax Warning" not in stderr, stderr


LONG_TABLE_ROWS = 150


def test_a_long_table_runs_on_over_pages(tmp_path, no_quarto):
    """Rows beyond a page continue on the next (header repeated), never drawn over each other at the page foot."""
    from pypdf import PdfReader

    from validator.report.render import render_document

    rows = "\n".join(f"| m{i // 9} | row{i:03d}end | {i * 0.01:.3f} |" for i in range(LONG_TABLE_ROWS))
    qmd = tmp_path / "report.qmd"
    qmd.write_text(f"---\ntitle: 'Long table'\n---\n\n# Coefficients {{#sec-a}}\n\nEvery coefficient.\n\n| model | term | b |\n|:--|:--|--:|\n{rows}\n\n: Every row. {{#tbl-long}}\n", encoding="utf-8")
    outputs, failures = render_document(qmd, ("pdf",), find_renderer("builtin"))
    assert failures == []
    pages = [page.extract_text() or "" for page in PdfReader(str(outputs["pdf"])).pages]
    per_page = [re.findall(r"row(\d{3})end", text) for text in pages]
    assert [int(n) for page in per_page for n in page] == list(range(LONG_TABLE_ROWS))  # each row once, in order
    assert sum(1 for page in per_page if page) >= 2
    assert max(len(page) for page in per_page) <= 80  # an A4 page holds about 70 such rows
    assert all("term" in text for text, page in zip(pages, per_page) if page)  # the header row on every page


def test_long_words_wrap_in_typst_without_added_characters(tmp_path):
    """A long name becomes boxes Typst may break between; no zero-width space or other character is added."""
    from validator.report.render import _assets, _pandoc_path

    source = tmp_path / "t.md"
    name = "sim_finetuned_balanced_synthetic_run.csv"
    digest = "1de2e38a3f02ce7f5af0315d55d3c2ab941e79046c93d3769fc1c845bcc5a304"
    source.write_text(f"| file | hash |\n|:--|:--|\n| {name.replace('_', chr(92) + '_')} | `{digest}` |\n\nInterval 0.370 [0.347,\u00a00.397].\n", encoding="utf-8")
    typst = subprocess.run(
        [_pandoc_path(), str(source), "--to", "typst", "--lua-filter", str(_assets() / "simval.lua")], capture_output=True, text=True, check=True
    ).stdout
    boxes = re.findall(r"#box\[(.*?)\]", typst)
    assert "".join(b.replace("\\", "") for b in boxes if not b.startswith("`")) == name
    assert "".join(b.strip("`") for b in boxes if b.startswith("`")) == digest
    assert "\u200b" not in typst
    assert "\\[0.347,~0.397\\]" in typst  # numbers and intervals are never split (~: Typst's no-break space)
