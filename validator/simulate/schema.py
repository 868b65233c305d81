"""Constrained decoding: each turn's expected answer as the JSON schema of ``response_format``.

With ``simulation.constrained_decoding: true`` every request carries
``response_format = {"type": "json_schema", ...}``, which llama.cpp's server, vLLM
and OpenAI accept, so that even a small model answers in the study's format. The
schema asks for ``{"pre_choice": [...], "belief_t1, ...": [...]}``: one array per
:class:`~validator.simulate.model.AnswerItem` of the turn, in order, which the
reply parser reads exactly as it reads a bracketed-array reply (the object's keys
are text outside the arrays; quotes around an element are removed).

* ``choice``: one element, one of the accepted answer tokens;
* ``numbers``: one number per column, within the column's range, whole where
  the column is whole (a sum cannot be expressed; the parser checks it);
* ``text``: one or more strings.
"""

from __future__ import annotations

from typing import Any

from validator.simulate.model import AnswerItem, TurnSpec

__all__ = ["answer_schema", "response_format"]


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


def response_format(turn: TurnSpec) -> dict[str, Any]:
    """The ``response_format`` request parameter for one turn."""
    return {"type": "json_schema", "json_schema": {"name": "answer", "schema": answer_schema(turn)}}
