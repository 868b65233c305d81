"""Run a plan: read the datasets, prepare the shared human side, run every check task.

Where the run can fork (Linux, more than one worker, no other thread running:
:func:`validator.run.forked.can_fork`) the human file is read here and everything
else runs in forked worker processes (:mod:`validator.run.forked`), since threads
share one interpreter lock. Otherwise independent pieces (reading each file, each
check of each simulated dataset, each check's human preparation) run in a pool of
``config.workers`` threads; numpy, scipy and statsmodels release the GIL in their
heavy parts. Tasks wait only on tasks submitted before them, so the pool cannot
deadlock. Results do not depend on the number of workers or on processes versus
threads: every task draws from its own seeded stream.

With ``config.scheduler`` the human side is prepared here the same way and the
per-dataset work goes to a Dask cluster (:mod:`validator.run.distributed`), with
the same results.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any

from validator.checks.inputs import CheckInputs, HumanInputs
from validator.io.ingest import Dataset
from validator.pools import worker_pool
from validator.run.config import RunConfig
from validator.run.inputs import read_input, spec_columns_only
from validator.run.plan import CheckTask, Plan

#: Called with (phase, done, total) as the run advances: phases "read", "checks".
ProgressHook = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Executed:
    """What a run produced: the datasets, the prepared human side, and each task's record (plan order)."""

    human: Dataset
    sims: tuple[Dataset, ...]
    prepared: dict[str, Any]
    records: tuple[Any, ...]


#: Called, each time the next simulated dataset in input order is done, with the run so far:
#: the datasets done (``sims``, a prefix of the inputs) and their records (a prefix of the plan's tasks).
DatasetHook = Callable[[Executed], None]


def execute(plan: Plan, config: RunConfig, progress: ProgressHook | None = None, on_dataset: DatasetHook | None = None) -> Executed:
    """Run every task of ``plan``, here or on ``config.scheduler``'s cluster; exceptions of a task propagate (after the pool has stopped).

    The plan's tasks are in dataset order (all of dataset 0's, then dataset 1's, ...),
    which is what lets ``on_dataset`` see the datasets in input order.
    """

    def tick(phase: str, count: int, of: int) -> None:
        if progress is not None:
            progress(phase, count, of)

    if config.scheduler is not None:
        return _execute_on_cluster(plan, config, tick, on_dataset)
    return _execute_here(plan, config, tick, on_dataset)


def _last_of_dataset(plan: Plan, index: int) -> bool:
    return index + 1 == len(plan.tasks) or plan.tasks[index + 1].sim_index != plan.tasks[index].sim_index


def _submit_prepare(pool: Executor, plan: Plan, human_inputs: HumanInputs) -> dict[str, Future[Any]]:
    """Each check's human-side preparation, submitted to ``pool``: the same work wherever the datasets run."""
    return {entry.name: pool.submit(entry.prepare, human_inputs) for entry in plan.prepare if entry.prepare is not None}


def _execute_here(plan: Plan, config: RunConfig, tick: ProgressHook, on_dataset: DatasetHook | None) -> Executed:
    from validator.run.forked import can_fork

    if can_fork(config.workers, len(plan.tasks) + len(plan.prepare)):
        return _execute_forked(plan, config, tick, on_dataset)
    return _execute_threaded(plan, config, tick, on_dataset)


def _execute_forked(plan: Plan, config: RunConfig, tick: ProgressHook, on_dataset: DatasetHook | None) -> Executed:
    """Read the human file here, then the simulated files and the checks in forked processes (:mod:`validator.run.forked`)."""
    from validator.run.forked import run_forked

    human = read_input(config, config.human, config.human_label, human=True, spec_only=spec_columns_only(plan))
    files = len(config.sims) + 1
    tick("read", 1, files)
    total = len(plan.tasks)
    records: list[Any] = []

    def arrived(index: int, record: Any, prepared: dict[str, Any], sims: tuple[Dataset, ...]) -> None:
        records.append(record)
        tick("checks", index + 1, total)
        if on_dataset is not None and _last_of_dataset(plan, index):
            on_dataset(Executed(human, sims, dict(prepared), tuple(records)))

    def read(count: int) -> None:
        if not records:  # files read later, while checks run, do not turn the line back to reading
            tick("read", count + 1, files)

    forked = run_forked(plan, config, human, read, arrived)
    return Executed(human, forked.sims, forked.prepared, forked.records)


def _execute_threaded(plan: Plan, config: RunConfig, tick: ProgressHook, on_dataset: DatasetHook | None) -> Executed:
    total = len(plan.tasks)
    done = 0
    with worker_pool(max_workers=config.workers) as pool:  # Ctrl-C cancels the queued tasks
        spec_only = spec_columns_only(plan)
        human_read = pool.submit(read_input, config, config.human, config.human_label, human=True, spec_only=spec_only)
        sim_reads = [pool.submit(read_input, config, data, label, human=False, spec_only=spec_only) for label, data in zip(config.labels, config.sims)]
        human = human_read.result()
        human_inputs = HumanInputs(config.study, human, config.context, config.alpha)
        prepared_futures = _submit_prepare(pool, plan, human_inputs)
        sims = tuple(future.result() for future in sim_reads)
        tick("read", len(sims) + 1, len(sims) + 1)

        def run(task: CheckTask) -> Any:
            future = prepared_futures.get(task.entry.name)
            inputs = CheckInputs(
                study=config.study,
                human=human,
                sim=sims[task.sim_index],
                context=config.context,
                alpha=config.alpha,
                label=task.label,
                prepared=future.result() if future is not None else None,
            )
            return task.entry.compute(inputs, task.item)

        # Tasks whose prepared human side is not ready yet go last, so that no worker
        # idles while the human bootstrap is still being computed; the others keep the
        # plan's order. With the human side ready (--bootstrap 0, or a human file read
        # long before a large simulated one) coefficient recovery, the longest task,
        # then starts first instead of after every other check of its dataset.
        waiting = {name for name, future in prepared_futures.items() if not future.done()}
        order = sorted(range(len(plan.tasks)), key=lambda i: plan.tasks[i].entry.name in waiting)
        submitted = {i: pool.submit(run, plan.tasks[i]) for i in order}
        futures = [submitted[i] for i in range(len(plan.tasks))]
        records = []
        for index, future in enumerate(futures):
            records.append(future.result())
            done += 1
            tick("checks", done, total)
            if on_dataset is not None and _last_of_dataset(plan, index):
                # Every prepare step is done by now: each has a task in every dataset.
                so_far = {name: prepared.result() for name, prepared in prepared_futures.items()}
                on_dataset(Executed(human, sims[: plan.tasks[index].sim_index + 1], so_far, tuple(records)))
        prepared = {name: future.result() for name, future in prepared_futures.items()}
    return Executed(human, sims, prepared, tuple(records))


def _execute_on_cluster(plan: Plan, config: RunConfig, tick: ProgressHook, on_dataset: DatasetHook | None) -> Executed:
    """The human side prepared here, as :func:`_execute_here` does; each simulated dataset's read and checks on the cluster."""
    from validator.run.distributed import HumanSide, connect, run_on_cluster

    assert config.scheduler is not None
    # Connect first: an unreachable scheduler or a missing Dask is said before minutes of human-side work.
    with connect(config.scheduler) as client:
        human = read_input(config, config.human, config.human_label, human=True, spec_only=spec_columns_only(plan))
        tick("read", 1, 1)
        human_inputs = HumanInputs(config.study, human, config.context, config.alpha)
        with worker_pool(max_workers=config.workers) as pool:
            prepared_futures = _submit_prepare(pool, plan, human_inputs)
            prepared = {name: future.result() for name, future in prepared_futures.items()}
        per_dataset: list[list[CheckTask]] = [[] for _ in config.sims]
        for task in plan.tasks:
            per_dataset[task.sim_index].append(task)
        sims: list[Dataset] = []
        records: list[Any] = []

        def finished(index: int, dataset: Dataset, dataset_records: tuple[Any, ...]) -> None:
            sims.append(dataset)
            records.extend(dataset_records)
            if on_dataset is not None:
                on_dataset(Executed(human, tuple(sims), prepared, tuple(records)))

        side = HumanSide(config.study, config.context, config.alpha, config.strict, human, prepared)
        work = [(data, label, [(task.entry, task.item) for task in tasks]) for data, label, tasks in zip(config.sims, config.labels, per_dataset)]
        run_on_cluster(client, side, work, tick, finished)
    return Executed(human, tuple(sims), prepared, tuple(records))
