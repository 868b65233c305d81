"""Belief-action coherence: the value-action gap.

Definition (docs/metrics.md, "Belief-action coherence (value-action gap)"): among
respondents whose highest belief is "security only at Target k" (ties
excluded), the share who nevertheless attack Target k:
``P(attack T1 | T1 highest)``, ``P(attack T2 | T2 highest)``, and their
average weighted by the two group sizes (the pooled share), each with its n.
Reference: humans 24.7% (Wang et al., 2025, arXiv 2511.21218).

The rule is generic. A spec declares an action column, the belief columns
compared for "highest", and targets: for each listed belief the action value it
maps to. For target k, the group is the rows whose belief k is *strictly*
greater than every other compared belief; a row whose maximum is shared by two
or more beliefs is a tie and belongs to no group. Rows with a missing compared
belief or a missing action are left out before anything else. Action values
compare as strings (``str(value)``), so a Categorical action column works; a
float action column holding only whole numbers compares as integers (``1``,
not ``1.0``).

:func:`target_indicators` returns the per-row group and hit masks so that
bootstrap replicates can be computed in a batch by :func:`gap_batched` from a
``(B, n)`` matrix of row weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from validator.errors import InputError


@dataclass(frozen=True)
class GapTarget:
    """One target: ``count`` of the ``n`` rows whose ``belief`` is strictly highest took ``action``.

    ``share = count / n``, None when the group is empty.
    """

    belief: str
    action: str
    n: int
    count: int
    share: float | None


@dataclass(frozen=True)
class GapResult:
    """The per-target shares and the pooled value-action gap.

    ``n`` and ``count`` are summed over the targets and ``gap = count / n``
    (the average of the target shares weighted by their group sizes), None when
    no row is in any group. ``n_ties`` counts the complete rows whose highest
    compared belief is shared; ``n_excluded_missing`` the rows left out for a
    missing belief or action.
    """

    targets: tuple[GapTarget, ...]
    n: int
    count: int
    gap: float | None
    n_ties: int
    n_excluded_missing: int


@dataclass(frozen=True)
class _Table:
    highest: np.ndarray  # (T, n) bool
    hits: np.ndarray  # (T, n) bool
    n_ties: int
    n_missing: int


def _check_arguments(
    frame: pd.DataFrame, action: str, beliefs: Sequence[str], targets: Sequence[tuple[str, str]]
) -> None:
    if len(beliefs) < 2:
        raise ValueError("the value-action gap compares at least two belief columns")
    if len(set(beliefs)) != len(beliefs):
        raise ValueError(f"the compared belief columns repeat a name: {list(beliefs)}")
    if not targets:
        raise ValueError("the value-action gap needs at least one target")
    target_beliefs = [belief for belief, _ in targets]
    unknown = [b for b in target_beliefs if b not in beliefs]
    if unknown:
        raise ValueError(f"target belief '{unknown[0]}' is not among the compared beliefs {list(beliefs)}")
    # Groups of distinct beliefs are disjoint, which is what makes the pooled share a share.
    if len(set(target_beliefs)) != len(target_beliefs):
        raise ValueError(f"a belief is listed as a target more than once: {target_beliefs}")
    for column in (action, *beliefs):
        if column not in frame.columns:
            raise InputError("the column is not in the data", column=str(column))


def _table(
    frame: pd.DataFrame, action: str, beliefs: Sequence[str], targets: Sequence[tuple[str, str]]
) -> _Table:
    _check_arguments(frame, action, beliefs, targets)
    beliefs = list(beliefs)
    for column in beliefs:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            raise InputError("a compared belief column must be numeric", column=str(column))
    values = frame[beliefs].to_numpy(dtype=np.float64, na_value=np.nan)
    acted = frame[action]
    complete = ~np.isnan(values).any(axis=1) & acted.notna().to_numpy()

    # Incomplete rows get -inf everywhere so that the row-wise max needs no NaN handling.
    values = np.where(complete[:, None], values, -np.inf)
    top = values.max(axis=1)
    n_at_top = (values == top[:, None]).sum(axis=1)
    strict = complete & (n_at_top == 1)

    # str() of every value: the action column may be a Categorical or hold numbers.
    # A float column of whole numbers (integer codes with a missing value, read
    # from CSV) compares as integers, so that code 1 matches "1", not "1.0".
    if pd.api.types.is_float_dtype(acted):
        present = acted.dropna()
        if bool((np.isfinite(present) & (present == np.floor(present))).all()):
            acted = acted.astype("Int64")
    action_text = acted.astype(object).map(str).to_numpy()
    highest = np.empty((len(targets), len(frame)), dtype=bool)
    hits = np.empty_like(highest)
    for k, (belief, mapped) in enumerate(targets):
        highest[k] = strict & (values[:, beliefs.index(belief)] == top)
        hits[k] = highest[k] & (action_text == str(mapped))
    return _Table(
        highest=highest,
        hits=hits,
        n_ties=int((complete & (n_at_top > 1)).sum()),
        n_missing=int((~complete).sum()),
    )


def target_indicators(
    frame: pd.DataFrame, action: str, beliefs: Sequence[str], targets: Sequence[tuple[str, str]]
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row masks of the value-action gap, one row per target.

    Returns ``highest`` and ``hits``, both ``(T, n)`` boolean: ``highest[k, i]``
    when row ``i`` is complete and its belief ``targets[k][0]`` is strictly
    greater than every other compared belief; ``hits[k, i]`` when moreover its
    action equals ``targets[k][1]`` (as strings). With row weights ``w`` the
    group sizes are ``w @ highest.T`` and the counts ``w @ hits.T``
    (:func:`gap_batched`).
    """
    table = _table(frame, action, beliefs, targets)
    return table.highest, table.hits


def value_action_gap(
    frame: pd.DataFrame, action: str, beliefs: Sequence[str], targets: Sequence[tuple[str, str]]
) -> GapResult:
    """``P(action_k | belief k strictly highest)`` per target and pooled.

    For each target ``(belief_k, action_k)``, ``n_k`` is the number of complete
    rows whose ``belief_k`` is strictly highest among ``beliefs`` and
    ``count_k`` how many of them took ``action_k``; ``share_k = count_k / n_k``.
    The gap is ``sum count_k / sum n_k``, the average of the shares weighted by
    ``n_k``; a target with ``n_k = 0`` has share None and drops out of it.

    >>> df = pd.DataFrame({"b1": [60, 20, 50, 70], "b2": [30, 70, 50, 20],
    ...                    "both": [10, 10, 0, 10],
    ...                    "decision": ["attack_t1", "attack_t1", "abort", "attack_t2"]})
    >>> r = value_action_gap(df, "decision", ["b1", "b2", "both"],
    ...                      [("b1", "attack_t1"), ("b2", "attack_t2")])
    >>> [(t.n, t.count) for t in r.targets], r.gap, r.n_ties
    ([(2, 1), (1, 0)], 0.3333333333333333, 1)
    """
    table = _table(frame, action, beliefs, targets)
    rows: list[GapTarget] = []
    for k, (belief, mapped) in enumerate(targets):
        n_k = int(table.highest[k].sum())
        count_k = int(table.hits[k].sum())
        rows.append(
            GapTarget(
                belief=belief,
                action=str(mapped),
                n=n_k,
                count=count_k,
                share=count_k / n_k if n_k else None,
            )
        )
    n = sum(t.n for t in rows)
    count = sum(t.count for t in rows)
    return GapResult(
        targets=tuple(rows),
        n=n,
        count=count,
        gap=count / n if n else None,
        n_ties=table.n_ties,
        n_excluded_missing=table.n_missing,
    )


def gap_batched(
    highest: np.ndarray, hits: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-target shares and the pooled gap under row weights, batched.

    ``highest`` and ``hits`` are the ``(T, n)`` masks of
    :func:`target_indicators`; ``weights`` is ``(B, n)`` (e.g. multinomial
    bootstrap counts) or ``(n,)``. Returns the ``(B, T)`` shares
    ``(w @ hits.T) / (w @ highest.T)`` and the ``(B,)`` pooled gap
    ``sum_k count_k / sum_k n_k`` (``(T,)`` and a 0-d array for ``(n,)``
    weights); NaN where the denominator is 0.
    """
    highest = np.asarray(highest, dtype=bool)
    hits = np.asarray(hits, dtype=bool)
    if highest.ndim != 2 or highest.shape != hits.shape:
        raise ValueError(
            f"highest and hits must be (T, n) arrays of one shape, got {highest.shape} and {hits.shape}"
        )
    if (hits & ~highest).any():
        raise ValueError("every hit must lie in its target group (hits implies highest)")
    weights = np.asarray(weights, dtype=np.float64)
    single = weights.ndim == 1
    weights = np.atleast_2d(weights)
    if weights.ndim != 2 or weights.shape[1] != highest.shape[1]:
        raise ValueError(
            f"weights must have shape (n,) or (B, n) with n = {highest.shape[1]}, got {weights.shape}"
        )
    group_n = weights @ highest.T.astype(np.float64)
    group_count = weights @ hits.T.astype(np.float64)
    shares = np.full(group_n.shape, np.nan)
    np.divide(group_count, group_n, out=shares, where=group_n > 0)
    total_n = group_n.sum(axis=1)
    pooled = np.full(total_n.shape, np.nan)
    np.divide(group_count.sum(axis=1), total_n, out=pooled, where=total_n > 0)
    if single:
        return shares[0], pooled[0, ...]
    return shares, pooled
