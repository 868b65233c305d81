"""A run's configuration: the arguments of ``validator.check``, validated once and frozen."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from validator.checks.context import CheckContext
from validator.errors import UsageError
from validator.gates.records import Gate
from validator.limits import BOOTSTRAP_MAX
from validator.run.distributed import Scheduler, parse_scheduler
from validator.run.read import DataSource
from validator.spec.model import StudySpec
from validator.verdict.decide import FAIL_ON, FailOn


@dataclass(frozen=True)
class RunConfig:
    """Everything one run needs to know, checked: the study, the inputs, the settings.

    ``labels`` name the simulated datasets (unique; a path's display form, or
    ``simulation_<i>`` for a DataFrame); ``gates`` replace the spec's when given;
    ``scheduler`` is the Dask cluster that runs the per-dataset work (None: this process).
    """

    study: StudySpec
    human: DataSource
    human_label: str
    sims: tuple[DataSource, ...]
    labels: tuple[str, ...]
    alpha: float
    context: CheckContext
    strict: bool
    exclude_human_rows: tuple[int, ...]
    gates: tuple[Gate, ...]
    gates_declared: bool
    fail_on: FailOn
    workers: int
    scheduler: Scheduler | None = None


def _is_frame(value: object) -> bool:
    return type(value).__name__ == "DataFrame" and hasattr(value, "columns")


def labels_for(sims: Sequence[DataSource]) -> list[str]:
    """Unique display names of the simulated datasets (``name#2`` for a repeated one)."""
    from validator.provenance import display_path

    labels = [display_path(sim) if isinstance(sim, (str, os.PathLike)) else f"simulation_{i + 1}" for i, sim in enumerate(sims)]
    seen: dict[str, int] = {}
    unique = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return unique


def configure(
    human: DataSource,
    sim: DataSource | Sequence[DataSource],
    *,
    spec: str | os.PathLike[str] | StudySpec,
    seed: int,
    strict: bool,
    alpha: float | None,
    bootstrap: int | None,
    exclude_human_rows: Iterable[int],
    workers: int | None,
    gates: str | os.PathLike[str] | Sequence[Gate] | None,
    fail_on: str,
    scheduler: str | None = None,
) -> RunConfig:
    """Validate ``validator.check``'s arguments into a :class:`RunConfig` (UsageError on a bad one)."""
    from validator.spec.load import load_spec

    study = spec if isinstance(spec, StudySpec) else load_spec(spec)
    if strict and not study.models:
        from validator.errors import SpecError
        from validator.recovery.check import NO_MODELS

        raise SpecError(f"{NO_MODELS}; --strict makes this an error", source=study.source, path="models")
    test_alpha = study.alpha if alpha is None else alpha
    if not 0.0 < test_alpha < 1.0:
        raise UsageError(f"alpha must lie strictly between 0 and 1, got {test_alpha:g}")
    replicates = study.uncertainty.bootstrap if bootstrap is None else bootstrap
    if replicates < 0:
        raise UsageError(f"the number of bootstrap replicates cannot be negative, got {replicates}")
    if replicates > BOOTSTRAP_MAX:
        raise UsageError(f"the number of bootstrap replicates must be at most {BOOTSTRAP_MAX:,} (a limit of simval), got {replicates:,}")
    sims: list[DataSource] = [cast(DataSource, sim)] if isinstance(sim, (str, os.PathLike)) or _is_frame(sim) else list(cast(Sequence[DataSource], sim))
    if not sims:
        raise UsageError("give at least one simulated dataset")
    if fail_on not in FAIL_ON:
        raise UsageError(f"fail_on must be one of {', '.join(FAIL_ON)}, got '{fail_on}'")
    if gates is None:
        declared: tuple[Gate, ...] = tuple(study.gates)
    elif isinstance(gates, (str, os.PathLike)):
        from validator.gates.load import load_gates_file

        declared = load_gates_file(gates, study)
    else:
        declared = tuple(gates)
    context = CheckContext(seed=seed, replicates=replicates, level=study.uncertainty.level, equal_n_draws=study.uncertainty.equal_n_draws)
    human_label = "human" if _is_frame(human) else labels_for([human])[0]
    return RunConfig(
        study=study,
        human=human,
        human_label=human_label,
        sims=tuple(sims),
        labels=tuple(labels_for(sims)),
        alpha=test_alpha,
        context=context,
        strict=strict,
        exclude_human_rows=tuple(exclude_human_rows),
        gates=declared,
        gates_declared=bool(declared),
        fail_on=fail_on,
        workers=max(1, workers or os.cpu_count() or 1),
        scheduler=parse_scheduler(scheduler) if scheduler is not None else None,
    )
