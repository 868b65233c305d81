"""The coefficient-recovery check: every model fitted on both datasets and compared sign-aware.

The human side (its fits and, with intervals on, its bootstrap replicate fits) is
prepared once per human dataset by :func:`prepare_human` and shared by every
simulated dataset. :func:`compute_recovery` runs :func:`recovery_part` on one
simulated dataset; the steps, each in its own module:

1. fit every model on the simulation (:func:`validator.models.fit.fit_models`);
2. correct the p-values of both sides over the same family, the coefficients of
   the models estimable on both sides (:func:`same_family`), and compare
   (:func:`validator.recovery.compare.compare_fits`);
3. bootstrap intervals and equal-n recovery (:mod:`validator.recovery.uncertainty`);
4. a warning for every model resampled by clusters with fewer than
   :data:`~validator.bootstrap.weights.MIN_CLUSTERS` of them (:func:`cluster_warnings`);
5. the default verdict against the human data's own noise (:mod:`validator.recovery.verdict`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from validator.bootstrap.weights import MIN_CLUSTERS
from validator.checks.context import CheckContext
from validator.checks.inputs import CheckInputs, HumanInputs
from validator.checks.memo import Memo
from validator.checks.record import Better, MetricInfo, MetricValue
from validator.errors import InputError
from validator.io.ingest import Dataset
from validator.models.design import Design, build_design, shared_designs
from validator.models.fit import correct_p_values, fit_models
from validator.models.types import ModelFit
from validator.recovery.compare import compare_fits
from validator.recovery.labels import label_terms
from validator.recovery.records import SUMMARY_KEYS, RecoveryResult
from validator.recovery.uncertainty import (
    RecoveryUncertainty,
    ReplicateFits,
    consistent_statistics,
    debiased_effects,
    findings_effects,
    fresh_sample_draws,
    human_draws,
    n_units,
    point_fits,
    recentred,
    recovery_uncertainty,
    resampling_unit,
    shifted_fresh_samples,
    simulated_draws,
)
from validator.recovery.verdict import FreshSampleNull, default_verdict
from validator.spec.model import CorrectionSpec, ModelSpec, StudySpec
from validator.verdict.records import ConstructVerdict

#: How the fresh-sample null is built (see :func:`fresh_sample_null`). ``findings`` (the
#: default): pairs of independent resamples, both moved to the population of the human
#: findings (:func:`~validator.recovery.uncertainty.findings_effects`); ``pairs``, the plain
#: resample pairs, and ``shifted``/``debiased`` passed 98-99% of perfect simulators;
#: ``resample`` about 95.5% only because two opposite errors cancel (docs/calibration.md).
NULL_METHOD: Literal["findings", "pairs", "shifted", "resample", "debiased"] = "findings"


def same_family(
    human_fits: Sequence[ModelFit], sim_fits: Sequence[ModelFit], correction: CorrectionSpec
) -> tuple[tuple[ModelFit, ...], tuple[ModelFit, ...]]:
    """Both sides' fits corrected over the models estimable on both (scope ``study``).

    A model estimable on one side only contributes no compared coefficient, so it
    must not enlarge one side's family: otherwise the Bonferroni threshold of the
    human data (22 coefficients) and of the simulation (14) would differ.
    """
    if correction.method == "none" or correction.scope != "study":
        return tuple(human_fits), tuple(sim_fits)
    h_ok = {f.model for f in human_fits if f.estimable}
    s_ok = {f.model for f in sim_fits if f.estimable}
    both = h_ok & s_ok
    return correct_p_values(human_fits, correction, within=both), correct_p_values(sim_fits, correction, within=both)


def cluster_warnings(models: Sequence[ModelSpec], sides: Sequence[tuple[str, Dataset]], resample_by: str | None) -> tuple[str, ...]:
    """One sentence per model and side resampled by a unit with fewer than MIN_CLUSTERS values on its rows."""
    out: list[str] = []
    for model in models:
        unit = resampling_unit(model, resample_by)
        if unit is None:
            continue
        for side, data in sides:
            design = build_design(model, data.frame)
            if not isinstance(design, Design) or unit not in data.frame.columns:
                continue
            values = data.frame[unit] if design.rows is None else data.frame[unit].iloc[design.rows]
            count = int(values.nunique(dropna=True))
            if count >= MIN_CLUSTERS:
                continue
            test = "t" if model.family == "ols" else "z"
            what = (
                f"its cluster-robust {test}-test and the cluster bootstrap are unreliable"
                if model.cov_type == "cluster" and model.cluster == unit
                else "its bootstrap resamples too few units to be reliable"
            )
            out.append(f"model {model.id}: {count} clusters of '{unit}' on the {side} data (fewer than {MIN_CLUSTERS}): {what}")
    return tuple(out)


def check_resample_column(dataset: Dataset, column: str | None) -> None:
    """Raise :class:`~validator.errors.InputError` when ``uncertainty.resample_by`` cannot be used on ``dataset``.

    A row without a unit would silently leave every replicate, so it is an input error.
    """
    if column is None:
        return
    if column not in dataset.frame.columns:
        raise InputError(f"the file has no column '{column}', which uncertainty.resample_by resamples", source=dataset.source)
    missing = dataset.frame[column].isna().to_numpy()
    if missing.any():
        row = dataset.frame.index[int(missing.argmax())]
        raise InputError("empty, but uncertainty.resample_by resamples whole units by this column", source=dataset.source, row=int(row), column=column)


def fresh_sample_null(
    study: StudySpec,
    human: Dataset,
    human_fits: Sequence[ModelFit],
    human_replicates: ReplicateFits,
    sim: Dataset,
    point: RecoveryResult,
    ctx: CheckContext,
    *,
    alpha: float,
    memo: Memo[ReplicateFits] | None = None,
) -> FreshSampleNull:
    """Pairs (a human resample of the human size, one of the simulation's size) compared like the simulation.

    :data:`NULL_METHOD` ``"findings"`` (the default) compares the two resamples with
    each other after moving both to the population of the human findings: significant
    human coefficients at their estimate, the others at no effect
    (:func:`~validator.recovery.uncertainty.findings_effects`); ``"pairs"`` compares the
    two plain resamples (the bootstrap's stand-in for a human sample and a fresh one,
    whose null coefficients are inflated); ``"resample"`` compares
    the observed human fit with the resample of the simulation's size; ``"shifted"``
    keeps the observed human fit and moves it by the resamples' difference; ``"debiased"``
    compares the two resamples after moving both to the debiased effect sizes
    (:func:`~validator.recovery.uncertainty.debiased_effects`)
    (:func:`~validator.recovery.uncertainty.shifted_fresh_samples`). The calibration
    study measures both (docs/calibration.md).
    """
    resample_by = study.uncertainty.resample_by

    def draw() -> ReplicateFits:
        return fresh_sample_draws(study.models, human, sim, ctx, alpha=alpha, resample_by=resample_by)

    # The draws depend on the simulation only through its number of each model's units.
    units = sorted({resampling_unit(model, resample_by) or "" for model in study.models})
    sizes = tuple((unit, n_units(sim.frame, unit or None)) for unit in units)
    if human_replicates.replicates >= 2 and all(size == n_units(human.frame, unit or None) for unit, size in sizes):
        # Of the human data's own size, a fresh resample is what the human bootstrap already drew:
        # its next replicate is one, drawn independently of replicate r. Pairing r with r + 1 gives
        # pairs of the same law as a second batch drawn and refitted for the purpose (B fits per
        # model saved; each pair's two resamples are independent, neighbouring pairs share one).
        fresh = human_replicates.rolled(1)
    elif memo is None:
        fresh = draw()
    else:
        fresh = memo.get(sizes, draw)
    if NULL_METHOD in ("shifted", "resample"):
        reference = point_fits(human_fits).repeat(human_replicates.replicates)
        other = shifted_fresh_samples(point_fits(human_fits), human_replicates, fresh) if NULL_METHOD == "shifted" else fresh
        stats, _ = consistent_statistics(reference, other, point, alpha=alpha, correction=study.correction)
    elif NULL_METHOD in ("debiased", "findings"):
        shifts = debiased_effects(point_fits(human_fits)) if NULL_METHOD == "debiased" else findings_effects(point_fits(human_fits), point)
        stats, _ = consistent_statistics(
            recentred(human_replicates, shifts), recentred(fresh, shifts), point, alpha=alpha, correction=study.correction
        )
    else:
        stats, _ = consistent_statistics(human_replicates, fresh, point, alpha=alpha, correction=study.correction)
    fitted = {m.model: m.estimable for m in fresh.models}
    n_sim = len(sim.frame) if resample_by is None else int(sim.frame[resample_by].nunique(dropna=True))
    return FreshSampleNull(stats, fitted, n_sim)


#: Why recovery cannot be judged for a spec without models (also the ``--strict`` error's reason).
NO_MODELS = "the spec declares no models, so no coefficient can be compared (add a models: section)"


def recovery_part(
    study: StudySpec,
    human: Dataset,
    human_fits: Sequence[ModelFit],
    human_replicates: ReplicateFits | None,
    label: str,
    sim: Dataset,
    ctx: CheckContext,
    alpha: float,
    fresh: Memo[ReplicateFits] | None = None,
) -> tuple[tuple[ModelFit, ...], RecoveryResult, RecoveryUncertainty | None]:
    """Everything the recovery block of one simulated dataset holds (module docstring)."""
    resample_by = study.uncertainty.resample_by
    check_resample_column(human, resample_by)
    check_resample_column(sim, resample_by)
    sim_fits = fit_models(study.models, sim.frame, alpha=alpha, correction=study.correction)
    h_fits, s_fits = same_family(human_fits, sim_fits, study.correction)
    point, label_warnings = label_terms(study.models, (*h_fits, *s_fits), compare_fits(h_fits, s_fits, alpha=alpha))
    warnings = (*label_warnings, *cluster_warnings(study.models, (("human", human), ("simulated", sim)), resample_by))
    uncertainty = None
    null = None
    replicates = human_replicates
    if study.models and (ctx.replicates or ctx.equal_n_draws):
        sim_replicates = (
            simulated_draws(study.models, sim, ctx, key=label, alpha=alpha, resample_by=resample_by)
            if ctx.replicates and replicates is not None
            else None
        )
        uncertainty = recovery_uncertainty(
            study.models, human, h_fits, replicates, sim, point, ctx,
            alpha=alpha, correction=study.correction, key=label, sim_fits=s_fits, resample_by=resample_by,
            sim_replicates=sim_replicates,
        )  # fmt: skip
        if ctx.replicates and replicates is not None:
            null = fresh_sample_null(study, human, h_fits, replicates, sim, point, ctx, alpha=alpha, memo=fresh)
    verdict, limits = default_verdict(point, null, level=ctx.level)
    if not study.models:
        verdict = ConstructVerdict("inconclusive", NO_MODELS)
    return s_fits, replace(point, warnings=warnings, default_verdict=verdict, verdict_limits=limits), uncertainty


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
#: The statistics also reported at equal n (each model's larger side subsampled to the smaller side's rows).
EQUAL_N_KEYS = ("f1_sign", "fpr", "fnr", "f1_strict", "sign_flips")


@dataclass(frozen=True)
class HumanRecovery:
    """The human side of recovery, computed once: the fits and their bootstrap replicates."""

    fits: tuple[ModelFit, ...]
    draws: ReplicateFits | None
    # Fresh-sample draws by the simulation's size: every simulated file of one size shares them.
    fresh: Memo[ReplicateFits] = field(default_factory=Memo, compare=False, repr=False)


@dataclass(frozen=True)
class RecoveryCheck:
    """Recovery of one simulated dataset: its fits, the comparison, and the comparison's uncertainty."""

    fits: tuple[ModelFit, ...]
    result: RecoveryResult
    uncertainty: RecoveryUncertainty | None
    default_verdict: ConstructVerdict | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``recovery`` block: totals, models, coefficients, ``intervals``, ``equal_n`` and ``replicate_fits``."""
        block = self.result.to_dict()
        uncertainty = self.uncertainty.to_dict() if self.uncertainty else None
        block["intervals"] = uncertainty["intervals"] if uncertainty else None
        block["equal_n"] = uncertainty["equal_n"] if uncertainty else None
        block["replicate_fits"] = uncertainty["replicate_fits"] if uncertainty else None
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
    """The human fits and, with intervals on, the human bootstrap replicate fits shared by every simulation.

    The replicates resample the unit of each model (:func:`~validator.recovery.uncertainty.resampling_unit`);
    their p-values stay uncorrected until a simulation fixes the compared family.
    """
    study, ctx = human.study, human.context
    resample_by = study.uncertainty.resample_by
    check_resample_column(human.data, resample_by)
    with shared_designs():  # the point fits and the replicates share each model's design
        fits = fit_models(study.models, human.data.frame, alpha=human.alpha, correction=study.correction)
        draws = (
            human_draws(study.models, human.data, ctx, alpha=human.alpha, correction=study.correction, resample_by=resample_by)
            if study.models and ctx.replicates
            else None
        )
    return HumanRecovery(fits, draws)


def compute_recovery(inputs: CheckInputs, section: object) -> RecoveryCheck:
    """Recovery of one simulated dataset (:func:`recovery_part`); its default verdict is the check's."""
    shared: HumanRecovery = inputs.prepared
    with shared_designs():  # the point fits and the equal-n draws (or replicates) share each model's design
        sim_fits, result, uncertainty = recovery_part(
            inputs.study, inputs.human, shared.fits, shared.draws, inputs.label, inputs.sim, inputs.context, inputs.alpha, shared.fresh
        )
    return RecoveryCheck(sim_fits, result, uncertainty, default_verdict=result.default_verdict)


def recovery_metrics(spec: StudySpec) -> tuple[MetricInfo, ...]:
    """The gateable recovery metrics of a spec with models."""
    if not spec.models:
        return ()
    infos = [MetricInfo(key, meaning, better, value_range, True) for key, (meaning, better, value_range) in SUMMARY_INFO.items()]
    for key in EQUAL_N_KEYS:
        meaning, better, value_range = SUMMARY_INFO[key]
        infos.append(
            MetricInfo(f"equal_n.{key}", f"{meaning}, each model's larger side subsampled to the smaller side's rows (mean over draws)", better, value_range, True)
        )
    return tuple(infos)


def recovery_items(spec: StudySpec) -> tuple[object, ...]:
    """Recovery always runs once (a spec without models reports empty totals and says so)."""
    return (spec.models,)
