"""A registry entry: everything simval needs to know about one check.

A check module declares one :class:`CheckEntry`: its name (the JSON key and the
first segment of its metric paths), its spec section, its compute function, the
metrics it reports with their metadata, and how to present its record. The
assembly, the gates, ``simval gates list``, the terminal and the report read
only these entries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from validator.checks.inputs import CheckInputs, HumanInputs
from validator.checks.record import CheckRecord, MetricInfo
from validator.spec.model import StudySpec

if TYPE_CHECKING:
    from validator.present.table import Table


@dataclass(frozen=True)
class PresentOptions:
    """What a check's presenter may adapt to: detail level, interval level and alpha.

    ``detail`` is 0 for the summary, 1 for ``-v``, 2 for ``-vv`` (the report asks for 2).
    """

    detail: int = 1
    level: float = 0.95
    alpha: float = 0.05
    correction: str = "none"


@dataclass(frozen=True)
class CheckEntry:
    """One registered check.

    ``items(spec)`` lists the spec section (or its items) the check runs on; an empty
    sequence means the spec does not ask for it. With ``per_item`` the check runs once
    per item and its records are keyed by the item's ``name``; metric patterns from
    ``metrics(spec)`` are relative to ``name`` (and include the item name for per-item
    checks). ``prepare`` computes, once per human dataset, what every simulated
    dataset's run shares (its result reaches ``compute`` as ``inputs.prepared``).
    ``tables`` builds the record's presentation tables and ``headline`` its one-line
    summary; both default to a generic rendering of the record's metrics.
    """

    name: str
    title: str
    construct: str
    description: str
    items: Callable[[StudySpec], Sequence[Any]]
    compute: Callable[[CheckInputs, Any], CheckRecord]
    metrics: Callable[[StudySpec], tuple[MetricInfo, ...]]
    per_item: bool = False
    prepare: Callable[[HumanInputs], Any] | None = None
    tables: Callable[[Any, PresentOptions], Sequence[Table]] | None = None
    headline: Callable[[Any, PresentOptions], str | None] | None = None


def item_name(item: Any) -> str:
    """The key of one item of a per-item check (its spec ``name``)."""
    return str(item.name)
