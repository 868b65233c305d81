"""The one registry of checks: spec section name -> the function that computes it.

A check is a plain function ``(human, sim, section, context) -> result record``.
The CLI and the report only format the records; names in a spec or a gate
resolve through this registry and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from validator.coherence.check import compare_coherence
from validator.checks.context import CheckContext
from validator.alignment.check import compare_distributions
from validator.heterogeneity.check import compare_structures
from validator.io.ingest import Dataset
from validator.spec.model import StudySpec


@dataclass(frozen=True)
class CheckInfo:
    """A registered check: where its spec section is, what it computes, which way is better."""

    name: str
    section: str
    function: Callable[[Dataset, Dataset, Any, CheckContext], Any]
    per_item: bool
    description: str
    goal: Literal["minimize", "maximize", "match"]


CHECKS: Mapping[str, CheckInfo] = MappingProxyType(
    {
        "distribution": CheckInfo(
            "distribution",
            "distributions",
            compare_distributions,
            False,
            "Jensen-Shannon distance (and TVD, Wasserstein, KS, chi-square, dispersion ratio) per variable, overall and by subgroup",
            "minimize",
        ),
        "heterogeneity": CheckInfo(
            "heterogeneity",
            "heterogeneity",
            compare_structures,
            True,
            "unique response structures and their entropy, compared at equal n",
            "match",
        ),
        "coherence": CheckInfo(
            "coherence",
            "coherence",
            compare_coherence,
            True,
            "value-action gap: P(mapped action | belief strictly highest), and sim - human",
            "match",
        ),
    }
)


def planned_checks(spec: StudySpec) -> list[tuple[CheckInfo, Any]]:
    """The (check, spec section or item) pairs a spec asks for, in registry order."""
    plan: list[tuple[CheckInfo, Any]] = []
    for info in CHECKS.values():
        section = getattr(spec, info.section)
        if not section:
            continue
        items = section if info.per_item else (section,)
        plan.extend((info, item) for item in items)
    return plan
