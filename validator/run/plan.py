"""The plan of a run: which checks run on which simulated dataset, and the key of each task's random stream.

Every task draws from its own stream, ``CheckContext.rng(...)`` keyed by what the
task is (never by when or where it runs), so the results are the same whichever
worker runs it and in whatever order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from validator.checks.entry import CheckEntry, item_name
from validator.checks.registry import planned_checks
from validator.run.config import RunConfig


@dataclass(frozen=True)
class CheckTask:
    """One check on one simulated dataset: the entry, its spec item, the dataset's index and label."""

    entry: CheckEntry
    item: Any
    item_key: str
    sim_index: int
    label: str


@dataclass(frozen=True)
class Plan:
    """The prepare steps (once per human dataset) and the check tasks, in output order."""

    prepare: tuple[CheckEntry, ...]
    tasks: tuple[CheckTask, ...]


def make_plan(config: RunConfig) -> Plan:
    """Every (check, item) the spec asks for, for every simulated dataset."""
    checks = planned_checks(config.study)
    prepare = tuple(dict.fromkeys(entry for entry, _ in checks if entry.prepare is not None))
    tasks = tuple(
        CheckTask(entry, item, item_name(item) if entry.per_item else "", index, label)
        for index, label in enumerate(config.labels)
        for entry, item in checks
    )
    return Plan(prepare, tasks)
