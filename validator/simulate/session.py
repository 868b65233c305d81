"""``simulate()``: load, plan, resume from the journal, run, write. And ``dry_run()``, which sends nothing.

The steps: the spec's simulation section and the persona rows give the plan
(:mod:`validator.simulate.plan`); the journal next to the output says which
participants are finished (skipped) and which turns are answered (reused);
the runner asks the rest; the CSV is rebuilt from the journal, the single
source of truth, and written atomically. A rerun of the same command resumes.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from validator._version import __version__
from validator.errors import UsageError
from validator.outputs import OutputGuard
from validator.simulate.budget import Budget, estimate_prompt_tokens
from validator.simulate.credentials import Redactor, public_url, resolve_api_key
from validator.simulate.journal import Journal, JournalState, ParticipantState, read_records, replay
from validator.simulate.model import SimulationSpec
from validator.simulate.output import output_table, write_csv_atomic
from validator.simulate.personas import PersonaTable, demo_personas, read_personas
from validator.simulate.plan import Plan, plan_participants
from validator.simulate.progress import Progress, format_duration
from validator.simulate.prompts import conversation, prompt_digest
from validator.simulate.retry import RetryPolicy
from validator.simulate.runner import RunCounts, RunSettings, run_participants
from validator.spec.load import load_spec
from validator.spec.model import StudySpec

__all__ = ["SimulationReport", "simulate", "dry_run", "format_report", "journal_path_for"]


@dataclass(frozen=True)
class SimulationReport:
    """What a ``simulate()`` call did, and where the journal and the output stand."""

    out: Path
    journal: Path
    planned: int
    finished_before: int
    ok: int
    failed: int
    pending: int
    counts: RunCounts
    prompt_tokens: int
    completion_tokens: int
    cost: float | None
    elapsed_s: float
    personas_read: int
    personas_set_aside: int
    outside_cells: int
    written: int
    failures: tuple[tuple[str, str], ...] = field(default=())

    @property
    def complete(self) -> bool:
        """Every planned participant is finished (answered or recorded as failed)."""
        return self.pending == 0


def journal_path_for(out: str | os.PathLike[str]) -> Path:
    """The default journal next to the output: ``sim.csv`` -> ``sim.csv.journal.jsonl``."""
    return Path(f"{os.fspath(out)}.journal.jsonl")


def _study(spec: str | os.PathLike[str] | StudySpec) -> tuple[StudySpec, SimulationSpec]:
    study = spec if isinstance(spec, StudySpec) else load_spec(os.fspath(spec))
    if study.simulation is None:
        raise UsageError(f"the spec '{study.name}' has no simulation section; see docs/simulation.md to add one")
    return study, study.simulation


def _check_digests(sim: SimulationSpec, plan: Plan, state: JournalState, journal: Path) -> None:
    for participant in plan.participants:
        entry = state.participants.get(participant.id)
        if entry is not None and entry.digest and entry.digest != prompt_digest(sim, participant):
            raise UsageError(
                f"participant '{participant.id}' was asked other prompts in the journal '{journal}' "
                "(the spec, the persona file, --assignment or --seed changed); choose another --out "
                "(or --journal), or delete the journal to start over"
            )


def simulate(
    spec: str | os.PathLike[str] | StudySpec,
    personas: str | os.PathLike[str] | Any,
    out: str | os.PathLike[str],
    *,
    model: str,
    base_url: str | None = None,
    api_key_env: str | None = None,
    temperature: float = 1.0,
    max_tokens: int | None = None,
    n: int | None = None,
    seed: int = 0,
    assignment: str | None = None,
    per_cell: int | None = None,
    concurrency: int = 8,
    max_requests: int | None = None,
    max_cost: float | None = None,
    price_in: float | None = None,
    price_out: float | None = None,
    timeout: float = 120.0,
    policy: RetryPolicy | None = None,
    journal: str | os.PathLike[str] | None = None,
    retry_failed: bool = False,
    progress: str = "auto",
    stream: TextIO | None = None,
    client: Any = None,
    environ: dict[str, str] | None = None,
) -> SimulationReport:
    """Simulate the study's participants with a chat model and write them to ``out``.

    Every response is journaled (``journal``, default ``OUT.journal.jsonl``);
    calling again with the same arguments resumes. ``client`` replaces the
    ``openai.AsyncOpenAI`` client (for tests). Raises :class:`UsageError` for
    bad arguments, a journal from another run, or a missing API key, and
    :class:`~validator.simulate.runner.ServerRefused` when the server refuses
    requests outright.
    """
    started = time.monotonic()
    study, sim = _study(spec)
    _check_numbers(concurrency=concurrency, max_requests=max_requests, max_cost=max_cost, price_in=price_in, price_out=price_out, timeout=timeout, temperature=temperature, max_tokens=max_tokens)
    table = read_personas(personas, study)
    plan = plan_participants(sim, table, assignment=assignment, per_cell=per_cell, n=n, seed=seed)
    journal_path = Path(journal) if journal is not None else journal_path_for(out)
    tokens = max_tokens or sim.max_tokens
    guard = OutputGuard([personas if isinstance(personas, (str, os.PathLike)) else None, study.source])
    guard.check(out, "--out")
    guard.check(journal_path, "the journal")
    if Path(out).resolve() == journal_path.resolve():
        raise UsageError(f"the journal '{journal_path}' and --out '{out}' are the same file; give another --journal")

    book = Journal.open(journal_path)
    try:
        _check_digests(sim, plan, book.state, journal_path)
        todo = [
            (p, book.state.participants.get(p.id) or ParticipantState())
            for p in plan.participants
            if not _finished(book.state.participants.get(p.id), retry_failed)
        ]
        finished_before = len(plan.participants) - len(todo)
        key = resolve_api_key(api_key_env, base_url=base_url, environ=environ) if todo and client is None else ""
        first = book.state.first_run or {}
        run_header = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "simval": __version__,
            "model": model,
            "temperature": temperature,
            "max_tokens": tokens,
            "base_url": public_url(base_url),
            "spec": study.name,
            "spec_sha256": study.sha256,
            "personas": table.source,
            "personas_sha256": table.sha256,
            "assignment": plan.assignment,
            "seed": seed,
            "participants": len(plan.participants),
            "concurrency": concurrency,
            "salt": first.get("salt") or secrets.token_hex(8),
        }
        book.start(run_header)
        budget = Budget(max_requests=max_requests, max_cost=max_cost, price_in=price_in, price_out=price_out)
        meter = Progress(len(plan.participants), already=finished_before, stream=stream, mode=progress)
        counts = RunCounts()
        if todo:
            redactor = Redactor.for_key(key)
            settings = RunSettings(
                model=model,
                temperature=temperature,
                max_tokens=tokens,
                concurrency=concurrency,
                timeout=timeout,
                policy=policy or RetryPolicy(),
                salt=str(run_header["salt"]),
            )
            counts = asyncio.run(_run(sim, todo, book, client, key, base_url, settings, budget, meter, redactor))
        meter.close()
    finally:
        book.close()

    state = replay(read_records(journal_path))
    columns, rows = output_table(study, plan, state)
    if rows:
        write_csv_atomic(out, columns, rows)
    statuses = [state.participants[p.id].status if p.id in state.participants else None for p in plan.participants]
    return SimulationReport(
        out=Path(out),
        journal=journal_path,
        planned=len(plan.participants),
        finished_before=finished_before,
        ok=statuses.count("ok"),
        failed=statuses.count("failed"),
        pending=sum(1 for s in statuses if s not in ("ok", "failed")),
        counts=counts,
        prompt_tokens=budget.prompt_tokens,
        completion_tokens=budget.completion_tokens,
        cost=budget.cost if budget.priced else None,
        elapsed_s=time.monotonic() - started,
        personas_read=table.n_read,
        personas_set_aside=len({item.row for item in table.set_aside}),
        outside_cells=plan.n_outside_cells,
        written=len(rows),
        failures=tuple(counts.failures),
    )


async def _run(
    sim: SimulationSpec,
    todo: list[tuple[Any, ParticipantState]],
    book: Journal,
    client: Any,
    key: str,
    base_url: str | None,
    settings: RunSettings,
    budget: Budget,
    meter: Progress,
    redactor: Redactor,
) -> RunCounts:
    own = client is None
    if own:
        import openai

        client = openai.AsyncOpenAI(api_key=key, base_url=base_url, max_retries=0, timeout=settings.timeout)
    try:
        return await run_participants(
            sim, todo, journal=book, client=client, settings=settings, budget=budget, progress=meter, redactor=redactor
        )
    finally:
        if own:
            await client.close()


def _finished(entry: ParticipantState | None, retry_failed: bool) -> bool:
    if entry is None:
        return False
    return entry.status == "ok" or (entry.status == "failed" and not retry_failed)


def _check_numbers(**values: Any) -> None:
    if values["concurrency"] < 1:
        raise UsageError(f"--concurrency must be at least 1, got {values['concurrency']}")
    if values["max_requests"] is not None and values["max_requests"] < 1:
        raise UsageError(f"--max-requests must be at least 1, got {values['max_requests']}")
    if values["max_tokens"] is not None and values["max_tokens"] < 1:
        raise UsageError(f"--max-tokens must be at least 1, got {values['max_tokens']}")
    if values["timeout"] <= 0:
        raise UsageError(f"--timeout must be positive, got {values['timeout']:g}")
    if not 0.0 <= values["temperature"] <= 2.0:
        raise UsageError(f"--temperature must lie in [0, 2], got {values['temperature']:g}")
    for name in ("price_in", "price_out", "max_cost"):
        if values[name] is not None and values[name] < 0:
            raise UsageError(f"--{name.replace('_', '-')} must not be negative, got {values[name]:g}")
    if values["max_cost"] is not None and (values["price_in"] is None or values["price_out"] is None):
        raise UsageError("--max-cost needs the model's prices: --price-in and --price-out (dollars per million tokens)")


def dry_run(
    spec: str | os.PathLike[str] | StudySpec,
    personas: str | os.PathLike[str] | Any | None = None,
    out: str | os.PathLike[str] | None = None,
    *,
    n: int | None = None,
    seed: int = 0,
    assignment: str | None = None,
    per_cell: int | None = None,
    show: int = 2,
    max_tokens: int | None = None,
    price_in: float | None = None,
    price_out: float | None = None,
    journal: str | os.PathLike[str] | None = None,
    retry_failed: bool = False,
) -> str:
    """The rendered prompts of the first ``show`` participants and the number of requests; sends nothing.

    Without ``personas``, a few rows of simval's synthetic demo data stand in.
    """
    study, sim = _study(spec)
    table: PersonaTable = demo_personas(study) if personas is None else read_personas(personas, study)
    plan = plan_participants(sim, table, assignment=assignment, per_cell=per_cell, n=n, seed=seed)
    turns = len(sim.turns)
    lines = [
        f"simval simulate --dry-run (nothing is sent): spec {study.name}, personas {table.source}",
        f"{table.n_read} persona rows read, {len(table.personas)} usable; {plan.assignment} assignment: "
        f"{len(plan.participants)} participants in {len({p.cell.name for p in plan.participants})} cells",
    ]
    todo = list(plan.participants)
    path = Path(journal) if journal is not None else (journal_path_for(out) if out is not None else None)
    if path is not None and path.exists():
        state = replay(read_records(path))
        _check_digests(sim, plan, state, path)
        todo = [p for p in plan.participants if not _finished(state.participants.get(p.id), retry_failed)]
        lines.append(f"the journal {path} holds {len(plan.participants) - len(todo)} finished participants; {len(todo)} to ask")
    lines.append(
        f"{turns} turn{'s' if turns != 1 else ''} per participant: at least {len(todo) * turns} requests "
        "(more when a request is retried)"
    )
    tokens = max_tokens or sim.max_tokens
    if price_in is not None and price_out is not None and todo:
        budget = Budget(price_in=price_in, price_out=price_out)
        worst = 0.0
        for participant in todo:
            replies: list[str] = []
            for _ in range(turns):
                worst += budget.request_cost(estimate_prompt_tokens(conversation(sim, participant, replies)), tokens)
                replies.append("x" * tokens * 4)
        lines.append(f"worst-case cost without retries: ${worst:.2f} (prompt bytes counted as tokens, every reply {tokens} tokens)")
    for participant in plan.participants[: max(0, show)]:
        lines.append("")
        lines.append(f"=== participant {participant.id} (persona row {participant.persona.row}, cell {participant.cell.name}) ===")
        messages = conversation(sim, participant, [])
        lines.extend(_show_message(messages[0]))
        for turn in range(turns):
            lines.extend(_show_message({"role": f"user, turn {turn + 1}", "content": conversation(sim, participant, ["..."] * turn)[-1]["content"]}))
            arrays = "; ".join(item.label for item in sim.turns[turn].answer)
            lines.append(f"--- assistant ---\n<the reply: {len(sim.turns[turn].answer)} bracketed array(s): {arrays}>")
    return "\n".join(lines) + "\n"


def _show_message(message: dict[str, str]) -> list[str]:
    return [f"--- {message['role']} ---", message["content"]]


#: How many distinct failure reasons the summary lists.
FAILURE_REASONS_SHOWN = 5


def failure_reasons(failures: Sequence[tuple[str, str]]) -> list[tuple[str, int]]:
    """Distinct failure reasons with how many participants each stopped, most frequent first (ties by text).

    >>> failure_reasons([("1", "timeout"), ("2", "bad JSON"), ("3", "timeout")])
    [('timeout', 2), ('bad JSON', 1)]
    """
    counts = Counter(why for _, why in failures)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def format_report(report: SimulationReport) -> str:
    """The summary printed after a run: participants, requests, retries, tokens, failures."""
    c = report.counts
    lines = [
        f"simulated {report.planned} participants: {report.ok} answered, {report.failed} failed, {report.pending} not yet asked"
        + (f" ({report.finished_before} finished before this run)" if report.finished_before else ""),
        f"this run: {c.requests} requests, {c.ok} answered, {c.failed} failed, in {format_duration(report.elapsed_s)}",
    ]
    if c.retries:
        causes = ", ".join(f"{cause} {count}" for cause, count in sorted(c.retries.items()))
        lines.append(f"retries: {sum(c.retries.values())} ({causes})")
    tokens = f"tokens: {report.prompt_tokens} prompt, {report.completion_tokens} completion"
    if report.cost is not None:
        tokens += f"; cost ${report.cost:.4f}"
    lines.append(tokens)
    if report.personas_set_aside:
        lines.append(f"persona rows set aside (values the spec does not accept): {report.personas_set_aside} of {report.personas_read}")
    if report.outside_cells:
        lines.append(f"persona rows outside the spec's cells, not simulated: {report.outside_cells}")
    if report.failures:
        reasons = failure_reasons(report.failures)
        lines.append(f"why {len(report.failures)} participant{'s' if len(report.failures) != 1 else ''} failed in this run:")
        lines.extend(f"  {count} x {why}" for why, count in reasons[:FAILURE_REASONS_SHOWN])
        hidden = len(reasons) - FAILURE_REASONS_SHOWN
        if hidden > 0:
            lines.append(f"  ... and {hidden} other reasons (each participant's is in the journal)")
    if c.stopped:
        lines.append(f"stopped: {c.stopped}")
    if report.written:
        if not report.complete:
            state = f"PARTIAL, {report.pending} participants still to ask"
        elif report.failed:
            state = f"every participant asked, {report.failed} of them failed: --retry-failed asks them again"
        else:
            state = "complete"
        lines.append(f"wrote {report.written} rows to {report.out} ({state})")
    lines.append(f"journal: {report.journal}")
    if not report.complete:
        lines.append("rerun the same command to resume; finished participants are not asked again")
    return "\n".join(lines)
