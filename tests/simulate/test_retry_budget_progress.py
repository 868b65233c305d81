"""Retry waits, the spending limit and the progress display: pure functions, no server."""

from __future__ import annotations

import io
import random
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest

from validator.simulate.budget import Budget, estimate_prompt_tokens
from validator.simulate.progress import Progress, format_duration
from validator.simulate.retry import RetryPolicy, backoff_delay, is_retryable_status, parse_retry_after


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "2"}, 2.0),
        ({"retry-after": "0"}, 0.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "-3"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_parse_retry_after(headers, expected):
    assert parse_retry_after(headers) == expected


def test_retry_after_as_http_date():
    now = 1_800_000_000.0
    when = format_datetime(datetime.fromtimestamp(now + 30, tz=timezone.utc), usegmt=True)
    assert parse_retry_after({"Retry-After": when}, now=now) == pytest.approx(30.0)


@pytest.mark.parametrize("failures", [1, 2, 3, 4, 8, 20])
def test_backoff_is_exponential_with_equal_jitter_and_capped(failures):
    policy = RetryPolicy(base=1.0, cap=60.0)
    ceiling = min(60.0, 2.0 ** (failures - 1))
    delays = [backoff_delay(failures, policy, rng=random.Random(seed)) for seed in range(50)]
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len(set(delays)) > 1  # jittered


def test_backoff_never_undercuts_retry_after_but_caps_it():
    policy = RetryPolicy(base=0.01, max_retry_after=5.0)
    assert backoff_delay(1, policy, retry_after=3.0, rng=random.Random(0)) == 3.0
    assert backoff_delay(1, policy, retry_after=500.0, rng=random.Random(0)) == 5.0


@pytest.mark.parametrize(("status", "retry"), [(429, True), (500, True), (503, True), (408, True), (409, True), (400, False), (401, False), (404, False), (422, False)])
def test_which_statuses_are_retried(status, retry):
    assert is_retryable_status(status) is retry


def test_max_requests_stops_exactly_at_the_limit():
    budget = Budget(max_requests=3)
    held = [budget.reserve(100, 10) for _ in range(3)]
    assert all(held)
    assert budget.reserve(100, 10) is None
    assert budget.stopped == "the budget of 3 requests is spent"


def test_max_cost_holds_the_worst_case_of_requests_in_flight():
    # price: $1 per million prompt tokens, $2 per million completion tokens
    budget = Budget(max_cost=0.001, price_in=1.0, price_out=2.0)
    worst = (100 * 1.0 + 200 * 2.0) / 1e6  # 0.0005
    first = budget.reserve(100, 200)
    second = budget.reserve(100, 200)
    assert first and second and budget.held == pytest.approx(2 * worst)
    assert budget.reserve(100, 200) is None  # a third could exceed $0.001 ...
    assert budget.stopped is None  # ... but not once the two in flight report their usage
    budget.settle(first, {"prompt_tokens": 100, "completion_tokens": 50})
    assert budget.cost == pytest.approx((100 + 100) / 1e6)
    assert budget.reserve(100, 200) is None  # 0.0002 spent + 0.0005 held + 0.0005 > 0.001
    budget.settle(second, None, billed=False)  # a failed request costs nothing
    assert budget.cost == pytest.approx(2e-4)
    third = budget.reserve(100, 200)
    assert third is not None  # 0.0002 + 0.0005 fits
    assert budget.reserve(100, 200) is None and budget.stopped is None
    budget.settle(third, {"prompt_tokens": 100, "completion_tokens": 150})
    assert budget.cost == pytest.approx(2e-4 + 4e-4)
    assert budget.reserve(100, 200) is None
    assert budget.stopped.startswith("the next request could exceed the budget of $0.001")


def test_reply_without_usage_is_charged_its_worst_case():
    budget = Budget(price_in=1.0, price_out=1.0)
    held = budget.reserve(10, 10)
    budget.settle(held, None)
    assert budget.cost == pytest.approx(20 / 1e6)


def test_prompt_estimate_is_bytes_plus_overhead():
    assert estimate_prompt_tokens([{"role": "user", "content": "héllo"}]) == 6 + 16


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_with_rate_and_eta():
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress(100, already=20, stream=stream, every=10, clock=clock)
    assert progress.mode == "lines"
    clock.now = 5.0
    progress.update(finished=10)
    assert stream.getvalue() == ""  # not before a full interval
    clock.now = 10.0
    progress.update(finished=10, failed=1)
    # 20 new in 10 s = 2/s; 60 left -> 30 s
    assert stream.getvalue() == "simulate: 40/100 participants (40%), 2.0/s, ETA 0:30, 1 failed\n"


def test_bar_on_a_terminal_redraws_in_place():
    clock, stream = FakeClock(), FakeTTY()
    progress = Progress(10, stream=stream, clock=clock)
    assert progress.mode == "bar"
    clock.now = 2.0
    progress.update(finished=5, retries=2)
    progress.close()
    text = stream.getvalue()
    assert text.startswith("\r[")
    assert "5/10 participants (50%), 2.5/s, ETA 0:02, 2 retries" in text
    assert text.endswith("\n")


def test_slow_rates_read_per_minute():
    clock = FakeClock()
    progress = Progress(10, stream=io.StringIO(), clock=clock)
    clock.now = 60.0
    progress.done = 3
    assert "3.0/min" in progress.line()


@pytest.mark.parametrize(("seconds", "text"), [(0, "0:00"), (75, "1:15"), (3725, "1:02:05")])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text
