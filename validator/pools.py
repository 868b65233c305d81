"""A thread pool that lets Ctrl-C through.

``with ThreadPoolExecutor() as pool`` waits, on leaving the block by an exception,
for every task already queued: a Ctrl-C during a check waited for all the queued
fits and bootstraps (49 s in one run). :func:`worker_pool` cancels the queued
tasks and returns at once when the block is left by an exception; the console
script then exits without waiting for the running ones (``validator.cli.main.entry``).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

__all__ = ["worker_pool"]


@contextmanager
def worker_pool(max_workers: int | None = None, thread_name_prefix: str = "simval") -> Iterator[ThreadPoolExecutor]:
    """A ThreadPoolExecutor that waits for its tasks on normal exit and cancels them on an exception."""
    pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
