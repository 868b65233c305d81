"""The registry entry of belief-action coherence (the value-action gap), and the metrics it reports."""

from __future__ import annotations

from typing import Any

from validator.checks.entry import CheckEntry
from validator.checks.inputs import CheckInputs
from validator.checks.record import MetricInfo
from validator.coherence.check import CoherenceResult, compare_coherence
from validator.coherence.present import coherence_headline, coherence_tables
from validator.spec.model import StudySpec


def coherence_metrics(spec: StudySpec) -> tuple[MetricInfo, ...]:
    paths: list[MetricInfo] = []
    for c in spec.coherence:
        paths += [
            MetricInfo(f"{c.name}.difference", "value-action gap, simulation minus human", "match", (-1.0, 1.0), True),
            MetricInfo(f"{c.name}.sim.gap", "value-action gap of the simulation", "match", (0.0, 1.0), True),
            MetricInfo(f"{c.name}.human.gap", "value-action gap of the human data", "none", (0.0, 1.0), True),
        ]
    return tuple(paths)


def _compute(inputs: CheckInputs, item: Any) -> CoherenceResult:
    return compare_coherence(inputs.human, inputs.sim, item, inputs.context, resample_by=inputs.study.uncertainty.resample_by)


ENTRY = CheckEntry(
    name="coherence",
    title="Belief-action coherence",
    construct="coherence",
    description="value-action gap: P(mapped action | belief strictly highest), and sim - human",
    items=lambda spec: spec.coherence,
    compute=_compute,
    metrics=coherence_metrics,
    per_item=True,
    tables=coherence_tables,
    headline=coherence_headline,
)
