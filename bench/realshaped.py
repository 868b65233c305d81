"""A synthetic study shaped like a real political-science survey, for benchmarks.

The shape follows the study that took 29 minutes before every covariance type
was batched: 2,600 respondents in 50 states, seven models (five logits, one of
them with standard errors clustered by state, a probit and an OLS with HC1;
57 coefficients with intercepts), a human file and two simulated files. The
spec is ``bench/specs/realshaped.yaml``.

Data-generating process (all draws from one seeded generator): ``state``
uniform over 50 states, each with a normal random intercept (sd 0.5) on the
vote, so clustering by state matters; ``region`` from the state; ``partyid``
0-6 and ``ideology`` 1-7 correlated through a latent left-right score;
``age`` 18-90, ``educ`` 8-20 years, ``income`` 1-12, ``attend`` 0-8,
``female`` and ``white`` booleans; each outcome from a logit, probit or
linear index of them (:data:`EFFECTS`). A simulated file is the same process
with every effect scaled by ``1 + shift`` and its own seed.

Usage:  python bench/realshaped.py DIR [--rows N] [--seed S]
writes DIR/human.csv, DIR/sim1.csv and DIR/sim2.csv.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

ROWS = 2600
SEED = 2026
STATES = 50
REGIONS = ("Northeast", "Midwest", "South", "West")
SPEC = Path(__file__).resolve().parent / "specs" / "realshaped.yaml"

#: Linear-index effects per outcome (standardised predictors; see _predictors).
EFFECTS: dict[str, dict[str, float]] = {
    "voted": {"const": 0.8, "age": 0.5, "educ": 0.4, "income": 0.2, "female": 0.1, "white": 0.2, "attend": 0.2},
    "vote_rep": {"const": 0.0, "partyid": 1.6, "ideology": 0.7, "age": 0.1, "educ": -0.2, "income": 0.1, "white": 0.5},
    "approve": {"const": -0.2, "partyid": 0.9, "ideology": 0.3, "educ": -0.1, "female": -0.1},
    "favor_tariff": {"const": -0.1, "partyid": 0.6, "ideology": 0.2, "income": -0.2, "educ": -0.3, "white": 0.2},
    "gun_owner": {"const": -0.4, "age": 0.1, "female": -0.4, "white": 0.3, "income": 0.1},
    "trust": {"const": 3.0, "partyid": -0.2, "ideology": -0.1, "age": 0.1, "educ": 0.2, "income": 0.1, "attend": 0.1},
    "follows_news": {"const": 0.3, "age": 0.6, "educ": 0.5, "income": 0.1, "ideology": 0.1, "partyid": 0.05},
}


def _predictors(rng: np.random.Generator, n: int) -> pd.DataFrame:
    state = rng.integers(0, STATES, size=n)
    lean = rng.normal(size=n)
    frame: pd.DataFrame = pd.DataFrame(
        {
            "respondent_id": [f"r{i:05d}" for i in range(n)],
            "state": [f"S{s:02d}" for s in state],
            "region": [REGIONS[s % len(REGIONS)] for s in state],
            "partyid": np.clip(np.round(3 + 1.8 * lean + rng.normal(scale=0.8, size=n)), 0, 6).astype(int),
            "ideology": np.clip(np.round(4 + 1.2 * lean + rng.normal(scale=0.9, size=n)), 1, 7).astype(int),
            "age": rng.integers(18, 91, size=n),
            "educ": np.clip(np.round(rng.normal(14, 2.5, size=n)), 8, 20).astype(int),
            "income": rng.integers(1, 13, size=n),
            "attend": rng.integers(0, 9, size=n),
            "female": rng.random(n) < 0.52,
            "white": rng.random(n) < 0.68,
        }
    )
    return frame


def _standardised(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    out = {"const": np.ones(len(frame))}
    for name in ("partyid", "ideology", "age", "educ", "income", "attend"):
        values = frame[name].to_numpy(dtype=float)
        out[name] = (values - values.mean()) / values.std()
    out["female"] = frame["female"].to_numpy(dtype=float)
    out["white"] = frame["white"].to_numpy(dtype=float)
    return out


def generate(n: int = ROWS, seed: int = SEED, shift: float = 0.0) -> pd.DataFrame:
    """One file of ``n`` respondents; ``shift`` scales every effect by ``1 + shift`` (0 for the human file).

    >>> frame = generate(200, seed=1)
    >>> frame.shape, frame["state"].nunique() <= 50
    ((200, 18), True)
    """
    rng = np.random.default_rng(seed)
    frame = _predictors(rng, n)
    z = _standardised(frame)
    state_effect = rng.normal(scale=0.5, size=STATES)[frame["state"].str[1:].astype(int).to_numpy()]

    def index(outcome: str) -> np.ndarray:
        total = np.zeros(n)
        for name, b in EFFECTS[outcome].items():
            total += (1.0 + shift) * b * z[name]
        return total

    def logit(eta: np.ndarray) -> np.ndarray:
        drawn: np.ndarray = rng.random(n) < 1.0 / (1.0 + np.exp(-eta))
        return drawn

    frame["voted"] = logit(index("voted"))
    frame["vote_rep"] = logit(index("vote_rep") + state_effect)
    frame["approve"] = logit(index("approve"))
    frame["favor_tariff"] = logit(index("favor_tariff"))
    frame["gun_owner"] = rng.normal(size=n) < index("gun_owner")  # probit
    frame["trust"] = np.round(np.clip(index("trust") + rng.normal(scale=0.9, size=n), 1, 5), 1)
    frame["follows_news"] = logit(index("follows_news"))
    return frame


def write_study(directory: str | Path, *, n: int = ROWS, seed: int = SEED) -> dict[str, Path]:
    """Write ``human.csv``, ``sim1.csv`` and ``sim2.csv`` into ``directory``; returns their paths."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    files = {"human": generate(n, seed), "sim1": generate(n, seed + 1, shift=0.3), "sim2": generate(n, seed + 2, shift=-0.4)}
    paths = {}
    for name, frame in files.items():
        paths[name] = out / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory")
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    for name, path in write_study(args.directory, n=args.rows, seed=args.seed).items():
        print(f"{name:6} {path}")


if __name__ == "__main__":
    main()
