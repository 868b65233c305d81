"""Turn result records into plain JSON values, deterministically."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np


def jsonable(value: Any) -> Any:
    """Plain Python values for JSON: numpy scalars unwrapped, NaN and infinities as None."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else None
    if value is None or isinstance(value, str):
        return value
    if hasattr(value, "to_dict"):
        return jsonable(value.to_dict())
    return str(value)


def dumps(document: Any) -> str:
    """Deterministic JSON text: keys in insertion order, two-space indent, final newline."""
    return json.dumps(jsonable(document), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
