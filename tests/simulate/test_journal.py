"""The journal: durable appends, replay into participant states, torn lines, refusing another run's journal."""

from __future__ import annotations

import asyncio
import json

import pytest

from validator.errors import InputError, UsageError
from validator.simulate.journal import Journal, read_records, replay

RUN = {"model": "m", "temperature": 1.0}


def write_lines(path, records, tail=""):
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + tail, encoding="utf-8")


def test_replay_tracks_answered_turns_unparseable_attempts_and_finished_participants():
    records = [
        {"type": "run", **RUN},
        {"type": "response", "participant": "a", "turn": 1, "status": "unparseable", "raw": "huh"},
        {"type": "response", "participant": "a", "turn": 1, "status": "ok", "raw": "[1]", "values": {"x": "1"}, "digest": "d1"},
        {"type": "response", "participant": "a", "turn": 2, "status": "error", "http_status": 500},
        {"type": "response", "participant": "a", "turn": 2, "status": "unparseable", "raw": "??"},
        {"type": "response", "participant": "b", "turn": 1, "status": "ok", "raw": "[2]", "values": {"x": "2"}},
        {"type": "participant", "participant": "b", "status": "failed", "error": "turn 2: gave up", "values": {"x": "2"}},
        {"type": "response", "participant": "c", "turn": 1, "status": "ok", "raw": "[1]", "values": {"x": "1"}, "usage": {"prompt_tokens": 7, "completion_tokens": 2}},
        {"type": "participant", "participant": "c", "status": "ok", "values": {"x": "1"}},
    ]
    state = replay(iter(records))
    a, b, c = (state.participants[k] for k in "abc")
    assert (a.replies, a.values, a.unparseable, a.finished, a.digest) == (["[1]"], {"x": "1"}, 1, False, "d1")
    assert (b.status, b.error, b.finished, b.unparseable) == ("failed", "turn 2: gave up", True, 0)
    assert (c.status, c.final_values) == ("ok", {"x": "1"})
    assert state.runs == 1 and state.responses == 6
    assert (state.prompt_tokens, state.completion_tokens) == (7, 2)


def test_a_torn_last_line_is_cut_before_appending(tmp_path):
    path = tmp_path / "j.jsonl"
    write_lines(path, [{"type": "run", **RUN}, {"type": "participant", "participant": "a", "status": "ok"}], tail='{"type": "resp')
    journal = Journal.open(path)
    assert journal.state.participants["a"].status == "ok"
    journal.start(RUN)
    journal.append({"type": "participant", "participant": "b", "status": "ok"})
    journal.close()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4 and all(json.loads(line) for line in lines)


def test_a_damaged_line_inside_the_journal_is_an_error(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text('{"type": "run"}\nnot json\n{"type": "run"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 2 is not a JSON record"):
        list(read_records(path))


@pytest.mark.parametrize(("key", "value"), [("model", "other-model"), ("temperature", 0.2)])
def test_another_model_or_temperature_cannot_continue_a_journal(tmp_path, key, value):
    path = tmp_path / "j.jsonl"
    write_lines(path, [{"type": "run", **RUN}])
    journal = Journal.open(path)
    with pytest.raises(UsageError, match=f"was written with {key}"):
        journal.start({**RUN, key: value})
    journal.close()


def test_concurrent_async_appends_are_all_durable_in_order(tmp_path):
    path = tmp_path / "j.jsonl"
    journal = Journal.open(path)

    async def many() -> None:
        await asyncio.gather(*(journal.append_async({"type": "response", "participant": str(i), "turn": 1}) for i in range(200)))

    asyncio.run(many())
    journal.close()
    ids = [json.loads(line)["participant"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert ids == [str(i) for i in range(200)]
