"""The registry entry of heterogeneity (unique response structures), and the metrics it reports."""

from __future__ import annotations

from typing import Any

from validator.checks.entry import CheckEntry
from validator.checks.inputs import CheckInputs
from validator.checks.record import MetricInfo
from validator.heterogeneity.check import HeterogeneityResult, compare_structures
from validator.heterogeneity.present import heterogeneity_headline, heterogeneity_tables
from validator.spec.model import StudySpec


def heterogeneity_metrics(spec: StudySpec) -> tuple[MetricInfo, ...]:
    paths: list[MetricInfo] = []
    for h in spec.heterogeneity:
        paths += [
            MetricInfo(f"{h.name}.ratio_at_equal_n", "simulated / human unique structures at the smaller n", "match", (0.0, None)),
            MetricInfo(f"{h.name}.sim.unique", "unique structures in the simulation", "higher", (0.0, None)),
            MetricInfo(f"{h.name}.human.unique", "unique structures in the human data", "none", (0.0, None)),
            MetricInfo(f"{h.name}.sim_at_human_n", "simulated unique structures subsampled to the human n (mean, range over draws)", "higher", (0.0, None), True),
            MetricInfo(f"{h.name}.human_at_sim_n", "human unique structures subsampled to the simulated n (mean, range over draws)", "none", (0.0, None), True),
            MetricInfo(f"{h.name}.sim.entropy", "Shannon entropy (bits) of the simulated structures", "higher", (0.0, None)),
        ]
    return tuple(paths)


def _compute(inputs: CheckInputs, item: Any) -> HeterogeneityResult:
    return compare_structures(inputs.human, inputs.sim, item, inputs.context)


ENTRY = CheckEntry(
    name="heterogeneity",
    title="Heterogeneity",
    construct="heterogeneity",
    description="unique response structures and their entropy, compared at equal n",
    items=lambda spec: spec.heterogeneity,
    compute=_compute,
    metrics=heterogeneity_metrics,
    per_item=True,
    tables=heterogeneity_tables,
    headline=heterogeneity_headline,
)
