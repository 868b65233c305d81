"""Parse gates from a spec's ``gates`` section or a separate gates file, checking every path."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from validator.errors import SpecError
from validator.gates.catalog import find_path, nearest_paths
from validator.gates.records import BOUNDS, COMPARISONS, SEVERITIES, Gate
from validator.spec.yaml_source import read_yaml, read_yaml_file
from validator.spec.model import StudySpec
from validator.did_you_mean import did_you_mean

GATE_KEYS = ("name", "path", "comparison", "threshold", "on", "severity", "tolerance", "description")


def _number(value: Any, source: str, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(f"expected a number, got {value!r}", source=source, path=path)
    return float(value)


def parse_gates(raw: Any, spec: StudySpec, *, source: str, prefix: str = "gates") -> tuple[Gate, ...]:
    """Validate a list of gate mappings against the gateable paths of ``spec``."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise SpecError("expected a list of gates", source=source, path=prefix)
    gates: list[Gate] = []
    names: set[str] = set()
    for i, item in enumerate(raw):
        where = f"{prefix}[{i}]"
        if not isinstance(item, Mapping):
            raise SpecError("expected a mapping with path, comparison and threshold", source=source, path=where)
        for key in item:
            if key not in GATE_KEYS:
                raise SpecError(f"unknown key '{key}' ({did_you_mean(str(key), GATE_KEYS)})", source=source, path=f"{where}.{key}")
        for key in ("path", "comparison", "threshold"):
            if key not in item:
                raise SpecError(f"a gate needs '{key}'", source=source, path=f"{where}.{key}")
        metric_path = str(item["path"]).strip()
        entry = find_path(spec, metric_path)
        if entry is None:
            near = ", ".join(nearest_paths(spec, metric_path))
            raise SpecError(
                f"unknown metric path '{metric_path}'; valid paths near it: {near} (simval gates list shows them all)",
                source=source,
                path=f"{where}.path",
            )
        comparison = str(item["comparison"]).strip()
        if comparison not in COMPARISONS:
            raise SpecError(f"comparison '{comparison}' is not one of {', '.join(COMPARISONS)}", source=source, path=f"{where}.comparison")
        raw_threshold = item["threshold"]
        threshold: float | tuple[float, float]
        if comparison == "between":
            if not isinstance(raw_threshold, list) or len(raw_threshold) != 2:
                raise SpecError("'between' needs a threshold [low, high]", source=source, path=f"{where}.threshold")
            low, high = (_number(v, source, f"{where}.threshold[{j}]") for j, v in enumerate(raw_threshold))
            if low > high:
                raise SpecError(f"low {low:g} is above high {high:g}", source=source, path=f"{where}.threshold")
            threshold = (low, high)
        else:
            threshold = _number(raw_threshold, source, f"{where}.threshold")
        on = str(item.get("on", "estimate")).strip()
        if on not in BOUNDS:
            raise SpecError(f"on '{on}' is not one of {', '.join(BOUNDS)}", source=source, path=f"{where}.on")
        if on != "estimate" and not entry.has_interval:
            raise SpecError(f"'{metric_path}' has no interval, so only on: estimate can be used", source=source, path=f"{where}.on")
        severity = str(item.get("severity", "error")).strip()
        if severity not in SEVERITIES:
            raise SpecError(f"severity '{severity}' is not one of {', '.join(SEVERITIES)}", source=source, path=f"{where}.severity")
        name = str(item.get("name") or f"{metric_path} {comparison} {raw_threshold}")
        if name in names:
            raise SpecError(f"gate name '{name}' is used twice", source=source, path=f"{where}.name")
        names.add(name)
        tolerance = _number(item.get("tolerance", 1e-9), source, f"{where}.tolerance")
        gates.append(
            Gate(
                name=name,
                path=metric_path,
                comparison=comparison,  # type: ignore[arg-type]
                threshold=threshold,
                on=on,  # type: ignore[arg-type]
                severity=severity,  # type: ignore[arg-type]
                tolerance=tolerance,
                description=str(item.get("description", "")),
            )
        )
    return tuple(gates)


def load_gates_file(path: str | os.PathLike[str], spec: StudySpec) -> tuple[Gate, ...]:
    """Gates from a YAML file: a list of gates, or a mapping with a ``gates`` list."""
    source = str(path)
    text = read_yaml_file(path, source=source, what="the gates file")
    document = read_yaml(text, source=source)
    if isinstance(document, Mapping):
        unknown = [k for k in document if k != "gates"]
        if unknown:
            raise SpecError(f"unknown key '{unknown[0]}' (a gates file holds one key, 'gates')", source=source, path=str(unknown[0]))
        document = document.get("gates")
    if document is None:
        raise SpecError("the gates file declares no gates", source=source)
    return parse_gates(document, spec, source=source)
