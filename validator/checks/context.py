"""What every check needs besides its data: the seed and the resampling settings."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CheckContext:
    """Seed and resampling settings shared by the checks of one ``simval check`` run.

    ``replicates`` is the number of bootstrap replicates (0 switches intervals and
    noise floors off); ``level`` the interval's coverage; ``equal_n_draws`` the
    number of subsamples for equal-n comparisons.
    """

    seed: int = 0
    replicates: int = 1000
    level: float = 0.95
    equal_n_draws: int = 200

    def rng(self, *keys: str | int) -> np.random.Generator:
        """An independent, reproducible random stream for one named piece of work.

        Streams depend only on the seed and the keys (never on the order in which
        checks run), so results are identical with or without parallelism.
        """
        entropy = [self.seed & 0xFFFFFFFF, *(zlib.crc32(str(key).encode("utf-8")) for key in keys)]
        return np.random.default_rng(entropy)
