"""The simulated dataset: one CSV row per finished participant, written atomically.

Columns: the id column, then the study's columns the simulation fills (persona
columns, factors, answers) in the spec's column order, then the extra
free-text answers, then ``persona_row`` (the persona file's data row),
``sim_status`` (``ok`` or ``failed``) and ``sim_error`` (why it failed). A
failed participant keeps its persona, its cell and any turn it did answer; the
rest is empty, so ``simval check`` sets the row aside and counts it rather
than lose it. The raw replies stay in the journal.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

from validator.outputs import write_atomic
from validator.simulate.answers import format_number
from validator.simulate.journal import JournalState
from validator.simulate.personas import format_value
from validator.simulate.plan import Plan
from validator.spec.model import StudySpec

__all__ = ["output_columns", "output_table", "write_csv_atomic", "BOOKKEEPING_COLUMNS"]

BOOKKEEPING_COLUMNS = ("persona_row", "sim_status", "sim_error")


def output_columns(spec: StudySpec) -> list[str]:
    """The CSV header for ``spec``'s simulation (see the module docstring)."""
    sim = spec.simulation
    assert sim is not None
    id_column = sim.id_column or "participant_id"
    filled = {*sim.persona_columns, *sim.factors, *sim.answer_columns}
    study = [c.name for c in spec.columns if c.name in filled and c.name != id_column]
    return [id_column, *study, *sim.extra_columns, *BOOKKEEPING_COLUMNS]


def output_table(spec: StudySpec, plan: Plan, state: JournalState) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of the participants of ``plan`` that the journal shows finished, in plan order."""
    sim = spec.simulation
    assert sim is not None
    columns = output_columns(spec)
    rows = []
    for participant in plan.participants:
        entry = state.participants.get(participant.id)
        if entry is None or not entry.finished:
            continue
        values: dict[str, Any] = {name: format_value(value, "") for name, value in participant.persona.values}
        values.update(dict(participant.cell.levels))
        values.update({k: _text(v) for k, v in entry.final_values.items()})
        values[columns[0]] = participant.id
        values["persona_row"] = str(participant.persona.row)
        values["sim_status"] = str(entry.status)
        values["sim_error"] = entry.error or ""
        rows.append([values.get(column, "") for column in columns])
    return columns, rows


def write_csv_atomic(path: str | os.PathLike[str], columns: list[str], rows: list[list[str]]) -> None:
    """Write the CSV atomically (a temporary file beside ``path``, fsynced, renamed over it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    write_atomic(path, buffer.getvalue(), what="the simulated dataset (--out)")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format_number(float(value))
    return str(value)
