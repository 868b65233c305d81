"""The registry entry of coefficient recovery."""

from __future__ import annotations

from validator.checks.entry import CheckEntry
from validator.recovery.check import compute_recovery, prepare_human, recovery_items, recovery_metrics
from validator.recovery.present import recovery_headline, recovery_tables

ENTRY = CheckEntry(
    name="recovery",
    title="Coefficient recovery",
    construct="recovery",
    description="every model fitted on both datasets; sign-aware recovery of the human conclusions (FPR, FNR, F1(Sign), sign flips)",
    items=recovery_items,
    compute=compute_recovery,
    metrics=recovery_metrics,
    prepare=prepare_human,
    tables=recovery_tables,
    headline=recovery_headline,
)
