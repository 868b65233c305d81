"""The runner against the scripted server: retries, failures recorded, budgets, resume, the key kept secret."""

from __future__ import annotations

import csv
import json
from collections import Counter

import pytest

from validator.errors import UsageError
from validator.simulate.retry import RetryPolicy
from validator.simulate.runner import ServerRefused
from validator.simulate.session import simulate

FAST = RetryPolicy(max_attempts=4, parse_attempts=3, base=0.001, cap=0.01)
KEY = "sk-test-0123456789abcdefSECRET"


def run(server, personas, out, **options):
    settings = {"model": "fixture", "base_url": server.url, "concurrency": 4, "policy": FAST, "progress": "none", "environ": {"OPENAI_API_KEY": KEY}}
    settings.update(options)
    return simulate("hunt2025", personas, out, **settings)


def journal(out):
    return [json.loads(line) for line in open(f"{out}.journal.jsonl", encoding="utf-8")]


def rows(out):
    with open(out, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_clean_run_asks_each_turn_once_and_writes_every_participant(fs, server, demo_paths, tmp_path):
    out = tmp_path / "sim.csv"
    report = run(server, demo_paths["human"], out, n=12)
    assert (report.ok, report.failed, report.pending, report.complete) == (12, 0, 0, True)
    table = rows(out)
    assert [r["participant_id"] for r in table] == [str(i) for i in range(1, 13)]
    assert all(r["sim_status"] == "ok" and r["decision"] in ("attack_t1", "attack_t2", "abort") for r in table)
    assert list(table[0])[:3] == ["participant_id", "ethnicity", "age"]
    asked = Counter((r.who, r.turn) for r in server.chat_requests())
    assert len(asked) == 24 and set(asked.values()) == {1}
    first = server.chat_requests()[0].body
    assert first["model"] == "fixture" and first["temperature"] == 1.0 and first["max_tokens"] == 300
    assert server.chat_requests()[0].headers["authorization"] == f"Bearer {KEY}"
    assert report.prompt_tokens == 2400 and report.completion_tokens == 240


def test_a_rate_limit_waits_for_retry_after_then_retries(fs, demo_paths, tmp_path):
    def responder(request):
        if request.index == 0:
            return fs.Scripted(status=429, headers={"Retry-After": "1"}, error="slow down")
        return fs.good_reply(request)

    with fs.FixtureServer(responder) as server:
        report = run(server, demo_paths["human"], tmp_path / "sim.csv", n=1, concurrency=1)
        requests = server.chat_requests()
    assert report.ok == 1 and report.counts.retries == {"rate_limit": 1}
    assert requests[1].time - requests[0].time >= 1.0  # Retry-After honoured
    errors = [r for r in journal(tmp_path / "sim.csv") if r.get("status") == "error"]
    assert [(e["http_status"], e["error"]) for e in errors] == [(429, "slow down")]


def test_server_errors_slow_replies_and_garbage_are_retried(fs, demo_paths, tmp_path):
    def responder(request):
        if request.index == 0:
            return fs.Scripted(status=500, error="boom")
        if request.index == 1:
            return fs.Scripted(delay=1.0)  # longer than the client's timeout
        if request.index == 2:
            return fs.Scripted(raw_body=b"<html>not json")
        return fs.good_reply(request)

    with fs.FixtureServer(responder) as server:
        report = run(server, demo_paths["human"], tmp_path / "sim.csv", n=1, concurrency=1, timeout=0.3)
    assert report.ok == 1
    assert report.counts.retries == {"http_500": 1, "timeout": 1, "bad_response": 1}
    statuses = [(r.get("turn"), r.get("status")) for r in journal(tmp_path / "sim.csv") if r["type"] == "response"]
    assert statuses == [(1, "error"), (1, "error"), (1, "error"), (1, "ok"), (2, "ok")]


def test_unparseable_answers_are_retried_then_recorded_failed_with_the_raw_text(fs, demo_paths, tmp_path):
    def responder(request):
        if request.turn == 2:
            return fs.Scripted(content="I would rather not say.")
        return fs.good_reply(request)

    out = tmp_path / "sim.csv"
    with fs.FixtureServer(responder) as server:
        report = run(server, demo_paths["human"], out, n=3)
        assert len(server.chat_requests()) == 3 * (1 + 3)
    assert (report.ok, report.failed, report.counts.unparseable) == (0, 3, 9)
    table = rows(out)
    assert all(r["sim_status"] == "failed" and r["pre_choice"] and not r["decision"] for r in table)
    assert all(r["sim_error"] == "turn 2: no bracketed array in the reply; expected 4 (after 3 attempts)" for r in table)
    finals = [r for r in journal(out) if r["type"] == "participant"]
    assert len(finals) == 3 and all(f["raw"] == "I would rather not say." for f in finals)
    unparseable = [r for r in journal(out) if r.get("status") == "unparseable"]
    assert len(unparseable) == 9 and all(r["raw"] == "I would rather not say." for r in unparseable)


def test_a_request_that_keeps_failing_is_recorded_failed_after_max_attempts(fs, demo_paths, tmp_path):
    def responder(request):
        return fs.Scripted(status=503, error="overloaded") if request.turn == 2 else fs.good_reply(request)

    out = tmp_path / "sim.csv"
    with fs.FixtureServer(responder) as server:
        report = run(server, demo_paths["human"], out, n=2)
    assert report.failed == 2 and report.counts.retries["http_503"] == 8
    assert rows(out)[0]["sim_error"] == "turn 2: gave up after 4 attempts (http_503: overloaded)"


def test_a_refusal_stops_the_run_without_recording_anyone_failed_and_hides_the_key(fs, demo_paths, tmp_path):
    def responder(request):
        return fs.Scripted(status=401, error=f"Incorrect API key provided: {request.headers['authorization'][7:]}")

    out = tmp_path / "sim.csv"
    with fs.FixtureServer(responder) as server:
        with pytest.raises(ServerRefused) as err:
            run(server, demo_paths["human"], out, n=5, concurrency=1)
    assert "HTTP 401" in str(err.value) and "check the API key" in str(err.value)
    assert KEY not in str(err.value) and "***" in str(err.value)
    records = journal(out)
    assert not [r for r in records if r["type"] == "participant"]
    assert [r["http_status"] for r in records if r["type"] == "response"] == [401]
    assert not out.exists()


def test_the_key_appears_in_no_file_written(fs, demo_paths, tmp_path):
    def responder(request):
        if request.index < 2:  # the server echoes the key in an error and in a reply
            return fs.Scripted(status=500, error=f"bad auth header {request.headers['authorization']}")
        if request.index == 2:
            return fs.Scripted(content=f"{request.headers['authorization']} [1]")
        return fs.good_reply(request)

    with fs.FixtureServer(responder) as server:
        report = run(server, demo_paths["human"], tmp_path / "sim.csv", n=4, concurrency=1)
        assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in server.chat_requests())
    assert report.ok == 4
    written = list(tmp_path.iterdir())
    assert {p.name for p in written} == {"sim.csv", "sim.csv.journal.jsonl"}
    for path in written:
        assert KEY not in path.read_text(encoding="utf-8")
    assert "Bearer ***" in (tmp_path / "sim.csv.journal.jsonl").read_text(encoding="utf-8")


def test_a_key_repeated_in_free_text_answers_is_scrubbed_from_the_values(fs, demo_paths, tmp_path):
    """An echoing server: the Authorization header comes back inside both free-text answers of every reply."""

    def echo(request):
        if request.turn <= 1:
            return fs.good_reply(request)
        key = request.headers["authorization"].removeprefix("Bearer ")
        return fs.Scripted(content=f"[30, 20, 50], [my key is {key}], [1], [{key} {key}]")

    with fs.FixtureServer(echo) as server:
        report = run(server, demo_paths["human"], tmp_path / "sim.csv", n=5, concurrency=2)
    assert report.ok == 5
    for path in tmp_path.iterdir():
        assert KEY not in path.read_text(encoding="utf-8"), path.name
    records = journal(tmp_path / "sim.csv")
    texts = [v for r in records for v in (r.get("values") or {}).values() if isinstance(v, str)]
    assert "my key is ***" in texts and "*** ***" in texts
    assert {row[column] for row in rows(tmp_path / "sim.csv") for column in row if "***" in row[column]}


def test_newer_models_get_max_completion_tokens(fs, demo_paths, tmp_path):
    def responder(request):
        if "max_tokens" in request.body:
            return fs.Scripted(status=400, error="Unsupported parameter: 'max_tokens'. Use 'max_completion_tokens' instead.")
        return fs.good_reply(request)

    with fs.FixtureServer(responder) as server:
        report = run(server, demo_paths["human"], tmp_path / "sim.csv", n=3, concurrency=1)
        bodies = [r.body for r in server.chat_requests()]
    assert report.ok == 3
    assert "max_tokens" in bodies[0] and all(b.get("max_completion_tokens") == 300 for b in bodies[1:])


def test_max_requests_stops_cleanly_and_a_rerun_finishes_without_asking_twice(fs, server, demo_paths, tmp_path):
    out = tmp_path / "sim.csv"
    first = run(server, demo_paths["human"], out, n=10, concurrency=3, max_requests=7)
    assert len(server.chat_requests()) == 7
    assert not first.complete and first.counts.stopped == "the budget of 7 requests is spent"
    assert first.ok + first.pending == 10 and first.written == first.ok
    assert len(rows(out)) == first.ok  # the partial output holds the finished participants only
    second = run(server, demo_paths["human"], out, n=10, concurrency=3)
    assert second.complete and second.ok == 10 and second.finished_before == first.ok
    asked = Counter((r.who, r.turn) for r in server.chat_requests())
    assert len(asked) == 20 and set(asked.values()) == {1}
    assert [r["participant_id"] for r in rows(out)] == [str(i) for i in range(1, 11)]
    third = run(server, demo_paths["human"], out, n=10)
    assert third.counts.requests == 0 and len(server.chat_requests()) == 20


def test_max_cost_is_never_exceeded(fs, server, demo_paths, tmp_path):
    # every reply reports 100 prompt + 10 completion tokens: $0.00012 at $1 / $2 per million
    report = run(server, demo_paths["human"], tmp_path / "sim.csv", n=20, max_cost=0.002, price_in=1.0, price_out=2.0, max_tokens=10)
    assert not report.complete and report.cost <= 0.002
    assert report.counts.stopped.startswith("the next request could exceed the budget of $0.002")


def test_max_cost_needs_prices(server, demo_paths, tmp_path):
    with pytest.raises(UsageError, match="--max-cost needs the model's prices"):
        run(server, demo_paths["human"], tmp_path / "sim.csv", n=2, max_cost=1.0)


def test_resuming_with_another_model_is_refused(server, demo_paths, tmp_path):
    out = tmp_path / "sim.csv"
    run(server, demo_paths["human"], out, n=2)
    with pytest.raises(UsageError, match="was written with model 'fixture', this run uses 'other'"):
        run(server, demo_paths["human"], out, n=2, model="other")


def test_retry_failed_asks_failed_participants_again(fs, demo_paths, tmp_path):
    calls = {"bad": True}

    def responder(request):
        if calls["bad"] and request.turn == 2:
            return fs.Scripted(content="no idea")
        return fs.good_reply(request)

    out = tmp_path / "sim.csv"
    with fs.FixtureServer(responder) as server:
        assert run(server, demo_paths["human"], out, n=2).failed == 2
        calls["bad"] = False
        assert run(server, demo_paths["human"], out, n=2).counts.requests == 0  # failed ones stay failed
        report = run(server, demo_paths["human"], out, n=2, retry_failed=True)
        turns = Counter(r.turn for r in server.chat_requests())
    assert report.ok == 2 and report.counts.requests == 2
    assert turns == {1: 2, 2: 8}  # turn 1 was answered the first time and is never asked again


def test_no_key_is_an_error_against_openai_itself(demo_paths, tmp_path):
    with pytest.raises(UsageError, match="the environment variable OPENAI_API_KEY is not set"):
        simulate("hunt2025", demo_paths["human"], tmp_path / "s.csv", model="m", n=1, environ={}, progress="none")
    with pytest.raises(UsageError, match="the environment variable MY_KEY is not set"):
        simulate("hunt2025", demo_paths["human"], tmp_path / "s.csv", model="m", n=1, api_key_env="MY_KEY", environ={}, progress="none")
