"""Heterogeneity: unique response structures, compared at equal n.

The number of distinct value tuples over the declared columns (the reference
study: distinct (belief_t1, belief_t2, belief_both) triples; STUDY.md). It
grows with sample size, so the larger dataset is also subsampled without
replacement to the smaller one's n, and the mean count over draws is reported
with its 2.5-97.5 percentile range. The Shannon entropy (bits) of the
structures' empirical distribution is reported beside the counts.

Neither gets a percentile bootstrap interval, on purpose: resampling with
replacement can only lose structures, never find new ones, so the bootstrap
distribution of a unique count or a plug-in entropy sits wholly below the
estimate (at n = 929 the demo data's entropy interval would exclude its own
estimate). Their uncertainty at equal n is the subsampling range.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from validator.checks.context import CheckContext
from validator.checks.metric import Metric, make_metric
from validator.checks.record import MetricValue
from validator.heterogeneity.structures import EqualNComparison, equal_n, shannon_entropy, structure_codes, unique_count
from validator.io.ingest import Dataset
from validator.spec.model import HeterogeneitySpec


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
    return HeterogeneityResult(spec.name, spec.columns, human_summary, sim_summary, sim_at_human_n, human_at_sim_n)
