"""Write the Likert example's SYNTHETIC data: a survey experiment with four 1-7 agreement items.

Run from the repository root: ``python examples/likert/make_data.py``. Seeded, so the files
it writes are the ones shipped beside it, byte for byte.

The human respondents (n = 400) are randomised to a control or a treated message and answer
four items on a 1-7 scale (1 strongly disagree ... 7 strongly agree). Each answer is a latent
attitude (respondent trait + treatment effect 0.5 + noise) cut into seven points. The
simulated respondents (n = 400) behave as language-model personas often do: answers pulled
towards the scale's middle (half the spread), a treatment effect twice the human one, and
no answer of 1 or 7 on item q4.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20251201
N = 400
ITEMS = ("q1", "q2", "q3", "q4")
HERE = Path(__file__).resolve().parent


def respondents(rng: np.random.Generator, n: int) -> pd.DataFrame:
    frame: pd.DataFrame = pd.DataFrame(
        {
            "respondent_id": [f"R{i:04d}" for i in range(1, n + 1)],
            "condition": rng.permutation(np.repeat(["control", "treated"], n // 2)),
            "age": rng.integers(18, 80, n),
            "gender": rng.choice(["woman", "man"], n),
        }
    )
    return frame


def answers(rng: np.random.Generator, frame: pd.DataFrame, *, spread: float, effect: float, clip: dict[str, tuple[int, int]]) -> pd.DataFrame:
    trait = rng.normal(0.0, 1.0, len(frame))
    treated = (frame["condition"] == "treated").to_numpy()
    older = (frame["age"].to_numpy() - 50) / 30
    out: pd.DataFrame = frame.copy()
    for k, item in enumerate(ITEMS):
        latent = 4 + spread * (1.1 * trait + rng.normal(0.0, 1.0, len(frame))) + effect * treated + 0.4 * older - 0.2 * k
        low, high = clip.get(item, (1, 7))
        out[item] = np.clip(np.rint(latent), low, high).astype(int)
    return out


def make() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(SEED)
    human = answers(rng, respondents(rng, N), spread=1.0, effect=0.5, clip={})
    sim = answers(rng, respondents(rng, N), spread=0.5, effect=1.0, clip={"q4": (2, 6)})
    return human, sim


def write(directory: Path = HERE) -> list[Path]:
    """Write the two files into ``directory``; returns their paths."""
    human, sim = make()
    header = "# SYNTHETIC data made by examples/likert/make_data.py (seed {seed}); not real respondents.\n"
    paths = []
    for name, frame in (("human_likert_synthetic.csv", human), ("sim_likert_synthetic.csv", sim)):
        path = directory / name
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(header.format(seed=SEED))
            frame.to_csv(handle, index=False, lineterminator="\n")
        paths.append(path)
    return paths


def main() -> int:
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
