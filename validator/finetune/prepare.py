"""``prepare()``: draw training rows from the human data and write chat-format JSONL plus a manifest.

Plan (STUDY.md, "Finetuning data"): the rows ``simval check`` would use are
grouped by treatment cell; from each of the first ``cells`` cells in the
spec's declared order, ``target_count(n, fraction)`` rows are drawn with the
``random`` or ``balanced`` strategy (:mod:`validator.finetune.sampling`) from one
generator seeded with ``seed``, cell after cell. Each drawn row becomes one
conversation (:mod:`validator.finetune.examples`). The manifest
(:mod:`validator.finetune.manifest`) lists the drawn rows so the check can
exclude them.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from validator._version import __version__
from validator.errors import UsageError
from validator.outputs import OutputGuard, write_atomic
from validator.finetune.examples import DEMOGRAPHICS, training_conversation
from validator.finetune.manifest import MANIFEST_VERSION
from validator.finetune.sampling import balanced_sample, random_sample, target_count
from validator.simulate.model import SimulationSpec
from validator.simulate.personas import Persona
from validator.spec.load import load_spec
from validator.spec.model import StudySpec
from validator.did_you_mean import did_you_mean

__all__ = ["PrepareResult", "prepare", "manifest_path_for", "STRATEGIES"]

STRATEGIES = ("random", "balanced")
MISSING_GROUP = "(missing)"


@dataclass(frozen=True)
class PrepareResult:
    """What ``prepare()`` wrote: the files, the rows per cell and per group."""

    training: Path
    manifest: Path
    rows: tuple[int, ...]
    per_cell: tuple[tuple[str, int, int], ...]
    per_group: tuple[tuple[str, int], ...]
    n_rows_read: int
    n_eligible: int


def manifest_path_for(out: str | os.PathLike[str]) -> Path:
    """``train.jsonl`` -> ``train.manifest.json``."""
    path = Path(out)
    return path.with_name(f"{path.stem if path.suffix == '.jsonl' else path.name}.manifest.json")


def prepare(
    human: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    spec: str | os.PathLike[str] | StudySpec = "hunt2025",
    strategy: str = "random",
    cells: int = 8,
    fraction: float = 0.25,
    drop: tuple[str, ...] | list[str] = (),
    balance_by: str | None = None,
    seed: int = 0,
    manifest: str | os.PathLike[str] | None = None,
    force: bool = False,
) -> PrepareResult:
    """Write the training file ``out`` and its manifest (see the module docstring)."""
    from validator.api import read_dataset

    study = spec if isinstance(spec, StudySpec) else load_spec(os.fspath(spec))
    sim = study.simulation
    if sim is None:
        raise UsageError(f"the spec '{study.name}' has no simulation section, which finetuning data is written with")
    if strategy not in STRATEGIES:
        raise UsageError(f"unknown strategy '{strategy}' ({did_you_mean(strategy, STRATEGIES)})")
    if not 1 <= cells <= len(sim.cells):
        raise UsageError(f"--cells must lie between 1 and {len(sim.cells)} (the spec's cells), got {cells}")
    if not 0.0 < fraction <= 1.0:
        raise UsageError(f"--fraction must lie in (0, 1], got {fraction:g}")
    drop = _check_drop(sim, drop)
    group_column = balance_by or sim.balance_by
    if strategy == "balanced" and group_column is None:
        raise UsageError("balanced sampling needs a column to take turns over: --balance-by COLUMN")
    if group_column is not None and group_column not in study.column_names:
        raise UsageError(f"--balance-by: unknown column '{group_column}' ({did_you_mean(group_column, study.column_names)})")
    training = Path(out)
    manifest_file = Path(manifest) if manifest is not None else manifest_path_for(out)
    if training.resolve() == manifest_file.resolve():
        raise UsageError("the training file and the manifest must be different files")
    guard = OutputGuard([human if isinstance(human, (str, os.PathLike)) else None, study.source])
    guard.check(training, "--out")
    guard.check(manifest_file, "--manifest")
    for path in (training, manifest_file):
        if path.exists() and not force:
            raise UsageError(f"'{path}' exists; use --force to overwrite it")

    dataset = read_dataset(human, study)
    frame = dataset.frame
    needed = [c for item in sim.answer_items if not item.extra for c in item.columns]
    complete = frame[needed].notna().all(axis=1) if needed else pd.Series(True, index=frame.index)
    eligible = frame.loc[complete]
    included = sim.cells[:cells]
    cell_names = [cell.name for cell in included]
    cell_of_row = _cell_names(eligible, sim)
    groups_order = _group_order(study, group_column, eligible) if group_column else []

    rng = np.random.default_rng(seed)
    drawn: list[int] = []
    per_cell = []
    for cell in included:
        rows = [int(r) for r in eligible.index[cell_of_row == cell.name]]
        count = target_count(len(rows), fraction)
        if strategy == "random":
            picked = random_sample(rows, count, rng)
        else:
            assert group_column is not None
            groups = {g: [r for r in rows if _group(eligible.at[r, group_column]) == g] for g in groups_order}
            picked = balanced_sample(groups, count, rng)
        per_cell.append((cell.name, len(rows), len(picked)))
        drawn.extend(picked)
    if not drawn:
        raise UsageError(f"{dataset.source}: no usable rows in the first {cells} cell(s) ({', '.join(cell_names)})")

    lines = []
    for row in drawn:
        record = eligible.loc[row]
        cell = next(c for c in included if c.name == cell_of_row[row])
        persona = Persona(row, str(row), tuple((c, _plain(record[c])) for c in sim.persona_columns), cell.levels)
        answers = {c: _plain(record[c]) for c in (*sim.answer_columns,) if c in eligible.columns}
        lines.append(json.dumps(training_conversation(sim, persona, cell, answers, drop=drop), ensure_ascii=False))
    text = "\n".join(lines) + "\n"
    _write_atomic(training, text)

    ids = None
    if sim.id_column and sim.id_column in eligible.columns and eligible[sim.id_column].notna().all():
        ids = [str(eligible.at[r, sim.id_column]) for r in drawn]
    per_group = Counter(_group(eligible.at[r, group_column]) for r in drawn) if group_column else Counter()
    document: dict[str, Any] = {
        "simval_manifest": MANIFEST_VERSION,
        "kind": "finetune-training-rows",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "simval": __version__,
        "human_file": dataset.source,
        "human_sha256": dataset.sha256,
        "spec": study.name,
        "spec_sha256": study.sha256,
        "training_file": str(training),
        "training_sha256": _sha256(text),
        "strategy": strategy,
        "cells": cells,
        "cell_names": cell_names,
        "fraction": fraction,
        "seed": seed,
        "drop": list(drop),
        "balance_by": group_column,
        "n_rows": len(drawn),
        "per_cell": [{"cell": name, "available": n, "drawn": k} for name, n, k in per_cell],
        "per_group": {g: per_group[g] for g in groups_order if per_group[g]} if group_column else {},
        "rows": drawn,
    }
    if ids is not None:
        document["participant_ids"] = ids
    _write_atomic(manifest_file, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return PrepareResult(
        training=training,
        manifest=manifest_file,
        rows=tuple(drawn),
        per_cell=tuple(per_cell),
        per_group=tuple((g, per_group[g]) for g in groups_order if per_group[g]),
        n_rows_read=dataset.n_rows_read,
        n_eligible=len(eligible),
    )


def _check_drop(sim: SimulationSpec, drop: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    valid = [DEMOGRAPHICS, *(name for name, _ in sim.drop_groups)]
    for name in drop:
        if name not in valid:
            raise UsageError(f"--drop: '{name}' is not demographics or a drop group of the spec ({did_you_mean(name, valid)})")
    return tuple(dict.fromkeys(drop))


def _cell_names(frame: pd.DataFrame, sim: SimulationSpec) -> pd.Series:
    names = pd.Series("", index=frame.index, dtype=object)
    for factor in sim.factors:
        names = names + frame[factor].astype(object).map(lambda v: "" if v is None or v is pd.NA else str(v))
    return names


def _group_order(study: StudySpec, column: str, frame: pd.DataFrame) -> list[str]:
    """The column's declared values first, then any other value sorted, then missing."""
    declared = list(study.column(column).values or ())
    present = {_group(v) for v in frame[column]}
    return [v for v in declared if v in present] + sorted(present - set(declared) - {MISSING_GROUP}) + (
        [MISSING_GROUP] if MISSING_GROUP in present else []
    )


def _group(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return MISSING_GROUP
    return str(value)


def _plain(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _write_atomic(path: Path, text: str) -> None:
    write_atomic(path, text, what="the finetuning output")
