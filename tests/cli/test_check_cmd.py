"""``simval check`` says when it used the default spec: a file of another study fails on hunt2025's columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from validator.cli.main import main

GSS = Path(__file__).resolve().parents[2] / "examples" / "gss2024" / "data"
HINT = "(using the default spec hunt2025; pass --spec)"


@pytest.mark.parametrize(
    ("options", "hinted"),
    [
        ([], True),  # no --spec: the default was used, say so
        (["--spec", "hunt2025"], False),  # asked for explicitly: the plain message
    ],
)
def test_a_missing_column_names_the_default_spec_only_when_it_was_the_default(
    options: list[str], hinted: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", str(GSS / "gss_wide.csv"), str(GSS / "openai_gpt-5_wide.csv"), *options])
    err = capsys.readouterr().err
    assert code == 2
    assert "the required column 'ethnicity'" in err
    assert (HINT in err) is hinted
    assert len(err.strip().splitlines()) == 1


def test_a_missing_file_is_not_blamed_on_the_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(tmp_path / "absent.csv"), str(tmp_path / "sim.csv")])
    err = capsys.readouterr().err
    assert code == 2
    assert "file not found" in err and HINT not in err
