"""Run a plan's checks in worker processes forked from this one.

Threads share one interpreter lock, and much of a check is many small numpy
operations with Python between them: on the demo, two worker threads used 1.0 to
1.3 cores, not 2. Worker processes forked *after* the datasets are read start
with everything already in memory (the spec, the datasets, the imported
modules: no pickling of inputs and no second start-up), and only each check's
record, and each check's prepared human side, travel back through a pipe.

Forking is safe only from a process with one thread: a lock held by another
thread at the fork stays held forever in the child. So processes are used only
on Linux, with more than one worker, more than one piece of work, and when this
process runs no other thread once reading is done (a notebook, a web server or
a caller's own threads keep the run on threads). Results are the same either
way: every task draws from its own seeded stream.

Scheduling: the parent keeps at most one task per worker in flight and picks
the next by priority, so the output can stream in input order: the prepare
steps first (other tasks wait for them), then the earliest task in plan order
that can run. A task's exception is raised once every earlier task has run, so
the error reported is the one the single-process run reports.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from validator.checks.inputs import CheckInputs, HumanInputs
from validator.io.ingest import Dataset
from validator.run.config import RunConfig
from validator.run.plan import Plan

#: Threads that only preload a module (``simval-preload-*``) are waited for before forking.
PRELOAD_PREFIX = "simval-preload"


@dataclass(frozen=True)
class _Run:
    """What every forked worker inherits: the plan, the settings and the datasets."""

    plan: Plan
    config: RunConfig
    human: Dataset
    sims: tuple[Dataset, ...]


# Set by the parent just before the workers fork; each worker reads its inherited copy.
_RUN: _Run | None = None
# Per worker: each check's human side, the first copy that reached this process. Its
# tasks share it, and with it the memo of draws shared by simulations of one size.
_PREPARED: dict[str, Any] = {}


def _ignore_interrupts() -> None:
    # Ctrl-C reaches every process of the terminal's group; the parent alone handles it
    # (it stops the workers), so an idle worker prints no traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _prepare(name: str) -> Any:
    run = _RUN
    assert run is not None
    entry = next(entry for entry in run.plan.prepare if entry.name == name)
    assert entry.prepare is not None
    value = entry.prepare(HumanInputs(run.config.study, run.human, run.config.context, run.config.alpha))
    _PREPARED[name] = value
    return value


def _compute(index: int, prepared: Any) -> Any:
    run = _RUN
    assert run is not None
    task = run.plan.tasks[index]
    if prepared is not None:
        prepared = _PREPARED.setdefault(task.entry.name, prepared)
    inputs = CheckInputs(
        study=run.config.study,
        human=run.human,
        sim=run.sims[task.sim_index],
        context=run.config.context,
        alpha=run.config.alpha,
        label=task.label,
        prepared=prepared,
    )
    return task.entry.compute(inputs, task.item)


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


def run_forked(
    plan: Plan,
    config: RunConfig,
    human: Dataset,
    sims: tuple[Dataset, ...],
    on_record: Callable[[int, Any, dict[str, Any]], None],
) -> tuple[dict[str, Any], list[Any]]:
    """Every prepare step and task of ``plan`` in ``config.workers`` forked processes.

    ``on_record(index, record, prepared)`` is called in plan order as the records
    arrive, with the prepared human sides received so far (every one a task
    depends on). Returns the prepared human sides and the records in plan order.
    """
    global _RUN
    names = [entry.name for entry in plan.prepare if entry.prepare is not None]
    waits_for = [task.entry.name if task.entry.name in names else None for task in plan.tasks]
    # A failed prepare step is the failure of the first task that needs it, as it is on threads.
    first_user = {name: waits_for.index(name) for name in names if name in waits_for}
    prepared: dict[str, Any] = {}
    records: list[Any] = [None] * len(plan.tasks)
    arrived = [False] * len(plan.tasks)
    queued_prepares = [name for name in names if name in first_user]
    queued = list(range(len(plan.tasks)))
    in_flight: dict[Future[Any], tuple[str, Any]] = {}
    failed: tuple[int, BaseException] | None = None
    emitted = 0

    def pick() -> tuple[str, Any] | None:
        if queued_prepares:
            return "prepare", queued_prepares.pop(0)
        for position, index in enumerate(queued):
            if failed is not None and index >= failed[0]:
                return None
            name = waits_for[index]
            if name is None or name in prepared:
                return "task", queued.pop(position)
        return None

    _join_preloads()
    if threading.active_count() != 1:  # a thread started meanwhile: forking is no longer safe
        raise RuntimeError("run_forked needs a process with one thread")
    _RUN = _Run(plan, config, human, sims)
    workers = min(config.workers, len(queued) + len(queued_prepares))
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"), initializer=_ignore_interrupts)
    try:
        while True:
            while len(in_flight) < workers and (item := pick()) is not None:
                kind, key = item
                future = pool.submit(_prepare, key) if kind == "prepare" else pool.submit(_compute, key, prepared.get(waits_for[key] or ""))
                in_flight[future] = item
            if not in_flight:
                break
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                kind, key = in_flight.pop(future)
                index = first_user[key] if kind == "prepare" else key
                try:
                    value = future.result()
                except Exception as exc:  # noqa: BLE001 - raised below, once no earlier task can fail first
                    if failed is None or index < failed[0]:
                        failed = (index, exc)
                    continue
                if kind == "prepare":
                    prepared[key] = value
                else:
                    records[key], arrived[key] = value, True
            while emitted < len(records) and arrived[emitted] and (failed is None or emitted < failed[0]):
                on_record(emitted, records[emitted], prepared)
                emitted += 1
        if failed is not None:
            raise failed[1]
    except BaseException:
        # Stop the workers too: a Ctrl-C or an error should not leave one computing.
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        raise
    finally:
        _RUN = None
    pool.shutdown(wait=True)
    return prepared, records
