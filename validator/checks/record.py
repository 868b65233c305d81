"""What every check reports: typed metric values, and the metadata that describes them.

A check's result record yields :class:`MetricValue` objects (a path, an estimate and
its interval). Its registry entry describes the same paths as :class:`MetricInfo`
patterns (``*`` stands for a subgroup level, which only the data knows). Gates, the
gate catalogue (``simval gates list``) and the report's definitions read these;
nothing walks the JSON.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from validator.checks.metric import Metric
    from validator.verdict.records import ConstructVerdict

#: Which way a metric is better: higher, lower, closer to a reference value, or no direction.
Better = Literal["higher", "lower", "match", "none"]


@dataclass(frozen=True)
class MetricInfo:
    """A reported metric: its path pattern, what it means, which way is better, its range.

    >>> MetricInfo("distribution.*.overall.js", "JS distance", "lower", (0.0, 1.0), True).matches("distribution.age.overall.js")
    True
    """

    pattern: str
    meaning: str
    better: Better = "none"
    range: tuple[float | None, float | None] = (None, None)
    has_interval: bool = False

    @cached_property
    def _regex(self) -> re.Pattern[str]:
        return re.compile("^" + re.escape(self.pattern).replace(r"\*", r"[^.]+") + "$")

    def matches(self, path: str) -> bool:
        return self._regex.match(path) is not None


def _finite(value: float | int | None) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class MetricValue:
    """One metric of one result: ``estimate`` and, when it has one, its interval ``[low, high]``.

    ``path`` is relative to the record that yields it until the assembly prefixes the
    check's name (and the spec item's name for per-item checks).
    """

    path: str
    estimate: float | None
    low: float | None = None
    high: float | None = None

    @classmethod
    def of(cls, path: str, estimate: float | int | None, low: float | int | None = None, high: float | int | None = None) -> MetricValue:
        """A value with non-finite numbers mapped to None."""
        return cls(path, _finite(estimate), _finite(low), _finite(high))

    @classmethod
    def from_metric(cls, path: str, metric: Metric | None) -> MetricValue:
        if metric is None:
            return cls(path, None)
        interval = metric.interval
        return cls.of(path, metric.estimate, interval.low if interval else None, interval.high if interval else None)

    def prefixed(self, prefix: str) -> MetricValue:
        return MetricValue(f"{prefix}.{self.path}" if self.path else prefix, self.estimate, self.low, self.high)


@runtime_checkable
class CheckRecord(Protocol):
    """The result record of one check (frozen dataclass): its JSON block and its metrics."""

    def to_dict(self) -> dict[str, Any]: ...

    def metrics(self) -> Iterator[MetricValue]: ...


def default_verdict_of(record: object) -> ConstructVerdict | None:
    """The record's own default verdict, when its check decides one (``default_verdict``)."""
    verdict = getattr(record, "default_verdict", None)
    return verdict if verdict is not None and hasattr(verdict, "verdict") else None


def prefixed(values: Iterable[MetricValue], prefix: str) -> Iterator[MetricValue]:
    for value in values:
        yield value.prefixed(prefix)
