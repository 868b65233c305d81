"""Run a plan's checks in worker processes forked from this one.

Threads share one interpreter lock, and much of a check is many small numpy
operations with Python between them: on the demo, two worker threads used 1.0 to
1.3 cores, not 2. Worker processes forked once the human file is read start
with everything already in memory (the spec, the human data, the imported
modules: no second start-up). Each worker reads simulated files (reading is
mostly Python too) and sends each back; a check task carries its simulated
dataset and, if it has one, its check's prepared human side, and each worker
keeps the first copy of each that reaches it.

Forking is safe only from a process with one thread: a lock held by another
thread at the fork stays held forever in the child. So processes are used only
on Linux, with more than one worker, more than one piece of work, and when this
process runs no other thread once reading is done (a notebook, a web server or
a caller's own threads keep the run on threads). Results are the same either
way: every task draws from its own seeded stream. A check must therefore be what
the registry asks of it, a pure function of its inputs to its record: anything
else it changes (a global, a cache) changes in its worker, not here.

Scheduling: the parent keeps at most one piece of work per worker in flight and
picks the next by priority, so the output can stream in input order: the
prepare steps first (other tasks wait for them), then the earliest task in plan
order that can run (its file read, its prepare step done), then the next file
to read. Errors are raised as the single-process run raises them: a file that
cannot be read before any check's error, the earliest file first, and a check's
exception once every earlier task has run.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd

from validator.checks.inputs import CheckInputs, HumanInputs
from validator.io.ingest import Dataset
from validator.run.config import RunConfig
from validator.run.inputs import read_input, spec_columns_only
from validator.run.plan import Plan

#: Threads that only preload a module (``simval-preload-*``) are waited for before forking.
PRELOAD_PREFIX = "simval-preload"


@dataclass(frozen=True)
class _Run:
    """What every forked worker inherits: the plan, the settings and the human data."""

    plan: Plan
    config: RunConfig
    human: Dataset
    # Simulated datasets read here before forking (large ones): inherited, never sent.
    sims: dict[int, Dataset]


# Set by the parent just before the workers fork; each worker reads its inherited copy.
_RUN: _Run | None = None
# Per worker: each check's human side and each simulated dataset, the first copy that
# reached this process. Its tasks share them (and with the human side the memo of draws
# shared by simulations of one size).
_PREPARED: dict[str, Any] = {}
_SIMS: dict[int, Dataset] = {}


def ignore_interrupts() -> None:
    # Ctrl-C reaches every process of the terminal's group; the parent alone handles it
    # (it stops the workers), so an idle worker prints no traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run() -> _Run:
    assert _RUN is not None, "not in a forked worker"
    return _RUN


def _read(index: int) -> Dataset:
    run = _run()
    config = run.config
    dataset = read_input(config, config.sims[index], config.labels[index], human=False, spec_only=spec_columns_only(run.plan))
    _SIMS[index] = dataset
    return dataset


def _prepare(name: str) -> Any:
    run = _run()
    entry = next(entry for entry in run.plan.prepare if entry.name == name)
    assert entry.prepare is not None
    value = entry.prepare(HumanInputs(run.config.study, run.human, run.config.context, run.config.alpha))
    _PREPARED[name] = value
    return value


def _compute(index: int, sim: Dataset | None, prepared: Any) -> Any:
    """Task ``index`` on its simulated dataset: sent along (``sim``), or inherited when read before forking."""
    run = _run()
    task = run.plan.tasks[index]
    sim = run.sims[task.sim_index] if sim is None else _SIMS.setdefault(task.sim_index, sim)
    if prepared is not None:
        prepared = _PREPARED.setdefault(task.entry.name, prepared)
    inputs = CheckInputs(
        study=run.config.study,
        human=run.human,
        sim=sim,
        context=run.config.context,
        alpha=run.config.alpha,
        label=task.label,
        prepared=prepared,
    )
    return task.entry.compute(inputs, task.item)


@contextmanager
def fork_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` processes forked from this one, which ignore Ctrl-C.

    On leaving the block by an exception (Ctrl-C included) the queued work is
    cancelled and the workers are stopped, so none is left computing; on a normal
    exit the pool waits for its work.
    """
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"), initializer=ignore_interrupts)
    try:
        yield pool
    except BaseException:
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        raise
    pool.shutdown(wait=True)


#: A simulated file (or DataFrame) of at least this many bytes is read before forking.
LARGE_INPUT_BYTES = 4_000_000


def _large(data: Any) -> bool:
    """Whether ``data`` (a path or a DataFrame) is large enough to read before forking (:data:`LARGE_INPUT_BYTES`)."""
    if isinstance(data, pd.DataFrame):
        return int(data.memory_usage(index=False, deep=False).sum()) >= LARGE_INPUT_BYTES
    try:
        return os.path.getsize(data) >= LARGE_INPUT_BYTES
    except (OSError, TypeError):
        return False  # the worker's read reports what is wrong with it


def can_fork(workers: int, pieces: int) -> bool:
    """Whether the checks may run in forked processes (module docstring); call before starting a thread.

    Threads that only preload a module are allowed: :func:`run_forked` waits for them.
    """
    if workers < 2 or pieces < 2 or not sys.platform.startswith("linux"):
        return False
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    current = threading.current_thread()
    return all(thread is current or thread.name.startswith(PRELOAD_PREFIX) for thread in threading.enumerate())


def _join_preloads() -> None:
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and thread.name.startswith(PRELOAD_PREFIX):
            thread.join()


@dataclass(frozen=True)
class Forked:
    """What the workers produced: the simulated datasets, the prepared human sides and the records (plan order)."""

    sims: tuple[Dataset, ...]
    prepared: dict[str, Any]
    records: tuple[Any, ...]


class _Schedule:
    """Which piece of work goes next, and what has arrived (module docstring, "Scheduling")."""

    def __init__(self, plan: Plan, n_sims: int, read: dict[int, Dataset]) -> None:
        names = [entry.name for entry in plan.prepare if entry.prepare is not None]
        self.plan = plan
        self.n_sims = n_sims
        self.waits_for = [task.entry.name if task.entry.name in names else None for task in plan.tasks]
        # A failed prepare step is the failure of the first task that needs it, as it is on threads.
        self.first_user = {name: self.waits_for.index(name) for name in names if name in self.waits_for}
        self.prepares = [name for name in names if name in self.first_user]
        self.reads = [i for i in range(n_sims) if i not in read]
        self.tasks = list(range(len(plan.tasks)))
        self.sims: dict[int, Dataset] = dict(read)
        self.inherited = frozenset(read)
        self.prepared: dict[str, Any] = {}
        self.records: dict[int, Any] = {}
        self.failed: tuple[int, BaseException] | None = None

    def rank(self, kind: str, key: Any) -> int:
        """The plan position an error of this work counts at: a file's read before every task."""
        if kind == "read":
            return int(key) - self.n_sims
        if kind == "prepare":
            return self.first_user[key]
        return int(key)

    def next(self) -> tuple[str, Any] | None:
        if self.prepares:
            return "prepare", self.prepares.pop(0)
        for position, index in enumerate(self.tasks):
            if self.failed is not None and index >= self.failed[0]:
                break
            name = self.waits_for[index]
            if self.plan.tasks[index].sim_index in self.sims and (name is None or name in self.prepared):
                return "task", self.tasks.pop(position)
        if self.reads and (self.failed is None or self.rank("read", self.reads[0]) < self.failed[0]):
            return "read", self.reads.pop(0)
        return None

    def arrive(self, kind: str, key: Any, value: Any) -> None:
        if kind == "read":
            self.sims[key] = value
        elif kind == "prepare":
            self.prepared[key] = value
        else:
            self.records[key] = value

    def fail(self, kind: str, key: Any, error: BaseException) -> None:
        rank = self.rank(kind, key)
        if self.failed is None or rank < self.failed[0]:
            self.failed = (rank, error)


def run_forked(
    plan: Plan,
    config: RunConfig,
    human: Dataset,
    on_read: Callable[[int], None],
    on_record: Callable[[int, Any, dict[str, Any], tuple[Dataset, ...]], None],
) -> Forked:
    """Read the simulated files of ``config`` and run every prepare step and task of ``plan`` in forked processes.

    ``on_read(count)`` is called as files arrive; ``on_record(index, record,
    prepared, sims)`` in plan order as the records arrive, with the prepared human
    sides received so far (every one a task depends on) and the simulated datasets
    up to the task's.
    """
    global _RUN
    # A large file is read here, before forking: the workers inherit it, where sending a
    # 1,000,000-row dataset to each of its tasks (and back from the worker that read it)
    # cost more than the tasks gained.
    read: dict[int, Dataset] = {}
    unreadable: dict[int, Exception] = {}
    for i, (label, data) in enumerate(zip(config.labels, config.sims)):
        if _large(data):
            try:
                read[i] = read_input(config, data, label, human=False, spec_only=spec_columns_only(plan))
            except Exception as exc:  # noqa: BLE001 - raised in its turn, as a worker's read error is
                unreadable[i] = exc
            else:
                on_read(len(read))
    schedule = _Schedule(plan, len(config.sims), read)
    for i, error in unreadable.items():
        schedule.reads.remove(i)
        schedule.fail("read", i, error)
    in_flight: dict[Future[Any], tuple[str, Any]] = {}
    emitted = 0
    _join_preloads()
    if threading.active_count() != 1:  # a thread started meanwhile: forking is no longer safe
        raise RuntimeError("run_forked needs a process with one thread")
    _RUN = _Run(plan, config, human, read)
    workers = min(config.workers, len(plan.tasks) + len(schedule.prepares) + len(schedule.reads))
    try:
        with fork_pool(workers) as pool:
            while True:
                while len(in_flight) < workers and (item := schedule.next()) is not None:
                    kind, key = item
                    if kind == "read":
                        future = pool.submit(_read, key)
                    elif kind == "prepare":
                        future = pool.submit(_prepare, key)
                    else:
                        task = plan.tasks[key]
                        sim = None if task.sim_index in schedule.inherited else schedule.sims[task.sim_index]
                        future = pool.submit(_compute, key, sim, schedule.prepared.get(schedule.waits_for[key] or ""))
                    in_flight[future] = item
                if not in_flight:
                    break
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    kind, key = in_flight.pop(future)
                    try:
                        value = future.result()
                    except Exception as exc:  # noqa: BLE001 - raised below, once no earlier work can fail first
                        schedule.fail(kind, key, exc)
                        continue
                    schedule.arrive(kind, key, value)
                    if kind == "read":
                        on_read(len(schedule.sims))
                while emitted < len(plan.tasks) and emitted in schedule.records and (schedule.failed is None or emitted < schedule.failed[0]):
                    sims = tuple(schedule.sims[i] for i in range(plan.tasks[emitted].sim_index + 1))
                    on_record(emitted, schedule.records[emitted], schedule.prepared, sims)
                    emitted += 1
            if schedule.failed is not None:
                raise schedule.failed[1]
    finally:
        _RUN = None
    sims = tuple(schedule.sims[i] for i in range(len(config.sims)))
    return Forked(sims, schedule.prepared, tuple(schedule.records[i] for i in range(len(plan.tasks))))
