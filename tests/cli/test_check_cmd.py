"""``simval check`` says what it could not do: the default spec it used, a spec without models."""

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


@pytest.fixture
def spec_without_models(tmp_path: Path) -> Path:
    import yaml

    from validator.spec.bundled import bundled_spec_path

    spec = yaml.safe_load(bundled_spec_path("hunt2025").read_text())
    del spec["models"]
    path = tmp_path / "nomodels.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_a_spec_without_models_says_recovery_is_not_checked(
    spec_without_models: Path, demo_paths: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", str(demo_paths["human"]), str(demo_paths["unfinetuned"]), "--spec", str(spec_without_models), "--bootstrap", "0"])
    out = " ".join(capsys.readouterr().out.split())  # whatever the terminal width
    assert code == 0  # inconclusive exits 0 unless --fail-on inconclusive
    assert "the spec declares no models, so no coefficient can be compared" in out
    assert "no models declared in the spec" in out and "models estimable: 0 of 0" not in out


def test_with_strict_a_spec_without_models_is_an_error(
    spec_without_models: Path, demo_paths: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", str(demo_paths["human"]), str(demo_paths["unfinetuned"]), "--spec", str(spec_without_models), "--strict"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [
        f"simval: error: {spec_without_models}, at models: the spec declares no models, so no coefficient can be compared "
        "(add a models: section); --strict makes this an error"
    ]
