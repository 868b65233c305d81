"""The lines the terminal prints under the recovery table: default verdict, warnings, replicate failures.

Formatting only: every number was computed by :mod:`validator.recovery.check`.
"""

from __future__ import annotations

from validator.recovery.records import RecoveryResult
from validator.recovery.uncertainty import RecoveryUncertainty


def recovery_notes(recovery: RecoveryResult, uncertainty: RecoveryUncertainty | None) -> list[str]:
    """The default verdict with its reason, each warning, and the replicates left out and why."""
    lines: list[str] = []
    if recovery.default_verdict is not None:
        lines.append(f"  recovery verdict (default rule): {recovery.default_verdict.verdict.upper()} - {recovery.default_verdict.reason}")
    lines.extend(f"  warning: {text}" for text in recovery.warnings)
    if uncertainty is not None and uncertainty.consistent is not None and uncertainty.consistent < uncertainty.replicates:
        parts = []
        for failure in uncertainty.failures:
            for side, counts in (("human", failure.human), ("simulation", failure.simulation)):
                if counts:
                    shown = ", ".join(f"{count} {reason}" for reason, count in counts.items())
                    parts.append(f"{failure.model} on the {side} ({shown})")
        lines.append(
            f"  intervals over the {uncertainty.consistent} of {uncertainty.replicates} replicates in which every compared "
            f"model was fitted on both sides; not fitted: {'; '.join(parts)}"
        )
    return lines
