"""``simval spec init``: a commented starter spec inferred from a data file's columns."""

from __future__ import annotations

import pandas as pd
import yaml

from validator.io.readers import RawTable

#: A text column with at most this many distinct values is offered as categorical.
MAX_CATEGORIES = 20


def _yaml_scalar(value: object) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()


def _infer(values: pd.Series) -> dict[str, object]:
    present = values.dropna()
    present = present[present.astype(str).str.strip() != ""]
    numbers = pd.to_numeric(present, errors="coerce")
    info: dict[str, object] = {"n_missing": int(len(values) - len(present))}
    if len(present) and numbers.notna().all():
        info["type"] = "numeric"
        info["range"] = [float(numbers.min()), float(numbers.max())]
        info["integer"] = bool((numbers == numbers.round()).all())
        info["distinct"] = int(numbers.nunique())
        return info
    distinct = sorted(present.astype(str).unique())
    if 0 < len(distinct) <= MAX_CATEGORIES:
        info["type"] = "categorical"
        info["values"] = distinct
    else:
        info["type"] = "text"
    info["distinct"] = len(distinct)
    return info


def starter_spec(table: RawTable, name: str) -> str:
    """YAML text of a spec that declares every column of ``table``, with comments to edit."""
    lines = [
        f"# simval study spec, started by `simval spec init` from {table.source}.",
        "# Check every column: the types and ranges below are guesses from the data.",
        "# Documentation of every key: docs/spec-format.md",
        "simval_spec: 1",
        f"name: {name}",
        f"title: {_yaml_scalar(name + ' study')}",
        "alpha: 0.05",
        "correction: none        # or: bonferroni, holm, sidak, fdr_bh, fdr_by",
        "",
        "columns:",
    ]
    for column in table.frame.columns:
        info = _infer(table.frame[column])
        safe = str(column)
        key = safe if safe.isidentifier() and not safe.startswith("_") else None
        if key is None:
            cleaned = "".join(ch if ch.isalnum() else "_" for ch in safe).strip("_") or "column"
            key = cleaned if not cleaned[0].isdigit() else f"c_{cleaned}"
        comment = f"  # {info['distinct']} distinct values, {info['n_missing']} missing"
        lines.append(f"  {key}:{comment}")
        lines.append(f"    type: {info['type']}")
        if key != safe:
            lines.append(f"    aliases: [{_yaml_scalar(safe)}]")
        if info["type"] == "numeric":
            low, high = info["range"]  # type: ignore[misc]
            lines.append(f"    range: [{_yaml_scalar(low)}, {_yaml_scalar(high)}]   # observed; widen to the scale's bounds")
            if info["integer"]:
                lines.append("    integer: true")
        if info["type"] == "categorical":
            lines.append(f"    values: {_yaml_scalar(info['values'])}")
        if info["n_missing"]:
            lines.append("    allow_missing: true")
        else:
            lines.append("    # allow_missing: true   # if some rows may leave it empty")
    lines += [
        "",
        "# Row-level rules; a row that breaks one is set aside and reported.",
        "constraints: []",
        "#  - name: shares_sum_to_100",
        "#    expr: abs(a + b + c - 100) <= 1",
        "#    message: the three shares must sum to 100",
        "",
        "# Derived variables, in a small safe expression language (see the docs).",
        "derived: []",
        "#  - name: treated",
        "#    expr: condition == 'treatment'",
        "",
        "# Regression models fitted on both datasets: family logit, probit, ols or mnlogit.",
        "models: []",
        "#  - id: m1",
        "#    label: Outcome on predictors",
        "#    family: logit",
        "#    formula: outcome ~ x1 + x2",
        "#    subset: group != 'excluded'",
        "#    cov_type: nonrobust    # HC0, HC1, HC2, HC3, or cluster (with cluster: column)",
        "",
    ]
    return "\n".join(lines)
