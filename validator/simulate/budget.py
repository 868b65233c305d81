"""A spending limit for one ``simval simulate`` invocation: requests, or dollars.

A request is started only if it fits: with ``max_requests``, fewer than that
many requests have been started; with ``max_cost``, the cost so far plus the
worst-case cost of every request in flight, this one included, stays within
the limit (a request that does not fit waits for those in flight to settle,
and the run stops when it still does not fit with none in flight). The worst case of a request is its prompt's UTF-8 bytes plus 16
per message as prompt tokens (a token is at least one byte) and
``max_tokens`` completion tokens; once the reply arrives its reported usage
replaces the estimate. So ``--max-cost`` is never exceeded when the server
reports usage, and the run stops cleanly: no new request starts, the ones in
flight finish and are journaled.

Cost = prompt tokens x ``price_in`` + completion tokens x ``price_out``, with
prices in dollars per million tokens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Budget", "Reservation", "estimate_prompt_tokens"]


def estimate_prompt_tokens(messages: Sequence[Mapping[str, str]]) -> int:
    """An upper bound on the prompt tokens of ``messages``: UTF-8 bytes plus 16 per message."""
    return sum(len(m.get("content", "").encode("utf-8")) + 16 for m in messages)


@dataclass
class Reservation:
    """The worst-case cost held for one request in flight."""

    cost: float


class Budget:
    """Counts requests, tokens and dollars, and says whether another request may start."""

    def __init__(
        self,
        *,
        max_requests: int | None = None,
        max_cost: float | None = None,
        price_in: float | None = None,
        price_out: float | None = None,
    ) -> None:
        self.max_requests = max_requests
        self.max_cost = max_cost
        self.price_in = price_in
        self.price_out = price_out
        self.requests = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.cost = 0.0
        self.held = 0.0
        self.stopped: str | None = None

    @property
    def priced(self) -> bool:
        return self.price_in is not None and self.price_out is not None

    def request_cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        """Dollars for one request: tokens times the per-million prices."""
        if not self.priced:
            return 0.0
        return (prompt_tokens * float(self.price_in) + completion_tokens * float(self.price_out)) / 1e6  # type: ignore[arg-type]

    def reserve(self, prompt_estimate: int, max_tokens: int) -> Reservation | None:
        """Hold the worst case of one more request, or None when it does not fit.

        ``stopped`` says why when the answer is final; when it is not set, the
        request may fit once the requests in flight settle.
        """
        if self.stopped:
            return None
        if self.max_requests is not None and self.requests >= self.max_requests:
            self.stopped = f"the budget of {self.max_requests} requests is spent"
            return None
        worst = self.request_cost(prompt_estimate, max_tokens)
        if self.max_cost is not None and self.cost + self.held + worst > self.max_cost + 1e-12:
            # While requests are in flight their actual cost may free room: only then is "no" final.
            if self.held <= 1e-15:
                self.stopped = f"the next request could exceed the budget of ${self.max_cost:g} (spent ${self.cost:.4f})"
            return None
        self.requests += 1
        self.held += worst
        return Reservation(worst)

    def settle(self, reservation: Reservation, usage: Mapping[str, int] | None, *, billed: bool = True) -> None:
        """Replace the held worst case by the reported usage.

        A request that failed (``billed`` false) costs nothing; a reply without
        usage is charged its worst case.
        """
        self.held -= reservation.cost
        if not billed:
            return
        if usage:
            prompt = int(usage.get("prompt_tokens") or 0)
            completion = int(usage.get("completion_tokens") or 0)
            self.prompt_tokens += prompt
            self.completion_tokens += completion
            self.cost += self.request_cost(prompt, completion)
        else:
            self.cost += reservation.cost
