"""The manifest keeps training rows out of ``simval check`` (``--exclude-rows``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from validator.errors import InputError, UsageError
from validator.finetune.manifest import manifest_rows_for, read_manifest
from validator.finetune.prepare import prepare

REPO = Path(__file__).resolve().parents[2]


def simval(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "validator", *args], capture_output=True, text=True, env=env, timeout=300)


def test_check_sets_the_manifests_rows_aside(demo_paths, tmp_path):
    result = prepare(demo_paths["human"], tmp_path / "train.jsonl", strategy="balanced", cells=1, seed=4)
    out = simval(
        "check", str(demo_paths["human"]), str(demo_paths["finetuned_random"]), "--bootstrap", "0",
        "--exclude-rows", str(result.manifest), "--json", "-",
    )
    assert out.returncode in (0, 1), out.stderr
    human = json.loads(out.stdout)["human"]["dataset"]
    assert human["n_rows_read"] == 929 and human["n_used"] == 929 - 29
    assert human["set_aside_by_reason"] == {"excluded": 29}
    assert sorted(item["row"] for item in human["set_aside"]) == sorted(result.rows)


def test_a_manifest_of_another_human_file_is_refused(demo_paths, tmp_path):
    result = prepare(demo_paths["human"], tmp_path / "train.jsonl", cells=1)
    other = tmp_path / "other.csv"
    other.write_bytes(Path(demo_paths["human"]).read_bytes() + b"\n")
    with pytest.raises(UsageError, match="a different file"):
        manifest_rows_for(result.manifest, other)
    out = simval("check", str(other), str(demo_paths["finetuned_random"]), "--bootstrap", "0", "--exclude-rows", str(result.manifest))
    assert out.returncode == 2 and "a different file" in out.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not a readable JSON manifest"),
        ('{"rows": [1]}', "is not a simval manifest"),
        ('{"simval_manifest": 1, "rows": [0, 2]}', "'rows' must be a list of data row numbers"),
        ('{"simval_manifest": 1, "rows": "1,2"}', "'rows' must be a list"),
    ],
)
def test_bad_manifests_are_input_errors(tmp_path, content, message):
    path = tmp_path / "m.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_manifest(path)
