"""Shared data for the inference tests: demo humans and simulations with a persona key."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from validator.api import read_dataset
from validator.demo.generate import generate_human, generate_simulated
from validator.io.ingest import Dataset
from validator.spec.load import load_spec
from validator.spec.model import StudySpec


@pytest.fixture(scope="session")
def spec() -> StudySpec:
    return load_spec("hunt2025")


@pytest.fixture(scope="session")
def demo_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """400 labeled humans; simulations of 1600 personas (the first 400 are the humans')."""
    human = generate_human(1600, seed=3)
    sim = generate_simulated("finetuned_random", human, seed=3)
    return human.iloc[:400].reset_index(drop=True), sim


@pytest.fixture(scope="session")
def demo_datasets(spec: StudySpec, demo_frames: tuple[pd.DataFrame, pd.DataFrame]) -> tuple[Dataset, Dataset]:
    human, sim = demo_frames
    return read_dataset(human, spec, label="human"), read_dataset(sim, spec, label="sim")


def shared_covariate_data(family: str, seed: int = 1) -> tuple[np.ndarray, ...]:
    """X, Y, Yhat, X_unlabeled, Yhat_unlabeled with predictions correlated with Y."""
    rng = np.random.default_rng(seed)
    n, big_n = 300, 1500
    x = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    xu = np.column_stack([np.ones(big_n), rng.normal(size=(big_n, 2))])
    beta = np.array([-0.3, 0.8, -0.5])
    if family == "logit":
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        pu = 1.0 / (1.0 + np.exp(-(xu @ beta)))
        y = (rng.random(n) < p).astype(float)
        yhat = np.where(rng.random(n) < 0.7, y, rng.random(n) < p).astype(float)
        yhat_u = (rng.random(big_n) < 0.9 * pu + 0.05).astype(float)
    else:
        y = x @ beta + rng.normal(size=n)
        yhat = 0.8 * y + 0.3 * rng.normal(size=n) + 0.1
        yhat_u = 0.8 * (xu @ beta + rng.normal(size=big_n)) + 0.3 * rng.normal(size=big_n) + 0.1
    return x, y, yhat, xu, yhat_u
