"""The verdict of one simulated dataset: per construct and overall, from declared gates or the default rules.

With gates declared they replace the default rules: each construct that has gates
gets ``fail`` when one of its gates of a failing severity fails, else ``pass``;
constructs without gates are not judged. Without gates, each construct's check
decides from the human data's own noise (its records' ``default_verdict``). The
overall verdict is the worst construct verdict (:func:`validator.verdict.records.worst`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from validator.checks.record import default_verdict_of
from validator.gates.records import GateResult
from validator.verdict.records import ConstructVerdict, VerdictSource, VerdictValue, worst

FailOn = Literal["error", "warning", "inconclusive"]
FAIL_ON: tuple[FailOn, ...] = ("error", "warning", "inconclusive")


@dataclass(frozen=True)
class Verdict:
    """``overall`` and one :class:`ConstructVerdict` per judged construct, with where the rules came from."""

    overall: VerdictValue
    constructs: tuple[tuple[str, ConstructVerdict], ...]
    source: VerdictSource

    def construct(self, name: str) -> ConstructVerdict | None:
        return dict(self.constructs).get(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall,
            "constructs": {name: verdict.to_dict() for name, verdict in self.constructs},
            "source": self.source,
        }


def failing_severities(fail_on: FailOn) -> frozenset[str]:
    return frozenset({"error"}) if fail_on in ("error", "inconclusive") else frozenset({"error", "warning"})


def _from_gates(results: Sequence[GateResult], fail_on: FailOn) -> ConstructVerdict:
    failing = failing_severities(fail_on)
    failed = [g for g in results if not g.passed and g.severity in failing]
    warned = [g for g in results if not g.passed and g.severity not in failing]
    passed = len(results) - len(failed) - len(warned)
    counts = f"{passed} of {len(results)} gate{'s' if len(results) != 1 else ''} passed"
    if failed:
        return ConstructVerdict("fail", f"{counts}; {failed[0].gate.name}: {failed[0].message}")
    if warned:
        return ConstructVerdict("pass", f"{counts}; warning {warned[0].gate.name}: {warned[0].message}")
    return ConstructVerdict("pass", counts)


def decide(
    records: Mapping[str, Sequence[Any]],
    constructs: Mapping[str, str],
    gates: Sequence[GateResult],
    fail_on: FailOn,
    declared: bool,
) -> Verdict:
    """The verdict of one simulated dataset.

    ``records`` maps each check name to its records, ``constructs`` each check name
    to its construct, ``gates`` holds the evaluated gates (``declared`` says whether
    any were declared, so that an empty gate list still means "gates").
    """
    judged: dict[str, ConstructVerdict] = {}
    if declared:
        by_construct: dict[str, list[GateResult]] = {}
        for result in gates:
            check = result.gate.path.split(".", 1)[0]
            by_construct.setdefault(constructs.get(check, check), []).append(result)
        for construct, results in by_construct.items():
            judged[construct] = _from_gates(results, fail_on)
        source: VerdictSource = "gates"
    else:
        for check, items in records.items():
            found = [v for v in (default_verdict_of(record) for record in items) if v is not None]
            if not found:
                continue
            construct = constructs.get(check, check)
            value = worst([v.verdict for v in found])
            reasons = [v.reason for v in found if v.verdict == value]
            judged[construct] = ConstructVerdict(value, "; ".join(reasons))
        source = "default"
    overall = worst([v.verdict for v in judged.values()]) if judged else "inconclusive"
    return Verdict(overall, tuple(judged.items()), source)


def passes(verdict: Verdict, fail_on: FailOn) -> bool:
    """False when the verdict fails, or is inconclusive under ``fail_on='inconclusive'``."""
    if verdict.overall == "fail":
        return False
    return not (fail_on == "inconclusive" and verdict.overall == "inconclusive")


def verdict_text(label: str, verdict: Verdict) -> list[str]:
    """The verdict as lines a person reads first: the overall line, then one line per construct.

    >>> v = Verdict("fail", (("recovery", ConstructVerdict("fail", "F1(Sign) 0.31 below 0.62")),), "default")
    >>> verdict_text("run.csv", v)
    ['FAIL run.csv', '  recovery      fail         F1(Sign) 0.31 below 0.62']
    """
    lines = [f"{verdict.overall.upper()} {label}" + ("" if verdict.constructs else " (no construct could be judged)")]
    for name, construct in verdict.constructs:
        lines.append(f"  {name:<13} {construct.verdict:<12} {construct.reason}")
    return lines
