"""The API key: read from the environment only, and scrubbed from everything simval writes.

The key is never taken on the command line (it would land in shell history
and process listings) and never written: every text that goes to the
journal, the output, a message or the terminal passes through
:meth:`Redactor.scrub` first, because servers echo keys in error bodies.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from validator.errors import UsageError

__all__ = ["DEFAULT_KEY_ENV", "NO_KEY", "Redactor", "public_url", "resolve_api_key"]

DEFAULT_KEY_ENV = "OPENAI_API_KEY"
NO_KEY = "no-key-needed"
"""Sent to a local server (``--base-url``) when no key is set; such servers ignore it."""


def resolve_api_key(
    env_name: str | None,
    *,
    base_url: str | None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The API key from ``env_name`` (default ``OPENAI_API_KEY``).

    Without a key, a run against ``--base-url`` (a local or self-hosted server)
    sends a placeholder; a run against OpenAI itself, or one that named the
    variable explicitly, is a usage error.
    """
    env = os.environ if environ is None else environ
    name = env_name or DEFAULT_KEY_ENV
    key = env.get(name, "").strip()
    if key:
        return key
    if env_name is None and base_url:
        return NO_KEY
    hint = "" if env_name else " (or name another variable with --api-key-env)"
    raise UsageError(f"no API key: the environment variable {name} is not set{hint}")


@dataclass(frozen=True)
class Redactor:
    """Replaces every occurrence of the secrets in a text by ``***``."""

    secrets: tuple[str, ...] = field(default=())

    @classmethod
    def for_key(cls, key: str) -> Redactor:
        return cls(() if key == NO_KEY or len(key) < 4 else (key,))

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def scrub_values(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Parsed answers with every text value scrubbed (numbers and choices pass unchanged)."""
        return {name: self.scrub(value) if isinstance(value, str) else value for name, value in values.items()}


def public_url(url: str | None) -> str | None:
    """``url`` without a user name or password, fit for a journal or a message."""
    if not url:
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[1], parts.path, parts.query, parts.fragment))
