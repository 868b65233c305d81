"""What a CI pipeline reads: exit codes, JUnit XML, the GitHub summary, schema-valid deterministic JSON."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "validator" / "schema" / "results.schema.json").read_text())

GATES = """gates:
  - {name: sign recovery, path: recovery.f1_sign, comparison: ">=", threshold: 0.6}
  - {name: gap, path: coherence.value_action_gap.difference, comparison: between, threshold: [-0.1, 0.1]}
  - {name: structures, path: heterogeneity.belief_structures.ratio_at_equal_n, comparison: ">=", threshold: 0.5, severity: warning}
  - {name: js, path: distribution.mean_js.overall, comparison: "<=", threshold: 0.2, on: lower}
"""
WARN_ONLY = """gates:
  - {name: structures, path: heterogeneity.belief_structures.ratio_at_equal_n, comparison: ">=", threshold: 0.99, severity: warning}
"""


def simval(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("simval", path=str(Path(sys.executable).parent))
    command = [exe] if exe else [sys.executable, "-m", "validator"]
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    full_env.pop("GITHUB_STEP_SUMMARY", None) if env is None or "GITHUB_STEP_SUMMARY" not in env else None
    return subprocess.run([*command, *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=300)


@pytest.fixture()
def gates_file(tmp_path: Path) -> Path:
    path = tmp_path / "gates.yaml"
    path.write_text(GATES)
    return path


def test_exit_code_is_the_worst_verdict_over_several_simulations(demo_paths, gates_file, tmp_path):
    args = ["check", str(demo_paths["human"]), str(demo_paths["finetuned_random"]), str(demo_paths["unfinetuned"]), "--gates", str(gates_file), "--bootstrap", "50", "--quiet"]
    result = simval(*args)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("PASS sim_finetuned_random_synthetic.csv")
    assert lines[1].startswith("FAIL sim_unfinetuned_synthetic.csv")
    alone = simval("check", str(demo_paths["human"]), str(demo_paths["finetuned_random"]), "--gates", str(gates_file), "--bootstrap", "50", "--quiet")
    assert alone.returncode == 0, alone.stdout + alone.stderr


def test_warnings_print_but_fail_only_with_fail_on_warning(demo_paths, tmp_path):
    gates = tmp_path / "warn.yaml"
    gates.write_text(WARN_ONLY)
    base = ["check", str(demo_paths["human"]), str(demo_paths["finetuned_random"]), "--gates", str(gates), "--bootstrap", "0"]
    lenient = simval(*base, "--quiet")
    assert lenient.returncode == 0 and "1 warning" in lenient.stdout
    strict = simval(*base, "--quiet", "--fail-on", "warning")
    assert strict.returncode == 1 and strict.stdout.startswith("FAIL")


def test_an_unknown_gate_path_exits_2_listing_paths_near_it(demo_paths, tmp_path):
    gates = tmp_path / "bad.yaml"
    gates.write_text("gates:\n  - {path: recovery.f1, comparison: '>=', threshold: 0.5}\n")
    result = simval("check", str(demo_paths["human"]), str(demo_paths["finetuned_random"]), "--gates", str(gates))
    assert result.returncode == 2
    assert "unknown metric path 'recovery.f1'" in result.stderr and "recovery.f1_sign" in result.stderr


def test_junit_json_and_summary_are_written_valid_and_byte_identical_across_processes(demo_paths, gates_file, tmp_path):
    outputs = []
    for run in range(2):
        out = tmp_path / f"run{run}"
        out.mkdir()
        summary = out / "summary.md"
        result = simval(
            "check", str(demo_paths["human"]), str(demo_paths["unfinetuned"]), str(demo_paths["finetuned_balanced"]),
            "--gates", str(gates_file), "--bootstrap", "60", "--seed", "4",
            "--json", str(out / "r.json"), "--junit", str(out / "j.xml"), "--quiet",
            env={"GITHUB_STEP_SUMMARY": str(summary)},
        )
        assert result.returncode == 1, result.stderr
        outputs.append(((out / "r.json").read_bytes(), (out / "j.xml").read_bytes(), summary.read_text()))
    assert outputs[0][0] == outputs[1][0]
    assert outputs[0][1] == outputs[1][1]

    document = json.loads(outputs[0][0])
    jsonschema.validate(document, SCHEMA)
    assert document["schema_version"] == "2"
    gates = document["simulations"][0]["gates"]
    assert [g["name"] for g in gates] == ["sign recovery", "gap", "structures", "js"]
    assert {"path", "comparison", "threshold", "observed", "interval", "passed", "severity"} <= set(gates[0])
    assert "/" not in document["simulations"][0]["dataset"]["source"] or not document["simulations"][0]["dataset"]["source"].startswith("/")

    root = ET.fromstring(outputs[0][1])
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["sim_unfinetuned_synthetic.csv", "sim_finetuned_balanced_synthetic.csv"]
    for suite in suites:
        cases = suite.findall("testcase")
        assert len(cases) == int(suite.get("tests")) == 4
        assert int(suite.get("failures")) == len([c for c in cases if c.find("failure") is not None])
        for case in cases:
            assert case.get("name") and case.get("classname")
    failure = suites[0].find("testcase/failure")
    assert failure is not None and "observed" in failure.text and "comparison" in failure.text
    assert ET.tostring(ET.fromstring(outputs[0][1])) == ET.tostring(root)

    summary = outputs[0][2]
    assert "| simulation" in summary and "FAIL" in summary and "### Failing gates" in summary
    assert "sim_unfinetuned_synthetic.csv" in summary


def test_provenance_is_only_written_when_asked_for(demo_paths, tmp_path):
    plain = tmp_path / "plain.json"
    prov = tmp_path / "prov.json"
    simval("check", str(demo_paths["human"]), str(demo_paths["finetuned_random"]), "--bootstrap", "0", "--json", str(plain), "--quiet")
    simval("check", str(demo_paths["human"]), str(demo_paths["finetuned_random"]), "--bootstrap", "0", "--json", str(prov), "--quiet", "--provenance")
    assert "provenance" not in json.loads(plain.read_text())
    block = json.loads(prov.read_text())["provenance"]
    assert block["files"][str(demo_paths["human"])] == str(demo_paths["human"].resolve())
    assert "timestamp" in block and "packages" in block
    assert str(tmp_path) not in plain.read_text()


def test_gates_list_prints_every_path_with_its_meaning():
    result = simval("gates", "list")
    assert result.returncode == 0
    for path in ("recovery.f1_sign", "distribution.mean_js.by.ethnicity.max", "coherence.value_action_gap.difference"):
        assert path in result.stdout
