"""``simval infer`` and ``simval plan`` end to end, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from .test_console import simval


def test_infer_pilot_writes_json_and_fits_100_columns(demo_paths: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "pilot.json"
    result = simval(
        "infer", str(demo_paths["human"]), str(demo_paths["finetuned_random"]), "--key", "participant_id",
        "--pilot", "0.25", "--bootstrap", "20", "--json", str(out),
    )
    assert result.returncode == 0, result.stderr
    assert "Pilot check: 232 labeled humans" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 100
    document = json.loads(out.read_text())
    row = document["pilot"]["inference"]["models"][0]["coefficients"][0]
    assert {"term", "ppi_low", "ppi_high", "lambda", "effective_n"} <= set(row)


def test_infer_without_key_column_is_exit_2_naming_file_and_column(demo_paths: dict[str, Path]) -> None:
    result = simval("infer", str(demo_paths["human"]), str(demo_paths["unfinetuned"]), "--key", "persona", "--bootstrap", "0")
    assert result.returncode == 2
    assert "human_synthetic.csv, column 'persona': the key column 'persona'" in result.stderr
    assert "Traceback" not in result.stderr


def test_infer_needs_a_key(demo_paths: dict[str, Path]) -> None:
    result = simval("infer", str(demo_paths["human"]), str(demo_paths["unfinetuned"]))
    assert result.returncode == 2 and "--key COLUMN" in result.stderr


def test_plan_prints_both_designs() -> None:
    result = simval("plan", "--rho", "0.5", "--cost-human", "4", "--cost-sim", "0.02", "--power", "0.8", "--effect", "0.2")
    assert result.returncode == 0, result.stderr
    assert "humans + simulations  153" in result.stdout and "humans only           197" in result.stdout


def test_plan_power_needs_an_effect() -> None:
    result = simval("plan", "--rho", "0.5", "--cost-human", "4", "--cost-sim", "0.02", "--power", "0.8")
    assert result.returncode == 2 and "--power needs --effect" in result.stderr
