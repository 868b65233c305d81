"""Reading a run's input files: the human file and each simulated one, under the run's spec.

Shared by the executor (threads, Dask) and the forked workers (:mod:`validator.run.forked`),
so that every route reads the same columns with the same settings.
"""

from __future__ import annotations

from typing import Any

from validator.checks.registry import reads_spec_columns_only
from validator.io.ingest import Dataset
from validator.run.config import RunConfig
from validator.run.plan import Plan
from validator.run.read import read_dataset


def read_input(config: RunConfig, data: Any, label: str, *, human: bool, spec_only: bool = False) -> Dataset:
    """One input file of the run read under its spec (the human one with its excluded rows)."""
    exclude = config.exclude_human_rows if human else ()
    return read_dataset(data, config.study, label=label, strict=config.strict, exclude_rows=exclude, spec_only=spec_only)


def spec_columns_only(plan: Plan) -> bool:
    """Whether the files need only the spec's columns: every check of the run is one of simval's own."""
    return reads_spec_columns_only(task.entry for task in plan.tasks)
