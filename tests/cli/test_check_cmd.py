"""``simval check`` says what it could not do: the default spec it used, a spec without models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


# --- what a plain check imports ---------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]

#: Modules a check loads only when the spec or the data asks for them (each costs start-up time).
LAZY_MODULES = (
    "validator.inference.compute",  # the PPI++ estimator: a spec's inference section
    "validator.inference.estimator",
    "validator.inference.effective",
    "validator.inference.records",
    "statsmodels.genmod.generalized_linear_model",  # statsmodels' GLM, for the estimator
    "validator.simulate.session",  # simval simulate: the session, runner and journal
    "validator.simulate.runner",
    "pyarrow.parquet",  # Parquet files only
)


def _loaded_after(code: str) -> list[str]:
    """The modules of LAZY_MODULES loaded once ``code`` has run in a fresh interpreter."""
    probe = f"import json, sys\n{code}\nprint('LOADED', json.dumps([m for m in {LAZY_MODULES!r} if m in sys.modules]))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120,
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("LOADED"))
    return list(json.loads(line.removeprefix("LOADED ")))


@pytest.mark.parametrize(
    "code",
    [
        "import validator.cli.check_cmd",  # before the spec is known
        # the default spec (it has a simulation section) loaded and its checks planned
        "import validator.cli.check_cmd\nfrom validator.spec.load import load_spec\n"
        "from validator.checks.registry import planned_checks\nplanned_checks(load_spec('hunt2025'))",
    ],
)
def test_a_check_without_inference_or_parquet_does_not_import_their_modules(code: str) -> None:
    assert _loaded_after(code) == []


def test_the_registry_still_lists_every_check_and_the_lazy_modules_load_on_use() -> None:
    code = (
        "from validator.checks.registry import checks\n"
        "assert list(checks()) == ['recovery', 'distribution', 'heterogeneity', 'coherence', 'inference'], list(checks())\n"
        "from validator.inference import compute_inference\n"
        "from validator.simulate import simulate\n"
        "from validator.io.bounds import parquet_shape\nparquet_shape(b'')"
    )
    assert set(_loaded_after(code)) == set(LAZY_MODULES)
