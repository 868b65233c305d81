"""simval: does LLM-simulated data stand in for human survey or experiment data?

The public API is re-exported here by name; heavy modules load only when used,
so that ``simval --help`` stays instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from validator._version import __version__
from validator.errors import ExpressionError, InputError, SimvalError, SpecError, UsageError
from validator.lazy import lazy_attribute

if TYPE_CHECKING:
    from validator.api import check, read_dataset
    from validator.results import CheckResult, SimulationResult
    from validator.spec.load import load_spec
    from validator.spec.model import StudySpec

__all__ = [
    "__version__",
    "check",
    "read_dataset",
    "load_spec",
    "CheckResult",
    "SimulationResult",
    "StudySpec",
    "SimvalError",
    "SpecError",
    "ExpressionError",
    "InputError",
    "UsageError",
]

_LAZY = {
    "check": "validator.api",
    "read_dataset": "validator.api",
    "CheckResult": "validator.results",
    "SimulationResult": "validator.results",
    "load_spec": "validator.spec.load",
    "StudySpec": "validator.spec.model",
}


def __getattr__(name: str) -> Any:
    return lazy_attribute(__name__, _LAZY, name)
