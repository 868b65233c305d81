"""Constrained decoding: each turn's expected answer as the JSON schema of ``response_format``.

With ``simulation.constrained_decoding: true`` every request carries
``response_format = {"type": "json_schema", ...}``, which llama.cpp's server, vLLM
and OpenAI accept, so that even a small model answers in the study's format
(``simulation.response_format: json_object`` sends ``{"type": "json_object",
"schema": ...}`` instead, for llama-cpp-python's server). The
schema asks for ``{"pre_choice": [...], "belief_t1, ...": [...]}``: one array per
:class:`~validator.simulate.model.AnswerItem` of the turn, in order, which the
reply parser reads exactly as it reads a bracketed-array reply (the object's keys
are text outside the arrays; quotes around an element are removed).

* ``choice``: one element, one of the accepted answer tokens;
* ``numbers``: one number per column, within the column's range, whole where
  the column is whole, and one of the range's values (an ``enum``) where the
  column is whole and its range short (a sum cannot be expressed; the parser
  checks it);
* ``text``: one or more strings.
"""

from __future__ import annotations

import math
from typing import Any

from validator.simulate.model import AnswerItem, ResponseFormatStyle, TurnSpec

__all__ = ["ENUM_RANGE_MAX", "answer_schema", "response_format"]

#: Whole-number ranges of at most this many values (a 1-7 scale, 0-100 percent) are
#: also sent as an ``enum`` of their values.
ENUM_RANGE_MAX = 101


def _item_schema(item: AnswerItem) -> dict[str, Any]:
    if item.kind == "choice":
        tokens = list(dict.fromkeys(token for token, _value in item.choices))
        return {"type": "array", "items": {"type": "string", "enum": tokens}, "minItems": 1, "maxItems": 1}
    if item.kind == "numbers":
        elements: list[dict[str, Any]] = []
        for i in range(len(item.columns)):
            whole = item.integer[i] if i < len(item.integer) else False
            element: dict[str, Any] = {"type": "integer" if whole else "number"}
            low, high = item.ranges[i] if i < len(item.ranges) else (None, None)
            if low is not None:
                element["minimum"] = low
            if high is not None:
                element["maximum"] = high
            if whole and low is not None and high is not None and high - low + 1 <= ENUM_RANGE_MAX:
                # Some servers' schema-to-grammar converters (llama-cpp-python's) ignore
                # minimum and maximum but enforce an enum: list a short scale's values.
                element["enum"] = list(range(math.ceil(low), math.floor(high) + 1))
            elements.append(element)
        count = len(elements)
        return {"type": "array", "prefixItems": elements, "items": False, "minItems": count, "maxItems": count}
    return {"type": "array", "items": {"type": "string"}, "minItems": 1}


def answer_schema(turn: TurnSpec) -> dict[str, Any]:
    """The JSON schema of one turn's reply: an object with one array per answer item, in order.

    Each property is named after the item's columns (``"belief_t1, belief_t2, belief_both"``);
    servers generate properties in the order listed, so the arrays come in the turn's order.
    """
    properties = {_key(item, i): _item_schema(item) for i, item in enumerate(turn.answer)}
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _key(item: AnswerItem, index: int) -> str:
    return item.label or f"answer {index + 1}"


def response_format(turn: TurnSpec, style: ResponseFormatStyle = "json_schema") -> dict[str, Any]:
    """The ``response_format`` request parameter for one turn, in the form the server takes.

    ``json_schema`` is OpenAI's form (vLLM and llama.cpp's ``llama-server`` take it too);
    ``json_object`` puts the schema beside ``"type": "json_object"``, the only form
    llama-cpp-python's server accepts (it answers ``json_schema`` with HTTP 500).
    """
    if style == "json_object":
        return {"type": "json_object", "schema": answer_schema(turn)}
    return {"type": "json_schema", "json_schema": {"name": "answer", "schema": answer_schema(turn)}}
