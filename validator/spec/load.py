"""Parse a YAML study spec into :class:`~validator.spec.model.StudySpec`, validating as it goes.

The YAML is read by :func:`validator.spec.yaml_source.read_yaml` (a bounded
``yaml.SafeLoader``: no Python objects, YAML 1.2 booleans, limited aliases and
depth, duplicate keys refused). Every error names the file and
the key path inside it (``models[2].formula``); unknown keys are errors, never
silently ignored; every expression and formula passes the whitelist before the
spec is accepted.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from validator.did_you_mean import did_you_mean
from validator.errors import SpecError
from validator.gates.load import parse_gates
from validator.limits import BINS_MAX, BOOTSTRAP_MAX
from validator.spec.bundled import bundled_spec_names, bundled_spec_path
from validator.spec.expressions import is_text_expression, parse_expression
from validator.spec.formulas import check_formula
from validator.spec.model import (
    COLUMN_TYPES,
    CORRECTION_METHODS,
    CORRECTION_SCOPES,
    COV_TYPES,
    FAMILIES,
    BinSpec,
    CoherenceSpec,
    CoherenceTarget,
    ColumnSpec,
    ConstraintSpec,
    CorrectionSpec,
    DerivedSpec,
    DistributionsSpec,
    DistributionVariable,
    HeterogeneitySpec,
    ModelSpec,
    StudySpec,
    UncertaintySpec,
    cov_type_problem,
)
from validator.spec.yaml_source import (
    Reader,
    describe_kind,
    join_path,
    read_yaml,
    read_yaml_file,
)

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
    "distributions",
    "heterogeneity",
    "coherence",
    "uncertainty",
    "gates",
    "simulation",
    "inference",
)
DISTRIBUTIONS_KEYS = ("variables", "mean_over", "breakdowns", "min_group_size")
DISTRIBUTION_VARIABLE_KEYS = ("name", "bins", "categories")
BINS_KEYS = ("start", "stop", "count")
HETEROGENEITY_KEYS = ("name", "columns")
COHERENCE_KEYS = ("name", "action", "beliefs", "targets")
COHERENCE_TARGET_KEYS = ("belief", "action")
UNCERTAINTY_KEYS = ("bootstrap", "level", "equal_n_draws", "resample_by")
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
MODEL_KEYS = ("id", "label", "family", "formula", "subset", "cov_type", "cluster", "description", "terms")
CORRECTION_KEYS = ("method", "scope")


def _column(r: Reader, name: str, raw: Any, path: str) -> ColumnSpec:
    if isinstance(raw, str):
        raw = {"type": raw}
    body = r.mapping(raw, path, COLUMN_KEYS)
    if "type" not in body:
        raise r.fail(path, f"column '{name}' needs a 'type' ({', '.join(COLUMN_TYPES)})")
    ctype = r.choice(body["type"], join_path(path, "type"), COLUMN_TYPES)
    values = None
    if body.get("values") is not None:
        items = r.sequence(body["values"], join_path(path, "values"))
        values = tuple(r.scalar_text(v, f"{path}.values[{i}]") for i, v in enumerate(items))
        if len(set(values)) != len(values):
            raise r.fail(join_path(path, "values"), "lists a value twice")
        if ctype not in ("categorical", "text"):
            raise r.fail(join_path(path, "values"), f"only categorical columns take 'values', '{name}' is {ctype}")
    value_range = None
    if body.get("range") is not None:
        items = r.sequence(body["range"], join_path(path, "range"))
        if len(items) != 2:
            raise r.fail(join_path(path, "range"), "expected [low, high]")
        low, high = (
            None if v is None else r.number(v, f"{path}.range[{i}]") for i, v in enumerate(items)
        )
        if low is not None and high is not None and low > high:
            raise r.fail(join_path(path, "range"), f"low bound {low:g} is above high bound {high:g}")
        if ctype != "numeric":
            raise r.fail(join_path(path, "range"), f"only numeric columns take a 'range', '{name}' is {ctype}")
        value_range = (low, high)
    aliases: tuple[str, ...] = ()
    if body.get("aliases") is not None:
        items = r.sequence(body["aliases"], join_path(path, "aliases"))
        aliases = tuple(r.text(v, f"{path}.aliases[{i}]") or "" for i, v in enumerate(items))
    recode: tuple[tuple[str, str], ...] = ()
    if body.get("recode") is not None:
        rmap = body["recode"]
        if not isinstance(rmap, Mapping):
            raise r.fail(join_path(path, "recode"), "expected a mapping from raw value to value")
        recode = tuple(
            (r.scalar_text(k, join_path(path, "recode")), r.scalar_text(v, f"{path}.recode.{k}"))
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
        items = r.sequence(body["missing"], join_path(path, "missing"))
        missing = tuple(r.scalar_text(v, f"{path}.missing[{i}]") for i, v in enumerate(items))
    return ColumnSpec(
        name=name,
        type=ctype,  # type: ignore[arg-type]
        required=r.boolean(body.get("required", True), join_path(path, "required")),
        values=values,
        range=value_range,
        integer=r.boolean(body.get("integer", False), join_path(path, "integer")),
        aliases=aliases,
        recode=recode,
        missing=missing,
        allow_missing=r.boolean(body.get("allow_missing", False), join_path(path, "allow_missing")),
        description=r.text(body.get("description"), join_path(path, "description"), optional=True) or "",
    )


def _correction(r: Reader, raw: Any) -> CorrectionSpec:
    if raw is None:
        return CorrectionSpec()
    if isinstance(raw, str):
        raw = {"method": raw}
    body = r.mapping(raw, "correction", CORRECTION_KEYS)
    return CorrectionSpec(
        method=r.choice(body.get("method", "none"), "correction.method", CORRECTION_METHODS),  # type: ignore[arg-type]
        scope=r.choice(body.get("scope", "study"), "correction.scope", CORRECTION_SCOPES),  # type: ignore[arg-type]
    )


def _distributions(r: Reader, raw: Any, columns: Sequence[ColumnSpec], known: Sequence[str]) -> DistributionsSpec | None:
    if raw is None:
        return None
    body = r.mapping(raw, "distributions", DISTRIBUTIONS_KEYS)
    by_name = {c.name: c for c in columns}
    variables: list[DistributionVariable] = []
    for i, item in enumerate(r.sequence(body.get("variables", []), "distributions.variables")):
        path = f"distributions.variables[{i}]"
        if isinstance(item, str):
            item = {"name": item}
        entry = r.mapping(item, path, DISTRIBUTION_VARIABLE_KEYS)
        name = r.text(entry.get("name"), join_path(path, "name"))
        assert name is not None
        if name not in known:
            raise r.fail(join_path(path, "name"), f"unknown variable '{name}' ({did_you_mean(name, known)})")
        if any(v.name == name for v in variables):
            raise r.fail(join_path(path, "name"), f"'{name}' is listed twice")
        column = by_name.get(name)
        if entry.get("bins") is not None:
            if entry.get("categories") is not None:
                raise r.fail(path, "give either bins (numeric) or categories, not both")
            if column is not None and column.type != "numeric":
                raise r.fail(join_path(path, "bins"), f"'{name}' is a {column.type} column; only numeric variables are binned")
            bins = r.mapping(entry["bins"], join_path(path, "bins"), BINS_KEYS)
            for key in BINS_KEYS:
                if key not in bins:
                    raise r.fail(f"{path}.bins.{key}", "bins need start, stop and count")
            start = r.number(bins["start"], f"{path}.bins.start")
            stop = r.number(bins["stop"], f"{path}.bins.stop")
            if not start < stop:
                raise r.fail(f"{path}.bins", f"start {start:g} must be below stop {stop:g}")
            count = r.integer(bins["count"], f"{path}.bins.count", minimum=1, maximum=BINS_MAX)
            variables.append(DistributionVariable(name, "binned", BinSpec(start, stop, count)))
            continue
        if entry.get("categories") is not None:
            items = r.sequence(entry["categories"], join_path(path, "categories"))
            categories = tuple(r.scalar_text(v, f"{path}.categories[{j}]") for j, v in enumerate(items))
            if len(categories) < 2 or len(set(categories)) != len(categories):
                raise r.fail(join_path(path, "categories"), "needs at least two distinct categories")
        elif column is not None and column.type == "categorical" and column.values:
            categories = column.values
        elif column is not None and column.type == "boolean":
            categories = ("false", "true")
        else:
            raise r.fail(
                path,
                f"'{name}' needs bins (numeric) or categories: it is not a categorical column with declared values",
            )
        variables.append(DistributionVariable(name, "categorical", None, categories))
    if not variables:
        raise r.fail("distributions.variables", "list at least one variable")
    declared = [v.name for v in variables]
    mean_over = r.names(body["mean_over"], "distributions.mean_over", declared) if body.get("mean_over") else ()
    breakdowns = r.names(body["breakdowns"], "distributions.breakdowns", known) if body.get("breakdowns") else ()
    min_group_size = r.integer(body.get("min_group_size", 30), "distributions.min_group_size", minimum=1)
    return DistributionsSpec(tuple(variables), mean_over, breakdowns, min_group_size)


def _heterogeneity(r: Reader, raw: Any, known: Sequence[str]) -> tuple[HeterogeneitySpec, ...]:
    if raw is None:
        return ()
    specs: list[HeterogeneitySpec] = []
    for i, item in enumerate(r.sequence(raw, "heterogeneity")):
        path = f"heterogeneity[{i}]"
        entry = r.mapping(item, path, HETEROGENEITY_KEYS)
        name = r.identifier(entry.get("name", "structures"), join_path(path, "name"))
        if any(s.name == name for s in specs):
            raise r.fail(join_path(path, "name"), f"'{name}' is used twice")
        if "columns" not in entry:
            raise r.fail(join_path(path, "columns"), "list the columns whose value tuples form a structure")
        specs.append(HeterogeneitySpec(name, r.names(entry["columns"], join_path(path, "columns"), known)))
    return tuple(specs)


def _coherence(r: Reader, raw: Any, columns: Sequence[ColumnSpec], known: Sequence[str]) -> tuple[CoherenceSpec, ...]:
    if raw is None:
        return ()
    by_name = {c.name: c for c in columns}
    specs: list[CoherenceSpec] = []
    for i, item in enumerate(r.sequence(raw, "coherence")):
        path = f"coherence[{i}]"
        entry = r.mapping(item, path, COHERENCE_KEYS)
        name = r.identifier(entry.get("name", "value_action_gap"), join_path(path, "name"))
        if any(s.name == name for s in specs):
            raise r.fail(join_path(path, "name"), f"'{name}' is used twice")
        for key in ("action", "beliefs", "targets"):
            if key not in entry:
                raise r.fail(join_path(path, key), "a coherence rule needs action, beliefs and targets")
        action = r.text(entry["action"], join_path(path, "action"))
        assert action is not None
        if action not in known:
            raise r.fail(join_path(path, "action"), f"unknown variable '{action}' ({did_you_mean(action, known)})")
        beliefs = r.names(entry["beliefs"], join_path(path, "beliefs"), known, minimum=2)
        action_values = by_name[action].values if action in by_name else None
        targets: list[CoherenceTarget] = []
        for j, raw_target in enumerate(r.sequence(entry["targets"], join_path(path, "targets"))):
            tpath = f"{path}.targets[{j}]"
            target = r.mapping(raw_target, tpath, COHERENCE_TARGET_KEYS)
            belief = r.text(target.get("belief"), join_path(tpath, "belief"))
            assert belief is not None
            if belief not in beliefs:
                raise r.fail(join_path(tpath, "belief"), f"'{belief}' is not among the beliefs compared ({', '.join(beliefs)})")
            mapped = r.scalar_text(target.get("action"), join_path(tpath, "action"))
            if action_values and mapped not in action_values:
                raise r.fail(join_path(tpath, "action"), f"'{mapped}' is not a value of '{action}' ({did_you_mean(mapped, action_values)})")
            targets.append(CoherenceTarget(belief, mapped))
        if not targets:
            raise r.fail(join_path(path, "targets"), "list at least one belief and the action it maps to")
        specs.append(CoherenceSpec(name, action, beliefs, tuple(targets)))
    return tuple(specs)


def _uncertainty(r: Reader, raw: Any, known: Sequence[str] = ()) -> UncertaintySpec:
    if raw is None:
        return UncertaintySpec()
    body = r.mapping(raw, "uncertainty", UNCERTAINTY_KEYS)
    level = r.number(body.get("level", 0.95), "uncertainty.level")
    if not 0.5 <= level < 1.0:
        raise r.fail("uncertainty.level", f"must lie in [0.5, 1), got {level:g}")
    return UncertaintySpec(
        bootstrap=r.integer(body.get("bootstrap", 1000), "uncertainty.bootstrap", minimum=0, maximum=BOOTSTRAP_MAX),
        level=level,
        equal_n_draws=r.integer(body.get("equal_n_draws", 200), "uncertainty.equal_n_draws", minimum=1),
        resample_by=_resample_by(r, body.get("resample_by"), known),
    )


def _resample_by(r: Reader, raw: Any, known: Sequence[str]) -> str | None:
    """The column whose values are resampled whole (participants in long-format data), or None."""
    name = r.text(raw, "uncertainty.resample_by", optional=True)
    if name and name not in known:
        raise r.fail("uncertainty.resample_by", f"unknown column '{name}' ({did_you_mean(name, known)})")
    return name or None


def parse_spec(document: Any, *, source: str, sha256: str = "") -> StudySpec:
    """Validate a spec already loaded from YAML (a mapping) into a :class:`StudySpec`."""
    r = Reader(source)
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
    # Variables that hold text: inside a formula's I() they may only be joined with '+'.
    text_names: set[str] = {c.name for c in columns if c.type in ("text", "categorical")}
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
        dname = r.identifier(body.get("name"), join_path(path, "name"))
        if dname in known:
            raise r.fail(join_path(path, "name"), f"'{dname}' is already a column or derived variable")
        expr = r.text(body.get("expr"), join_path(path, "expr"))
        assert expr is not None
        parse_expression(expr, known, source=source, path=join_path(path, "expr"))
        if is_text_expression(expr, text_names):
            text_names.add(dname)
        known.append(dname)
        derived.append(
            DerivedSpec(dname, expr, r.text(body.get("description"), join_path(path, "description"), optional=True) or "")
        )

    constraints: list[ConstraintSpec] = []
    for i, raw in enumerate(r.sequence(top.get("constraints", []) or [], "constraints")):
        path = f"constraints[{i}]"
        body = r.mapping(raw, path, CONSTRAINT_KEYS)
        expr = r.text(body.get("expr"), join_path(path, "expr"))
        assert expr is not None
        parse_expression(expr, known, source=source, path=join_path(path, "expr"))
        cname = r.identifier(body.get("name", f"constraint_{i + 1}"), join_path(path, "name"))
        message = r.text(body.get("message"), join_path(path, "message"), optional=True) or f"{expr} must hold"
        constraints.append(ConstraintSpec(cname, expr, message))

    models: list[ModelSpec] = []
    ids: set[str] = set()
    for i, raw in enumerate(r.sequence(top.get("models", []) or [], "models")):
        path = f"models[{i}]"
        body = r.mapping(raw, path, MODEL_KEYS)
        model_id = r.identifier(body.get("id", f"m{i + 1}"), join_path(path, "id"))
        if model_id in ids:
            raise r.fail(join_path(path, "id"), f"model id '{model_id}' is used twice")
        ids.add(model_id)
        if "formula" not in body:
            raise r.fail(join_path(path, "formula"), "a model needs a formula such as 'y ~ x1 + x2'")
        formula = r.text(body["formula"], join_path(path, "formula"))
        assert formula is not None
        check_formula(formula, known, source=source, path=join_path(path, "formula"), text_variables=text_names)
        subset = r.text(body.get("subset"), join_path(path, "subset"), optional=True)
        if subset is not None:
            parse_expression(subset, known, source=source, path=join_path(path, "subset"))
        cov_type = r.choice(body.get("cov_type", "nonrobust"), join_path(path, "cov_type"), COV_TYPES)
        family = r.choice(body.get("family", "logit"), join_path(path, "family"), FAMILIES)
        problem = cov_type_problem(family, cov_type)
        if problem:
            raise r.fail(join_path(path, "cov_type"), problem)
        cluster = r.text(body.get("cluster"), join_path(path, "cluster"), optional=True)
        if cov_type == "cluster" and cluster is None:
            raise r.fail(join_path(path, "cluster"), "cov_type 'cluster' needs the name of the cluster variable")
        if cluster is not None:
            if cov_type != "cluster":
                raise r.fail(join_path(path, "cluster"), f"a cluster variable is only used with cov_type 'cluster', not '{cov_type}'")
            if cluster not in known:
                raise r.fail(join_path(path, "cluster"), f"unknown variable '{cluster}' ({did_you_mean(cluster, known)})")
        models.append(
            ModelSpec(
                id=model_id,
                label=r.text(body.get("label"), join_path(path, "label"), optional=True) or model_id,
                family=family,  # type: ignore[arg-type]
                formula=formula,
                subset=subset,
                cov_type=cov_type,  # type: ignore[arg-type]
                cluster=cluster,
                description=r.text(body.get("description"), join_path(path, "description"), optional=True) or "",
                terms=_term_labels(r, body.get("terms"), join_path(path, "terms")),
            )
        )

    spec = StudySpec(
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
        distributions=_distributions(r, top.get("distributions"), columns, known),
        heterogeneity=_heterogeneity(r, top.get("heterogeneity"), known),
        coherence=_coherence(r, top.get("coherence"), columns, known),
        uncertainty=_uncertainty(r, top.get("uncertainty"), known),
        sha256=sha256,
    )
    if top.get("gates") is not None:
        spec = replace(spec, gates=parse_gates(top["gates"], spec, source=source))
    if top.get("simulation") is not None:
        # Imported here, not at the top: the validator.simulate package loads its
        # runner, which loads specs through this module. The section parser itself
        # depends only on validator.spec.yaml_source, so this is not a cycle.
        from validator.simulate.section import parse_simulation

        spec = replace(spec, simulation=parse_simulation(top["simulation"], spec, source=source))
    if top.get("inference") is not None:
        from validator.inference.section import parse_inference

        spec = replace(spec, inference=parse_inference(top["inference"], spec, source=source))
    return spec


def parse_spec_text(text: str, *, source: str) -> StudySpec:
    """Parse YAML text (a ``yaml.SafeLoader``, never a loader that builds objects) into a validated spec."""
    document = read_yaml(text, source=source)
    if document is None:
        raise SpecError("the spec is empty", source=source)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return parse_spec(document, source=source, sha256=sha)


def resolve_spec_path(name_or_path: str | os.PathLike[str]) -> Path:
    """A spec file path: an existing file as given, else a bundled spec of that name."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists() or len(candidate.parts) > 1:
        if not candidate.exists():
            raise SpecError(f"spec file '{candidate}' does not exist")
        return candidate
    names = bundled_spec_names()
    if str(name_or_path) not in names:
        raise SpecError(
            f"no bundled spec named '{name_or_path}' and no such file ({did_you_mean(str(name_or_path), names)})"
        )
    return bundled_spec_path(str(name_or_path))


def load_spec(name_or_path: str | os.PathLike[str] = "hunt2025") -> StudySpec:
    """Load a spec by bundled name (``hunt2025``) or by path to a YAML file."""
    path = resolve_spec_path(name_or_path)
    # A bundled spec is named, not located: an install path would make results differ between machines.
    source = f"bundled:{path.stem}" if path == bundled_spec_path(path.stem) and str(name_or_path) == path.stem else str(path)
    text = read_yaml_file(path, source=source, what="the spec")
    return parse_spec_text(text, source=source)


#: The longest term label a spec may give: it is printed in table cells and figure margins.
TERM_LABEL_MAX = 80


def _term_labels(r: Reader, raw: Any, path: str) -> tuple[tuple[str, str], ...]:
    """``terms: {"race[black]": "Black (vs white)"}``: a readable label per term, checked as text.

    The keys cannot be checked against the model here (categorical levels are only
    known once the data are read); the recovery check warns about a key that names
    no fitted term.
    """
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise r.fail(path, f"expected a mapping from term to label, such as {{'race[black]': 'Black'}}, got {describe_kind(raw)}")
    labels: list[tuple[str, str]] = []
    for key, value in raw.items():
        term = r.text(key, join_path(path, str(key)))
        label = r.text(value, join_path(path, str(key)))
        assert term is not None and label is not None
        if len(label) > TERM_LABEL_MAX:
            raise r.fail(join_path(path, term), f"a term label has at most {TERM_LABEL_MAX} characters, this one {len(label)}")
        labels.append((term, label))
    return tuple(labels)
