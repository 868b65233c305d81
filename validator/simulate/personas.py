"""Read the persona rows a simulation starts from: a human data file, through the spec.

The persona file is read like any data file of the study (aliases, recodings,
types; see :mod:`validator.io.ingest`), but only the simulation's id column,
persona columns and treatment factors are looked at, so a file with nothing
but demographics will do. A row whose persona values break the spec (a
missing or unknown ethnicity, say) is set aside and counted, as ``simval check``
would; it gets no simulated participant.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, cast

from validator.errors import UsageError
from validator.io.ingest import SetAsideRow
from validator.simulate.model import SimulationSpec
from validator.spec.model import StudySpec

if TYPE_CHECKING:
    from validator.run.read import DataSource

__all__ = ["Persona", "PersonaTable", "read_personas", "demo_personas"]

DEMO_SOURCE = "<demo persona>"


@dataclass(frozen=True)
class Persona:
    """One usable persona row: its data row number (from 1), id, persona values and factor levels."""

    row: int
    id: str
    values: tuple[tuple[str, object], ...]
    levels: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PersonaTable:
    """The persona rows of one file, with the rows set aside and whether the factors were present."""

    source: str
    sha256: str
    n_read: int
    personas: tuple[Persona, ...]
    set_aside: tuple[SetAsideRow, ...]
    has_factors: bool


def _persona_spec(spec: StudySpec, sim: SimulationSpec) -> StudySpec:
    """The study spec cut down to the columns a persona file is read for."""
    wanted = {*sim.persona_columns, *sim.factors, *([sim.id_column] if sim.id_column else [])}
    columns = tuple(
        column if column.name in sim.persona_columns else replace(column, required=False)
        for column in spec.columns
        if column.name in wanted
    )
    cleared: dict[str, Any] = {
        "constraints": (), "derived": (), "models": (), "distributions": None,
        "heterogeneity": (), "coherence": (), "gates": (), "simulation": None,
    }
    present = {f.name for f in fields(spec)}
    return replace(spec, columns=columns, **{k: v for k, v in cleared.items() if k in present})


def read_personas(data: str | os.PathLike[str] | object, spec: StudySpec, *, label: str | None = None) -> PersonaTable:
    """Read persona rows from a path (or a pandas DataFrame) under ``spec``'s simulation section."""
    from validator.api import read_dataset

    sim = _require_simulation(spec)
    dataset = read_dataset(cast("DataSource", data), _persona_spec(spec, sim), label=label)
    frame = dataset.frame
    has_factors = all(factor not in dataset.absent_optional for factor in sim.factors)
    ids = [str(row) for row in frame.index]
    if sim.id_column and sim.id_column not in dataset.absent_optional:
        raw_ids = frame[sim.id_column]
        texts = [None if _missing(v) else str(v).strip() for v in raw_ids]
        # Ids name participants in the journal: fall back to row numbers unless every one is usable.
        if all(texts) and len(set(texts)) == len(texts):
            ids = [str(t) for t in texts]
    personas = []
    for position, row in enumerate(frame.index):
        record = frame.loc[row]
        values = tuple((name, _plain(record[name])) for name in sim.persona_columns)
        levels = tuple((f, str(record[f])) for f in sim.factors if has_factors and not _missing(record[f]))
        personas.append(Persona(int(row), ids[position], values, levels))
    return PersonaTable(
        source=dataset.source,
        sha256=dataset.sha256,
        n_read=dataset.n_rows_read,
        personas=tuple(personas),
        set_aside=dataset.set_aside,
        has_factors=has_factors,
    )


def demo_personas(spec: StudySpec, n: int = 8) -> PersonaTable:
    """Persona rows from simval's synthetic demo data (for ``--dry-run`` without ``--personas``)."""
    from validator.demo.generate import generate_human

    frame = generate_human(n=max(n, 8))
    table = read_personas(frame, spec, label=DEMO_SOURCE)
    return replace(table, source=DEMO_SOURCE)


def format_value(value: object, missing_text: str) -> str:
    """A persona value as prompt text: whole numbers without ``.0``, missing as ``missing_text``."""
    if _missing(value):
        return missing_text
    if isinstance(value, float) and value == round(value):
        return str(int(value))
    return str(value)


def _plain(value: object) -> object:
    """numpy scalars as Python values, missing as None."""
    if _missing(value):
        return None
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        import pandas as pd

        return bool(pd.isna(cast(Any, value)))
    except (TypeError, ValueError):
        return False


def _require_simulation(spec: StudySpec) -> SimulationSpec:
    if spec.simulation is None:
        raise UsageError(f"the spec '{spec.name}' has no simulation section; see docs/simulation.md to add one")
    return spec.simulation
