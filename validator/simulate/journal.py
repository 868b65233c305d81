"""The JSONL journal: every response as it arrives, so that nothing is lost and a rerun resumes.

One JSON object per line, appended, flushed and fsynced before the runner
acts on it (records that arrive while an fsync runs share the next one). Record types:

* ``run``: one per invocation (time, simval version, model, temperature,
  server URL without credentials, spec and persona file digests). A rerun must
  use the same model and temperature, or it would mix two simulations.
* ``response``: one per request sent (participant, turn from 1, attempt,
  ``status`` ``ok``, ``unparseable`` or ``error``, the raw reply or the error,
  the parsed values, token usage).
* ``participant``: once a participant is finished: ``ok`` with all its
  values, or ``failed`` with the reason.

Replaying the journal gives, per participant, the turns already answered
(their replies are reused as conversation context, never asked again), the
unparseable attempts of the current turn, and whether it is finished. A line
torn by a killed process is at most the last one; it is cut off before
appending.
"""

from __future__ import annotations

import asyncio
import json
import os
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validator.errors import InputError, UsageError

__all__ = ["Journal", "JournalState", "ParticipantState", "read_records", "replay", "RUN_KEYS_THAT_MUST_MATCH"]

RUN_KEYS_THAT_MUST_MATCH = ("model", "temperature")


@dataclass
class ParticipantState:
    """What the journal knows about one participant."""

    digest: str | None = None
    replies: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    unparseable: int = 0
    status: str | None = None
    error: str | None = None
    final_values: dict[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.status in ("ok", "failed")


@dataclass
class JournalState:
    """The replayed journal: the first run header and every participant's state."""

    first_run: dict[str, Any] | None = None
    runs: int = 0
    participants: dict[str, ParticipantState] = field(default_factory=dict)
    responses: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """The journal's records in order; a torn last line is skipped, a bad line elsewhere is an error."""
    with path.open("rb") as handle:
        lines = handle.read().split(b"\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            if number == len(lines):
                return  # the last write of a killed process
            raise InputError(f"line {number} is not a JSON record; the journal is damaged", source=str(path)) from None
        if isinstance(record, dict):
            yield record


def _refuse_non_journal(path: Path) -> None:
    """Refuse, without changing it, an existing file that is not a simval journal.

    A journal starts with a ``run`` record; an empty file is an empty journal.
    """
    if not path.is_file():
        raise UsageError(f"the journal '{path}' exists and is not a regular file; give another --journal")
    try:
        with path.open("rb") as handle:
            first = handle.readline(1 << 20)
    except OSError as exc:
        raise UsageError(f"cannot read the journal '{path}': {exc.strerror}") from None
    if not first.strip():
        return
    try:
        record = json.loads(first)
    except ValueError:
        record = None
    if not (isinstance(record, dict) and record.get("type") == "run"):
        raise UsageError(
            f"'{path}' exists and is not a simval journal; simval leaves it untouched: give another --journal (or --out)"
        )


def replay(records: Iterator[Mapping[str, Any]]) -> JournalState:
    """Fold the records into a :class:`JournalState` (see the module docstring)."""
    state = JournalState()
    for record in records:
        kind = record.get("type")
        if kind == "run":
            state.runs += 1
            if state.first_run is None:
                state.first_run = dict(record)
            continue
        pid = record.get("participant")
        if pid is None:
            continue
        entry = state.participants.setdefault(str(pid), ParticipantState())
        if record.get("digest"):
            entry.digest = str(record["digest"])
        if kind == "response":
            state.responses += 1
            usage = record.get("usage") or {}
            state.prompt_tokens += int(usage.get("prompt_tokens") or 0)
            state.completion_tokens += int(usage.get("completion_tokens") or 0)
            turn = int(record.get("turn", 0))
            if record.get("status") == "ok" and turn == len(entry.replies) + 1:
                entry.replies.append(str(record.get("raw") or ""))
                entry.values.update(record.get("values") or {})
                entry.unparseable = 0
            elif record.get("status") == "unparseable" and turn == len(entry.replies) + 1:
                entry.unparseable += 1
        elif kind == "participant":
            entry.status = str(record.get("status"))
            entry.error = record.get("error")
            entry.final_values = dict(record.get("values") or {})
            if entry.status == "failed":
                # A failed participant asked again (--retry-failed) gets fresh attempts at its open turn.
                entry.unparseable = 0
    return state


class Journal:
    """An append-only JSONL file, each record durable (flushed and fsynced) when ``append`` returns."""

    def __init__(self, path: Path, state: JournalState) -> None:
        self.path = path
        self.state = state
        self._handle = path.open("ab")
        # One writer thread keeps the records in order; fsync runs there, off the event loop.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="simval-journal")
        self._pending: list[tuple[bytes, asyncio.Future[None]]] = []
        self._flusher: asyncio.Future[None] | None = None

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Journal:
        """Open (or create) the journal for appending, replaying what it already holds."""
        target = Path(path)
        if target.is_dir():
            raise UsageError(f"the journal '{target}' is a directory")
        if not target.parent.exists():
            raise UsageError(f"cannot write the journal '{target}': the folder '{target.parent}' does not exist")
        state = JournalState()
        if target.exists():
            _refuse_non_journal(target)  # before _cut_torn_tail, which would truncate it
            _cut_torn_tail(target)
            state = replay(read_records(target))
        return cls(target, state)

    def start(self, run: Mapping[str, Any]) -> None:
        """Check that ``run`` may continue this journal, then append its header."""
        check_compatible(self.state, run, self.path)
        self.append({"type": "run", **run})

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one record and make it durable (flush and fsync) before returning."""
        self._write_durably([_line(record)])

    async def append_async(self, record: Mapping[str, Any]) -> None:
        """Like :meth:`append`, without blocking the event loop: returns once the record is durable.

        Records appended while an fsync is under way are written together and
        share the next fsync (group commit), in the order they were appended;
        none is acknowledged before it is on disk.
        """
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self._pending.append((_line(record), done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush_pending())
        await done

    async def _flush_pending(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await loop.run_in_executor(self._executor, self._write_durably, [line for line, _ in batch])
            except BaseException as exc:  # the waiting workers must hear of a failed write
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(str(exc)))
                raise
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    def _write_durably(self, lines: list[bytes]) -> None:
        self._handle.write(b"".join(lines))
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        if not self._handle.closed:
            self._handle.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_compatible(state: JournalState, run: Mapping[str, Any], path: Path) -> None:
    """Refuse to continue a journal written with another model or temperature."""
    first = state.first_run
    if first is None:
        return
    for key in RUN_KEYS_THAT_MUST_MATCH:
        if key in first and first.get(key) != run.get(key):
            raise UsageError(
                f"the journal '{path}' was written with {key} {first.get(key)!r}, this run uses {run.get(key)!r}; "
                "resuming would mix two simulations in one output: choose another --out (or --journal), "
                "or delete the journal to start over"
            )


def _cut_torn_tail(path: Path) -> None:
    """Remove a last line without its newline (a write cut short), so the next record starts clean."""
    size = path.stat().st_size
    if size == 0:
        return
    with path.open("rb+") as handle:
        handle.seek(-1, os.SEEK_END)
        if handle.read(1) == b"\n":
            return
        # Walk back to the previous newline, in blocks.
        position = size
        block = 4096
        while position > 0:
            start = max(0, position - block)
            handle.seek(start)
            chunk = handle.read(position - start)
            cut = chunk.rfind(b"\n")
            if cut >= 0:
                handle.truncate(start + cut + 1)
                return
            position = start
        handle.truncate(0)


def _line(record: Mapping[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=_default) + "\n").encode("utf-8")


def _default(value: object) -> object:
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    return str(value)
