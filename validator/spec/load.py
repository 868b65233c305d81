"""Parse a YAML study spec into :class:`~validator.spec.model.StudySpec`, validating as it goes.

The YAML is read with ``yaml.safe_load`` only. Every error names the file and
the key path inside it (``models[2].formula``); unknown keys are errors, never
silently ignored; every expression and formula passes the whitelist before the
spec is accepted.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from validator.errors import SpecError
from validator.spec.bundled import bundled_spec_names, bundled_spec_path
from validator.spec.expressions import parse_expression
from validator.spec.formulas import check_formula
from validator.spec.model import (
    COLUMN_TYPES,
    CORRECTION_METHODS,
    CORRECTION_SCOPES,
    COV_TYPES,
    FAMILIES,
    ColumnSpec,
    ConstraintSpec,
    CorrectionSpec,
    DerivedSpec,
    ModelSpec,
    StudySpec,
    cov_type_problem,
)
from validator.suggest import did_you_mean

SPEC_VERSION = 1

TOP_LEVEL_KEYS = (
    "simval_spec",
    "name",
    "title",
    "description",
    "reconstruction",
    "alpha",
    "correction",
    "columns",
    "constraints",
    "derived",
    "models",
)
COLUMN_KEYS = (
    "type",
    "required",
    "values",
    "range",
    "integer",
    "aliases",
    "recode",
    "missing",
    "allow_missing",
    "description",
)
CONSTRAINT_KEYS = ("name", "expr", "message")
DERIVED_KEYS = ("name", "expr", "description")
MODEL_KEYS = ("id", "label", "family", "formula", "subset", "cov_type", "cluster", "description")
CORRECTION_KEYS = ("method", "scope")


class _Reader:
    """Typed access to one YAML mapping, with errors that carry the key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, message: str) -> SpecError:
        return SpecError(message, source=self.source, path=path or None)

    def mapping(self, value: Any, path: str, allowed: Sequence[str]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected a mapping of keys, got {_kind(value)}")
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                raise self.fail(
                    _join(path, str(key)),
                    f"unknown key '{key}' ({did_you_mean(str(key), allowed)})",
                )
        return value

    def text(self, value: Any, path: str, *, optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail(path, f"expected text, got {_kind(value)}")
        text = str(value).strip()
        if not text and not optional:
            raise self.fail(path, "must not be empty")
        return text or None

    def identifier(self, value: Any, path: str) -> str:
        text = self.text(value, path)
        assert text is not None
        if not text.isidentifier() or text.startswith("_"):
            raise self.fail(
                path,
                f"'{text}' is not a valid variable name (letters, digits and underscores, "
                "not starting with a digit or underscore)",
            )
        return text

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"expected true or false, got {_kind(value)}")
        return value

    def number(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise self.fail(path, f"expected a number, got {_kind(value)}")
        return float(value)

    def choice(self, value: Any, path: str, options: Sequence[str]) -> str:
        text = self.text(value, path)
        assert text is not None
        if text not in options:
            raise self.fail(path, f"'{text}' is not one of {', '.join(options)} ({did_you_mean(text, options)})")
        return text

    def sequence(self, value: Any, path: str) -> Sequence[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {_kind(value)}")
        return value

    def scalar_text(self, value: Any, path: str) -> str:
        """A category label or a raw value as text: numbers print without a trailing '.0'."""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, (str, int, float)):
            return str(value)
        raise self.fail(path, f"expected a single value, got {_kind(value)}")


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text '{value}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _column(r: _Reader, name: str, raw: Any, path: str) -> ColumnSpec:
    if isinstance(raw, str):
        raw = {"type": raw}
    body = r.mapping(raw, path, COLUMN_KEYS)
    if "type" not in body:
        raise r.fail(path, f"column '{name}' needs a 'type' ({', '.join(COLUMN_TYPES)})")
    ctype = r.choice(body["type"], _join(path, "type"), COLUMN_TYPES)
    values = None
    if body.get("values") is not None:
        items = r.sequence(body["values"], _join(path, "values"))
        values = tuple(r.scalar_text(v, f"{path}.values[{i}]") for i, v in enumerate(items))
        if len(set(values)) != len(values):
            raise r.fail(_join(path, "values"), "lists a value twice")
        if ctype not in ("categorical", "text"):
            raise r.fail(_join(path, "values"), f"only categorical columns take 'values', '{name}' is {ctype}")
    value_range = None
    if body.get("range") is not None:
        items = r.sequence(body["range"], _join(path, "range"))
        if len(items) != 2:
            raise r.fail(_join(path, "range"), "expected [low, high]")
        low, high = (
            None if v is None else r.number(v, f"{path}.range[{i}]") for i, v in enumerate(items)
        )
        if low is not None and high is not None and low > high:
            raise r.fail(_join(path, "range"), f"low bound {low:g} is above high bound {high:g}")
        if ctype != "numeric":
            raise r.fail(_join(path, "range"), f"only numeric columns take a 'range', '{name}' is {ctype}")
        value_range = (low, high)
    aliases: tuple[str, ...] = ()
    if body.get("aliases") is not None:
        items = r.sequence(body["aliases"], _join(path, "aliases"))
        aliases = tuple(r.text(v, f"{path}.aliases[{i}]") or "" for i, v in enumerate(items))
    recode: tuple[tuple[str, str], ...] = ()
    if body.get("recode") is not None:
        rmap = body["recode"]
        if not isinstance(rmap, Mapping):
            raise r.fail(_join(path, "recode"), "expected a mapping from raw value to value")
        recode = tuple(
            (r.scalar_text(k, _join(path, "recode")), r.scalar_text(v, f"{path}.recode.{k}"))
            for k, v in rmap.items()
        )
        if values is not None:
            for raw_value, target in recode:
                if target not in values:
                    raise r.fail(
                        f"{path}.recode.{raw_value}",
                        f"recodes to '{target}', which is not among the column's values ({', '.join(values)})",
                    )
    missing: tuple[str, ...] = ()
    if body.get("missing") is not None:
        items = r.sequence(body["missing"], _join(path, "missing"))
        missing = tuple(r.scalar_text(v, f"{path}.missing[{i}]") for i, v in enumerate(items))
    return ColumnSpec(
        name=name,
        type=ctype,  # type: ignore[arg-type]
        required=r.boolean(body.get("required", True), _join(path, "required")),
        values=values,
        range=value_range,
        integer=r.boolean(body.get("integer", False), _join(path, "integer")),
        aliases=aliases,
        recode=recode,
        missing=missing,
        allow_missing=r.boolean(body.get("allow_missing", False), _join(path, "allow_missing")),
        description=r.text(body.get("description"), _join(path, "description"), optional=True) or "",
    )


def _correction(r: _Reader, raw: Any) -> CorrectionSpec:
    if raw is None:
        return CorrectionSpec()
    if isinstance(raw, str):
        raw = {"method": raw}
    body = r.mapping(raw, "correction", CORRECTION_KEYS)
    return CorrectionSpec(
        method=r.choice(body.get("method", "none"), "correction.method", CORRECTION_METHODS),  # type: ignore[arg-type]
        scope=r.choice(body.get("scope", "study"), "correction.scope", CORRECTION_SCOPES),  # type: ignore[arg-type]
    )


def parse_spec(document: Any, *, source: str, sha256: str = "") -> StudySpec:
    """Validate a spec already loaded from YAML (a mapping) into a :class:`StudySpec`."""
    r = _Reader(source)
    top = r.mapping(document, "", TOP_LEVEL_KEYS)
    version = top.get("simval_spec", SPEC_VERSION)
    if version != SPEC_VERSION:
        raise r.fail("simval_spec", f"this simval reads spec format {SPEC_VERSION}, the file declares {version!r}")
    name = r.identifier(top.get("name"), "name") if "name" in top else Path(source).stem
    alpha = r.number(top.get("alpha", 0.05), "alpha")
    if not 0.0 < alpha < 1.0:
        raise r.fail("alpha", f"must lie strictly between 0 and 1, got {alpha:g}")

    if "columns" not in top:
        raise r.fail("columns", "a spec must declare its columns")
    raw_columns = top["columns"]
    if not isinstance(raw_columns, Mapping) or not raw_columns:
        raise r.fail("columns", "expected a mapping from column name to its description")
    columns = tuple(
        _column(r, r.identifier(cname, f"columns.{cname}"), body, f"columns.{cname}")
        for cname, body in raw_columns.items()
    )
    known: list[str] = [c.name for c in columns]
    seen_aliases: dict[str, str] = {}
    for c in columns:
        for alias in c.aliases:
            owner = seen_aliases.get(alias) or (alias if alias in known and alias != c.name else None)
            if owner:
                raise r.fail(f"columns.{c.name}.aliases", f"alias '{alias}' is already used by column '{owner}'")
            seen_aliases[alias] = c.name

    derived: list[DerivedSpec] = []
    for i, raw in enumerate(r.sequence(top.get("derived", []) or [], "derived")):
        path = f"derived[{i}]"
        body = r.mapping(raw, path, DERIVED_KEYS)
        dname = r.identifier(body.get("name"), _join(path, "name"))
        if dname in known:
            raise r.fail(_join(path, "name"), f"'{dname}' is already a column or derived variable")
        expr = r.text(body.get("expr"), _join(path, "expr"))
        assert expr is not None
        parse_expression(expr, known, source=source, path=_join(path, "expr"))
        known.append(dname)
        derived.append(
            DerivedSpec(dname, expr, r.text(body.get("description"), _join(path, "description"), optional=True) or "")
        )

    constraints: list[ConstraintSpec] = []
    for i, raw in enumerate(r.sequence(top.get("constraints", []) or [], "constraints")):
        path = f"constraints[{i}]"
        body = r.mapping(raw, path, CONSTRAINT_KEYS)
        expr = r.text(body.get("expr"), _join(path, "expr"))
        assert expr is not None
        parse_expression(expr, known, source=source, path=_join(path, "expr"))
        cname = r.identifier(body.get("name", f"constraint_{i + 1}"), _join(path, "name"))
        message = r.text(body.get("message"), _join(path, "message"), optional=True) or f"{expr} must hold"
        constraints.append(ConstraintSpec(cname, expr, message))

    models: list[ModelSpec] = []
    ids: set[str] = set()
    for i, raw in enumerate(r.sequence(top.get("models", []) or [], "models")):
        path = f"models[{i}]"
        body = r.mapping(raw, path, MODEL_KEYS)
        model_id = r.identifier(body.get("id", f"m{i + 1}"), _join(path, "id"))
        if model_id in ids:
            raise r.fail(_join(path, "id"), f"model id '{model_id}' is used twice")
        ids.add(model_id)
        if "formula" not in body:
            raise r.fail(_join(path, "formula"), "a model needs a formula such as 'y ~ x1 + x2'")
        formula = r.text(body["formula"], _join(path, "formula"))
        assert formula is not None
        check_formula(formula, known, source=source, path=_join(path, "formula"))
        subset = r.text(body.get("subset"), _join(path, "subset"), optional=True)
        if subset is not None:
            parse_expression(subset, known, source=source, path=_join(path, "subset"))
        cov_type = r.choice(body.get("cov_type", "nonrobust"), _join(path, "cov_type"), COV_TYPES)
        family = r.choice(body.get("family", "logit"), _join(path, "family"), FAMILIES)
        problem = cov_type_problem(family, cov_type)
        if problem:
            raise r.fail(_join(path, "cov_type"), problem)
        cluster = r.text(body.get("cluster"), _join(path, "cluster"), optional=True)
        if cov_type == "cluster" and cluster is None:
            raise r.fail(_join(path, "cluster"), "cov_type 'cluster' needs the name of the cluster variable")
        if cluster is not None:
            if cov_type != "cluster":
                raise r.fail(_join(path, "cluster"), f"a cluster variable is only used with cov_type 'cluster', not '{cov_type}'")
            if cluster not in known:
                raise r.fail(_join(path, "cluster"), f"unknown variable '{cluster}' ({did_you_mean(cluster, known)})")
        models.append(
            ModelSpec(
                id=model_id,
                label=r.text(body.get("label"), _join(path, "label"), optional=True) or model_id,
                family=family,  # type: ignore[arg-type]
                formula=formula,
                subset=subset,
                cov_type=cov_type,  # type: ignore[arg-type]
                cluster=cluster,
                description=r.text(body.get("description"), _join(path, "description"), optional=True) or "",
            )
        )

    return StudySpec(
        name=name,
        title=r.text(top.get("title"), "title", optional=True) or name,
        description=r.text(top.get("description"), "description", optional=True) or "",
        source=source,
        alpha=alpha,
        correction=_correction(r, top.get("correction")),
        columns=columns,
        constraints=tuple(constraints),
        derived=tuple(derived),
        models=tuple(models),
        sha256=sha256,
    )


def parse_spec_text(text: str, *, source: str) -> StudySpec:
    """Parse YAML text (``yaml.safe_load`` only) into a validated spec."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"{where}the YAML does not parse ({problem})", source=source) from None
    if document is None:
        raise SpecError("the spec is empty", source=source)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return parse_spec(document, source=source, sha256=sha)


def resolve_spec_path(name_or_path: str | Path) -> Path:
    """A spec file path: an existing file as given, else a bundled spec of that name."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists() or len(candidate.parts) > 1:
        if not candidate.is_file():
            raise SpecError(f"spec file '{candidate}' does not exist")
        return candidate
    names = bundled_spec_names()
    if str(name_or_path) not in names:
        raise SpecError(
            f"no bundled spec named '{name_or_path}' and no such file ({did_you_mean(str(name_or_path), names)})"
        )
    return bundled_spec_path(str(name_or_path))


def load_spec(name_or_path: str | Path = "hunt2025") -> StudySpec:
    """Load a spec by bundled name (``hunt2025``) or by path to a YAML file."""
    path = resolve_spec_path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SpecError("the spec is not valid UTF-8 text", source=str(path)) from None
    except OSError as exc:
        raise SpecError(f"the spec cannot be read ({exc.strerror})", source=str(path)) from None
    return parse_spec_text(text, source=str(path))
