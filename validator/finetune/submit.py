"""``submit()``: upload a training file and start a finetuning job through the openai client.

The file is checked locally first (every line a JSON object whose
``messages`` are system/user/assistant turns with text, at least one from the
assistant), so a malformed file fails here with its line number rather than
after an upload. Then ``files.create(purpose="fine-tune")`` and
``fine_tuning.jobs.create``; the job id is returned. The API key comes from
the environment (see :mod:`validator.simulate.credentials`) and is scrubbed
from any error shown.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator.errors import InputError, SimvalError
from validator.simulate.credentials import Redactor, resolve_api_key

__all__ = ["SubmitResult", "submit", "check_training_file", "SubmitRefused"]

ROLES = ("system", "user", "assistant")


class SubmitRefused(SimvalError):
    """The server refused the upload or the job."""


@dataclass(frozen=True)
class SubmitResult:
    """The uploaded file(s) and the job created."""

    job_id: str
    status: str
    training_file_id: str
    validation_file_id: str | None
    examples: int


def check_training_file(path: str | os.PathLike[str]) -> int:
    """The number of conversations in a chat-format JSONL file; :class:`InputError` naming the line when one is malformed."""
    source = os.fspath(path)
    try:
        text = Path(source).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", source=source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot be read as UTF-8 text ({exc})", source=source) from None
    count = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            record = json.loads(line)
        except ValueError:
            raise InputError(f"{where} is not JSON", source=source) from None
        messages = record.get("messages") if isinstance(record, dict) else None
        if not isinstance(messages, list) or not messages:
            raise InputError(f"{where} has no 'messages' list", source=source)
        for i, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") not in ROLES or not isinstance(message.get("content"), str):
                raise InputError(f"{where}, message {i + 1}: needs a role (system, user or assistant) and text content", source=source)
        if not any(m["role"] == "assistant" for m in messages):
            raise InputError(f"{where} has no assistant message to learn from", source=source)
        count += 1
    if count == 0:
        raise InputError("holds no conversations", source=source)
    return count


def submit(
    training: str | os.PathLike[str],
    *,
    model: str,
    base_url: str | None = None,
    api_key_env: str | None = None,
    validation: str | os.PathLike[str] | None = None,
    suffix: str | None = None,
    epochs: int | None = None,
    seed: int | None = None,
    client: Any = None,
    environ: dict[str, str] | None = None,
) -> SubmitResult:
    """Upload ``training`` (and ``validation``) and create a finetuning job of ``model``; returns the job."""
    import openai

    examples = check_training_file(training)
    if validation is not None:
        check_training_file(validation)
    key = resolve_api_key(api_key_env, base_url=base_url, environ=environ)
    redactor = Redactor.for_key(key)
    own = client is None
    if own:
        client = openai.OpenAI(api_key=key, base_url=base_url)
    try:
        training_id = _upload(client, training, redactor)
        validation_id = _upload(client, validation, redactor) if validation is not None else None
        options: dict[str, Any] = {"model": model, "training_file": training_id}
        if validation_id:
            options["validation_file"] = validation_id
        if suffix:
            options["suffix"] = suffix
        if seed is not None:
            options["seed"] = seed
        if epochs is not None:
            options["hyperparameters"] = {"n_epochs": epochs}
        try:
            job = client.fine_tuning.jobs.create(**options)
        except openai.APIError as exc:
            raise SubmitRefused(redactor.scrub(f"the finetuning job was refused: {_message(exc)}")) from None
    finally:
        if own:
            client.close()
    return SubmitResult(str(job.id), str(getattr(job, "status", "") or ""), training_id, validation_id, examples)


def _upload(client: Any, path: str | os.PathLike[str], redactor: Redactor) -> str:
    import openai

    try:
        with open(path, "rb") as handle:
            uploaded = client.files.create(file=(Path(path).name, handle), purpose="fine-tune")
    except openai.APIError as exc:
        raise SubmitRefused(redactor.scrub(f"the upload of {os.fspath(path)} was refused: {_message(exc)}")) from None
    return str(uploaded.id)


def _message(exc: Any) -> str:
    status = getattr(exc, "status_code", None)
    body = getattr(exc, "body", None)
    text = str(getattr(exc, "message", "") or exc)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            text = str(inner["message"])
    return f"HTTP {status}: {text}" if status else text
