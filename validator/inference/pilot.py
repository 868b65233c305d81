"""The pilot check: keep a fraction of the humans, rectify with the others' simulations.

A seeded random ``fraction`` of the paired personas keeps its human answers (the
labeled pilot); the simulations of every other persona become the unlabeled set, and
their human answers are held out as the "full human study". Per coefficient the check
reports whether the rectified pilot interval covers the full-human estimate, its width
against the human-only pilot interval, and the recovery metrics (F1(Sign) etc.) of the
rectified and of the human-only pilot against the full human fit.

``cells`` reproduces the reference study's designs ("first cell / four cells / all
cells"): the pilot is then ``fraction`` of each of the first ``cells`` treatment cells
(in the order of the spec's simulation cells). Such a pilot is **not** a random sample
of the personas, so PPI's coverage guarantee does not hold for it; the result says so
(``exchangeable`` false).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from validator.checks.context import CheckContext
from validator.errors import UsageError
from validator.finetune.sampling import random_sample, target_count
from validator.inference.compute import compute_inference
from validator.inference.pairing import pair_datasets
from validator.inference.records import InferenceResult, ModelInference
from validator.inference.section import InferenceSection
from validator.io.ingest import Dataset
from validator.models.fit import fit_models
from validator.models.types import Coefficient, ModelFit
from validator.recovery.compare import compare_fits
from validator.spec.model import StudySpec

__all__ = ["PilotCoefficient", "PilotResult", "choose_pilot", "run_pilot"]


@dataclass(frozen=True)
class PilotCoefficient:
    """One coefficient of the pilot check."""

    model: str
    term: str
    full_estimate: float
    pilot_estimate: float
    pilot_low: float
    pilot_high: float
    ppi_estimate: float
    ppi_low: float
    ppi_high: float
    classical_covers: bool
    ppi_covers: bool
    width_ratio: float

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class PilotResult:
    """The pilot check of one simulated dataset."""

    fraction: float
    cells: int | None
    exchangeable: bool
    n_pilot: int
    n_full: int
    inference: InferenceResult
    coefficients: tuple[PilotCoefficient, ...]
    recovery_ppi: dict[str, Any]
    recovery_classical: dict[str, Any]

    @property
    def ppi_coverage(self) -> float:
        return float(np.mean([c.ppi_covers for c in self.coefficients])) if self.coefficients else float("nan")

    @property
    def classical_coverage(self) -> float:
        return float(np.mean([c.classical_covers for c in self.coefficients])) if self.coefficients else float("nan")

    @property
    def median_width_ratio(self) -> float:
        ratios = [c.width_ratio for c in self.coefficients if np.isfinite(c.width_ratio)]
        return float(np.median(ratios)) if ratios else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "fraction": self.fraction,
            "cells": self.cells,
            "exchangeable": self.exchangeable,
            "n_pilot": self.n_pilot,
            "n_full": self.n_full,
            "ppi_coverage": self.ppi_coverage,
            "classical_coverage": self.classical_coverage,
            "median_width_ratio": self.median_width_ratio,
            "coefficients": [c.to_dict() for c in self.coefficients],
            "recovery_ppi": self.recovery_ppi,
            "recovery_classical": self.recovery_classical,
            "inference": self.inference.to_dict(),
        }


def _cell_names(dataset: Dataset, spec: StudySpec, rows: np.ndarray) -> list[str]:
    if spec.simulation is None or not spec.simulation.factors:
        raise UsageError("--pilot-cells needs a spec with a simulation section that names the treatment factors")
    frame = dataset.frame.iloc[rows]
    names = ["" for _ in range(len(rows))]
    for factor in spec.simulation.factors:
        names = [a + ("" if pd.isna(v) else str(v)) for a, v in zip(names, frame[factor].astype(object))]
    return names


def choose_pilot(
    human: Dataset, sim: Dataset, section: InferenceSection, spec: StudySpec, *, fraction: float,
    cells: int | None, rng: np.random.Generator,
) -> frozenset[str]:
    """The keys of the labeled pilot: ``fraction`` of all pairs, or of each of the first ``cells`` cells."""
    if not 0.0 < fraction < 1.0:
        raise UsageError(f"--pilot must lie strictly between 0 and 1, got {fraction:g}")
    pairing = pair_datasets(human, sim, section.key, persona=section.persona)
    keys = list(pairing.keys)
    if cells is None:
        picked = random_sample(list(range(len(keys))), target_count(len(keys), fraction), rng)
        return frozenset(keys[i] for i in picked)
    names = _cell_names(human, spec, pairing.human_rows)
    order = [c.name for c in spec.simulation.cells] if spec.simulation is not None else []
    if not 1 <= cells <= len(order):
        raise UsageError(f"--pilot-cells must lie between 1 and {len(order)}, got {cells}")
    chosen: list[str] = []
    for cell in order[:cells]:
        members = [i for i, name in enumerate(names) if name == cell]
        chosen.extend(keys[i] for i in random_sample(members, target_count(len(members), fraction), rng))
    return frozenset(chosen)


def _fit_from(result: ModelInference, which: str, alpha: float) -> ModelFit:
    coefficients = []
    for c in result.coefficients:
        estimate, se = (c.ppi_estimate, c.ppi_se) if which == "ppi" else (c.classical_estimate, c.classical_se)
        p = float(2.0 * norm.sf(abs(estimate / se))) if se > 0 else float("nan")
        low, high = (c.ppi_low, c.ppi_high) if which == "ppi" else (c.classical_low, c.classical_high)
        coefficients.append(Coefficient(result.model, c.term, estimate, se, p, p, low, high))
    return ModelFit(result.model, result.label, result.family, "", True, result.n_human, 0, 0, tuple(coefficients))


def run_pilot(
    human: Dataset, sim: Dataset, section: InferenceSection, spec: StudySpec, context: CheckContext, *,
    fraction: float = 0.25, cells: int | None = None,
) -> PilotResult:
    """Run the pilot check (see the module docstring)."""
    labeled = choose_pilot(human, sim, section, spec, fraction=fraction, cells=cells, rng=context.rng("pilot", sim.label))
    result = compute_inference(human, sim, section, context, labeled=labeled)
    # The full human study: every paired human (the pilot's and the held-out ones).
    full_pairs = pair_datasets(human, sim, section.key, persona=section.persona)
    full_fits = fit_models(section.models, human.frame.iloc[full_pairs.human_rows], alpha=section.alpha)
    reference = {f.model: f for f in full_fits}
    rows: list[PilotCoefficient] = []
    ok = [m for m in result.models if m.status == "ok"]
    for model in ok:
        full = reference.get(model.model)
        if full is None or not full.estimable:
            continue
        by_term = {c.term: c.estimate for c in full.coefficients}
        for c in model.coefficients:
            if c.term not in by_term:
                continue
            truth = by_term[c.term]
            width = (c.ppi_high - c.ppi_low) / (c.classical_high - c.classical_low)
            rows.append(
                PilotCoefficient(
                    model.model, c.term, truth, c.classical_estimate, c.classical_low, c.classical_high,
                    c.ppi_estimate, c.ppi_low, c.ppi_high,
                    bool(c.classical_low <= truth <= c.classical_high), bool(c.ppi_low <= truth <= c.ppi_high),
                    float(width),
                )
            )
    recovery_ppi = compare_fits(full_fits, [_fit_from(m, "ppi", section.alpha) for m in ok], alpha=section.alpha)
    recovery_cl = compare_fits(full_fits, [_fit_from(m, "classical", section.alpha) for m in ok], alpha=section.alpha)
    return PilotResult(
        fraction=fraction,
        cells=cells,
        exchangeable=cells is None,
        n_pilot=len(labeled),
        n_full=full_pairs.n,
        inference=result,
        coefficients=tuple(rows),
        recovery_ppi=recovery_ppi.summary.to_dict(),
        recovery_classical=recovery_cl.summary.to_dict(),
    )
