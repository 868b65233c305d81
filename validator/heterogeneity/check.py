"""Heterogeneity: unique response structures, compared at equal n.

The number of distinct value tuples over the declared columns (the reference
study: distinct (belief_t1, belief_t2, belief_both) triples; docs/metrics.md). It
grows with sample size, so the larger dataset is also subsampled without
replacement to the smaller one's n, and the mean count over draws is reported
with its 2.5-97.5 percentile range. The Shannon entropy (bits) of the
structures' empirical distribution is reported beside the counts.

Neither gets a percentile bootstrap interval, on purpose: resampling with
replacement can only lose structures, never find new ones, so the bootstrap
distribution of a unique count or a plug-in entropy sits wholly below the
estimate (at n = 929 the demo data's entropy interval would exclude its own
estimate). Their uncertainty at equal n is the subsampling range.

The default verdict asks whether the ratio at equal n is one a fresh human
sample would show: it passes when the ratio lies within the central ``level``
range of the ratios of random splits of the pooled rows
(:mod:`validator.heterogeneity.floor`), reported as ``ratio_floor``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from validator.checks.context import CheckContext
from validator.checks.joint_floor import (
    Flag,
    JointFloor,
    joint_floor,
    verdict_from_joint,
)
from validator.checks.metric import Metric, make_metric
from validator.checks.record import MetricValue
from validator.heterogeneity.floor import permutation_ratios
from validator.heterogeneity.structures import (
    EqualNComparison,
    equal_n,
    shannon_entropy,
    structure_codes,
    unique_count,
)
from validator.io.ingest import Dataset
from validator.spec.model import HeterogeneitySpec
from validator.verdict.records import ConstructVerdict

#: Fewer complete rows than this on either side make the verdict inconclusive.
MIN_ROWS = 30


@dataclass(frozen=True)
class StructureSummary:
    """One dataset's structures: rows with a complete structure, distinct structures, entropy."""

    n: int
    n_incomplete: int
    unique: int
    entropy: Metric

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "n_incomplete": self.n_incomplete, "unique": self.unique, "entropy": self.entropy.to_dict()}


def _equal_n_dict(comparison: EqualNComparison | None) -> dict[str, Any] | None:
    if comparison is None:
        return None
    return {"n": comparison.n, "mean": comparison.mean, "low": comparison.low, "high": comparison.high, "draws": comparison.draws}


@dataclass(frozen=True)
class HeterogeneityResult:
    """Unique structures of the human and the simulated data, and at equal n."""

    name: str
    columns: tuple[str, ...]
    human: StructureSummary
    sim: StructureSummary
    sim_at_human_n: EqualNComparison | None
    human_at_sim_n: EqualNComparison | None
    default_verdict: ConstructVerdict | None = None
    ratio_floor: JointFloor | None = None

    @property
    def equal_n(self) -> int:
        return min(self.human.n, self.sim.n)

    @property
    def ratio_at_equal_n(self) -> float | None:
        """Simulated over human unique structures at the smaller n."""
        sim = self.sim_at_human_n.mean if self.sim_at_human_n else float(self.sim.unique)
        human = self.human_at_sim_n.mean if self.human_at_sim_n else float(self.human.unique)
        return sim / human if human else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "human": self.human.to_dict(),
            "sim": self.sim.to_dict(),
            "equal_n": self.equal_n,
            "sim_at_human_n": _equal_n_dict(self.sim_at_human_n),
            "human_at_sim_n": _equal_n_dict(self.human_at_sim_n),
            "ratio_at_equal_n": self.ratio_at_equal_n,
            "ratio_floor": self.ratio_floor.to_dict() if self.ratio_floor else None,
            "default_verdict": self.default_verdict.to_dict() if self.default_verdict else None,
        }

    def metrics(self) -> Iterator[MetricValue]:
        """Unique structures on each side, the simulated count at the human n, and their ratio."""
        yield MetricValue.of("ratio_at_equal_n", self.ratio_at_equal_n)
        yield MetricValue.of("sim.unique", self.sim.unique)
        yield MetricValue.of("human.unique", self.human.unique)
        yield MetricValue.from_metric("sim.entropy", self.sim.entropy)
        for name, comparison in (("sim_at_human_n", self.sim_at_human_n), ("human_at_sim_n", self.human_at_sim_n)):
            # An absent comparison (the other side is the smaller) is a metric without a value.
            yield MetricValue.of(name, comparison.mean, comparison.low, comparison.high) if comparison else MetricValue(name, None)


def _summary(dataset: Dataset, columns: tuple[str, ...], ctx: CheckContext) -> tuple[StructureSummary, np.ndarray]:
    codes, _ = structure_codes(dataset.frame, columns)
    complete = codes >= 0
    valid = codes[complete]
    entropy = make_metric(float(shannon_entropy(valid)) if valid.size else None, None, ctx.level)
    return StructureSummary(int(valid.size), int((~complete).sum()), unique_count(valid), entropy), valid


def compare_structures(human: Dataset, sim: Dataset, spec: HeterogeneitySpec, ctx: CheckContext) -> HeterogeneityResult:
    """Unique structures over ``spec.columns`` in both datasets, and at equal n."""
    human_summary, human_codes = _summary(human, spec.columns, ctx)
    sim_summary, sim_codes = _summary(sim, spec.columns, ctx)
    sim_at_human_n = human_at_sim_n = None
    if human_summary.n and sim_summary.n:
        if sim_summary.n >= human_summary.n:
            sim_at_human_n = equal_n(sim_codes, human_summary.n, draws=ctx.equal_n_draws, rng=ctx.rng("equal_n", spec.name, "sim"))
        else:
            human_at_sim_n = equal_n(human_codes, sim_summary.n, draws=ctx.equal_n_draws, rng=ctx.rng("equal_n", spec.name, "human"))
    result = HeterogeneityResult(spec.name, spec.columns, human_summary, sim_summary, sim_at_human_n, human_at_sim_n)
    floor = None
    if ctx.replicates and min(human_summary.n, sim_summary.n) >= MIN_ROWS and result.ratio_at_equal_n is not None:
        pooled_h, pooled_s = _pooled_codes(human, sim, spec.columns)
        draws = permutation_ratios(pooled_h, pooled_s, ctx.replicates, ctx.rng("heterogeneity", spec.name, "permutation"))
        floor = joint_floor([Flag("unique structures, simulation / human at equal n", result.ratio_at_equal_n, draws, "both")], ctx.level)
    return replace(result, default_verdict=_verdict(result, floor, ctx), ratio_floor=floor)


def _pooled_codes(human: Dataset, sim: Dataset, columns: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Structure codes of both datasets' complete rows on one numbering (per-dataset codes are not comparable)."""
    pooled = pd.concat([human.frame[list(columns)], sim.frame[list(columns)]], ignore_index=True)
    codes, _ = structure_codes(pooled, columns)
    h, s = codes[: len(human.frame)], codes[len(human.frame) :]
    return h[h >= 0], s[s >= 0]


def _verdict(result: HeterogeneityResult, floor: JointFloor | None, ctx: CheckContext) -> ConstructVerdict:
    rows = min(result.human.n, result.sim.n)
    if rows < MIN_ROWS:
        return ConstructVerdict("inconclusive", f"too few complete structures to compare ({rows} < {MIN_ROWS} rows)")
    if floor is None:
        return ConstructVerdict("inconclusive", "no noise floor to judge the ratio against (bootstrap off)")
    return verdict_from_joint(floor, f"{result.name}")
