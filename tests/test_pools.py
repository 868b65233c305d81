"""The worker pool cancels its queued tasks when the block is left by Ctrl-C."""

from __future__ import annotations

import threading

import pytest

from validator.pools import worker_pool


def test_an_exception_cancels_queued_tasks_instead_of_waiting_for_them() -> None:
    release = threading.Event()
    with pytest.raises(KeyboardInterrupt), worker_pool(max_workers=1) as pool:
        running = pool.submit(release.wait)
        queued = [pool.submit(release.wait) for _ in range(5)]
        raise KeyboardInterrupt
    # Returned while the first task still runs (a plain ThreadPoolExecutor would wait here for all six).
    assert not running.done()
    assert all(future.cancelled() for future in queued)
    release.set()


def test_a_normal_exit_waits_for_every_task() -> None:
    with worker_pool(max_workers=2) as pool:
        futures = [pool.submit(pow, 2, n) for n in range(10)]
    assert [f.result() for f in futures] == [2**n for n in range(10)]
