"""The Python entry point: ``validator.check(human, sim, spec=...)``.

It only wires the steps together: load the spec, read and ingest each dataset,
fit every model, compare. Each step lives in its own module.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Union

from validator.errors import UsageError
from validator.io.ingest import Dataset, ingest
from validator.io.readers import RawTable, read_table
from validator.models.fit import fit_models
from validator.results import CheckResult, SimulationResult
from validator.spec.load import load_spec
from validator.spec.model import StudySpec

if TYPE_CHECKING:
    from concurrent.futures import Future

    from validator.gates.records import Gate

    import pandas as pd

    from validator.checks.context import CheckContext

DataSource = Union[str, "os.PathLike[str]", "pd.DataFrame"]


def _frame_table(frame: pd.DataFrame, label: str) -> RawTable:
    import hashlib

    import pandas as pd

    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).values.tobytes()).hexdigest()
    return RawTable(
        frame=frame.reset_index(drop=True),
        source=label,
        format="dataframe",
        sha256=digest,
        n_rows=len(frame),
        comments=(),
        first_data_line=1,
    )


def read_dataset(
    data: DataSource,
    spec: StudySpec,
    *,
    label: str | None = None,
    strict: bool = False,
    exclude_rows: Iterable[int] = (),
) -> Dataset:
    """Read a path (or take a DataFrame) and apply the spec to it."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        table = _frame_table(data, label or "<dataframe>")
    elif isinstance(data, (str, os.PathLike)):
        table = read_table(data)
    else:
        raise UsageError(f"expected a file path or a pandas DataFrame, got {type(data).__name__}")
    return ingest(table, spec, label=label or table.source, strict=strict, exclude_rows=exclude_rows)


def _labels(sims: Sequence[DataSource]) -> list[str]:
    from validator.provenance import display_path

    labels = []
    for i, sim in enumerate(sims):
        labels.append(display_path(sim) if isinstance(sim, (str, os.PathLike)) else f"simulation_{i + 1}")
    seen: dict[str, int] = {}
    unique = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return unique


def _recovery_part(
    study: StudySpec,
    human: Dataset,
    human_fits: tuple,
    human_replicates: Future | None,
    label: str,
    sim_data: Dataset,
    ctx: CheckContext,
    alpha: float,
) -> tuple:
    from validator.recovery.check import recovery_part

    return recovery_part(study, human, human_fits, human_replicates, label, sim_data, ctx, alpha)


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
) -> CheckResult:
    """Validate one or more simulated datasets against a human one under a study spec.

    ``human`` and ``sim`` are file paths or DataFrames (``sim`` may be a list of
    them). ``spec`` is a bundled spec name, a path to a YAML spec, or a loaded
    :class:`StudySpec`. ``bootstrap`` overrides the spec's number of bootstrap
    replicates (0 switches intervals and noise floors off). Independent pieces
    (each check of each simulated dataset, the human bootstrap) run in parallel
    threads (``workers``, default: the number of CPUs); the results do not
    depend on it. ``gates`` is a gates YAML file or a list of gates that replaces
    the spec's ``gates``; ``fail_on`` is ``error`` (warnings never fail) or
    ``warning``. Returns a :class:`CheckResult` with
    ``.to_dict()``, ``.to_frame()`` and ``.passed``.
    """
    import pandas as pd

    from validator.checks.context import CheckContext
    from validator.recovery.uncertainty import human_draws

    study = spec if isinstance(spec, StudySpec) else load_spec(spec)
    test_alpha = study.alpha if alpha is None else alpha
    if not 0.0 < test_alpha < 1.0:
        raise UsageError(f"alpha must lie strictly between 0 and 1, got {test_alpha:g}")
    replicates = study.uncertainty.bootstrap if bootstrap is None else bootstrap
    if replicates < 0:
        raise UsageError(f"the number of bootstrap replicates cannot be negative, got {replicates}")
    sims: list[DataSource] = [sim] if isinstance(sim, (str, os.PathLike, pd.DataFrame)) else list(sim)
    if not sims:
        raise UsageError("give at least one simulated dataset")
    if fail_on not in ("error", "warning"):
        raise UsageError(f"fail_on must be 'error' or 'warning', got '{fail_on}'")
    if gates is None:
        declared: tuple[Gate, ...] = tuple(study.gates)
    elif isinstance(gates, (str, os.PathLike)):
        from validator.gates.load import load_gates_file

        declared = load_gates_file(gates, study)
    else:
        declared = tuple(gates)
    ctx = CheckContext(seed=seed, replicates=replicates, level=study.uncertainty.level, equal_n_draws=study.uncertainty.equal_n_draws)

    from concurrent.futures import ThreadPoolExecutor

    from validator.checks.registry import planned_checks

    human_label = "human" if isinstance(human, pd.DataFrame) else _labels([human])[0]
    labels = _labels(sims)
    plan = planned_checks(study)
    n_workers = max(1, workers or os.cpu_count() or 1)
    # Every piece draws from its own seeded stream (CheckContext.rng), so the
    # results are the same whichever thread runs it and in whatever order. Tasks
    # wait only on tasks submitted before them, so the pool cannot deadlock.
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        human_read = pool.submit(read_dataset, human, study, label=human_label, strict=strict, exclude_rows=exclude_human_rows)
        sim_reads = [pool.submit(read_dataset, data, study, label=label, strict=strict) for label, data in zip(labels, sims)]
        human_data = human_read.result()
        human_fits = fit_models(study.models, human_data.frame, alpha=test_alpha, correction=study.correction)
        sim_data = [future.result() for future in sim_reads]
        human_replicates = (
            pool.submit(human_draws, study.models, human_data, ctx, alpha=test_alpha, correction=study.correction, resample_by=study.uncertainty.resample_by)
            if study.models and ctx.replicates
            else None
        )
        recovery_parts = [
            pool.submit(_recovery_part, study, human_data, human_fits, human_replicates, label, data, ctx, test_alpha)
            for label, data in zip(labels, sim_data)
        ]
        check_parts = [
            [(info.name, pool.submit(info.function, human_data, data, section, ctx)) for info, section in plan]
            for data in sim_data
        ]
        results = []
        for data, recovery_part, checks in zip(sim_data, recovery_parts, check_parts):
            sim_fits, recovery, uncertainty = recovery_part.result()
            found: dict[str, list] = {}
            for name, future in checks:
                found.setdefault(name, []).append(future.result())
            result = SimulationResult(
                dataset=data,
                fits=sim_fits,
                recovery=recovery,
                recovery_uncertainty=uncertainty,
                distribution=found.get("distribution", [None])[0],
                heterogeneity=tuple(found.get("heterogeneity", [])),
                coherence=tuple(found.get("coherence", [])),
                fail_on=fail_on,
            )
            if declared:
                from dataclasses import replace

                from validator.gates.evaluate import evaluate_gates

                result = replace(result, gates=evaluate_gates(declared, result.to_dict()))
            results.append(result)
    return CheckResult(
        spec_name=study.name,
        spec_title=study.title,
        spec_source=study.source,
        spec_sha256=study.sha256,
        alpha=test_alpha,
        correction={"method": study.correction.method, "scope": study.correction.scope},
        seed=seed,
        bootstrap={
            "replicates": ctx.replicates,
            "level": ctx.level,
            "equal_n_draws": ctx.equal_n_draws,
            "method": "percentile",
        },
        human=human_data,
        human_fits=human_fits,
        simulations=tuple(results),
        gates_declared=len(declared),
    )
