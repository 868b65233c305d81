"""Seeded synthetic stand-in for the reference study's data (demo data).

The human data of Hunt et al. (2025) is not public, so simval ships a synthetic
stand-in with the same columns and the same 2 x 4 design, produced here by a
documented, seeded process (every equation and constant is in docs/demo-data.md).
It is SYNTHETIC: it is not, and must never be presented as, the original data.

- :func:`generate_human` draws a fresh sample of ``n`` participants from one fixed
  synthetic population; only the randomness depends on the seed.
- :func:`generate_simulated` imitates one of the paper's LLM runs on the personas
  (ethnicity, age, sex) and treatment cells of a human sample.
- :func:`write_demo` writes the four demo CSV files with a comment header.

Everything is vectorised numpy driven by ``numpy.random.default_rng``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from validator._version import __version__
from validator.did_you_mean import did_you_mean
from validator.errors import UsageError

DEMO_SEED: int = 20251126
"""Default seed of every demo sample (the paper's arXiv month, written as a date)."""

SIM_KINDS: tuple[str, ...] = ("unfinetuned", "finetuned_random", "finetuned_balanced")

COLUMNS: tuple[str, ...] = (
    "participant_id",
    "ethnicity",
    "age",
    "sex",
    "valuation",
    "disclosure",
    "pre_choice",
    "belief_t1",
    "belief_t2",
    "belief_both",
    "decision",
)

ETHNICITIES: tuple[str, ...] = ("White", "Black", "Asian", "Mixed", "Other")
ETHNICITY_SHARES: tuple[float, ...] = (0.60, 0.13, 0.10, 0.10, 0.07)
SEXES: tuple[str, ...] = ("Female", "Male")
VALUATIONS: tuple[str, ...] = ("V1", "V2")
DISCLOSURES: tuple[str, ...] = ("A1", "A2", "A3", "A4")
PRE_CHOICES: tuple[str, ...] = ("target_1", "target_2")
DECISIONS: tuple[str, ...] = ("attack_t1", "attack_t2", "abort")

FILE_NAMES: dict[str, str] = {
    "human": "human_synthetic.csv",
    "unfinetuned": "sim_unfinetuned_synthetic.csv",
    "finetuned_random": "sim_finetuned_random_synthetic.csv",
    "finetuned_balanced": "sim_finetuned_balanced_synthetic.csv",
}

# Separate random streams per simulated kind, so that the kinds are independent of each
# other and of the human sample drawn with the same seed.
_STREAM: dict[str, int] = {"unfinetuned": 1, "finetuned_random": 2, "finetuned_balanced": 3}


# ---------------------------------------------------------------------------------------
# Population parameters (constants; docs/demo-data.md explains each one)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BeliefParams:
    """Logistic-normal beliefs, rounded the way people round.

    ``eta_k = mu[disclosure][k] + nu[valuation][k] + delta[ethnicity][k] + sigma_k * z_k``
    for k in (t1, t2, both), ``p = softmax(eta)``, then each participant rounds ``100 p``
    to a grid of 10, 5 or 1 points (shares ``grid_shares``) by largest remainders.
    """

    mu: tuple[tuple[float, float, float], ...]  # by disclosure A1..A4
    nu: tuple[tuple[float, float, float], ...]  # by valuation V1, V2
    delta: tuple[tuple[float, float, float], ...]  # by ethnicity, in ETHNICITIES order
    sigma: tuple[float, float, float]
    grid_shares: tuple[float, float, float]  # P(grid 10), P(grid 5), P(grid 1)


@dataclass(frozen=True)
class DecisionParams:
    """Pre-announcement choice, abort and target choice.

    ``P(pre = target_1) = pre_t1[valuation]``;
    ``logit P(abort) = abort_0 + abort_both * belief_both/100 + abort_v2 * v2``;
    among attackers
    ``logit P(attack_t1) = attack_0 + attack_ev * ev_diff + attack_pre * pre_t1 + attack_v2 * v2``.
    """

    pre_t1: tuple[float, float]  # by valuation V1, V2
    abort_0: float
    abort_both: float
    abort_v2: float
    attack_0: float
    attack_ev: float
    attack_pre: float
    attack_v2: float


@dataclass(frozen=True)
class Population:
    """One synthetic population: how beliefs are formed and how decisions follow."""

    beliefs: BeliefParams
    decisions: DecisionParams


_NO_ETHNICITY_SHIFT: tuple[tuple[float, float, float], ...] = ((0.0, 0.0, 0.0),) * 5

HUMAN_POPULATION = Population(
    beliefs=BeliefParams(
        mu=(
            (0.0, -0.2, 0.0),  # A1: no location given, beliefs spread
            (1.3, -0.8, 0.0),  # A2: announced at Target 1
            (-0.6, 1.4, 0.0),  # A3: announced at Target 2
            (-0.6, -0.8, 1.0),  # A4: announced at both
        ),
        nu=(
            (0.5, -0.3, 0.0),  # V1: defender values Target 1 far more (1.2M vs 400k)
            (0.1, 0.0, 0.0),  # V2: small gap (850k vs 750k)
        ),
        delta=_NO_ETHNICITY_SHIFT,
        sigma=(1.0, 1.0, 1.0),
        grid_shares=(0.50, 0.30, 0.20),
    ),
    decisions=DecisionParams(
        pre_t1=(0.45, 0.62),
        # abort_0 = -abort_both: P(abort) = 1/2 at belief_both = 100, so the intercept of
        # m1/m2 is truly zero; the slope gives about 12% aborts overall.
        abort_0=-3.5,
        abort_both=3.5,
        abort_v2=0.0,
        # attack_0 ~ -attack_pre * P(pre = target_1) centres the m5 intercept on zero while
        # the m6 intercept (pre = target_2) stays clearly negative; attack_ev = 5.5 gives a
        # value-action gap near the humans' 24.7%. Valuation acts only through beliefs
        # and the pre-choice (attack_v2 = 0).
        attack_0=-0.55,
        attack_ev=5.5,
        attack_pre=1.0,
        attack_v2=0.0,
    ),
)

# The finetuned kinds are the human process with perturbed constants (docs/demo-data.md).
# random: coarser rounding, ethnicity shifts for the minority groups (little training data
# on them), weak belief effect on aborting, strong inertia.
# balanced: smaller ethnicity shifts, wider beliefs, valuation-driven aborts, weak inertia.
FINETUNED_POPULATIONS: dict[str, Population] = {
    "finetuned_random": Population(
        beliefs=replace(
            HUMAN_POPULATION.beliefs,
            mu=((0.4, -0.3, 0.0), (1.7, -0.8, 0.0), (-0.4, 1.6, 0.0), (-0.6, -0.6, 1.2)),
            delta=((0.0, 0.0, 0.0), (0.4, 0.0, -0.2), (0.0, 0.4, 0.0), (0.2, 0.2, -0.3), (-0.2, 0.0, 0.4)),
            sigma=(0.8, 0.8, 0.7),
            grid_shares=(0.60, 0.25, 0.15),
        ),
        decisions=replace(
            HUMAN_POPULATION.decisions,
            abort_0=-3.0,
            abort_both=1.5,
            attack_0=-0.85,
            attack_pre=1.6,
        ),
    ),
    "finetuned_balanced": Population(
        beliefs=replace(
            HUMAN_POPULATION.beliefs,
            mu=((0.3, -0.1, 0.0), (1.0, -0.6, 0.0), (-0.8, 1.1, 0.0), (-0.4, -0.6, 0.7)),
            delta=((0.0, 0.0, 0.0), (0.2, 0.0, -0.1), (0.0, 0.2, 0.0), (0.1, 0.1, -0.2), (-0.2, 0.0, 0.1)),
            sigma=(1.3, 1.3, 1.2),
            grid_shares=(0.50, 0.30, 0.20),
        ),
        decisions=replace(
            HUMAN_POPULATION.decisions,
            abort_0=-3.5,
            abort_both=3.2,
            abort_v2=0.6,
            attack_0=-0.1,
            attack_ev=5.3,
            attack_pre=0.2,
        ),
    ),
}


# ---------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------


def _labels(names: tuple[str, ...], codes: np.ndarray) -> np.ndarray:
    return cast("np.ndarray", np.asarray(names, dtype=object)[codes])


def _demographics(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ethnicity codes, ages and sex codes of ``n`` Prolific-like US participants."""
    ethnicity = rng.choice(len(ETHNICITIES), size=n, p=np.asarray(ETHNICITY_SHARES))
    # Right-skewed adult ages: 18 + Gamma(shape 1.6, scale 12) years, capped at 80.
    age = np.minimum(18 + np.floor(rng.gamma(1.6, 12.0, size=n)), 80).astype(np.int64)
    sex = (rng.random(n) < 0.5).astype(np.int64)  # 0 Female, 1 Male
    return ethnicity, age, sex


def _cells(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Balanced 2 x 4 assignment: cell counts differ by at most one."""
    cell = rng.permutation(np.arange(n) % 8)
    return cell // 4, cell % 4  # valuation code, disclosure code


def _round_to_grid(p: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Round rows of probabilities to integer percents on a per-row grid, summing to 100.

    Largest-remainder rounding: each row gets ``100 / grid`` units; floors first, then one
    extra unit to the components with the largest remainders.
    """
    units = (100 // grid)[:, None]
    x = p * units
    base = np.floor(x).astype(np.int64)
    missing = units[:, 0] - base.sum(axis=1)
    # rank 0 = largest remainder; the stable sort breaks ties in column order (t1, t2, both)
    rank = np.argsort(np.argsort(-(x - base), axis=1, kind="stable"), axis=1, kind="stable")
    base += rank < missing[:, None]
    return cast("np.ndarray", base * grid[:, None])


def _beliefs(
    rng: np.random.Generator,
    params: BeliefParams,
    valuation: np.ndarray,
    disclosure: np.ndarray,
    ethnicity: np.ndarray,
) -> np.ndarray:
    """An (n, 3) integer array of beliefs (t1, t2, both) in percent, rows summing to 100."""
    n = len(valuation)
    eta = (
        np.asarray(params.mu)[disclosure]
        + np.asarray(params.nu)[valuation]
        + np.asarray(params.delta)[ethnicity]
        + rng.standard_normal((n, 3)) * np.asarray(params.sigma)
    )
    p = np.exp(eta - eta.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    grid = np.asarray((10, 5, 1))[rng.choice(3, size=n, p=np.asarray(params.grid_shares))]
    return _round_to_grid(p, grid)


def ev_difference(belief_t1: np.ndarray, belief_t2: np.ndarray, belief_both: np.ndarray) -> np.ndarray:
    """Normative ``ev_diff = EV1 - EV2 = 0.05 + 0.40 (s2 - s1)`` (docs/metrics.md).

    ``s1 = (belief_t1 + belief_both) / 100``, ``s2 = (belief_t2 + belief_both) / 100``.
    """
    s1 = (belief_t1 + belief_both) / 100.0
    s2 = (belief_t2 + belief_both) / 100.0
    return cast("np.ndarray", 0.05 + 0.40 * (s2 - s1))


def _logistic(x: np.ndarray) -> np.ndarray:
    return cast("np.ndarray", 1.0 / (1.0 + np.exp(-x)))


def _respond(
    rng: np.random.Generator,
    population: Population,
    valuation: np.ndarray,
    disclosure: np.ndarray,
    ethnicity: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pre-choice codes, beliefs (n, 3) and decision codes of one population's members."""
    d = population.decisions
    n = len(valuation)
    pre = np.where(rng.random(n) < np.asarray(d.pre_t1)[valuation], 0, 1)  # 0 target_1
    beliefs = _beliefs(rng, population.beliefs, valuation, disclosure, ethnicity)
    v2 = valuation.astype(float)
    pre_t1 = (pre == 0).astype(float)
    p_abort = _logistic(d.abort_0 + d.abort_both * beliefs[:, 2] / 100.0 + d.abort_v2 * v2)
    ev_diff = ev_difference(beliefs[:, 0], beliefs[:, 1], beliefs[:, 2])
    p_t1 = _logistic(d.attack_0 + d.attack_ev * ev_diff + d.attack_pre * pre_t1 + d.attack_v2 * v2)
    u_abort, u_target = rng.random(n), rng.random(n)
    decision = np.where(u_abort < p_abort, 2, np.where(u_target < p_t1, 0, 1))
    return pre, beliefs, decision


def _frame(
    ethnicity: np.ndarray,
    age: np.ndarray,
    sex: np.ndarray,
    valuation: np.ndarray,
    disclosure: np.ndarray,
    pre: np.ndarray,
    beliefs: np.ndarray,
    decision: np.ndarray,
) -> pd.DataFrame:
    n = len(ethnicity)
    return pd.DataFrame(  # type: ignore[no-any-return]
        {
            "participant_id": np.arange(1, n + 1, dtype=np.int64),
            "ethnicity": _labels(ETHNICITIES, ethnicity),
            "age": age,
            "sex": sex,
            "valuation": _labels(VALUATIONS, valuation),
            "disclosure": _labels(DISCLOSURES, disclosure),
            "pre_choice": _labels(PRE_CHOICES, pre),
            "belief_t1": beliefs[:, 0].astype(np.int64),
            "belief_t2": beliefs[:, 1].astype(np.int64),
            "belief_both": beliefs[:, 2].astype(np.int64),
            "decision": _labels(DECISIONS, decision),
        },
        columns=list(COLUMNS),
    )


def _codes(values: pd.Series, names: tuple[str, ...], column: str) -> np.ndarray:
    lookup = {name: code for code, name in enumerate(names)}
    mapped = values.map(lookup)
    if mapped.isna().any():
        bad = values[mapped.isna()].iloc[0]
        raise UsageError(f"human frame, column '{column}': unknown value {bad!r}; {did_you_mean(str(bad), names)}")
    return mapped.to_numpy(dtype=np.int64)


# ---------------------------------------------------------------------------------------
# The unfinetuned model: stereotyped answers
# ---------------------------------------------------------------------------------------

# Stereotyped belief triples (t1, t2, both) of the unfinetuned model, by cell (V1A1 ...
# V2A4) and variant. Ethnicity picks the variant (identity flattening: every persona of
# one ethnicity in one cell gives the same answer).
_UNFINETUNED_TRIPLES: tuple[tuple[tuple[int, int, int], ...], ...] = (
    ((50, 20, 30), (60, 20, 20), (40, 30, 30)),  # V1A1
    ((70, 10, 20), (80, 10, 10)),  # V1A2
    ((20, 60, 20), (30, 50, 20), (25, 55, 20)),  # V1A3
    ((20, 10, 70), (10, 10, 80)),  # V1A4
    ((35, 35, 30), (45, 25, 30), (40, 40, 20)),  # V2A1
    ((65, 15, 20), (75, 5, 20)),  # V2A2
    ((10, 70, 20), (15, 65, 20), (10, 80, 10)),  # V2A3
    ((15, 15, 70), (20, 20, 60)),  # V2A4
)
# Variant by ethnicity (White, Black, Asian, Mixed, Other); wraps around short lists.
_UNFINETUNED_VARIANT: tuple[int, ...] = (0, 1, 0, 2, 1)
# (cell, ethnicity) -> triple, an (8, 5, 3) lookup table built once from the two above.
_UNFINETUNED_TABLE: np.ndarray = np.array(
    [[variants[v % len(variants)] for v in _UNFINETUNED_VARIANT] for variants in _UNFINETUNED_TRIPLES],
    dtype=np.int64,
)
_UNFINETUNED_PRE_T1 = 0.75  # it mostly picks the cheaper beach before the announcement
_UNFINETUNED_DEVIATE_AGREE = 0.03  # P(attack the other target) when pre-choice = believed target
_UNFINETUNED_DEVIATE_DISAGREE = 0.08  # ... when the pre-choice was the other target


def _unfinetuned(
    rng: np.random.Generator, valuation: np.ndarray, disclosure: np.ndarray, ethnicity: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pre-choice codes, beliefs (n, 3) and decision codes of the unfinetuned model."""
    n = len(valuation)
    beliefs = _UNFINETUNED_TABLE[valuation * 4 + disclosure, ethnicity]
    pre = np.where(rng.random(n) < _UNFINETUNED_PRE_T1, 0, 1)
    # It attacks the target it believes most likely secured (a ~100% value-action gap);
    # on a tie it follows its pre-announcement choice.
    b1, b2 = beliefs[:, 0], beliefs[:, 1]
    believed = np.where(b1 > b2, 0, np.where(b2 > b1, 1, pre))
    # The rare deviations keep models m3-m6 estimable (no separation).
    p_deviate = np.where(believed == pre, _UNFINETUNED_DEVIATE_AGREE, _UNFINETUNED_DEVIATE_DISAGREE)
    decision = np.where(rng.random(n) < p_deviate, 1 - believed, believed)
    return pre, beliefs, decision


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------


def generate_human(n: int = 929, seed: int = DEMO_SEED) -> pd.DataFrame:
    """Draw ``n`` synthetic participants of the reference experiment.

    Every call with a different seed is an independent sample from the same fixed
    population (:data:`HUMAN_POPULATION`); see docs/demo-data.md for the process.

    >>> frame = generate_human(100, seed=1)
    >>> bool((frame[["belief_t1", "belief_t2", "belief_both"]].sum(axis=1) == 100).all())
    True
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise UsageError(f"generate_human: n must be a positive integer, got {n!r}")
    rng = np.random.default_rng(seed)
    ethnicity, age, sex = _demographics(rng, int(n))
    valuation, disclosure = _cells(rng, int(n))
    pre, beliefs, decision = _respond(rng, HUMAN_POPULATION, valuation, disclosure, ethnicity)
    return _frame(ethnicity, age, _labels(SEXES, sex), valuation, disclosure, pre, beliefs, decision)


def generate_simulated(kind: str, human: pd.DataFrame, seed: int = DEMO_SEED) -> pd.DataFrame:
    """Imitate one of the paper's simulated runs on the personas of ``human``.

    Ethnicity, age, sex, valuation and disclosure are copied row by row from ``human``;
    the pre-announcement choice, beliefs and decision are generated by the kind's
    process with its own random stream (``default_rng((seed, stream))``).

    - ``unfinetuned``: stereotyped beliefs by cell and ethnicity, never aborts, attacks
      the target it believes most likely secured.
    - ``finetuned_random`` / ``finetuned_balanced``: the human process with perturbed
      parameters (:data:`FINETUNED_POPULATIONS`).
    """
    if kind not in _STREAM:
        raise UsageError(f"generate_simulated: unknown kind {kind!r}; {did_you_mean(kind, SIM_KINDS)}")
    missing = [c for c in ("ethnicity", "age", "sex", "valuation", "disclosure") if c not in human.columns]
    if missing:
        raise UsageError(f"generate_simulated: the human frame has no column '{missing[0]}'")
    ethnicity = _codes(human["ethnicity"], ETHNICITIES, "ethnicity")
    valuation = _codes(human["valuation"], VALUATIONS, "valuation")
    disclosure = _codes(human["disclosure"], DISCLOSURES, "disclosure")
    # Age and sex only describe the persona; they are copied verbatim (missing values too).
    age, sex = human["age"].to_numpy(), human["sex"].to_numpy()
    rng = np.random.default_rng((seed, _STREAM[kind]))
    if kind == "unfinetuned":
        pre, beliefs, decision = _unfinetuned(rng, valuation, disclosure, ethnicity)
    else:
        pre, beliefs, decision = _respond(rng, FINETUNED_POPULATIONS[kind], valuation, disclosure, ethnicity)
    return _frame(ethnicity, age, sex, valuation, disclosure, pre, beliefs, decision)


def _header(function: str, seed: int) -> str:
    return (
        f"# SYNTHETIC demo data made by simval's seeded generator "
        f"(validator.demo.generate.{function}, seed={seed}, simval {__version__}).\n"
        "# NOT the Hunt et al. (2025) data: a documented stand-in with the same columns "
        "and design; see docs/demo-data.md.\n"
    )


def write_demo(directory: str | Path, *, seed: int = DEMO_SEED) -> dict[str, Path]:
    """Write the human and the three simulated demo CSV files into ``directory``.

    Files: ``human_synthetic.csv`` and ``sim_<kind>_synthetic.csv`` for each kind in
    :data:`SIM_KINDS`, each starting with two ``# `` comment lines that say it is
    synthetic. The same seed gives byte-identical files. Returns ``{"human": path,
    "<kind>": path, ...}``.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    human = generate_human(seed=seed)
    frames = {"human": (human, "generate_human")}
    for kind in SIM_KINDS:
        frames[kind] = (generate_simulated(kind, human, seed=seed), f"generate_simulated('{kind}')")
    paths: dict[str, Path] = {}
    for key, (frame, function) in frames.items():
        path = out / FILE_NAMES[key]
        body = frame.to_csv(index=False, lineterminator="\n", float_format="%.6g")
        path.write_text(_header(function, seed) + body, encoding="utf-8", newline="")
        paths[key] = path
    return paths
