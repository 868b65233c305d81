"""The paper's sampling strategies on hand-built tables: counts, round-robin order, groups that run out."""

from __future__ import annotations

import numpy as np
import pytest

from validator.finetune.sampling import balanced_sample, random_sample, target_count

GROUPS = {"White": [1, 2, 3, 4, 5, 6], "Black": [7, 8], "Asian": [9]}
GROUP_OF = {row: group for group, rows in GROUPS.items() for row in rows}


@pytest.mark.parametrize(
    ("n", "fraction", "expected"),
    [(116, 0.25, 29), (117, 0.25, 29), (118, 0.25, 30), (10, 0.25, 3), (2, 0.25, 1), (1, 0.1, 1), (0, 0.25, 0), (8, 1.0, 8), (6, 0.5, 3)],
)
def test_target_count_rounds_half_up_and_keeps_at_least_one(n, fraction, expected):
    assert target_count(n, fraction) == expected


@pytest.mark.parametrize(
    ("count", "order", "counts"),
    [
        # one row per group in turn; Asian runs out after round 1, Black after round 2
        (7, ["White", "Black", "Asian", "White", "Black", "White", "White"], {"White": 4, "Black": 2, "Asian": 1}),
        (3, ["White", "Black", "Asian"], {"White": 1, "Black": 1, "Asian": 1}),
        (4, ["White", "Black", "Asian", "White"], {"White": 2, "Black": 1, "Asian": 1}),
        (9, ["White", "Black", "Asian", "White", "Black", "White", "White", "White", "White"], {"White": 6, "Black": 2, "Asian": 1}),
        (20, ["White", "Black", "Asian", "White", "Black", "White", "White", "White", "White"], {"White": 6, "Black": 2, "Asian": 1}),
    ],
)
def test_balanced_takes_turns_and_skips_a_group_that_runs_out(count, order, counts):
    picked = balanced_sample(GROUPS, count, np.random.default_rng(0))
    assert [GROUP_OF[row] for row in picked] == order
    assert {g: sum(GROUP_OF[r] == g for r in picked) for g in GROUPS} == counts
    assert len(set(picked)) == len(picked)


def test_balanced_draws_at_random_within_a_group_and_is_seeded():
    draws = {tuple(balanced_sample(GROUPS, 9, np.random.default_rng(seed))) for seed in range(20)}
    assert len(draws) > 1  # the rows within White and Black differ between seeds
    assert balanced_sample(GROUPS, 9, np.random.default_rng(4)) == balanced_sample(GROUPS, 9, np.random.default_rng(4))
    firsts = {balanced_sample(GROUPS, 1, np.random.default_rng(seed))[0] for seed in range(60)}
    assert firsts == set(GROUPS["White"])  # any White row can come first


def test_balanced_with_an_empty_group():
    picked = balanced_sample({"a": [], "b": [1, 2], "c": [3]}, 3, np.random.default_rng(1))
    # b, c, then b again: the empty group and the exhausted one are skipped
    assert picked[1] == 3 and {picked[0], picked[2]} == {1, 2}


def test_random_sample_is_a_seeded_sample_without_replacement():
    rows = list(range(100, 200))
    picked = random_sample(rows, 25, np.random.default_rng(7))
    assert len(picked) == 25 == len(set(picked)) and set(picked) <= set(rows)
    assert picked == random_sample(rows, 25, np.random.default_rng(7))
    assert picked != random_sample(rows, 25, np.random.default_rng(8))
    # every row is equally likely: over many seeds each is drawn about 25% of the time
    hits = np.zeros(100)
    for seed in range(400):
        for row in random_sample(rows, 25, np.random.default_rng(seed)):
            hits[row - 100] += 1
    assert abs(hits.mean() / 400 - 0.25) < 1e-12 and hits.min() > 60 and hits.max() < 145
