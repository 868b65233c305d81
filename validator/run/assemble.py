"""Assemble a run's records into results: per simulated dataset, its records, gates and verdict."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from validator.checks.context import CheckContext
from validator.checks.entry import item_name
from validator.checks.inputs import CheckInputs, HumanInputs
from validator.checks.registry import checks, planned_checks
from validator.gates.evaluate import evaluate_gates
from validator.gates.records import Gate
from validator.io.ingest import Dataset
from validator.models.types import ModelFit
from validator.results import CheckResult, SimulationResult
from validator.run.config import RunConfig
from validator.run.executor import DatasetHook, Executed
from validator.run.plan import Plan
from validator.spec.model import StudySpec
from validator.verdict.decide import FailOn, decide


def _human_fits(executed: Executed) -> tuple[ModelFit, ...]:
    prepared = executed.prepared.get("recovery")
    return tuple(prepared.fits) if prepared is not None else ()


def simulation_result(
    dataset: Dataset,
    grouped: Mapping[str, Sequence[tuple[str, Any]]],
    gates: Sequence[Gate] = (),
    fail_on: FailOn = "error",
) -> SimulationResult:
    """One simulated dataset's result from its records (check name -> (item, record) pairs):
    its gates evaluated on the records' metrics and its verdict decided."""
    constructs = {name: entry.construct for name, entry in checks().items()}
    records = MappingProxyType({name: tuple(items) for name, items in grouped.items()})
    unjudged = SimulationResult(dataset=dataset, records=records, fail_on=fail_on)
    outcomes = evaluate_gates(gates, unjudged.metric_values()) if gates else ()
    verdict = decide({name: tuple(r for _, r in items) for name, items in records.items()}, constructs, outcomes, fail_on, bool(gates))
    return SimulationResult(dataset=dataset, records=records, gates=outcomes, verdict=verdict, fail_on=fail_on)


def compare_datasets(study: StudySpec, human: Dataset, sim: Dataset, context: CheckContext, alpha: float, label: str = "sim") -> SimulationResult:
    """Every check of ``study`` on one (human, simulated) pair of datasets already in memory, in this thread.

    ``gates suggest`` runs its resampled pairs through this, so they are checked
    exactly as ``simval check`` checks a file.
    """
    human_inputs = HumanInputs(study, human, context, alpha)
    planned = planned_checks(study)
    prepared = {entry.name: entry.prepare(human_inputs) for entry in dict.fromkeys(e for e, _ in planned) if entry.prepare is not None}
    grouped: dict[str, list[tuple[str, Any]]] = {}
    for entry, item in planned:
        inputs = CheckInputs(study, human, sim, context, alpha, label, prepared.get(entry.name))
        grouped.setdefault(entry.name, []).append((item_name(item) if entry.per_item else "", entry.compute(inputs, item)))
    return simulation_result(sim, grouped)


def _grouped(plan: Plan, executed: Executed) -> list[dict[str, list[tuple[str, Any]]]]:
    """Each dataset's records by check name, in one pass over the tasks (a sweep has thousands)."""
    grouped: list[dict[str, list[tuple[str, Any]]]] = [{} for _ in executed.sims]
    for task, record in zip(plan.tasks, executed.records):
        grouped[task.sim_index].setdefault(task.entry.name, []).append((task.item_key, record))
    return grouped


def _check_result(config: RunConfig, executed: Executed, simulations: tuple[SimulationResult, ...]) -> CheckResult:
    study = config.study
    return CheckResult(
        spec_name=study.name,
        spec_title=study.title,
        spec_source=study.source,
        spec_sha256=study.sha256,
        alpha=config.alpha,
        correction=study.correction,
        context=config.context,
        human=executed.human,
        human_fits=_human_fits(executed),
        simulations=simulations,
        gates_declared=len(config.gates),
    )


def assemble(config: RunConfig, plan: Plan, executed: Executed) -> CheckResult:
    """The :class:`CheckResult` of a run: records grouped per dataset and check, gates, verdicts."""
    simulations = tuple(
        simulation_result(dataset, grouped, config.gates, config.fail_on) for dataset, grouped in zip(executed.sims, _grouped(plan, executed))
    )
    return _check_result(config, executed, simulations)


def streamed(config: RunConfig, plan: Plan, hook: Callable[[CheckResult], None]) -> DatasetHook:
    """An ``on_dataset`` hook for :func:`~validator.run.executor.execute` that calls ``hook`` with the
    :class:`CheckResult` of the datasets done so far (1..k, in input order), each dataset's result built once."""
    done: list[SimulationResult] = []
    consumed = 0  # records already grouped: the tasks of the datasets before this one

    def on_dataset(executed: Executed) -> None:
        nonlocal consumed
        grouped: dict[str, list[tuple[str, Any]]] = {}
        for position in range(consumed, len(executed.records)):
            task = plan.tasks[position]
            grouped.setdefault(task.entry.name, []).append((task.item_key, executed.records[position]))
        consumed = len(executed.records)
        done.append(simulation_result(executed.sims[len(done)], grouped, config.gates, config.fail_on))
        hook(_check_result(config, executed, tuple(done)))

    return on_dataset
