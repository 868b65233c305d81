"""Parse and validate a spec's ``simulation`` section into :class:`SimulationSpec`.

Same rules as the rest of the spec (see :mod:`validator.spec.load`): unknown
keys are errors naming the key path with a "did you mean" hint, every
template placeholder must name a persona column, a treatment factor or a cell
variable, and every answer must fill a declared column (or a named extra
text column). The section must produce every required column of the study, so
that what ``simval simulate`` writes can go straight into ``simval check``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from validator.did_you_mean import did_you_mean
from validator.simulate.model import RESPONSE_FORMAT_STYLES, AnswerItem, CellSpec, SimulationSpec, TurnSpec
from validator.simulate.template import Template, parse_template
from validator.spec.model import ColumnSpec, StudySpec
from validator.spec.yaml_source import Reader, join_path

__all__ = ["SIMULATION_KEYS", "parse_simulation"]

SIMULATION_KEYS = (
    "id_column",
    "persona_columns",
    "factors",
    "cells",
    "variables",
    "assignment",
    "persona",
    "system",
    "turns",
    "max_tokens",
    "missing_text",
    "balance_by",
    "drop_groups",
    "constrained_decoding",
    "response_format",
)
TURN_KEYS = ("prompt", "answer")
ANSWER_KEYS = ("column", "columns", "extra", "map", "sum", "tolerance")
ASSIGNMENT_KEYS = ("per_cell",)
DEMOGRAPHICS = "demographics"

_BOOLEAN_TOKENS = (("true", "true"), ("yes", "true"), ("1", "true"), ("false", "false"), ("no", "false"), ("0", "false"))


def parse_simulation(raw: Any, spec: StudySpec, *, source: str) -> SimulationSpec:
    """Validate the ``simulation`` mapping of ``spec``'s YAML into a :class:`SimulationSpec`."""
    r = Reader(source)
    body = r.mapping(raw, "simulation", SIMULATION_KEYS)
    columns = {c.name: c for c in spec.columns}
    names = list(columns)

    def column_list(key: str) -> tuple[str, ...]:
        if body.get(key) is None:
            return ()
        return r.names(body[key], f"simulation.{key}", names)

    persona_columns = column_list("persona_columns")
    factors = column_list("factors")
    for i, factor in enumerate(factors):
        column = columns[factor]
        if column.type != "categorical" or not column.values:
            raise r.fail(
                f"simulation.factors[{i}]",
                f"'{factor}' must be a categorical column with declared values to be a treatment factor",
            )
    id_column = None
    if body.get("id_column") is not None:
        id_column = r.text(body["id_column"], "simulation.id_column")
        if id_column not in columns:
            raise r.fail("simulation.id_column", f"unknown column '{id_column}' ({did_you_mean(str(id_column), names)})")
    overlap = set(persona_columns) & set(factors)
    if overlap:
        raise r.fail("simulation.factors", f"'{sorted(overlap)[0]}' is both a persona column and a factor")

    cells = _cells(r, body, factors, columns)
    cells = _with_variables(r, body.get("variables"), cells, factors, columns)
    variable_names = tuple(name for name, _ in cells[0].variables)

    if "persona" not in body and persona_columns:
        raise r.fail("simulation.persona", "a persona template is needed to use the persona columns")
    persona = parse_template(
        r.text(body.get("persona", ""), "simulation.persona", optional=True) or "",
        known=persona_columns,
        source=source,
        path="simulation.persona",
    )
    cell_names = (*factors, *variable_names)
    if "system" not in body:
        raise r.fail("simulation.system", "the simulation needs a system template (the study's instructions)")
    system = _cell_template(r, body["system"], "simulation.system", cell_names, persona_columns, source)
    turns = _turns(r, body.get("turns"), cell_names, persona_columns, columns, source)

    items = [item for turn in turns for item in turn.answer]
    produced: dict[str, str] = {}
    for label, group in (
        ("the id column", (id_column,) if id_column else ()),
        ("a persona column", persona_columns),
        ("a factor", factors),
        ("an answer", tuple(c for item in items for c in item.columns)),
    ):
        for name in group:
            if name in produced:
                raise r.fail("simulation", f"'{name}' is filled twice: as {produced[name]} and as {label}")
            produced[name] = label
    missing = [c.name for c in spec.columns if c.required and c.name not in produced]
    if missing:
        raise r.fail(
            "simulation",
            f"the study column '{missing[0]}' is required but the simulation fills it nowhere "
            "(not the id column, a persona column, a factor or an answer)",
        )

    assignment, per_cell = _assignment(r, body.get("assignment", "per_row"))
    max_tokens = r.integer(body.get("max_tokens", 512), "simulation.max_tokens", minimum=1)
    missing_text = r.text(body.get("missing_text", "not stated"), "simulation.missing_text") or "not stated"
    balance_by = None
    if body.get("balance_by") is not None:
        balance_by = r.text(body["balance_by"], "simulation.balance_by")
        if balance_by not in columns:
            raise r.fail("simulation.balance_by", f"unknown column '{balance_by}' ({did_you_mean(str(balance_by), names)})")
    drop_groups = _drop_groups(r, body.get("drop_groups"), [c for item in items for c in item.columns])
    constrained = r.boolean(body.get("constrained_decoding", False), "simulation.constrained_decoding")
    style = r.choice(body.get("response_format", "json_schema"), "simulation.response_format", RESPONSE_FORMAT_STYLES)
    return SimulationSpec(
        persona=persona,
        system=system,
        turns=turns,
        persona_columns=persona_columns,
        factors=factors,
        cells=cells,
        id_column=id_column,
        assignment=assignment,  # type: ignore[arg-type]
        per_cell=per_cell,
        max_tokens=max_tokens,
        missing_text=missing_text,
        balance_by=balance_by,
        drop_groups=drop_groups,
        constrained_decoding=constrained,
        response_format=style,  # type: ignore[arg-type]
    )


def _cells(r: Reader, body: Mapping[str, Any], factors: tuple[str, ...], columns: Mapping[str, ColumnSpec]) -> tuple[CellSpec, ...]:
    if body.get("cells") is None:
        # The full factorial, in the order of the factors' declared values.
        declared = [columns[f].values or () for f in factors]
        return tuple(CellSpec(tuple(zip(factors, combo))) for combo in itertools.product(*declared))
    if not factors:
        raise r.fail("simulation.cells", "cells need factors: list the factor columns in simulation.factors")
    cells: list[CellSpec] = []
    for i, raw in enumerate(r.sequence(body["cells"], "simulation.cells")):
        path = f"simulation.cells[{i}]"
        entry = r.mapping(raw, path, factors)
        levels: list[tuple[str, str]] = []
        for factor in factors:
            if factor not in entry:
                raise r.fail(path, f"the cell gives no level of the factor '{factor}'")
            level = r.scalar_text(entry[factor], join_path(path, factor))
            values = columns[factor].values or ()
            if level not in values:
                raise r.fail(join_path(path, factor), f"'{level}' is not a level of '{factor}' ({did_you_mean(level, values)})")
            levels.append((factor, level))
        cell = CellSpec(tuple(levels))
        if cell in cells:
            raise r.fail(path, f"the cell {cell.name} is listed twice")
        cells.append(cell)
    if not cells:
        raise r.fail("simulation.cells", "list at least one cell")
    return tuple(cells)


def _with_variables(
    r: Reader, raw: Any, cells: tuple[CellSpec, ...], factors: tuple[str, ...], columns: Mapping[str, ColumnSpec]
) -> tuple[CellSpec, ...]:
    if raw is None:
        return cells
    body = r.mapping(raw, "simulation.variables", factors)
    per_level: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}
    owner: dict[str, str] = {}
    for factor, levels_raw in body.items():
        path = f"simulation.variables.{factor}"
        values = columns[factor].values or ()
        levels = r.mapping(levels_raw, path, [str(v) for v in values])
        expected: tuple[str, ...] | None = None
        for level, variables_raw in levels.items():
            lpath = join_path(path, str(level))
            if not isinstance(variables_raw, Mapping) or not variables_raw:
                raise r.fail(lpath, "expected a mapping from variable name to text")
            pairs = []
            for name, value in variables_raw.items():
                vname = r.identifier(name, join_path(lpath, str(name)))
                if vname in columns:
                    raise r.fail(join_path(lpath, vname), f"'{vname}' is a column of the study; pick another variable name")
                if owner.setdefault(vname, factor) != factor:
                    raise r.fail(join_path(lpath, vname), f"'{vname}' is already a variable of the factor '{owner[vname]}'")
                text = r.text(value, join_path(lpath, vname), optional=True) or ""
                pairs.append((vname, text))
            names = tuple(sorted(name for name, _ in pairs))
            if expected is not None and names != expected:
                extra = sorted(set(names) ^ set(expected))[0]
                raise r.fail(lpath, f"every level of '{factor}' must define the same variables; '{extra}' is not defined by all")
            expected = names
            per_level[(factor, str(level))] = tuple(pairs)
        used = {cell.level(factor) for cell in cells}
        for level in sorted(used):
            if (factor, level) not in per_level:
                raise r.fail(path, f"the level '{level}' used by the cells defines no variables")
    return tuple(
        CellSpec(cell.levels, tuple(pair for level in cell.levels for pair in per_level.get(level, ())))
        for cell in cells
    )


def _cell_template(
    r: Reader, raw: Any, path: str, known: Sequence[str], persona_columns: Sequence[str], source: str
) -> Template:
    text = r.text(raw, path)
    assert text is not None
    template = parse_template(text, source=source, path=path)
    for name in template.placeholders:
        if name in persona_columns:
            raise r.fail(
                path,
                f"'{{{name}}}' is a persona column; persona columns belong in simulation.persona, "
                "so that finetuning data can leave the demographics out",
            )
        if name not in known:
            raise r.fail(path, f"unknown placeholder '{{{name}}}' ({did_you_mean(name, known)})")
    return template


def _turns(
    r: Reader,
    raw: Any,
    known: Sequence[str],
    persona_columns: Sequence[str],
    columns: Mapping[str, ColumnSpec],
    source: str,
) -> tuple[TurnSpec, ...]:
    if raw is None:
        raise r.fail("simulation.turns", "list the turns of the conversation (a prompt and its expected answer each)")
    turns = []
    for i, turn_raw in enumerate(r.sequence(raw, "simulation.turns")):
        path = f"simulation.turns[{i}]"
        body = r.mapping(turn_raw, path, TURN_KEYS)
        if "prompt" not in body:
            raise r.fail(join_path(path, "prompt"), "a turn needs a prompt")
        prompt = _cell_template(r, body["prompt"], join_path(path, "prompt"), known, persona_columns, source)
        answers = r.sequence(body.get("answer") or [], join_path(path, "answer"))
        if not answers:
            raise r.fail(join_path(path, "answer"), "a turn needs at least one expected answer (a bracketed array)")
        items = tuple(_answer(r, item, f"{path}.answer[{j}]", columns) for j, item in enumerate(answers))
        turns.append(TurnSpec(prompt, items))
    if not turns:
        raise r.fail("simulation.turns", "list at least one turn")
    return tuple(turns)


def _answer(r: Reader, raw: Any, path: str, columns: Mapping[str, ColumnSpec]) -> AnswerItem:
    body = r.mapping(raw, path, ANSWER_KEYS)
    given = [key for key in ("column", "columns", "extra") if body.get(key) is not None]
    if len(given) != 1:
        raise r.fail(path, "give exactly one of 'column', 'columns' (several numbers) or 'extra' (free text)")
    key = given[0]
    names = list(columns)
    if key == "extra":
        name = r.identifier(body["extra"], join_path(path, "extra"))
        if name in columns:
            raise r.fail(join_path(path, "extra"), f"'{name}' is a column of the study; use 'column: {name}' instead")
        _refuse(r, body, path, ("map", "sum", "tolerance"), "a free-text answer")
        return AnswerItem("text", (name,), extra=True)
    if key == "columns":
        chosen = r.names(body["columns"], join_path(path, "columns"), names)
        for j, name in enumerate(chosen):
            if columns[name].type != "numeric":
                raise r.fail(f"{path}.columns[{j}]", f"'{name}' is a {columns[name].type} column; 'columns' takes numeric columns")
        return _numbers(r, body, path, tuple(columns[n] for n in chosen))
    text = r.text(body["column"], join_path(path, "column"))
    assert text is not None
    name = text
    if name not in columns:
        raise r.fail(join_path(path, "column"), f"unknown column '{name}' ({did_you_mean(name, names)})")
    column = columns[name]
    if column.type == "numeric":
        return _numbers(r, body, path, (column,))
    if column.type == "text":
        _refuse(r, body, path, ("map", "sum", "tolerance"), "a text column")
        return AnswerItem("text", (name,))
    _refuse(r, body, path, ("sum", "tolerance"), f"the {column.type} column '{name}'")
    tokens: dict[str, str] = {}
    allowed = ("false", "true") if column.type == "boolean" else (column.values or ())
    if body.get("map") is not None:
        mapping = body["map"]
        if not isinstance(mapping, Mapping) or not mapping:
            raise r.fail(join_path(path, "map"), "expected a mapping from answer to value")
        for raw_token, raw_value in mapping.items():
            token = r.scalar_text(raw_token, join_path(path, "map"))
            value = r.scalar_text(raw_value, f"{path}.map.{token}")
            if allowed and value not in allowed:
                raise r.fail(f"{path}.map.{token}", f"maps to '{value}', which is not a value of '{name}' ({', '.join(allowed)})")
            tokens.setdefault(token.casefold(), value)
    for token, value in column.recode:
        tokens.setdefault(token.casefold(), value)
    for value in allowed:
        tokens.setdefault(value.casefold(), value)
    if column.type == "boolean":
        for token, value in _BOOLEAN_TOKENS:
            tokens.setdefault(token, value)
    if not tokens:
        raise r.fail(path, f"'{name}' declares no values; give a 'map' from answers to values")
    # Keep the map's order first: its first token for a value is how training data writes that value.
    return AnswerItem("choice", (name,), choices=tuple(tokens.items()))


def _numbers(r: Reader, body: Mapping[str, Any], path: str, chosen: tuple[ColumnSpec, ...]) -> AnswerItem:
    _refuse(r, body, path, ("map",), "numbers")
    total = r.number(body["sum"], join_path(path, "sum")) if body.get("sum") is not None else None
    tolerance = 0.0
    if body.get("tolerance") is not None:
        if total is None:
            raise r.fail(join_path(path, "tolerance"), "a tolerance needs a 'sum'")
        tolerance = r.number(body["tolerance"], join_path(path, "tolerance"))
        if tolerance < 0:
            raise r.fail(join_path(path, "tolerance"), f"must not be negative, got {tolerance:g}")
    if total is not None and len(chosen) < 2:
        raise r.fail(join_path(path, "sum"), "a sum needs at least two columns")
    return AnswerItem(
        "numbers",
        tuple(c.name for c in chosen),
        ranges=tuple(c.range or (None, None) for c in chosen),
        integer=tuple(c.integer for c in chosen),
        total=total,
        tolerance=tolerance,
    )


def _refuse(r: Reader, body: Mapping[str, Any], path: str, keys: Sequence[str], what: str) -> None:
    for key in keys:
        if body.get(key) is not None:
            raise r.fail(join_path(path, key), f"'{key}' does not apply to {what}")


def _assignment(r: Reader, raw: Any) -> tuple[str, int | None]:
    if isinstance(raw, str):
        if raw != "per_row":
            raise r.fail("simulation.assignment", f"'{raw}' is not an assignment; write 'per_row' or {{per_cell: N}} ({did_you_mean(raw, ['per_row', 'per_cell'])})")
        return "per_row", None
    body = r.mapping(raw, "simulation.assignment", ASSIGNMENT_KEYS)
    if "per_cell" not in body:
        raise r.fail("simulation.assignment", "write 'per_row' or {per_cell: N}")
    return "per_cell", r.integer(body["per_cell"], "simulation.assignment.per_cell", minimum=1)


def _drop_groups(r: Reader, raw: Any, answer_columns: Sequence[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise r.fail("simulation.drop_groups", "expected a mapping from group name to answer columns")
    groups = []
    for name, columns_raw in raw.items():
        path = f"simulation.drop_groups.{name}"
        group = r.identifier(name, path)
        if group == DEMOGRAPHICS:
            raise r.fail(path, "'demographics' is built in (the persona); pick another name")
        groups.append((group, r.names(columns_raw, path, answer_columns)))
    return tuple(groups)
