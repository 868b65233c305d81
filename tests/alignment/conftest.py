"""Fixtures shared by the alignment tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest


def _mixed(n: int, seed: int) -> pd.DataFrame:
    """One column of every dtype a breakdown can have, with missing values, a NUL and a separator-free text."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "cat": pd.Categorical(rng.choice(["x", "y", "z"], n), categories=["z", "x", "y", "unused"]),
            "num": rng.choice([1.0, 2.0, np.nan, -0.0, 0.0], n),
            "flag": pd.array(rng.choice([True, False, None], n), dtype="boolean"),
            "obj": pd.Series(rng.choice(["a", "b", None, "\x00"], n), dtype=object),
            "string": pd.Series(rng.choice(["p", "q", None], n), dtype="string"),
            "str": pd.Series(rng.choice(["p", "1", None], n), dtype="str"),
        }
    )
    frame.loc[frame.index[::7], "cat"] = np.nan
    return frame


@pytest.fixture()
def mixed_frame() -> Callable[[int, int], pd.DataFrame]:
    """``mixed_frame(n, seed)``: n rows with one column of every dtype a breakdown can have."""
    return _mixed
