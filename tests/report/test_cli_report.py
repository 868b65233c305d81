"""``simval check --report DIR --format ...`` through the console script's main()."""

from __future__ import annotations

import json

import pytest

from validator.cli.main import main
from validator.report.render import QUARTO_ENV


@pytest.fixture(autouse=True)
def builtin_route(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(QUARTO_ENV, "none")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--report", "OUT", "--format", "docx"], "--format: unknown report format 'docx'; choose from html, pdf (e.g. --format html,pdf)"),
        (["--format", "html"], "--format chooses the outputs of --report DIR; give --report too"),
    ],
)
def test_bad_report_options_fail_before_the_check(extra, message, demo_paths, tmp_path, capsys):
    args = [a.replace("OUT", str(tmp_path / "out")) for a in extra]
    code = main(["check", str(demo_paths["human"]), str(demo_paths["unfinetuned"]), "--bootstrap", "0", *args])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == f"simval: error: {message}\n"
    assert captured.out == ""  # nothing was checked
    assert not (tmp_path / "out").exists()


def test_report_html_only(demo_paths, tmp_path, capsys):
    out = tmp_path / "reports"
    code = main(["check", str(demo_paths["human"]), str(demo_paths["unfinetuned"]), "--bootstrap", "0", "--quiet", "--report", str(out), "--format", "html"])
    captured = capsys.readouterr()
    assert code == 0
    folder = out / "sim_unfinetuned_synthetic"
    assert f"report sim_unfinetuned_synthetic: {folder / 'report.html'}\n" in captured.out
    assert (folder / "report.html").is_file() and not (folder / "report.pdf").exists()
    assert not list((folder / "figures").glob("*.png"))  # the PDF's figures are not drawn when no PDF is asked for
    assert "--report" in (folder / "report.qmd").read_text(encoding="utf-8")  # the command line, in reproducibility


def test_report_lines_go_to_stderr_when_json_is_on_stdout(demo_paths, tmp_path, capsys):
    out = tmp_path / "reports"
    code = main(["check", str(demo_paths["human"]), str(demo_paths["unfinetuned"]), "--bootstrap", "0", "--json", "-", "--report", str(out), "--format", "html"])
    captured = capsys.readouterr()
    assert code == 0
    assert json.loads(captured.out)["schema_version"] == "2"
    assert "report sim_unfinetuned_synthetic:" in captured.err
