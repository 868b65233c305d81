"""The per-dataset work of a run on a Dask distributed cluster (``--scheduler``, ``scheduler=``).

The human side (reading the human file, every check's prepare step) is computed
once in this process, as the local run does, then scattered to every worker
(``client.scatter(..., broadcast=True)``); each simulated dataset is one task on the
cluster: read it and run every check of the plan on it. The results are
byte-identical to the local run's: every check draws from a random stream keyed
by the seed and by what the task is (:mod:`validator.run.plan`), never by where or
when it runs.

Dask is an optional extra (``pip install "simval[dask]"``) and imported only here,
only when a scheduler is asked for. Workers read the simulated files by the paths
given, so a remote cluster needs them where its workers find them (a shared
filesystem); a DataFrame or standard input travels with its task.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from validator.checks.context import CheckContext
from validator.checks.entry import CheckEntry
from validator.checks.inputs import CheckInputs
from validator.checks.registry import reads_spec_columns_only
from validator.errors import UsageError
from validator.io.ingest import Dataset
from validator.run.read import DataSource, read_dataset
from validator.spec.model import StudySpec

if TYPE_CHECKING:
    from types import ModuleType

#: How long to wait for a remote scheduler before saying it cannot be reached.
CONNECT_TIMEOUT_S = 5

#: BLAS on one thread in every worker of a LocalCluster: each worker is one process with one
#: thread, and threaded BLAS on top of N such processes only contends (validator/models/blas.py).
WORKER_ENVIRONMENT = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")}

#: A LocalCluster's own diagnostics, for a dashboard simval does not start: a sampling profiler
#: every 10 ms in each worker, event-loop ticks every 20 ms, system and memory monitors. An idle
#: 4-worker cluster spent 21% of a core on them, 2.8% with these settings (bench/bench_dask.py).
QUIET_CLUSTER = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
}

INSTALL_HINT = 'running checks on a Dask cluster needs Dask distributed, which is not installed: pip install "simval[dask]"'


@dataclass(frozen=True)
class Scheduler:
    """Where the per-dataset work runs: a scheduler's ``address``, or (address None) a LocalCluster of ``local_workers`` processes."""

    address: str | None
    local_workers: int = 0

    def __str__(self) -> str:
        return self.address if self.address is not None else f"local:{self.local_workers}"


def parse_scheduler(text: str) -> Scheduler:
    """``local:N`` (a LocalCluster of N worker processes) or a scheduler address (``tcp://host:8786``, ``host:8786``).

    >>> parse_scheduler("local:4")
    Scheduler(address=None, local_workers=4)
    >>> parse_scheduler("tcp://10.0.0.5:8786").address
    'tcp://10.0.0.5:8786'
    """
    value = text.strip()
    if value == "local" or value.startswith("local:"):
        count = value.partition(":")[2]
        if not count.isdigit() or int(count) < 1:
            raise UsageError(f"the scheduler 'local:N' needs a whole number of workers N of at least 1, got '{text}'")
        return Scheduler(None, int(count))
    if not value:
        raise UsageError("the scheduler is empty: give a scheduler address (tcp://host:8786) or local:N")
    return Scheduler(value)


def _import_distributed() -> ModuleType:
    try:
        import distributed
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    return distributed


def _remote_client(distributed: ModuleType, address: str) -> Any:
    try:
        return distributed.Client(address, timeout=CONNECT_TIMEOUT_S)
    except ValueError as exc:  # raised before any connection: the address itself is malformed
        raise UsageError(f"'{address}' is not a Dask scheduler address ({exc}); give tcp://host:8786 or local:N") from None
    except (OSError, TimeoutError):
        raise UsageError(f"cannot reach a Dask scheduler at '{address}' within {CONNECT_TIMEOUT_S} s") from None
    except Exception:  # noqa: BLE001 - something answered, but not as a scheduler (seen: a frame length of 3 EiB)
        raise UsageError(f"the server at '{address}' did not answer as a Dask scheduler") from None


@contextmanager
def connect(scheduler: Scheduler) -> Iterator[Any]:
    """A ``distributed.Client`` of ``scheduler`` (a LocalCluster started for it), closed with its cluster on leaving."""
    distributed = _import_distributed()
    cluster = None
    if scheduler.address is None:
        # Processes with one thread each; worker logs only for errors, so stderr stays simval's.
        # No dashboard; the scheduler's HTTP server (health, metrics) starts anyway, on port
        # 8787 by default, with a warning on stderr when another cluster holds it: any free port.
        import dask.config

        with dask.config.set(QUIET_CLUSTER):  # read when the scheduler and the workers start
            cluster = distributed.LocalCluster(
                n_workers=scheduler.local_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                scheduler_kwargs={"dashboard_address": ":0"},
                silence_logs=logging.ERROR,
                env=WORKER_ENVIRONMENT,
            )
        client = distributed.Client(cluster)
    else:
        client = _remote_client(distributed, scheduler.address)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@dataclass(frozen=True)
class HumanSide:
    """What every dataset's task shares, scattered to each worker once: the study, the settings, the human data and its prepared work."""

    study: StudySpec
    context: CheckContext
    alpha: float
    strict: bool
    human: Dataset
    prepared: dict[str, Any]


def check_dataset(side: HumanSide, data: DataSource | Dataset, label: str, checks: Sequence[tuple[CheckEntry, Any]]) -> tuple[Dataset, tuple[Any, ...]]:
    """One simulated dataset's task, on a worker: read it (unless already read) and run each (check, item) on it.

    The same calls as the local run (:mod:`validator.run.executor`), so the records are the same.
    """
    spec_only = reads_spec_columns_only(entry for entry, _ in checks)
    sim = data if isinstance(data, Dataset) else read_dataset(data, side.study, label=label, strict=side.strict, spec_only=spec_only)
    records = tuple(
        entry.compute(CheckInputs(side.study, side.human, sim, side.context, side.alpha, label, side.prepared.get(entry.name)), item)
        for entry, item in checks
    )
    return sim, records


#: Called with (phase, done, total), as :data:`validator.run.executor.ProgressHook`.
Progress = Callable[[str, int, int], None]
#: Called with (index, dataset, records) for each dataset in input order, once it and every one before it is done.
DatasetDone = Callable[[int, Dataset, tuple[Any, ...]], None]


def run_on_cluster(
    client: Any,
    side: HumanSide,
    datasets: Sequence[tuple[DataSource, str, Sequence[tuple[CheckEntry, Any]]]],
    progress: Progress,
    on_dataset: DatasetDone,
) -> list[tuple[Dataset, tuple[Any, ...]]]:
    """Run every dataset's task (its data, label and checks) on ``client``'s cluster; results in input order.

    ``progress`` is told the number of checks done as each dataset's task finishes;
    ``on_dataset`` gets the datasets in input order as soon as they and all before
    them are done. An exception of a task, or Ctrl-C, cancels the tasks not yet done;
    of several failing datasets, the first in input order is the one raised.
    """
    distributed = _import_distributed()
    scattered = client.scatter(side, broadcast=True, hash=False)
    futures = []
    for index, (data, label, checks) in enumerate(datasets):
        # Standard input is this process's: read it here and send the dataset.
        payload = (
            read_dataset(data, side.study, label=label, strict=side.strict, spec_only=reads_spec_columns_only(entry for entry, _ in checks))
            if _is_stdin(data)
            else data
        )
        # Earlier datasets first (higher priority), so that the output can stream in input order.
        futures.append(client.submit(check_dataset, scattered, payload, label, checks, pure=False, priority=len(datasets) - index))
    position = {future.key: index for index, future in enumerate(futures)}
    total = sum(len(checks) for _, _, checks in datasets)
    results: dict[int, tuple[Dataset, tuple[Any, ...]]] = {}
    # The failing dataset reported is the first in input order, as in the local run, not the
    # first to fail on the cluster: once one fails, later ones are cancelled, earlier ones awaited.
    failed: tuple[int, Exception] | None = None
    done = 0
    next_out = 0
    try:
        for future in distributed.as_completed(futures):
            index = position[future.key]
            if failed is not None and index > failed[0]:
                continue  # cancelled, or finished after an earlier dataset failed
            try:
                results[index] = future.result()  # a task's exception is raised here
            except Exception as exc:  # noqa: BLE001 - kept and raised below, once no earlier dataset can fail first
                failed = (index, exc)
                client.cancel(futures[index + 1 :])
            else:
                done += len(datasets[index][2])
                progress("checks", done, total)
                while next_out in results:
                    on_dataset(next_out, *results[next_out])
                    next_out += 1
            if failed is not None and all(earlier in results for earlier in range(failed[0])):
                raise failed[1]
    except BaseException:
        client.cancel(futures)
        raise
    return [results[index] for index in range(len(datasets))]


def _is_stdin(data: object) -> bool:
    return isinstance(data, (str, os.PathLike)) and os.fspath(data) == "-"
