"""End-to-end behaviour of the ``simval`` console script, run as a user would run it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def simval(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("simval", path=str(Path(sys.executable).parent))
    command = [exe] if exe else [sys.executable, "-m", "validator"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [*command, *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_help_lists_subcommands_and_loads_no_heavy_module():
    result = simval("--help")
    assert result.returncode == 0
    for command in ("check", "recovery", "spec", "demo"):
        assert command in result.stdout
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nfrom validator.cli.main import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('pandas', 'statsmodels', 'scipy', 'numpy', 'matplotlib') if m in sys.modules]\n"
            "print('HEAVY', heavy)",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert "HEAVY []" in probe.stdout


@pytest.mark.parametrize("command", [["check", "--help"], ["recovery", "--help"], ["spec", "--help"], ["demo", "--help"], ["spec", "init", "--help"]])
def test_every_subcommand_has_its_own_help(command):
    result = simval(*command)
    assert result.returncode == 0
    assert "usage: simval " + command[0] in result.stdout


def test_version():
    from validator import __version__

    result = simval("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"simval {__version__}"


def test_usage_error_exits_2_without_traceback():
    result = simval("check")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "simval: error:" in result.stderr


def test_demo_writes_the_data_and_prints_table_2(tmp_path):
    result = simval("demo", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == [
        "human_synthetic.csv",
        "sim_finetuned_balanced_synthetic.csv",
        "sim_finetuned_random_synthetic.csv",
        "sim_unfinetuned_synthetic.csv",
    ]
    assert "SYNTHETIC" in result.stdout
    assert "Total coef." in result.stdout and "F1(Sign)" in result.stdout and "Sign flips" in result.stdout
    # The run's section starts with its name; its recovery headline says how many coefficients were compared.
    section = result.stdout.split("== ")[1]
    assert section.startswith(str(tmp_path / "demo" / "sim_unfinetuned_synthetic.csv")) or "sim_unfinetuned_synthetic.csv" in section.splitlines()[0]
    assert "14 coefficients compared" in " ".join(section.split())


def test_check_writes_deterministic_json_with_the_documented_recovery_keys(demo_paths, tmp_path):
    outputs = []
    for i in range(2):
        path = tmp_path / f"r{i}.json"
        result = simval("check", str(demo_paths["human"]), str(demo_paths["unfinetuned"]), "--json", str(path), "--seed", "7", "--bootstrap", "100")
        # Exit 1: the unfinetuned stand-in fails its default verdicts (recovery: 6 of 9 human findings reversed; alignment, ...).
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        outputs.append(path.read_bytes())
    assert outputs[0] == outputs[1]
    document = json.loads(outputs[0])
    recovery = document["simulations"][0]["recovery"]
    for key in ("n_coefficients", "n_reference_significant", "n_sim_significant", "tp", "fp", "fn", "tn", "sign_flips", "fpr", "fnr", "f1_sign", "f1_strict"):
        assert key in recovery
    assert recovery["n_coefficients"] == 14
    assert document["seed"] == 7
    reasons = {m["model"]: m["sim_reason"] for m in recovery["models"]}
    assert reasons["m1"] == reasons["m2"] == "no_variation"


def test_check_reads_the_human_data_from_standard_input(demo_paths):
    result = simval("check", "-", str(demo_paths["finetuned_random"]), "--bootstrap", "0", stdin=demo_paths["human"].read_bytes())
    assert result.returncode in (0, 1), result.stderr
    assert "22 coefficients compared" in " ".join(result.stdout.split())


def test_recovery_reproduces_the_worked_example_of_study_md(tmp_path):
    example = REPO / "examples" / "worked_example"
    out = tmp_path / "recovery.json"
    result = simval("recovery", str(example / "human_coefs.csv"), str(example / "sim_coefs.csv"), "--json", str(out))
    assert result.returncode == 0, result.stderr
    recovery = json.loads(out.read_text())["recovery"]
    assert (recovery["n_coefficients"], recovery["n_reference_significant"]) == (22, 13)
    assert (recovery["tp"], recovery["fp"], recovery["fn"], recovery["sign_flips"]) == (10, 3, 3, 0)
    assert recovery["fpr"] == pytest.approx(3 / 9)
    assert recovery["fnr"] == pytest.approx(3 / 13)
    assert recovery["f1_sign"] == pytest.approx(20 / 26)
    assert "0.333" in result.stdout and "0.231" in result.stdout and "0.769" in result.stdout


def _write_human_variant(demo_paths, tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    import pandas as pd

    frame = pd.read_csv(demo_paths["human"], comment="#")
    frame = edit(frame)
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "name, make, extra, message",
    [
        ("missing column", lambda f: f.drop(columns=["belief_t2"]), [], r"bad\.csv, column 'belief_t2': the required column 'belief_t2'"),
        ("wrong type", lambda f: f.assign(belief_t1="high"), [], r"bad\.csv, row 1, column 'belief_t1': column 'belief_t1' should hold numbers"),
        ("beliefs sum to 90", lambda f: f.assign(belief_t1=f["belief_t1"].where(f.index != 4, 100 - 10 - f["belief_t2"] - f["belief_both"]).abs()), ["--strict"], r"bad\.csv, row 5: the three beliefs must sum to 100.*line 6"),
        ("unknown decision", lambda f: f.assign(decision="flee"), [], r"bad\.csv, row 1, column 'decision': column 'decision' holds 'flee'"),
    ],
)
def test_bad_data_exits_2_with_one_sentence_naming_file_row_and_column(demo_paths, tmp_path, name, make, extra, message):
    import re

    bad = _write_human_variant(demo_paths, tmp_path, make)
    result = simval("check", str(bad), str(demo_paths["finetuned_random"]), "--bootstrap", "0", *extra)
    assert result.returncode == 2, (name, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert re.search(message, result.stderr), result.stderr


def test_beliefs_summing_to_90_are_set_aside_and_counted_without_strict(demo_paths, tmp_path):
    def ninety(frame):  # type: ignore[no-untyped-def]
        frame.loc[:2, ["belief_t1", "belief_t2", "belief_both"]] = [40, 30, 20]
        return frame

    bad = _write_human_variant(demo_paths, tmp_path, ninety)
    out = tmp_path / "r.json"
    result = simval("check", str(bad), str(demo_paths["finetuned_random"]), "--json", str(out), "--no-coefficients", "--bootstrap", "0")
    assert result.returncode == 0, result.stderr
    assert "929 rows read, 926 used, 3 set aside (3 constraint:beliefs_sum_to_100)" in result.stdout
    human = json.loads(out.read_text())["human"]["dataset"]
    assert human["n_set_aside"] == 3
    assert [row["row"] for row in human["set_aside"]] == [1, 2, 3]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", r"empty"),
        (bytes(range(256)) * 4, r"does not look like"),
    ],
)
def test_unreadable_files_exit_2(demo_paths, tmp_path, content, message):
    import re

    path = tmp_path / "human.csv"
    path.write_bytes(content)
    result = simval("check", str(path), str(demo_paths["finetuned_random"]))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert re.search(message, result.stderr), result.stderr
    assert "human.csv" in result.stderr


@pytest.mark.parametrize(
    "spec_text, message",
    [
        ("name: x\ncolumns:\n  y: {type: numeric}\nmodels:\n  - id: m1\n    formula: y ~ y\n    famly: ols\n", r"models\[0\]\.famly: unknown key"),
        ("name: x\ncolumns:\n  y: {type: numeric}\nmodels:\n  - id: m1\n    family: ols\n    formula: y ~ system('rm -rf /')\n", r"models\[0\]\.formula.*system"),
    ],
)
def test_bad_specs_exit_2_naming_the_key(demo_paths, tmp_path, spec_text, message):
    import re

    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text)
    result = simval("check", str(demo_paths["human"]), str(demo_paths["finetuned_random"]), "--spec", str(spec))
    assert result.returncode == 2
    assert re.search(message, result.stderr), result.stderr
    assert "spec.yaml" in result.stderr


def test_spec_list_show_validate(tmp_path):
    listing = simval("spec", "list")
    assert listing.returncode == 0 and "hunt2025" in listing.stdout
    shown = simval("spec", "show", "hunt2025")
    assert shown.returncode == 0 and "RECONSTRUCTION" in shown.stdout
    path = tmp_path / "copy.yaml"
    path.write_text(shown.stdout)
    valid = simval("spec", "validate", str(path))
    assert valid.returncode == 0 and "6 models" in valid.stdout


def test_spec_init_writes_a_starter_spec_that_validates(demo_paths, tmp_path):
    out = tmp_path / "starter.yaml"
    result = simval("spec", "init", str(demo_paths["human"]), "--out", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert "belief_t1:" in text and "type: numeric" in text and "type: categorical" in text
    assert simval("spec", "validate", str(out)).returncode == 0
    again = simval("spec", "init", str(demo_paths["human"]), "--out", str(out))
    assert again.returncode == 2 and "--force" in again.stderr


def test_internal_errors_exit_3(tmp_path, monkeypatch):
    from validator.cli import main as cli

    def boom(args):  # type: ignore[no-untyped-def]
        raise RuntimeError("kaput")

    monkeypatch.setattr(cli, "_handler", lambda path: boom)
    assert cli.main(["spec", "list"]) == 3


def test_installed_console_script_finds_its_bundled_specs_outside_the_checkout(tmp_path):
    exe = shutil.which("simval", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("simval is not installed as a console script in this environment")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([exe, "spec", "list"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "hunt2025" in result.stdout
