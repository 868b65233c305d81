"""A per-run memo computes each key's value once, also under concurrent callers."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from validator.checks.memo import Memo


def test_each_key_is_computed_once_and_shared() -> None:
    memo: Memo[list[int]] = Memo()
    calls: list[str] = []

    def compute(key: str) -> list[int]:
        calls.append(key)
        return [len(calls)]

    first = memo.get("a", lambda: compute("a"))
    assert memo.get("a", lambda: compute("a")) is first
    assert memo.get("b", lambda: compute("b")) == [2]
    assert calls == ["a", "b"] and len(memo) == 2


def test_concurrent_callers_wait_for_the_first_computation() -> None:
    memo: Memo[int] = Memo()
    started = threading.Event()
    count = 0

    def slow() -> int:
        nonlocal count
        count += 1
        started.set()
        time.sleep(0.05)  # the other callers arrive while this runs
        return 7

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: memo.get("k", slow), range(8)))
    assert results == [7] * 8 and count == 1


def test_an_exception_reaches_every_caller() -> None:
    memo: Memo[int] = Memo()

    def fail() -> int:
        raise ValueError("no")

    for _ in range(2):
        with pytest.raises(ValueError, match="no"):
            memo.get("k", fail)


def test_a_memo_pickles_empty_so_the_human_side_can_go_to_another_process() -> None:
    import pickle

    memo: Memo[int] = Memo()
    assert memo.get("a", lambda: 1) == 1
    copy = pickle.loads(pickle.dumps(memo))
    assert len(copy) == 0 and copy.get("a", lambda: 2) == 2
