"""The coefficient-recovery check: every model fitted on both datasets and compared sign-aware.

The human side (its fits and, with intervals on, its bootstrap replicates) is
prepared once per human dataset by :func:`prepare_human` and shared by every
simulated dataset; :func:`compute_recovery` fits the simulated data, compares
coefficient by coefficient (:func:`validator.recovery.compare.compare_fits`) and
adds the bootstrap intervals and the equal-n recovery
(:func:`validator.recovery.uncertainty.recovery_uncertainty`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from validator.checks.inputs import CheckInputs, HumanInputs
from validator.checks.record import Better, MetricInfo, MetricValue
from validator.models.fit import fit_models
from validator.models.types import ModelFit
from validator.recovery.compare import compare_fits
from validator.recovery.records import SUMMARY_KEYS, RecoveryResult
from validator.recovery.uncertainty import CoefficientDraws, RecoveryUncertainty, human_draws, recovery_uncertainty
from validator.spec.model import StudySpec
from validator.verdict.records import ConstructVerdict

#: What each recovery total means, which way is better and its range (None: unbounded).
SUMMARY_INFO: dict[str, tuple[str, Better, tuple[float | None, float | None]]] = {
    "n_coefficients": ("coefficients compared (estimable in both datasets)", "none", (0.0, None)),
    "n_reference_significant": ("coefficients significant in the human data", "none", (0.0, None)),
    "n_sim_significant": ("coefficients significant in the simulation", "none", (0.0, None)),
    "tp": ("TP: significant in both, same sign", "higher", (0.0, None)),
    "fp": ("FP: significant in the simulation only", "lower", (0.0, None)),
    "fn": ("FN: significant in the human data only", "lower", (0.0, None)),
    "tn": ("TN: significant in neither", "none", (0.0, None)),
    "sign_flips": ("sign flips: significant in both, opposite signs", "lower", (0.0, None)),
    "fpr": ("FPR = FP / coefficients not significant in the human data", "lower", (0.0, 1.0)),
    "fnr": ("FNR = FN / coefficients significant in the human data", "lower", (0.0, 1.0)),
    "f1_sign": ("F1(Sign) = 2TP / (2TP + FP + FN)", "higher", (0.0, 1.0)),
    "f1_strict": ("strict F1 = 2TP / (2TP + FP + FN + 2 sign flips)", "higher", (0.0, 1.0)),
}
#: The statistics also reported with the simulated rows subsampled to the human n.
EQUAL_N_KEYS = ("f1_sign", "fpr", "fnr", "f1_strict", "sign_flips")


@dataclass(frozen=True)
class HumanRecovery:
    """The human side of recovery, computed once: the fits and their bootstrap replicates."""

    fits: tuple[ModelFit, ...]
    draws: CoefficientDraws | None


@dataclass(frozen=True)
class RecoveryCheck:
    """Recovery of one simulated dataset: its fits, the comparison, and the comparison's uncertainty."""

    fits: tuple[ModelFit, ...]
    result: RecoveryResult
    uncertainty: RecoveryUncertainty | None
    default_verdict: ConstructVerdict | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``recovery`` block: totals, models, coefficients, ``intervals`` and ``equal_n``."""
        block = self.result.to_dict()
        uncertainty = self.uncertainty.to_dict() if self.uncertainty else None
        block["intervals"] = uncertainty["intervals"] if uncertainty else None
        block["equal_n"] = uncertainty["equal_n"] if uncertainty else None
        return block

    def metrics(self) -> Iterator[MetricValue]:
        """Every total with its bootstrap interval, and the equal-n statistics (mean over subsamples)."""
        summary = self.result.summary
        intervals = dict(self.uncertainty.intervals) if self.uncertainty else {}
        for key in SUMMARY_KEYS:
            interval = intervals.get(key)
            yield MetricValue.of(key, getattr(summary, key), interval.low if interval else None, interval.high if interval else None)
        equal = self.uncertainty.equal_n if self.uncertainty else None
        if equal is not None:
            for name, mean, bounds in equal.statistics:
                yield MetricValue.of(f"equal_n.{name}", mean, bounds.low, bounds.high)


def prepare_human(human: HumanInputs) -> HumanRecovery:
    """The human fits and, with intervals on, the human bootstrap replicates shared by every simulation."""
    study, ctx = human.study, human.context
    fits = fit_models(study.models, human.data.frame, alpha=human.alpha, correction=study.correction)
    draws = human_draws(study.models, human.data, ctx, alpha=human.alpha, correction=study.correction) if study.models and ctx.replicates else None
    return HumanRecovery(fits, draws)


def compute_recovery(inputs: CheckInputs, section: object) -> RecoveryCheck:
    """Fit the simulated data, compare with the human fits, and add intervals and equal-n recovery."""
    study, ctx, alpha = inputs.study, inputs.context, inputs.alpha
    shared: HumanRecovery = inputs.prepared
    sim_fits = fit_models(study.models, inputs.sim.frame, alpha=alpha, correction=study.correction)
    recovery = compare_fits(shared.fits, sim_fits, alpha=alpha)
    uncertainty = None
    if study.models and (ctx.replicates or ctx.equal_n_draws):
        uncertainty = recovery_uncertainty(
            study.models, inputs.human, shared.fits, shared.draws, inputs.sim, recovery, ctx,
            alpha=alpha, correction=study.correction, key=inputs.label,
        )
    return RecoveryCheck(sim_fits, recovery, uncertainty)


def recovery_metrics(spec: StudySpec) -> tuple[MetricInfo, ...]:
    """The gateable recovery metrics of a spec with models."""
    if not spec.models:
        return ()
    infos = [MetricInfo(key, meaning, better, value_range, True) for key, (meaning, better, value_range) in SUMMARY_INFO.items()]
    for key in EQUAL_N_KEYS:
        meaning, better, value_range = SUMMARY_INFO[key]
        infos.append(
            MetricInfo(f"equal_n.{key}", f"{meaning}, simulated rows subsampled to the human n (mean over draws)", better, value_range, True)
        )
    return tuple(infos)


def recovery_items(spec: StudySpec) -> tuple[object, ...]:
    """Recovery always runs once (a spec without models reports empty totals and says so)."""
    return (spec.models,)
