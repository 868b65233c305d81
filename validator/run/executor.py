"""Run a plan: read the datasets, prepare the shared human side, run every check task.

This is the only module that knows about threads. Independent pieces (reading each
file, each check of each simulated dataset, each check's human preparation) run in
a pool of ``config.workers`` threads; numpy, scipy and statsmodels release the GIL
in their heavy parts. Tasks wait only on tasks submitted before them, so the pool
cannot deadlock. Results do not depend on the number of workers: every task draws
from its own seeded stream.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from validator.checks.inputs import CheckInputs, HumanInputs
from validator.io.ingest import Dataset
from validator.run.config import RunConfig
from validator.run.plan import CheckTask, Plan
from validator.run.read import read_dataset

#: Called with (phase, done, total) as the run advances: phases "read", "checks".
ProgressHook = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Executed:
    """What a run produced: the datasets, the prepared human side, and each task's record (plan order)."""

    human: Dataset
    sims: tuple[Dataset, ...]
    prepared: dict[str, Any]
    records: tuple[Any, ...]


def _read(config: RunConfig, data: Any, label: str, *, human: bool) -> Dataset:
    exclude = config.exclude_human_rows if human else ()
    return read_dataset(data, config.study, label=label, strict=config.strict, exclude_rows=exclude)


def execute(plan: Plan, config: RunConfig, progress: ProgressHook | None = None) -> Executed:
    """Run every task of ``plan``; exceptions of a task propagate (after the pool has stopped)."""
    total = len(plan.tasks)
    done = 0

    def tick(phase: str, count: int, of: int) -> None:
        if progress is not None:
            progress(phase, count, of)

    with ThreadPoolExecutor(max_workers=config.workers) as pool:
        human_read = pool.submit(_read, config, config.human, config.human_label, human=True)
        sim_reads = [pool.submit(_read, config, data, label, human=False) for label, data in zip(config.labels, config.sims)]
        human = human_read.result()
        human_inputs = HumanInputs(config.study, human, config.context, config.alpha)
        prepared_futures: dict[str, Future[Any]] = {
            entry.name: pool.submit(entry.prepare, human_inputs) for entry in plan.prepare if entry.prepare is not None
        }
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

        # Tasks that need no prepared human side go first, so that no worker idles
        # while the human bootstrap is still being computed.
        order = sorted(range(len(plan.tasks)), key=lambda i: plan.tasks[i].entry.name in prepared_futures)
        submitted = {i: pool.submit(run, plan.tasks[i]) for i in order}
        futures = [submitted[i] for i in range(len(plan.tasks))]
        records = []
        for future in futures:
            records.append(future.result())
            done += 1
            tick("checks", done, total)
        prepared = {name: future.result() for name, future in prepared_futures.items()}
    return Executed(human, sims, prepared, tuple(records))
