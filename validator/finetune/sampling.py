"""The reference study's two ways of drawing training rows from a treatment cell (docs/metrics.md).

* **random**: a simple random sample, without replacement.
* **balanced**: round-robin over groups (ethnicity in the paper): one random
  row from each group in turn, in the groups' declared order, until the target
  count is reached; a group that runs out is skipped.

Both draw ``target_count(n, fraction)`` rows from a cell of n rows, i.e.
``fraction * n`` rounded half up (**decision**: docs/metrics.md says "25% of each
cell" without a rounding rule), and at least one row of a non-empty cell.
Everything is drawn from the one ``numpy.random.Generator`` passed in, so a
seed fixes the sample.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["target_count", "random_sample", "balanced_sample"]


def target_count(n: int, fraction: float) -> int:
    """Rows to draw from a cell of ``n``: ``floor(fraction * n + 0.5)``, at least 1 when ``n > 0``.

    >>> target_count(116, 0.25), target_count(10, 0.25), target_count(2, 0.1)
    (29, 3, 1)
    """
    if n <= 0:
        return 0
    return min(n, max(1, math.floor(fraction * n + 0.5)))


def random_sample(rows: Sequence[int], count: int, rng: np.random.Generator) -> list[int]:
    """``count`` of ``rows`` drawn at random without replacement, in draw order."""
    if count > len(rows):
        raise ValueError(f"cannot draw {count} rows from {len(rows)}")
    picked = rng.choice(len(rows), size=count, replace=False)
    return [rows[int(i)] for i in picked]


def balanced_sample(groups: Mapping[str, Sequence[int]], count: int, rng: np.random.Generator) -> list[int]:
    """Round-robin over ``groups`` (in their order): one random row of each group in turn until ``count``.

    A group that runs out is skipped; when every group has run out before
    ``count``, all rows are returned. Returns the rows in draw order.
    """
    # Shuffling each group once and taking its rows in that order is the same
    # as drawing one random remaining row of the group at each of its turns.
    queues = [[rows[int(i)] for i in rng.permutation(len(rows))] for rows in groups.values()]
    picked: list[int] = []
    position = [0] * len(queues)
    while len(picked) < count:
        progressed = False
        for g, queue in enumerate(queues):
            if len(picked) == count:
                break
            if position[g] < len(queue):
                picked.append(queue[position[g]])
                position[g] += 1
                progressed = True
        if not progressed:
            break
    return picked
