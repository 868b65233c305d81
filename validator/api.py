"""The Python entry point: ``validator.check(human, sim, spec=...)``.

It only wires the steps together: configure (validate the arguments), plan
(which check runs on which dataset), execute (read, prepare the human side, run
the checks) and assemble (records, gates, verdicts). Each step lives in
:mod:`validator.run`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from validator.results import CheckResult
from validator.run.read import DataSource, read_dataset
from validator.spec.model import StudySpec

__all__ = ["DataSource", "check", "read_dataset"]

if TYPE_CHECKING:
    from validator.gates.records import Gate
    from validator.run.executor import ProgressHook

def check(
    human: DataSource,
    sim: DataSource | Sequence[DataSource],
    *,
    spec: str | os.PathLike[str] | StudySpec = "hunt2025",
    seed: int = 0,
    strict: bool = False,
    alpha: float | None = None,
    bootstrap: int | None = None,
    exclude_human_rows: Iterable[int] = (),
    workers: int | None = None,
    gates: str | os.PathLike[str] | Sequence[Gate] | None = None,
    fail_on: str = "error",
    progress: ProgressHook | None = None,
    scheduler: str | None = None,
    on_dataset: Callable[[CheckResult], None] | None = None,
) -> CheckResult:
    """Validate one or more simulated datasets against a human one under a study spec.

    ``human`` and ``sim`` are file paths or DataFrames (``sim`` may be a list of
    them). ``spec`` is a bundled spec name, a path to a YAML spec, or a loaded
    :class:`StudySpec`. ``bootstrap`` overrides the spec's number of bootstrap
    replicates (0 switches intervals and noise floors off). Independent pieces
    run in parallel threads (``workers``, default: the number of CPUs); the
    results do not depend on it. ``gates`` is a gates YAML file or a list of
    gates that replaces the spec's ``gates`` (and, with them, the default
    verdict rules); ``fail_on`` is ``error`` (warnings never fail), ``warning``
    or ``inconclusive`` (an inconclusive verdict fails too). ``progress`` is
    called with (phase, done, total) as the run advances. ``scheduler`` sends
    the per-dataset work (reading each simulated file, its checks) to a Dask
    distributed cluster: a scheduler address (``"tcp://host:8786"``) or
    ``"local:N"`` for a LocalCluster of N worker processes started for the run;
    the human side is computed once here and scattered to the workers, and the
    results are identical to those of a run without it. It needs the ``dask``
    extra (``pip install "simval[dask]"``); the workers read the simulated files
    by the paths given. With ``local:N`` in a script, call it under
    ``if __name__ == "__main__":`` (the worker processes are spawned and import
    the script). ``on_dataset`` is called, each time the next simulated
    dataset in input order is done, with the results of the datasets done so far.
    Returns a :class:`CheckResult` with ``.to_dict()``, ``.to_frame()`` and ``.passed``.
    """
    from validator.run.assemble import assemble, streamed
    from validator.run.config import configure
    from validator.run.executor import execute
    from validator.run.plan import make_plan

    config = configure(
        human, sim, spec=spec, seed=seed, strict=strict, alpha=alpha, bootstrap=bootstrap,
        exclude_human_rows=exclude_human_rows, workers=workers, gates=gates, fail_on=fail_on, scheduler=scheduler,
    )
    plan = make_plan(config)
    hook = streamed(config, plan, on_dataset) if on_dataset is not None else None
    return assemble(config, plan, execute(plan, config, progress, hook))
