"""The value-action gap (docs/metrics.md, "Belief-action coherence (value-action gap)").

Expected shares are hand-worked from the table below, written as fractions;
the batched version is checked against the unbatched one on data expanded
row by row.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from validator.coherence.gap import (
    GapResult,
    GapTarget,
    gap_batched,
    target_indicators,
    value_action_gap,
)
from validator.errors import InputError

BELIEFS = ["belief_t1", "belief_t2", "belief_both"]
TARGETS = [("belief_t1", "attack_t1"), ("belief_t2", "attack_t2")]

# belief_t1, belief_t2, belief_both, decision; the comment says where the row goes.
ROWS = [
    (60, 30, 10, "attack_t1"),  # t1 highest, hit
    (50, 40, 10, "attack_t2"),  # t1 highest
    (70, 20, 10, "attack_t1"),  # t1 highest, hit
    (40, 35, 25, "abort"),  # t1 highest
    (20, 70, 10, "attack_t2"),  # t2 highest, hit
    (10, 80, 10, "attack_t1"),  # t2 highest
    (20, 50, 30, "attack_t1"),  # t2 highest
    (45, 45, 10, "attack_t1"),  # tie at the top (t1 = t2)
    (40, 20, 40, "attack_t1"),  # tie at the top (t1 = both)
    (20, 20, 60, "attack_t1"),  # both highest: no group, no tie
    (30, 30, 40, "abort"),  # both highest; the t1 = t2 tie below the top is no tie
    (np.nan, 50, 50, "attack_t2"),  # missing belief
    (50, 30, 20, None),  # missing action
]
# By hand: t1 group rows 1-4, hits rows 1 and 3 -> 2/4; t2 group rows 5-7, hit row 5 -> 1/3;
# pooled (2 + 1) / (4 + 3) = 3/7; ties 2; missing 2.


def table(decision_dtype: str = "object") -> pd.DataFrame:
    frame = pd.DataFrame(ROWS, columns=[*BELIEFS, "decision"])
    if decision_dtype == "category":
        frame["decision"] = frame["decision"].astype("category")
    elif decision_dtype == "string":
        frame["decision"] = frame["decision"].astype("string")
    return frame


@pytest.mark.parametrize("decision_dtype", ["object", "category", "string"])
def test_hand_worked_table(decision_dtype: str) -> None:
    result = value_action_gap(table(decision_dtype), "decision", BELIEFS, TARGETS)
    assert result == GapResult(
        targets=(
            GapTarget(belief="belief_t1", action="attack_t1", n=4, count=2, share=2 / 4),
            GapTarget(belief="belief_t2", action="attack_t2", n=3, count=1, share=1 / 3),
        ),
        n=7,
        count=3,
        gap=3 / 7,
        n_ties=2,
        n_excluded_missing=2,
    )
    # The pooled share is the average of the target shares weighted by their n.
    assert result.gap == pytest.approx((4 * (2 / 4) + 3 * (1 / 3)) / 7)


def test_indicator_masks_match_the_hand_worked_rows() -> None:
    highest, hits = target_indicators(table(), "decision", BELIEFS, TARGETS)
    assert highest.dtype == bool and highest.shape == hits.shape == (2, len(ROWS))
    assert np.flatnonzero(highest[0]).tolist() == [0, 1, 2, 3]
    assert np.flatnonzero(highest[1]).tolist() == [4, 5, 6]
    assert np.flatnonzero(hits[0]).tolist() == [0, 2]
    assert np.flatnonzero(hits[1]).tolist() == [4]


def test_a_target_without_rows_has_no_share_and_leaves_the_pooled_gap() -> None:
    frame = table().drop(index=[4, 5, 6])  # the t2 group
    result = value_action_gap(frame, "decision", BELIEFS, TARGETS)
    assert result.targets[1] == GapTarget(belief="belief_t2", action="attack_t2", n=0, count=0, share=None)
    assert (result.n, result.count, result.gap) == (4, 2, 2 / 4)


def test_no_row_in_any_group_gives_no_gap() -> None:
    frame = table().iloc[7:]  # ties, belief_both highest and missing values only
    result = value_action_gap(frame, "decision", BELIEFS, TARGETS)
    assert (result.n, result.count, result.gap) == (0, 0, None)
    assert (result.n_ties, result.n_excluded_missing) == (2, 2)


def test_a_third_target_on_the_reference_belief() -> None:
    targets = [*TARGETS, ("belief_both", "abort")]
    result = value_action_gap(table(), "decision", BELIEFS, targets)
    # Rows 10 and 11 have belief_both strictly highest; row 11 aborts.
    assert result.targets[2] == GapTarget(belief="belief_both", action="abort", n=2, count=1, share=1 / 2)
    assert result.gap == pytest.approx(4 / 9)


def test_integer_action_codes_with_a_missing_value_compare_as_integers() -> None:
    frame = table()
    codes = {"attack_t1": 1, "attack_t2": 2, "abort": 0}
    frame["decision"] = frame["decision"].map(codes)  # float64: 1.0, 2.0, 0.0, NaN
    assert frame["decision"].dtype == np.float64
    result = value_action_gap(frame, "decision", BELIEFS, [("belief_t1", "1"), ("belief_t2", 2)])
    assert [(t.n, t.count) for t in result.targets] == [(4, 2), (3, 1)]
    assert result.targets[1].action == "2"


def test_only_two_beliefs_compared() -> None:
    frame = pd.DataFrame(
        {"b1": [60, 40, 50, 70], "b2": [40, 60, 50, 30], "act": ["a1", "a1", "a1", "a2"]}
    )
    result = value_action_gap(frame, "act", ["b1", "b2"], [("b1", "a1"), ("b2", "a2")])
    assert [(t.n, t.count) for t in result.targets] == [(2, 1), (1, 0)]
    assert (result.gap, result.n_ties) == (1 / 3, 1)


# --- batched -------------------------------------------------------------------


def test_batched_with_unit_weights_equals_the_unweighted_gap() -> None:
    frame = table()
    highest, hits = target_indicators(frame, "decision", BELIEFS, TARGETS)
    shares, pooled = gap_batched(highest, hits, np.ones((3, len(frame))))
    assert shares.shape == (3, 2) and pooled.shape == (3,)
    np.testing.assert_allclose(shares, [[2 / 4, 1 / 3]] * 3)
    np.testing.assert_allclose(pooled, [3 / 7] * 3)
    one_shares, one_pooled = gap_batched(highest, hits, np.ones(len(frame)))
    assert one_shares.shape == (2,) and one_pooled.shape == ()
    assert float(one_pooled) == pytest.approx(3 / 7)


def test_batched_with_integer_weights_equals_the_gap_of_the_expanded_frame() -> None:
    frame = table()
    highest, hits = target_indicators(frame, "decision", BELIEFS, TARGETS)
    rng = np.random.default_rng(0)
    weights = rng.integers(0, 4, size=(60, len(frame)))
    weights[0, [0, 1, 2, 3]] = 0  # an empty t1 group
    weights[1, :7] = 0  # both groups empty
    shares, pooled = gap_batched(highest, hits, weights)
    for b, w in enumerate(weights):
        expanded = frame.loc[np.repeat(frame.index, w)]
        expected = value_action_gap(expanded, "decision", BELIEFS, TARGETS)
        for k, target in enumerate(expected.targets):
            if target.share is None:
                assert math.isnan(shares[b, k])
            else:
                assert shares[b, k] == pytest.approx(target.share)
        if expected.gap is None:
            assert math.isnan(pooled[b])
        else:
            assert pooled[b] == pytest.approx(expected.gap)
    assert math.isnan(shares[0, 0]) and not math.isnan(pooled[0])
    assert math.isnan(pooled[1])


def test_batched_rejects_inconsistent_inputs() -> None:
    highest = np.array([[True, False], [False, True]])
    with pytest.raises(ValueError, match="one shape"):
        gap_batched(highest, highest[:1], np.ones((1, 2)))
    with pytest.raises(ValueError, match="hits implies highest"):
        gap_batched(highest, ~highest, np.ones((1, 2)))
    with pytest.raises(ValueError, match="weights must have shape"):
        gap_batched(highest, highest, np.ones((1, 3)))


# --- errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("beliefs", "targets", "message"),
    [
        (["belief_t1"], [("belief_t1", "attack_t1")], "at least two belief columns"),
        (["belief_t1", "belief_t1"], [("belief_t1", "attack_t1")], "repeat a name"),
        (BELIEFS, [], "at least one target"),
        (["belief_t1", "belief_t2"], [("belief_both", "abort")], "target belief 'belief_both'"),
        (BELIEFS, [("belief_t1", "attack_t1"), ("belief_t1", "abort")], "more than once"),
    ],
)
def test_rule_errors(beliefs: list[str], targets: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        value_action_gap(table(), "decision", beliefs, targets)


@pytest.mark.parametrize(
    ("action", "beliefs", "column"),
    [
        ("choice", BELIEFS, "choice"),
        ("decision", ["belief_t1", "belief_x"], "belief_x"),
    ],
)
def test_a_missing_column_is_named(action: str, beliefs: list[str], column: str) -> None:
    targets = [("belief_t1", "attack_t1")]
    with pytest.raises(InputError, match=f"column '{column}'"):
        value_action_gap(table(), action, beliefs, targets)


def test_a_text_belief_column_is_an_input_error() -> None:
    frame = table()
    frame["belief_t2"] = frame["belief_t2"].astype(str)
    with pytest.raises(InputError, match="column 'belief_t2'.*numeric"):
        target_indicators(frame, "decision", BELIEFS, TARGETS)
