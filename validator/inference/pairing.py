"""Pairs: which simulated rows were built from which human row's persona.

A *unit* is one key value (one persona). A human unit has exactly one human row; its
simulated rows (one or several draws) are its partners. Simulated units whose key has no
human row form the *unlabeled* set of prediction-powered inference. Nothing is dropped
silently: every excluded row is counted under a reason.

- ``missing_key``: the row has no key value (left out);
- ``duplicated_human_key``: two or more human rows share a key; the persona is
  ambiguous, so those human rows *and* their simulated rows are left out;
- ``conflicting``: a pair whose ``persona`` columns disagree (the simulation was not
  built from this human row); both sides are left out;
- ``human_unmatched``: human rows without a simulated partner (they enter neither
  estimate, so that the classical and rectified estimates use the same humans);
- ``sim_unmatched``: simulated rows without a human partner: the unlabeled set;
- ``sim_duplicated``: simulated rows beyond the first of a key (kept: a persona's draws
  are averaged);
- ``held_out`` (pilot check only): paired personas outside the pilot, whose simulations
  join the unlabeled set and whose human rows are the held-out study.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from validator.did_you_mean import did_you_mean
from validator.errors import InputError
from validator.io.ingest import Dataset

__all__ = ["PairCounts", "Pairing", "key_text", "pair_datasets"]


@dataclass(frozen=True)
class PairCounts:
    """How many rows each pairing rule kept or left out (see the module docstring)."""

    human_rows: int
    sim_rows: int
    pairs: int
    unlabeled_units: int
    missing_key_human: int
    missing_key_sim: int
    duplicated_human_key: int
    conflicting: int
    human_unmatched: int
    sim_unmatched: int
    sim_duplicated: int
    held_out: int = 0

    def to_dict(self) -> dict[str, int]:
        return {name: int(getattr(self, name)) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Pairing:
    """Positions (into each dataset's frame) of the rows of every labeled and unlabeled unit.

    ``human_rows[i]`` is the human row of labeled unit ``i``; ``sim_rows`` and
    ``sim_unit`` list the simulated rows of labeled units and their unit index;
    ``unlabeled_rows`` and ``unlabeled_unit`` those of the unlabeled units.
    ``keys`` are the labeled units' key values, in unit order (sorted).
    """

    keys: tuple[str, ...]
    human_rows: np.ndarray
    sim_rows: np.ndarray
    sim_unit: np.ndarray
    unlabeled_rows: np.ndarray
    unlabeled_unit: np.ndarray
    n_unlabeled: int
    counts: PairCounts

    @property
    def n(self) -> int:
        return len(self.keys)


def key_text(dataset: Dataset, key: str) -> pd.Series:
    """The key column as text (``7`` and ``7.0`` are the same key); exit 2 when it is absent."""
    frame = dataset.frame
    if key not in frame.columns:
        raise InputError(
            f"the key column '{key}' that pairs simulated rows with human rows is missing "
            f"({did_you_mean(key, [str(c) for c in frame.columns])})",
            source=dataset.source,
            column=key,
        )
    values = frame[key]
    numbers = pd.to_numeric(values, errors="coerce")
    whole = numbers.notna() & np.isfinite(numbers) & (numbers == np.round(numbers))
    text = values.astype("string").str.strip()
    text[whole] = numbers[whole].astype(np.int64).astype(str)
    present = (values.notna() & text.notna() & (text != "")).fillna(False).to_numpy(dtype=bool)
    return pd.Series([t if keep else None for t, keep in zip(text.astype(object), present)], dtype=object)


def _units(keys: pd.Series) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for position, value in enumerate(keys):
        if value is not None:
            groups.setdefault(str(value), []).append(position)
    return groups


def _as_comparable(values: pd.Series) -> list[object]:
    return [None if pd.isna(v) else str(v) for v in values]


def pair_datasets(
    human: Dataset, sim: Dataset, key: str, *, persona: tuple[str, ...] = (), labeled: frozenset[str] | None = None
) -> Pairing:
    """Pair ``sim``'s rows with ``human``'s by ``key``.

    ``labeled`` (the pilot check) restricts the labeled units to these keys: the
    simulated rows of every other paired persona then join the unlabeled set, and their
    human rows are left out and counted as ``held_out``.
    """
    human_keys, sim_keys = key_text(human, key), key_text(sim, key)
    human_units, sim_units = _units(human_keys), _units(sim_keys)
    duplicated = {k for k, rows in human_units.items() if len(rows) > 1}
    conflicting: set[str] = set()
    if persona:
        missing = [c for c in persona if c not in sim.frame.columns]
        if missing:
            raise InputError(
                f"the persona column '{missing[0]}' named in inference.persona is missing", source=sim.source, column=missing[0]
            )
        h_values = {c: _as_comparable(human.frame[c]) for c in persona}
        s_values = {c: _as_comparable(sim.frame[c]) for c in persona}
        for k, rows in sim_units.items():
            if k in human_units and k not in duplicated:
                h_row = human_units[k][0]
                if any(h_values[c][h_row] != s_values[c][r] for c in persona for r in rows):
                    conflicting.add(k)
    paired = sorted(
        (k for k in sim_units if k in human_units and k not in duplicated and k not in conflicting),
        key=_sort_key,
    )
    if labeled is not None:
        held_out = [k for k in paired if k not in labeled]
        paired = [k for k in paired if k in labeled]
    else:
        held_out = []
    unlabeled = sorted((k for k in sim_units if k not in human_units), key=_sort_key) + held_out
    sim_rows, sim_unit = _flatten(sim_units, paired)
    unlabeled_rows, unlabeled_unit = _flatten(sim_units, unlabeled)
    counts = PairCounts(
        human_rows=len(human_keys),
        sim_rows=len(sim_keys),
        pairs=len(paired),
        unlabeled_units=len(unlabeled),
        missing_key_human=int(human_keys.isna().sum()),
        missing_key_sim=int(sim_keys.isna().sum()),
        duplicated_human_key=sum(len(human_units[k]) for k in duplicated),
        conflicting=len(conflicting),
        human_unmatched=sum(1 for k in human_units if k not in sim_units and k not in duplicated),
        sim_unmatched=sum(len(sim_units[k]) for k in sim_units if k not in human_units),
        sim_duplicated=sum(len(rows) - 1 for rows in sim_units.values()),
        held_out=len(held_out),
    )
    return Pairing(
        keys=tuple(paired),
        human_rows=np.array([human_units[k][0] for k in paired], dtype=np.int64),
        sim_rows=sim_rows,
        sim_unit=sim_unit,
        unlabeled_rows=unlabeled_rows,
        unlabeled_unit=unlabeled_unit,
        n_unlabeled=len(unlabeled),
        counts=counts,
    )


def _sort_key(key: str) -> tuple[int, float, str]:
    # Numeric keys in numeric order, so that unit order (and every seeded draw) is stable.
    try:
        return (0, float(key), key)
    except ValueError:
        return (1, 0.0, key)


def _flatten(units: dict[str, list[int]], keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    rows: list[int] = []
    unit: list[int] = []
    for index, k in enumerate(keys):
        rows.extend(units[k])
        unit.extend([index] * len(units[k]))
    return np.array(rows, dtype=np.int64), np.array(unit, dtype=np.int64)
