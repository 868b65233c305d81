"""``simval simulate`` as a user runs it: a subprocess against the scripted server, killed and resumed."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KEY = "sk-cli-test-KEY-5f2e9c"


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "validator", *args]


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update({"PYTHONPATH": str(REPO), "OPENAI_API_KEY": KEY, **extra})
    return env


def simval(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(*args), capture_output=True, text=True, env=environment(**extra), timeout=300)


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_dry_run_shows_the_reference_prompts_for_a_demo_persona_and_sends_nothing():
    result = simval("simulate", "--dry-run")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "nothing is sent" in out and "personas <demo persona>" in out
    assert "=== participant 1 (persona row 1, cell V1A3) ===" in out
    assert "You are taking part in an online study. You are 36 years old, your sex is Female" in out
    assert "She values the treasure of Beach 1 at 1,200,000 gold" in out
    assert "--- user, turn 2 ---\nQueen Katrina announces that she has put new security measures in place at Beach 2." in out
    assert "2 turns per participant: at least 16 requests" in out


def test_dry_run_counts_requests_for_a_persona_file_and_a_journal(demo_paths, tmp_path):
    result = simval("simulate", "--dry-run", "--personas", str(demo_paths["human"]), "--out", str(tmp_path / "s.csv"), "--show", "0", "--price-in", "2", "--price-out", "8")
    assert result.returncode == 0, result.stderr
    assert "929 persona rows read, 929 usable; per_row assignment: 929 participants in 8 cells" in result.stdout
    assert "at least 1858 requests" in result.stdout
    assert "worst-case cost without retries: $" in result.stdout
    assert not (tmp_path / "s.csv.journal.jsonl").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate", "--personas", "x.csv"], "simval simulate needs --out, --model"),
        (["simulate", "--dry-run", "--spec", "nope"], "no bundled spec named 'nope'"),
        (["simulate", "--dry-run", "--n", "0"], "--n must be at least 1"),
        (["simulate", "--dry-run", "--assignment", "per_cell"], "needs the number of participants per cell (--per-cell N)"),
    ],
)
def test_usage_errors_exit_2_with_one_sentence(args, message):
    result = simval(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def tags_to_participants(journal: Path, ids: list[str]) -> dict[str, str]:
    salt = records(journal)[0]["salt"]
    return {hmac.new(salt.encode(), pid.encode(), hashlib.sha256).hexdigest()[:16]: pid for pid in ids}


def test_929_participants_killed_part_way_resume_without_asking_anyone_twice_and_pass_check(fs, demo_paths, tmp_path):
    out = tmp_path / "sim.csv"
    journal = Path(f"{out}.journal.jsonl")
    args = [
        "simulate", "--personas", str(demo_paths["human"]), "--out", str(out), "--model", "fixture",
        "--concurrency", "16", "--backoff", "0.01",
    ]
    kill_at = 700
    process: dict[str, subprocess.Popen] = {}
    killed = threading.Event()

    def on_request(request) -> None:
        if request.index + 1 == kill_at:
            os.kill(process["p"].pid, signal.SIGKILL)
            killed.set()

    with fs.FixtureServer(on_request=on_request) as server:
        process["p"] = subprocess.Popen(
            command(*args, "--base-url", server.url), env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        process["p"].communicate(timeout=300)
        assert killed.is_set() and process["p"].returncode == -signal.SIGKILL
        time.sleep(0.2)  # let the handler threads of the killed run's last requests finish logging
        before = server.chat_requests()
        journal_after_kill = records(journal)
        assert not out.exists()  # the output is written only at the end

        resumed = subprocess.run(command(*args, "--base-url", server.url), capture_output=True, text=True, env=environment(), timeout=300)
        assert resumed.returncode == 0, resumed.stderr
        after = server.chat_requests()[len(before):]

    assert "simulated 929 participants: 929 answered, 0 failed, 0 not yet asked" in resumed.stdout
    assert "finished before this run" in resumed.stdout

    ids = [row["participant_id"] for row in csv.DictReader(open(demo_paths["human"], encoding="utf-8").readlines()[2:])]
    who = tags_to_participants(journal, ids)
    answered_before = {(r["participant"], r["turn"]) for r in journal_after_kill if r["type"] == "response" and r["status"] == "ok"}
    finished_before = {r["participant"] for r in journal_after_kill if r["type"] == "participant"}
    assert 0 < len(finished_before) < 929

    # The second run asked nothing that the journal already held.
    asked_again = {(who[r.who], r.turn) for r in after}
    assert not asked_again & answered_before
    assert not {p for p, _ in asked_again} & finished_before
    # Only the requests in flight at the kill (at most --concurrency) were sent twice.
    sent = Counter((who[r.who], r.turn) for r in before + after)
    assert set(sent) == {(pid, turn) for pid in ids for turn in (1, 2)}  # none lost
    twice = [key for key, count in sent.items() if count > 1]
    assert all(count <= 2 for count in sent.values()) and len(twice) <= 16
    assert len(before) + len(after) == 1858 + len(twice)

    # The journal: one ok answer per participant and turn, one final record per participant.
    final = records(journal)
    oks = Counter((r["participant"], r["turn"]) for r in final if r["type"] == "response" and r["status"] == "ok")
    assert len(oks) == 1858 and set(oks.values()) == {1}
    finals = Counter(r["participant"] for r in final if r["type"] == "participant")
    assert len(finals) == 929 and set(finals.values()) == {1}

    with open(out, newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert [r["participant_id"] for r in table] == ids
    assert all(r["sim_status"] == "ok" for r in table)
    for path in tmp_path.iterdir():
        assert KEY not in path.read_text(encoding="utf-8")

    check = simval("check", str(demo_paths["human"]), str(out), "--bootstrap", "0")
    assert check.returncode in (0, 1), check.stderr
    assert "sim.csv" in check.stdout and "22 coefficients compared" in " ".join(check.stdout.split())


def test_budget_stop_exits_1_and_tells_how_to_resume(fs, demo_paths, tmp_path):
    out = tmp_path / "sim.csv"
    with fs.FixtureServer() as server:
        result = simval(
            "simulate", "--personas", str(demo_paths["human"]), "--out", str(out), "--model", "fixture",
            "--base-url", server.url, "--n", "20", "--max-requests", "9", "--concurrency", "1",
        )
        assert len(server.chat_requests()) == 9
    assert result.returncode == 1, result.stderr
    assert "stopped: the budget of 9 requests is spent" in result.stdout
    assert "PARTIAL" in result.stdout and "rerun the same command to resume" in result.stdout
    assert "simulate: " in result.stderr  # plain progress lines when not on a terminal


def test_a_named_key_variable_is_used(fs, demo_paths, tmp_path):
    with fs.FixtureServer() as server:
        result = simval(
            "simulate", "--personas", str(demo_paths["human"]), "--out", str(tmp_path / "s.csv"), "--model", "m",
            "--base-url", server.url, "--n", "1", "--api-key-env", "OTHER_KEY", "--quiet", OTHER_KEY="sk-other",
        )
        assert result.returncode == 0, result.stderr
        assert server.chat_requests()[0].headers["authorization"] == "Bearer sk-other"
    assert result.stderr == ""  # --quiet: no progress


def test_ctrl_c_keeps_every_answer_and_the_rerun_finishes(fs, demo_paths, tmp_path):
    out = tmp_path / "sim.csv"
    args = ["simulate", "--personas", str(demo_paths["human"]), "--out", str(out), "--model", "fixture", "--n", "60", "--concurrency", "4"]
    process: dict[str, subprocess.Popen] = {}

    def slow(request):
        reply = fs.good_reply(request)
        reply.delay = 0.02
        return reply

    def on_request(request) -> None:
        if request.index == 40:
            process["p"].send_signal(signal.SIGINT)

    with fs.FixtureServer(slow, on_request=on_request) as server:
        process["p"] = subprocess.Popen(command(*args, "--base-url", server.url), env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _, stderr = process["p"].communicate(timeout=300)
        assert process["p"].returncode == 130, stderr
        assert "interrupted; every answer received is in the journal" in stderr and "Traceback" not in stderr
        time.sleep(0.2)
        first = len(server.chat_requests())
        resumed = subprocess.run(command(*args, "--base-url", server.url), capture_output=True, text=True, env=environment(), timeout=300)
        assert resumed.returncode == 0, resumed.stderr
        total = len(server.chat_requests())
    journal = records(Path(f"{out}.journal.jsonl"))
    oks = Counter((r["participant"], r["turn"]) for r in journal if r["type"] == "response" and r["status"] == "ok")
    assert len(oks) == 120 and set(oks.values()) == {1}
    assert total - 120 <= 4 and first < 120  # at most the requests in flight were sent twice


def test_a_server_that_refuses_every_connection_exits_1_and_says_why(demo_paths, tmp_path):
    import socket

    with socket.socket() as probe:  # a port nobody listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "sim.csv"
    result = simval(
        "simulate", "--personas", str(demo_paths["human"]), "--out", str(out), "--model", "m",
        "--base-url", f"http://127.0.0.1:{port}/v1", "--n", "3", "--max-attempts", "2", "--backoff", "0.01",
        "--progress", "none",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 answered, 3 failed" in result.stdout
    assert "why 3 participants failed in this run:\n  3 x turn 1: gave up after 2 attempts (connection:" in result.stdout
    assert "(complete)" not in result.stdout and "--retry-failed asks them again" in result.stdout
