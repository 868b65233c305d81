"""The records a verdict is made of.

Each construct's check (recovery, alignment, heterogeneity, coherence) decides its own
default verdict from the human data's own noise at these sample sizes and returns it as
a :class:`ConstructVerdict`; declared gates replace those default rules. The overall
verdict is the worst construct verdict: ``fail`` beats ``inconclusive`` beats ``pass``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

VerdictValue = Literal["pass", "fail", "inconclusive"]
VerdictSource = Literal["default", "gates"]

#: Order used to combine verdicts: the overall verdict is the largest.
SEVERITY: dict[VerdictValue, int] = {"pass": 0, "inconclusive": 1, "fail": 2}


@dataclass(frozen=True)
class ConstructVerdict:
    """One construct's verdict with its one-line reason naming the numbers.

    ``reason`` is a plain sentence fragment such as
    ``"6 of 9 significant human findings reversed (F1(Sign) 0.31; a fresh human sample: >= 0.62)"``.
    """

    verdict: VerdictValue
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"verdict": self.verdict, "reason": self.reason}


def worst(verdicts: list[VerdictValue]) -> VerdictValue:
    """The combined verdict: ``fail`` if any fails, else ``inconclusive`` if any is, else ``pass``.

    >>> worst(["pass", "inconclusive", "pass"])
    'inconclusive'
    >>> worst([])
    'inconclusive'
    """
    if not verdicts:
        return "inconclusive"
    return max(verdicts, key=SEVERITY.__getitem__)
