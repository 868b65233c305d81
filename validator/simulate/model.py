"""The spec's ``simulation`` section as frozen, typed records.

Parsed once by :func:`validator.simulate.section.parse_simulation`; the prompt
renderer, the answer parser, the runner and ``simval finetune prepare`` read
these records and never the raw YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

from validator.simulate.template import Template

AnswerKind = Literal["choice", "numbers", "text"]
AssignmentMode = Literal["per_row", "per_cell"]
ResponseFormatStyle = Literal["json_schema", "json_object"]

ANSWER_KINDS: tuple[str, ...] = get_args(AnswerKind)
ASSIGNMENT_MODES: tuple[str, ...] = get_args(AssignmentMode)
RESPONSE_FORMAT_STYLES: tuple[str, ...] = get_args(ResponseFormatStyle)


@dataclass(frozen=True)
class AnswerItem:
    """One bracketed array of an answer and the columns it fills.

    ``choice``: one element, matched (case-insensitively, quotes stripped)
    against ``choices`` (token, value) pairs, filling one column. ``numbers``:
    as many numbers as ``columns``, each within its ``ranges`` entry, summing
    to ``total`` within ``tolerance`` when ``total`` is set. ``text``: the
    array's content as free text. ``extra`` columns are not study columns;
    they are written beside the study's columns.
    """

    kind: AnswerKind
    columns: tuple[str, ...]
    choices: tuple[tuple[str, str], ...] = ()
    ranges: tuple[tuple[float | None, float | None], ...] = ()
    integer: tuple[bool, ...] = ()
    total: float | None = None
    tolerance: float = 0.0
    extra: bool = False

    @property
    def label(self) -> str:
        return ", ".join(self.columns)


@dataclass(frozen=True)
class TurnSpec:
    """One user message and the bracketed arrays expected in the reply, in order."""

    prompt: Template
    answer: tuple[AnswerItem, ...]


@dataclass(frozen=True)
class CellSpec:
    """A treatment cell: one level of every factor, and the cell's template variables."""

    levels: tuple[tuple[str, str], ...]
    variables: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        """The levels joined, in factor order (``V1A1``), as the spec's ``concat`` would."""
        return "".join(level for _, level in self.levels)

    def level(self, factor: str) -> str:
        return dict(self.levels)[factor]


@dataclass(frozen=True)
class SimulationSpec:
    """How to simulate a study's participants with a chat model.

    The system message is ``persona`` (filled from a persona row's
    ``persona_columns``) followed by ``system`` (filled from the cell); then
    each of ``turns`` is one user message and one reply. ``cells`` are the
    design's treatment cells in declared order. ``assignment`` ``per_row``
    gives each persona row its own cell (its ``factors`` columns);
    ``per_cell`` asks ``per_cell`` participants in every cell.
    """

    persona: Template
    system: Template
    turns: tuple[TurnSpec, ...]
    persona_columns: tuple[str, ...]
    factors: tuple[str, ...]
    cells: tuple[CellSpec, ...]
    id_column: str | None = None
    assignment: AssignmentMode = "per_row"
    per_cell: int | None = None
    max_tokens: int = 512
    missing_text: str = "not stated"
    balance_by: str | None = None
    drop_groups: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
    #: Send each turn's answer format as a JSON schema (``response_format``), which
    #: llama.cpp's server, vLLM and OpenAI accept; off by default for servers that lack it.
    constrained_decoding: bool = False
    #: How that schema is sent: ``json_schema`` (OpenAI's form, also vLLM's and llama.cpp's
    #: ``llama-server``) or ``json_object`` (``{"type": "json_object", "schema": ...}``, the
    #: only form llama-cpp-python's ``llama_cpp.server`` accepts).
    response_format: ResponseFormatStyle = "json_schema"

    @property
    def answer_items(self) -> tuple[AnswerItem, ...]:
        return tuple(item for turn in self.turns for item in turn.answer)

    @property
    def answer_columns(self) -> tuple[str, ...]:
        return tuple(column for item in self.answer_items for column in item.columns)

    @property
    def extra_columns(self) -> tuple[str, ...]:
        return tuple(column for item in self.answer_items if item.extra for column in item.columns)

    def cell_of(self, levels: dict[str, str]) -> CellSpec | None:
        """The declared cell with these factor levels, or None."""
        wanted = tuple((factor, levels.get(factor, "")) for factor in self.factors)
        for cell in self.cells:
            if cell.levels == wanted:
                return cell
        return None
