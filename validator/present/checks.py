"""Tables and headlines of every check of one simulated dataset, through the registry.

Each entry's own presenter builds its tables; a check without one (a plugin, a toy
check) is shown as a table of its metrics.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from validator.checks.entry import CheckEntry, PresentOptions
from validator.checks.registry import checks
from validator.present.formatting import fmt_interval, fmt_number, fmt_value
from validator.present.table import Table, table
from validator.results import CheckResult, SimulationResult


@dataclass(frozen=True)
class CheckView:
    """One check's presentation for one simulated dataset: title, headline lines, tables."""

    entry: CheckEntry
    headlines: tuple[str, ...]
    tables: tuple[Table, ...]


def options_for(result: CheckResult, detail: int) -> PresentOptions:
    return PresentOptions(detail=detail, level=result.level, alpha=result.alpha, correction=result.correction.method)


def metrics_table(entry: CheckEntry, item: str, record: object) -> Table:
    """The generic presentation: every metric of the record with its interval."""
    rows = []
    for value in record.metrics():  # type: ignore[attr-defined]
        rows.append([value.path or entry.name, fmt_number(value.estimate), fmt_interval(value.low, value.high) or "-"])
    title = entry.title + (f" ({item})" if item else "")
    return table(f"{entry.name}{'-' + item if item else ''}", title, ["metric", "estimate", "interval"], rows, align=["left", "right", "right"], detail=1)


def _generic_headline(entry: CheckEntry, record: object) -> str | None:
    for value in record.metrics():  # type: ignore[attr-defined]
        return f"{value.path or entry.name} {fmt_value(value.estimate, value.low, value.high)}"
    return None


def check_views(result: CheckResult, sim: SimulationResult, options: PresentOptions) -> Iterator[CheckView]:
    """Every check the spec ran on ``sim``, in registry order."""
    for name, entry in checks().items():
        items = sim.records.get(name, ())
        if not items:
            continue
        headlines: list[str] = []
        tables: list[Table] = []
        for item, record in items:
            line = entry.headline(record, options) if entry.headline is not None else _generic_headline(entry, record)
            if line:
                headlines.append(line)
            tables.extend(entry.tables(record, options) if entry.tables is not None else (metrics_table(entry, item, record),))
        yield CheckView(entry, tuple(headlines), tuple(tables))
