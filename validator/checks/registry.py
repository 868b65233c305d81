"""The one registry of checks.

Every check, coefficient recovery included, is one :class:`CheckEntry` declared by
its construct's module and listed here. Names in a spec or a gate resolve through
this registry and nowhere else; :func:`register` adds a check from outside the
package (a plugin, or a test's toy check) and :func:`unregister` removes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from validator.alignment.entry import ENTRY as ALIGNMENT
from validator.checks.entry import CheckEntry
from validator.checks.record import MetricInfo
from validator.coherence.entry import ENTRY as COHERENCE
from validator.heterogeneity.entry import ENTRY as HETEROGENEITY
from validator.inference.entry import ENTRY as INFERENCE
from validator.recovery.entry import ENTRY as RECOVERY
from validator.spec.model import StudySpec

_CHECKS: dict[str, CheckEntry] = {entry.name: entry for entry in (RECOVERY, ALIGNMENT, HETEROGENEITY, COHERENCE, INFERENCE)}
#: simval's own checks: they read only the columns a spec declares (and the inference key and weight).
_OWN: dict[str, CheckEntry] = dict(_CHECKS)


def checks() -> Mapping[str, CheckEntry]:
    """Every registered check by name, in registry order (the order of the JSON and the output)."""
    return dict(_CHECKS)


def get(name: str) -> CheckEntry:
    """The entry named ``name``; a KeyError lists the registered names."""
    try:
        return _CHECKS[name]
    except KeyError:
        raise KeyError(f"no check named '{name}' (registered: {', '.join(_CHECKS)})") from None


def register(entry: CheckEntry) -> None:
    """Add a check; its name must be new."""
    if entry.name in _CHECKS:
        raise ValueError(f"a check named '{entry.name}' is already registered")
    _CHECKS[entry.name] = entry


def unregister(name: str) -> None:
    """Remove a check added with :func:`register`."""
    _CHECKS.pop(name, None)


def reads_spec_columns_only(entries: Iterable[CheckEntry]) -> bool:
    """Whether every one of ``entries`` is one of simval's own checks, which need no column the spec does not name.

    A check registered from outside may read any column of the data, so a run with one
    reads every column. Compared by compute function: an entry that travelled to a Dask
    worker is a copy, its (module-level) function the same object.
    """
    return all((own := _OWN.get(entry.name)) is not None and own.compute is entry.compute for entry in entries)


def planned_checks(spec: StudySpec) -> list[tuple[CheckEntry, Any]]:
    """The (check, spec section or item) pairs a spec asks for, in registry order."""
    plan: list[tuple[CheckEntry, Any]] = []
    for entry in _CHECKS.values():
        items = entry.items(spec)
        if not items:
            continue
        plan.extend((entry, item) for item in (items if entry.per_item else (items[0],)))
    return plan


def metric_infos(spec: StudySpec) -> Iterator[MetricInfo]:
    """Every metric the checks of ``spec`` report, with full paths (``recovery.f1_sign``, ...)."""
    for entry in _CHECKS.values():
        if not entry.items(spec):
            continue
        for info in entry.metrics(spec):
            yield MetricInfo(f"{entry.name}.{info.pattern}", info.meaning, info.better, info.range, info.has_interval)
