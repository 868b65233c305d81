"""Choosing the renderer, Quarto's command lines (through a fake quarto), and failures that keep the sources."""

from __future__ import annotations

import json
import os
import stat
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
    # Quarto gets both figure formats, whichever outputs were asked for.
    assert list((run.directory / "figures").glob("*.png")) and list((run.directory / "figures").glob("*.svg"))


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
