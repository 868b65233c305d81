"""The calibration draws of ``gates suggest`` for the costly constructs, computed for every draw at once.

A draw compares two samples of the human data as ``simval check`` would compare a
simulation (:mod:`validator.gates.thresholds`). Checking 400 such pairs one by one
cost 400 rounds of statsmodels fits and 400 distribution checks. Two constructs are
computed here for all draws together instead, with the results of the one-by-one
check:

- **Distances of the split halves** (``distribution.*``): the halves are a random
  relabelling of the rows, so every draw's plug-in JS distances come from the
  noise floor's machinery (one sparse product per group, the fused distance kernel),
  with the check's rules for groups with too few rows and groups absent from one
  half. The values are bit-identical to the one-by-one check's
  (``tests/gates/test_batched_draws.py``).
- **Recovery of the bootstrap pairs** (``recovery.*``): both samples of every draw
  are frequency weights over the human rows, refitted by the batched engine
  (statsmodels' estimates to 1e-10) and classified as the bootstrap intervals are.
  A draw in which some model is not estimable on either sample is left to the
  one-by-one check (``None`` in :attr:`RecoveryDraws.exact`), which decides what
  a comparison without that model looks like.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from validator.alignment.check import OVERALL, _code, _layout, _tally_matrix, breakdown_levels
from validator.alignment.distances import replicate_distances
from validator.bootstrap.weights import chunk_size
from validator.checks.context import CheckContext
from validator.io.ingest import Dataset
from validator.models.design import Design
from validator.recovery.uncertainty import ReplicateFits, model_draws, recovery_statistics
from validator.spec.model import DistributionsSpec, StudySpec

#: The value of a group one half lacks, as the distribution check counts it (``ABSENT_DISTANCE``).
_ABSENT = 1.0


def split_distances(spec: DistributionsSpec, human: Dataset, halves: np.ndarray, paths: Sequence[str]) -> dict[str, np.ndarray]:
    """Each gated distance path's plug-in value per draw, for the split of ``halves`` (draws x rows, True: first half).

    ``spec`` is the halved spec's distributions section (its ``min_group_size``
    already the half-sample one). Paths are those of
    :func:`validator.gates.thresholds.candidates` under ``distribution.``; a draw
    where the check gives no value has NaN.
    """
    frame = human.frame
    coded = [_code(variable, frame, frame) for variable in spec.variables]
    layout = _layout(coded)
    everyone = np.ones(len(frame), dtype=bool)
    groups: list[tuple[str, str | None, np.ndarray]] = [(OVERALL, None, everyone)]
    groups.extend((by, level, mask) for by, level, mask, _ in breakdown_levels(spec, frame, frame))
    labels = np.asarray(halves, dtype=np.float64)
    size = spec.min_group_size
    index = {c.variable.name: i for i, c in enumerate(coded)}
    mean_over = [index[name] for name in spec.mean_over]
    # Per group: each variable's JS plug-in per draw (NaN: no value), the group's rows in each half.
    js: dict[tuple[str, str | None], np.ndarray] = {}
    rows: dict[tuple[str, str | None], tuple[np.ndarray, np.ndarray]] = {}
    for key_by, key_level, mask in groups:
        matrix = _tally_matrix(coded, layout, "human", mask)
        total = np.asarray(matrix.sum(axis=0), dtype=np.float64).ravel()
        a = _product(labels[:, mask], matrix)
        b = total - a
        values = np.full((len(coded), labels.shape[0]), np.nan)
        for i, bins in enumerate(layout.bins):
            valid_a, valid_b = a[:, bins].sum(axis=1), b[:, bins].sum(axis=1)
            distance = replicate_distances(a[:, bins], b[:, bins])["js"]
            values[i] = np.where((valid_a > 0) & (valid_b > 0), distance, np.nan)
        js[key_by, key_level] = values
        n_a = labels[:, mask].sum(axis=1)
        rows[key_by, key_level] = (n_a, mask.sum() - n_a)

    def mean_js(key: tuple[str, str | None]) -> np.ndarray:
        values = js[key][mean_over]
        # float(np.mean(list)) per draw: the check's own arithmetic, so the values agree to the bit.
        return np.array([float(np.mean(column)) if np.isfinite(column).all() else math.nan for column in values.T])

    out: dict[str, np.ndarray] = {}
    for path in paths:
        parts = path.split(".")[1:]
        if parts[:2] == ["mean_js", "overall"]:
            out[path] = mean_js((OVERALL, None))
        elif parts[:2] == ["mean_js", "by"]:
            by = parts[2]
            levels = [(key, mean_js(key)) for key in js if key[0] == by]
            out[path] = _max_plug_in(levels, rows, size)
        elif parts[1:3] == ["overall", "js"]:
            out[path] = js[OVERALL, None][index[parts[0]]]
    return out


def _product(weights: np.ndarray, matrix: sparse.csr_array) -> np.ndarray:
    """``weights @ matrix`` in chunks of draws, each about the noise floor's chunk of cells."""
    step = chunk_size(max(weights.shape[1], matrix.shape[1]), weights.shape[0])
    return np.concatenate([np.asarray(weights[i : i + step] @ matrix) for i in range(0, len(weights), step)]) if len(weights) else np.zeros((0, matrix.shape[1]))


def _max_plug_in(levels: list[tuple[tuple[str, str | None], np.ndarray]], rows: dict[tuple[str, str | None], tuple[np.ndarray, np.ndarray]], size: int) -> np.ndarray:
    """Per draw, the breakdown's ``max_plug_in``: the largest mean JS over levels with enough rows, an absent level 1."""
    draws = len(levels[0][1]) if levels else 0
    out = np.full(draws, np.nan)
    for d in range(draws):
        raw = []
        for key, values in levels:
            n_a, n_b = rows[key][0][d], rows[key][1][d]
            if n_b == 0 and n_a >= size:
                raw.append(_ABSENT)
            elif min(n_a, n_b) >= size and math.isfinite(values[d]):
                raw.append(float(values[d]))
        out[d] = float(np.max(raw)) if raw else math.nan
    return out


@dataclass(frozen=True)
class RecoveryDraws:
    """Per draw, each recovery statistic where every model was estimable on both samples (``exact``), else NaN."""

    statistics: dict[str, np.ndarray]
    exact: np.ndarray


def recovery_pairs(spec: StudySpec, human: Dataset, first: np.ndarray, second: np.ndarray, ctx: CheckContext) -> RecoveryDraws:
    """The recovery statistics of every draw's pair of samples, rows ``first[d]`` against rows ``second[d]``.

    ``first`` and ``second`` are (draws x size) row indices into the human frame (drawn
    with replacement). Rows repeated in a sample keep their cluster, as they do in the
    sample the one-by-one check sees.
    """
    n = len(human.frame)
    fits = []
    for rows in (first, second):
        weights = _row_weights(rows, n)

        def plan(model: object, design: Design, weights: np.ndarray = weights) -> Iterator[np.ndarray]:
            step = chunk_size(n, len(weights))
            return iter([weights[i : i + step] for i in range(0, len(weights), step)])

        models = []
        for model in spec.models:
            draws = model_draws(model, human, plan, alpha=spec.alpha, cluster_copies=False)
            if draws.estimable.size != len(weights):  # not estimable on the human data: on no sample either
                draws = replace(draws, estimable=np.zeros(len(weights), dtype=bool))
            models.append(draws)
        fits.append(ReplicateFits(len(weights), tuple(models)))
    a, b = fits
    ids = [m.id for m in spec.models]
    exact = a.estimable(ids) & b.estimable(ids) if ids else np.zeros(len(first), dtype=bool)
    keys = tuple((m.model, term) for m in a.models for term in m.terms)
    statistics = recovery_statistics(a.classify(keys, alpha=spec.alpha, correction=spec.correction), b.classify(keys, alpha=spec.alpha, correction=spec.correction))
    return RecoveryDraws({name: np.where(exact, values, np.nan) for name, values in statistics.items()}, exact)


def _row_weights(rows: np.ndarray, n: int) -> np.ndarray:
    """Frequency weights (draws x n) of row index samples (draws x size)."""
    draws = len(rows)
    flat = (rows + np.arange(draws)[:, None] * n).ravel()
    return np.bincount(flat, minlength=draws * n).reshape(draws, n).astype(np.float64)
