"""When to retry a request, and how long to wait first.

Retried: rate limits (HTTP 429), 408, 409, 425, server errors (5xx),
timeouts and broken connections. Not retried (they would fail again for every
participant, so the run stops): 400, 401, 403, 404, 413, 422 and other 4xx.

The wait before attempt ``k + 1`` after ``k`` failures is exponential backoff
with equal jitter, ``d / 2 + U(0, d / 2)`` with ``d = min(cap, base * 2 ** (k - 1))``,
and never shorter than the server's ``Retry-After`` (seconds or an HTTP date)
or ``retry-after-ms``, capped at ``max_retry_after``.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["RetryPolicy", "parse_retry_after", "backoff_delay", "RETRYABLE_STATUS", "is_retryable_status"]

RETRYABLE_STATUS = frozenset({408, 409, 425, 429})


def is_retryable_status(status: int) -> bool:
    """Whether an HTTP status is worth retrying: 408, 409, 425, 429 and every 5xx."""
    return status in RETRYABLE_STATUS or status >= 500


@dataclass(frozen=True)
class RetryPolicy:
    """``max_attempts`` tries per request for transport errors; ``parse_attempts`` tries per turn for unreadable replies."""

    max_attempts: int = 6
    parse_attempts: int = 3
    base: float = 1.0
    cap: float = 60.0
    max_retry_after: float = 600.0


def parse_retry_after(headers: Mapping[str, str] | None, *, now: float | None = None) -> float | None:
    """Seconds the server asks to wait, from ``retry-after-ms`` or ``Retry-After``; None when absent or unreadable.

    >>> parse_retry_after({"Retry-After": "2"})
    2.0
    >>> parse_retry_after({"retry-after-ms": "1500"})
    1.5
    """
    if not headers:
        return None
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    ms = lowered.get("retry-after-ms")
    if ms is not None:
        try:
            value = float(ms) / 1000.0
            if value >= 0:
                return value
        except ValueError:
            pass
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
        return seconds if seconds >= 0 else None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def backoff_delay(failures: int, policy: RetryPolicy, *, retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Seconds to wait after ``failures`` failed attempts (see the module docstring)."""
    draw = (rng or random).random()
    ceiling = min(policy.cap, policy.base * 2 ** max(0, failures - 1))
    delay = ceiling / 2 + draw * ceiling / 2
    if retry_after is not None:
        delay = max(delay, min(retry_after, policy.max_retry_after))
    return float(delay)
