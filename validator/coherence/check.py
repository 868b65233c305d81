"""Belief-action coherence: the value-action gap of each dataset and their difference.

For each target (a belief variable and the action it maps to), among
respondents whose belief is strictly the highest of the compared beliefs (ties
excluded), the share who take the mapped action: P(action_k | belief k
highest). The gap pools the targets, weighting each by its group size
(docs/metrics.md; the reference study's humans: 24.7%).

Intervals. With one row per respondent the rows are independent draws, so the
rows in the target groups are independent draws from the respondents with a
strictly highest target belief, and a share (or the pooled gap) is a binomial
proportion given its group size: each gets the Wilson score interval and the
difference sim - human, of two independent proportions, Newcomb's hybrid score
interval (statsmodels). The percentile bootstrap they replace covered the
population gap 91-94% and the difference 92% at n = 929 (docs/calibration.md).
When ``uncertainty.resample_by`` names the participants of long-format data, a
participant's trials are not independent and the intervals are percentile
bootstrap intervals that resample whole participants.

The default verdict asks whether the difference is one a fresh human sample
would show: it passes when the difference lies within the central ``level``
range of the differences between random splits of the pooled rows into the two
datasets' sizes (a permutation test; reported as ``difference_floor``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from validator.alignment.permutation import permutation_labels
from validator.bootstrap.weights import Interval, cluster_codes, cluster_weights, percentile_interval
from validator.checks.context import CheckContext
from validator.checks.joint_floor import (
    Flag,
    JointFloor,
    joint_floor,
    verdict_from_joint,
)
from validator.checks.metric import Metric
from validator.checks.record import MetricValue
from validator.coherence.gap import (
    GapResult,
    gap_batched,
    target_indicators,
    value_action_gap,
)
from validator.io.ingest import Dataset
from validator.spec.model import CoherenceSpec
from validator.verdict.records import ConstructVerdict

#: Fewer respondents with a strictly highest target belief than this, on either side, make the verdict inconclusive.
MIN_ROWS = 30


@dataclass(frozen=True)
class GapSummary:
    """One dataset's gap: per target n, count and share (with interval), and the pooled gap."""

    point: GapResult
    shares: tuple[Metric, ...]
    gap: Metric

    def to_dict(self) -> dict[str, Any]:
        return {
            "targets": [
                {"belief": t.belief, "action": t.action, "n": t.n, "count": t.count, "share": share.to_dict()}
                for t, share in zip(self.point.targets, self.shares)
            ],
            "n": self.point.n,
            "count": self.point.count,
            "n_ties": self.point.n_ties,
            "n_excluded_missing": self.point.n_excluded_missing,
            "gap": self.gap.to_dict(),
        }


@dataclass(frozen=True)
class CoherenceResult:
    name: str
    action: str
    beliefs: tuple[str, ...]
    human: GapSummary
    sim: GapSummary
    difference: Metric
    default_verdict: ConstructVerdict | None = None
    difference_floor: JointFloor | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "beliefs": list(self.beliefs),
            "human": self.human.to_dict(),
            "sim": self.sim.to_dict(),
            "difference": self.difference.to_dict(),
            "difference_floor": self.difference_floor.to_dict() if self.difference_floor else None,
            "default_verdict": self.default_verdict.to_dict() if self.default_verdict else None,
        }

    def metrics(self) -> Iterator[MetricValue]:
        """The gap on each side and the difference simulation - human, with intervals."""
        yield MetricValue.from_metric("difference", self.difference)
        yield MetricValue.from_metric("sim.gap", self.sim.gap)
        yield MetricValue.from_metric("human.gap", self.human.gap)


def _wilson(count: int, n: int, level: float) -> Interval:
    """The Wilson score interval of ``count`` of ``n`` (statsmodels)."""
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(count, n, alpha=1.0 - level, method="wilson")
    return Interval(float(low), float(high), level, n, n)


def _newcomb(sim: tuple[int, int], human: tuple[int, int], level: float) -> Interval:
    """Newcomb's hybrid score interval of the difference of two independent proportions, sim - human."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(sim[0], sim[1], human[0], human[1], method="newcomb", compare="diff", alpha=1.0 - level)
    return Interval(float(low), float(high), level, min(sim[1], human[1]), min(sim[1], human[1]))


def _percentile(estimate: float | None, samples: np.ndarray | None, level: float) -> Metric:
    """A cluster-bootstrap metric: the percentile interval, widened to contain the estimate."""
    if estimate is None or samples is None:
        return Metric(estimate)
    interval = percentile_interval(samples, level)
    if interval.low is not None and interval.high is not None:
        interval = replace(interval, low=min(interval.low, estimate), high=max(interval.high, estimate))
    return Metric(float(estimate), interval, interval_method="cluster percentile")


def _cluster_samples(dataset: Dataset, spec: CoherenceSpec, ctx: CheckContext, side: str, resample_by: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-target shares (B, T) and pooled gaps (B,) over replicates that resample whole participants."""
    targets = [(t.belief, t.action) for t in spec.targets]
    highest, hits = target_indicators(dataset.frame, spec.action, spec.beliefs, targets)
    codes = cluster_codes(dataset.frame[resample_by])
    groups = int(codes.max()) + 1 if codes.size else 0
    rng = ctx.rng("coherence", spec.name, side, resample_by)
    parts = [gap_batched(highest, hits, w) for w in cluster_weights(codes, groups, ctx.replicates, rng)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _summarize(dataset: Dataset, spec: CoherenceSpec, ctx: CheckContext, side: str, resample_by: str | None) -> tuple[GapSummary, np.ndarray | None]:
    targets = [(t.belief, t.action) for t in spec.targets]
    point = value_action_gap(dataset.frame, spec.action, spec.beliefs, targets)
    if not ctx.replicates:
        return GapSummary(point, tuple(Metric(t.share) for t in point.targets), Metric(point.gap)), None
    if resample_by is not None:
        share_samples, gap_samples = _cluster_samples(dataset, spec, ctx, side, resample_by)
        shares = tuple(_percentile(t.share, share_samples[:, i], ctx.level) for i, t in enumerate(point.targets))
        return GapSummary(point, shares, _percentile(point.gap, gap_samples, ctx.level)), gap_samples
    shares = tuple(
        Metric(t.share, _wilson(t.count, t.n, ctx.level), interval_method="wilson") if t.share is not None else Metric(None)
        for t in point.targets
    )
    gap = Metric(point.gap, _wilson(point.count, point.n, ctx.level), interval_method="wilson") if point.gap is not None else Metric(None)
    return GapSummary(point, shares, gap), None


def compare_coherence(human: Dataset, sim: Dataset, spec: CoherenceSpec, ctx: CheckContext, *, resample_by: str | None = None) -> CoherenceResult:
    """The value-action gap declared by ``spec`` on both datasets, and sim - human (intervals: module docstring)."""
    human_summary, human_samples = _summarize(human, spec, ctx, "human", resample_by)
    sim_summary, sim_samples = _summarize(sim, spec, ctx, "sim", resample_by)
    h, s = human_summary.point.gap, sim_summary.point.gap
    estimate = None if h is None or s is None else s - h
    if estimate is None or not ctx.replicates:
        difference = Metric(estimate)
    elif resample_by is not None and human_samples is not None and sim_samples is not None:
        difference = _percentile(estimate, sim_samples - human_samples, ctx.level)
    else:
        hp, sp = human_summary.point, sim_summary.point
        difference = Metric(estimate, _newcomb((sp.count, sp.n), (hp.count, hp.n), ctx.level), interval_method="newcomb")
    result = CoherenceResult(spec.name, spec.action, spec.beliefs, human_summary, sim_summary, difference)
    floor = None
    rows = min(human_summary.point.n, sim_summary.point.n)
    if ctx.replicates and estimate is not None and rows >= MIN_ROWS:
        floor = joint_floor([Flag("value-action gap, simulation - human", estimate, _permutation_differences(human, sim, spec, ctx), "both")], ctx.level)
    return replace(result, default_verdict=_verdict(result, floor, rows), difference_floor=floor)


def _permutation_differences(human: Dataset, sim: Dataset, spec: CoherenceSpec, ctx: CheckContext) -> np.ndarray:
    """Gap differences (second - first) over random splits of the pooled rows into the two datasets' sizes."""
    targets = [(t.belief, t.action) for t in spec.targets]
    h_high, h_hits = target_indicators(human.frame, spec.action, spec.beliefs, targets)
    s_high, s_hits = target_indicators(sim.frame, spec.action, spec.beliefs, targets)
    highest, hits = np.concatenate([h_high, s_high], axis=1), np.concatenate([h_hits, s_hits], axis=1)
    n_h, n_s = h_high.shape[1], s_high.shape[1]
    is_human = np.concatenate([np.ones(n_h, dtype=bool), np.zeros(n_s, dtype=bool)])
    parts = []
    for labels in permutation_labels(np.zeros(n_h + n_s, dtype=np.int64), is_human, ctx.replicates, ctx.rng("coherence", spec.name, "permutation")):
        gap_h = gap_batched(highest, hits, labels)[1]
        gap_s = gap_batched(highest, hits, 1.0 - labels)[1]
        parts.append(gap_s - gap_h)
    return np.concatenate(parts)


def _verdict(result: CoherenceResult, floor: JointFloor | None, rows: int) -> ConstructVerdict:
    if result.difference.estimate is None or rows < MIN_ROWS:
        return ConstructVerdict("inconclusive", f"too few respondents with one strictly highest target belief ({rows} < {MIN_ROWS})")
    if floor is None:
        return ConstructVerdict("inconclusive", "no noise floor to judge the difference against (bootstrap off)")
    return verdict_from_joint(floor, result.name)
