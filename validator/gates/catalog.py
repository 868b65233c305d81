"""Every metric path a gate may name, derived from the check registry's metric metadata.

Paths address the results of one simulated dataset (docs/results-json.md), for
example ``recovery.f1_sign``, ``distribution.belief_t1.overall.js``,
``distribution.mean_js.by.ethnicity.max`` or
``coherence.value_action_gap.difference``. A ``*`` in a pattern stands for a
subgroup level, which only the data knows.
"""

from __future__ import annotations

import difflib

from validator.checks.record import MetricInfo
from validator.checks.registry import metric_infos
from validator.spec.model import StudySpec

#: A gateable metric (its pattern, meaning, direction, range and whether it has an interval).
GatePath = MetricInfo


def gate_paths(spec: StudySpec) -> tuple[MetricInfo, ...]:
    """Every gateable path for results computed under ``spec``."""
    return tuple(metric_infos(spec))


def find_path(spec: StudySpec, path: str) -> MetricInfo | None:
    for entry in gate_paths(spec):
        if entry.matches(path):
            return entry
    return None


def nearest_paths(spec: StudySpec, path: str, limit: int = 5) -> list[str]:
    """The valid paths closest to ``path`` (for an "unknown path" message)."""
    patterns = [entry.pattern for entry in gate_paths(spec)]
    extending = [p for p in patterns if p.startswith(path)]
    close = [p for p in difflib.get_close_matches(path, patterns, n=limit, cutoff=0.5) if p not in extending]
    if extending or close:
        return (extending + close)[:limit]
    head = path.split(".")[0]
    return [p for p in patterns if p.startswith(head + ".")][:limit] or patterns[:limit]
