"""Every metric path a gate may name, derived from a spec, with its meaning.

Paths address the JSON results of one simulated dataset (docs/results-json.md),
for example ``recovery.f1_sign``, ``distribution.belief_t1.overall.js``,
``distribution.mean_js.by.ethnicity.max`` or
``coherence.value_action_gap.difference``. A ``*`` in a pattern stands for a
subgroup level, which only the data knows.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from validator.recovery.records import SUMMARY_KEYS as RECOVERY_STATISTICS
from validator.spec.model import StudySpec

RECOVERY_MEANINGS = {
    "n_coefficients": "coefficients compared (estimable in both datasets)",
    "n_reference_significant": "coefficients significant in the human data",
    "n_sim_significant": "coefficients significant in the simulation",
    "tp": "TP: significant in both, same sign",
    "fp": "FP: significant in the simulation only",
    "fn": "FN: significant in the human data only",
    "tn": "TN: significant in neither",
    "sign_flips": "sign flips: significant in both, opposite signs",
    "fpr": "FPR = FP / coefficients not significant in the human data",
    "fnr": "FNR = FN / coefficients significant in the human data",
    "f1_sign": "F1(Sign) = 2TP / (2TP + FP + FN)",
    "f1_strict": "strict F1 = 2TP / (2TP + FP + FN + 2 sign flips)",
}
DISTANCE_MEANINGS = {
    "js": "Jensen-Shannon distance (base 2, in [0, 1])",
    "tvd": "total variation distance",
    "wasserstein": "Wasserstein-1 distance (units of the variable)",
    "ks_statistic": "Kolmogorov-Smirnov statistic",
    "dispersion_ratio": "SD(simulation) / SD(human)",
}


@dataclass(frozen=True)
class GatePath:
    """A gateable metric: its path pattern, what it means, and whether it has an interval."""

    pattern: str
    meaning: str
    has_interval: bool

    def matches(self, path: str) -> bool:
        regex = "^" + re.escape(self.pattern).replace(r"\*", r"[^.]+") + "$"
        return re.match(regex, path) is not None


def gate_paths(spec: StudySpec) -> tuple[GatePath, ...]:
    """Every gateable path for results computed under ``spec``."""
    paths: list[GatePath] = []
    if spec.models:
        for name in RECOVERY_STATISTICS:
            paths.append(GatePath(f"recovery.{name}", RECOVERY_MEANINGS[name], True))
        for name in ("f1_sign", "fpr", "fnr", "f1_strict", "sign_flips"):
            paths.append(
                GatePath(f"recovery.equal_n.{name}", f"{RECOVERY_MEANINGS[name]}, simulated rows subsampled to the human n (mean over draws)", True)
            )
    d = spec.distributions
    if d is not None:
        for variable in d.variables:
            metrics = ("js", "tvd", "wasserstein", "ks_statistic", "dispersion_ratio") if variable.kind == "binned" else ("js", "tvd")
            for metric in metrics:
                paths.append(GatePath(f"distribution.{variable.name}.overall.{metric}", f"{DISTANCE_MEANINGS[metric]} of {variable.name}, all rows", True))
            for by in d.breakdowns:
                paths.append(GatePath(f"distribution.{variable.name}.by.{by}.max", f"largest JS distance of {variable.name} over {by} groups with enough rows", False))
                paths.append(GatePath(f"distribution.{variable.name}.by.{by}.mean", f"mean JS distance of {variable.name} over {by} groups with enough rows", False))
                for metric in metrics:
                    paths.append(GatePath(f"distribution.{variable.name}.by.{by}.levels.*.{metric}", f"{DISTANCE_MEANINGS[metric]} of {variable.name} within one {by} group", True))
        if d.mean_over:
            over = ", ".join(d.mean_over)
            paths.append(GatePath("distribution.mean_js.overall", f"mean JS distance over {over}, all rows", True))
            for by in d.breakdowns:
                paths.append(GatePath(f"distribution.mean_js.by.{by}.max", f"largest mean JS distance over {by} groups with enough rows", False))
                paths.append(GatePath(f"distribution.mean_js.by.{by}.mean", f"mean of the mean JS distance over {by} groups with enough rows", False))
                paths.append(GatePath(f"distribution.mean_js.by.{by}.levels.*", f"mean JS distance over {over} within one {by} group", True))
    paths += plug_in_paths(spec)
    for h in spec.heterogeneity:
        base = f"heterogeneity.{h.name}"
        paths.append(GatePath(f"{base}.ratio_at_equal_n", "simulated / human unique structures at the smaller n", False))
        paths.append(GatePath(f"{base}.sim.unique", "unique structures in the simulation", False))
        paths.append(GatePath(f"{base}.human.unique", "unique structures in the human data", False))
        paths.append(GatePath(f"{base}.sim_at_human_n", "simulated unique structures subsampled to the human n (mean, range over draws)", True))
        paths.append(GatePath(f"{base}.sim.entropy", "Shannon entropy (bits) of the simulated structures", False))
    for c in spec.coherence:
        base = f"coherence.{c.name}"
        paths.append(GatePath(f"{base}.difference", "value-action gap, simulation minus human", True))
        paths.append(GatePath(f"{base}.sim.gap", "value-action gap of the simulation", True))
        paths.append(GatePath(f"{base}.human.gap", "value-action gap of the human data", True))
    return tuple(paths)


def plug_in_paths(spec: StudySpec) -> list[GatePath]:
    """The raw (not bias-corrected) distances: what noise floors and suggested gates describe."""
    d = spec.distributions
    paths: list[GatePath] = []
    if d is None:
        return paths
    for variable in d.variables:
        paths.append(GatePath(f"distribution.{variable.name}.overall.js.plug_in", f"plug-in (raw sample) JS distance of {variable.name}, all rows", False))
        for by in d.breakdowns:
            paths.append(GatePath(f"distribution.{variable.name}.by.{by}.max_plug_in", f"largest plug-in JS distance of {variable.name} over {by} groups (a missing group counts as 1)", False))
    if d.mean_over:
        paths.append(GatePath("distribution.mean_js.overall.plug_in", "plug-in (raw sample) mean JS distance, all rows", False))
        for by in d.breakdowns:
            paths.append(GatePath(f"distribution.mean_js.by.{by}.max_plug_in", f"largest plug-in mean JS distance over {by} groups (a missing group counts as 1)", False))
    return paths


def find_path(spec: StudySpec, path: str) -> GatePath | None:
    for entry in gate_paths(spec):
        if entry.matches(path):
            return entry
    return None


def nearest_paths(spec: StudySpec, path: str, limit: int = 5) -> list[str]:
    """The valid paths closest to ``path`` (for an "unknown path" message)."""
    patterns = [entry.pattern for entry in gate_paths(spec)]
    extending = [p for p in patterns if p.startswith(path)]
    close = [p for p in difflib.get_close_matches(path, patterns, n=limit, cutoff=0.5) if p not in extending]
    if extending or close:
        return (extending + close)[:limit]
    head = path.split(".")[0]
    return [p for p in patterns if p.startswith(head + ".")][:limit] or patterns[:limit]
