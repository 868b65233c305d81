"""A per-run memo: a value computed once per key, shared by the threads of a run.

The human side of a check sometimes depends on a simulated dataset only through
a few numbers (its number of rows, say); a run over many simulated files of the
same size then needs that piece once, not once per file. :class:`Memo` computes
each key's value once, also when several worker threads ask for it at the same
time (the first computes, the others wait for its result).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

__all__ = ["Memo"]

_V = TypeVar("_V")


class Memo(Generic[_V]):
    """Values by key, each computed by the first caller of :meth:`get` for that key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[Hashable, Future[_V]] = {}

    def get(self, key: Hashable, compute: Callable[[], _V]) -> _V:
        """The value of ``key``, calling ``compute`` if no caller has; an exception is raised to every caller."""
        with self._lock:
            future = self._values.get(key)
            owner = future is None
            if future is None:
                future = self._values[key] = Future()
        if owner:
            try:
                future.set_result(compute())
            except BaseException as exc:
                future.set_exception(exc)
        return future.result()

    def __len__(self) -> int:
        return len(self._values)

    # Sent to another process (a Dask worker gets the human side pickled), a memo travels
    # empty: a lock and futures do not pickle, and each process computes its own values.
    def __getstate__(self) -> dict[str, object]:
        return {}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__()  # type: ignore[misc]
