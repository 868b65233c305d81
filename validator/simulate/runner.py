"""The asynchronous engine: ask every open participant, journal every response, retry what can be retried.

``concurrency`` workers take participants from a queue; each asks its
participant's turns in order through ``openai.AsyncOpenAI`` (its own retries
off, so that every attempt is journaled). For each request:

* it waits out a shared pause set by a rate limit (one 429 slows every worker);
* it starts only if the :class:`~validator.simulate.budget.Budget` allows;
* transport failures (429, 408, 409, 425, 5xx, timeouts, broken connections)
  are retried after :func:`~validator.simulate.retry.backoff_delay`, up to
  ``policy.max_attempts`` tries; past that the participant is recorded failed;
* a refusal that would repeat for everyone (400, 401, 403, 404, 422, ...) stops
  the run with :class:`ServerRefused`, after the requests in flight finish;
* a reply that :func:`~validator.simulate.answers.parse_reply` cannot read is
  asked again, up to ``policy.parse_attempts`` times per turn; past that the
  participant is recorded failed with the raw text.

Every request's outcome is one ``response`` record and every finished
participant one ``participant`` record, appended before the worker moves on.
A participant is never asked again once finished, and a turn never once answered.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from validator.errors import SimvalError
from validator.simulate.answers import AnswerError, parse_reply
from validator.simulate.budget import Budget, estimate_prompt_tokens
from validator.simulate.credentials import Redactor
from validator.simulate.journal import Journal, ParticipantState
from validator.simulate.model import SimulationSpec
from validator.simulate.plan import Participant
from validator.simulate.progress import Progress
from validator.simulate.prompts import conversation, prompt_digest
from validator.simulate.retry import (
    RetryPolicy,
    backoff_delay,
    is_retryable_status,
    parse_retry_after,
)
from validator.simulate.schema import response_format

__all__ = ["RunCounts", "RunSettings", "ServerRefused", "request_tag", "run_participants"]

REQUEST_HEADER = "X-Simval-Request"


class ServerRefused(SimvalError):
    """The server refused a request in a way every other request would repeat (bad key, unknown model)."""


@dataclass(frozen=True)
class RunSettings:
    """How to ask: the model and sampling, parallelism, timeout and retry policy."""

    model: str
    temperature: float = 1.0
    max_tokens: int = 512
    concurrency: int = 8
    timeout: float = 120.0
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    salt: str = ""
    seed: int | None = None


@dataclass
class RunCounts:
    """What one invocation did."""

    ok: int = 0
    failed: int = 0
    requests: int = 0
    unparseable: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)
    stopped: str | None = None


def request_tag(salt: str, participant: str, turn: int, attempt: int) -> str:
    """The ``X-Simval-Request`` header: a keyed hash of the participant id (never the id itself), turn and attempt.

    Lets a server's log be matched with the journal (which stores the salt)
    without telling the server who the participant is.
    """
    digest = hmac.new(salt.encode("utf-8"), participant.encode("utf-8"), hashlib.sha256).hexdigest()[:16]
    return f"{digest}.{turn}.{attempt}"


@dataclass
class _Reply:
    text: str | None
    usage: dict[str, int] | None
    finish_reason: str | None


@dataclass
class _Failure:
    reason: str


class _Stopped:
    pass


_STOPPED = _Stopped()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class _Runner:
    def __init__(
        self,
        sim: SimulationSpec,
        journal: Journal,
        client: Any,
        settings: RunSettings,
        budget: Budget,
        progress: Progress,
        redactor: Redactor,
    ) -> None:
        self.sim = sim
        self.journal = journal
        self.client = client
        self.settings = settings
        self.budget = budget
        self.progress = progress
        self.redactor = redactor
        self.counts = RunCounts()
        self.pause_until = 0.0
        self.stop = False
        self.fatal: ServerRefused | None = None
        self.token_param = "max_tokens"
        self.rng = random.Random()
        # Set whenever a request settles its cost, so that requests waiting for budget look again.
        self.settled = asyncio.Event()

    async def run(self, todo: list[tuple[Participant, ParticipantState]]) -> RunCounts:
        queue: asyncio.Queue[tuple[Participant, ParticipantState]] = asyncio.Queue()
        for item in todo:
            queue.put_nowait(item)
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(max(1, min(self.settings.concurrency, len(todo) or 1)))]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
        if self.fatal is not None:
            raise self.fatal
        if self.budget.stopped:
            self.counts.stopped = self.budget.stopped
        return self.counts

    async def _worker(self, queue: asyncio.Queue[tuple[Participant, ParticipantState]]) -> None:
        while not self.stop:
            try:
                participant, state = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await self._participant(participant, state)

    async def _participant(self, participant: Participant, state: ParticipantState) -> None:
        digest = prompt_digest(self.sim, participant)
        replies = list(state.replies)
        values: dict[str, Any] = dict(state.values)
        unparseable = state.unparseable
        for turn in range(len(replies), len(self.sim.turns)):
            items = self.sim.turns[turn].answer
            while True:
                attempt = unparseable + 1
                messages = conversation(self.sim, participant, replies)
                outcome = await self._request(participant, turn + 1, attempt, messages, digest)
                if isinstance(outcome, _Stopped):
                    return
                if isinstance(outcome, _Failure):
                    await self._finish(participant, digest, "failed", values, outcome.reason, None)
                    return
                # Scrub before parsing: a model or server that repeats the key in a
                # free-text answer would otherwise put it in the parsed values, and
                # from there in the journal, the output CSV and the next prompt.
                reply = None if outcome.text is None else self.redactor.scrub(outcome.text)
                record: dict[str, Any] = {
                    "type": "response",
                    "participant": participant.id,
                    "digest": digest,
                    "turn": turn + 1,
                    "attempt": attempt,
                    "request": request_tag(self.settings.salt, participant.id, turn + 1, attempt),
                    "raw": reply,
                    "finish_reason": outcome.finish_reason,
                    "usage": outcome.usage,
                    "time": _now(),
                }
                try:
                    parsed = self.redactor.scrub_values(parse_reply(reply, items))
                except AnswerError as exc:
                    reason = self.redactor.scrub(str(exc))
                    if outcome.finish_reason == "length":
                        reason += " (the reply was cut off at max_tokens)"
                    await self.journal.append_async({**record, "status": "unparseable", "error": reason})
                    self.counts.unparseable += 1
                    unparseable += 1
                    if unparseable >= self.settings.policy.parse_attempts:
                        why = f"turn {turn + 1}: {reason} (after {unparseable} attempts)"
                        await self._finish(participant, digest, "failed", values, why, record["raw"])
                        return
                    self.counts.retries["unparseable"] += 1
                    self.progress.update(retries=1)
                    continue
                await self.journal.append_async({**record, "status": "ok", "values": parsed})
                replies.append(reply or "")
                values.update(parsed)
                unparseable = 0
                break
        await self._finish(participant, digest, "ok", values, None, None)

    async def _finish(self, participant: Participant, digest: str, status: str, values: dict[str, Any], error: str | None, raw: str | None) -> None:
        record: dict[str, Any] = {
            "type": "participant",
            "participant": participant.id,
            "digest": digest,
            "status": status,
            "values": values,
            "time": _now(),
        }
        if error is not None:
            record["error"] = self.redactor.scrub(error)
        if raw is not None:
            record["raw"] = raw
        await self.journal.append_async(record)
        if status == "ok":
            self.counts.ok += 1
            self.progress.update(finished=1)
        else:
            self.counts.failed += 1
            self.counts.failures.append((participant.id, record.get("error", "")))
            self.progress.update(finished=1, failed=1)

    async def _request(
        self, participant: Participant, turn: int, attempt: int, messages: list[dict[str, str]], digest: str
    ) -> _Reply | _Failure | _Stopped:
        import openai

        failures = 0
        estimate = estimate_prompt_tokens(messages)
        while True:
            wait = self.pause_until - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if self.stop:
                return _STOPPED
            reservation = self.budget.reserve(estimate, self.settings.max_tokens)
            while reservation is None and not self.budget.stopped and not self.stop:
                self.settled.clear()
                await self.settled.wait()
                reservation = self.budget.reserve(estimate, self.settings.max_tokens)
            if reservation is None:
                self.stop = True
                self.settled.set()  # wake the workers waiting for room: the run is over
                return _STOPPED
            self.counts.requests += 1
            tag = request_tag(self.settings.salt, participant.id, turn, attempt)
            started = time.monotonic()
            status: int | None = None
            retry_after: float | None = None
            usage: dict[str, int] | None = None
            try:
                kwargs: dict[str, Any] = {
                    "model": self.settings.model,
                    "messages": messages,
                    "temperature": self.settings.temperature,
                    self.token_param: self.settings.max_tokens,
                    "extra_headers": {REQUEST_HEADER: tag},
                    "timeout": self.settings.timeout,
                }
                if self.settings.seed is not None:
                    kwargs["seed"] = self.settings.seed
                if self.sim.constrained_decoding:
                    kwargs["response_format"] = response_format(self.sim.turns[turn - 1], self.sim.response_format)
                completion = await self.client.chat.completions.create(**kwargs)
            except openai.APIStatusError as exc:
                self._settle(reservation, None, billed=False)
                status = exc.status_code
                message = self.redactor.scrub(_status_message(exc))
                if status == 400 and self.token_param == "max_tokens" and "max_completion_tokens" in message:
                    # Newer OpenAI models take max_completion_tokens instead; switch once, for everyone.
                    self.token_param = "max_completion_tokens"
                    await self._journal_error(participant, digest, turn, attempt, tag, status, message, started)
                    continue
                retry_after = parse_retry_after(dict(exc.response.headers)) if exc.response is not None else None
                cause = "rate_limit" if status == 429 else f"http_{status}"
            except openai.APITimeoutError:
                self._settle(reservation, None, billed=False)
                message, cause = f"no reply within {self.settings.timeout:g} s", "timeout"
            except openai.APIConnectionError as exc:
                self._settle(reservation, None, billed=False)
                message, cause = self.redactor.scrub(f"connection failed: {exc}"), "connection"
            except (openai.APIError, ValueError) as exc:
                self._settle(reservation, None, billed=False)
                message, cause = self.redactor.scrub(f"unreadable response: {exc}"), "bad_response"
            else:
                usage = _usage(completion)
                self._settle(reservation, usage)
                choice = completion.choices[0] if getattr(completion, "choices", None) else None
                if choice is not None:
                    return _Reply(choice.message.content if choice.message else None, usage, choice.finish_reason)
                message, cause = "the response has no choices", "bad_response"
            await self._journal_error(participant, digest, turn, attempt, tag, status, message, started, usage)
            refuses_schema = status is not None and self._refuses_json_schema(message)
            if status is not None and (not is_retryable_status(status) or refuses_schema):
                hint = _SCHEMA_FORM_HINT if refuses_schema else _refusal_hint(status)
                self.fatal = ServerRefused(f"the server refused the request with HTTP {status}: {message}{hint}")
                self.stop = True
                return _STOPPED
            failures += 1
            self.counts.retries[cause] += 1
            self.progress.update(retries=1)
            if failures >= self.settings.policy.max_attempts:
                return _Failure(f"turn {turn}: gave up after {failures} attempts ({cause}: {message})")
            delay = backoff_delay(failures, self.settings.policy, retry_after=retry_after, rng=self.rng)
            if retry_after is not None:
                self.pause_until = max(self.pause_until, time.monotonic() + min(retry_after, self.settings.policy.max_retry_after))
            await asyncio.sleep(delay)

    def _refuses_json_schema(self, message: str) -> bool:
        """True when the server says it takes response_format json_object, not the json_schema sent.

        llama-cpp-python's server answers that with HTTP 500, which would otherwise be
        retried for every participant; the run stops at once with the spec key to set.
        """
        sent = self.sim.constrained_decoding and self.sim.response_format == "json_schema"
        return sent and "response_format" in message and "json_object" in message and "json_schema" in message

    def _settle(self, reservation: Any, usage: dict[str, int] | None, *, billed: bool = True) -> None:
        self.budget.settle(reservation, usage, billed=billed)
        self.settled.set()

    async def _journal_error(
        self,
        participant: Participant,
        digest: str,
        turn: int,
        attempt: int,
        tag: str,
        status: int | None,
        message: str,
        started: float,
        usage: dict[str, int] | None = None,
    ) -> None:
        await self.journal.append_async(
            {
                "type": "response",
                "participant": participant.id,
                "digest": digest,
                "turn": turn,
                "attempt": attempt,
                "request": tag,
                "status": "error",
                "http_status": status,
                "error": message,
                "usage": usage,
                "elapsed_s": round(time.monotonic() - started, 3),
                "time": _now(),
            }
        )


def _usage(completion: Any) -> dict[str, int] | None:
    usage = getattr(completion, "usage", None)
    if usage is None:
        return None
    return {
        "prompt_tokens": int(getattr(usage, "prompt_tokens", 0) or 0),
        "completion_tokens": int(getattr(usage, "completion_tokens", 0) or 0),
    }


def _status_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return str(getattr(exc, "message", "") or exc)


_SCHEMA_FORM_HINT = " (this server takes the schema as response_format json_object: set simulation.response_format: json_object in the spec)"


def _refusal_hint(status: int) -> str:
    if status == 401:
        return " (check the API key: OPENAI_API_KEY or the variable named by --api-key-env)"
    if status == 403:
        return " (the key may lack access to this model)"
    if status == 404:
        return " (check --model and --base-url)"
    return ""


async def run_participants(
    sim: SimulationSpec,
    todo: list[tuple[Participant, ParticipantState]],
    *,
    journal: Journal,
    client: Any,
    settings: RunSettings,
    budget: Budget,
    progress: Progress,
    redactor: Redactor,
) -> RunCounts:
    """Ask every participant in ``todo`` (see the module docstring); returns what this run did."""
    runner = _Runner(sim, journal, client, settings, budget, progress, redactor)
    return await runner.run(todo)
