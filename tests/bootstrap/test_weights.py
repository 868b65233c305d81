"""Bootstrap weights: rows or whole clusters drawn with replacement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from validator.bootstrap.weights import (
    MIN_CLUSTERS,
    bootstrap_weights,
    cluster_codes,
    cluster_weights,
)


def test_row_weights_are_counts_of_n_draws() -> None:
    weights = np.concatenate(list(bootstrap_weights(50, 30, np.random.default_rng(0))))
    assert weights.shape == (30, 50)
    assert (weights.sum(axis=1) == 50).all()
    assert (weights == np.round(weights)).all()


def test_cluster_weights_give_every_row_of_a_cluster_its_cluster_count() -> None:
    codes = np.array([0, 0, 0, 1, 1, 2, -1, 2, 3, 3])
    weights = np.concatenate(list(cluster_weights(codes, 4, 500, np.random.default_rng(1))))
    assert weights.shape == (500, 10)
    for cluster in range(4):
        rows = weights[:, codes == cluster]
        assert (rows == rows[:, :1]).all()  # whole clusters, never single rows
    assert (weights[:, codes == -1] == 0).all()  # a row without a cluster is never drawn
    counts = np.stack([weights[:, codes == c][:, 0] for c in range(4)], axis=1)
    assert (counts.sum(axis=1) == 4).all()  # four clusters per replicate
    # Uniform draws: each cluster is drawn once per replicate on average.
    assert counts.mean(axis=0) == pytest.approx([1, 1, 1, 1], abs=0.15)


def test_cluster_codes_number_clusters_in_order_of_appearance_and_mark_missing() -> None:
    codes = cluster_codes(pd.Series(["b", "a", None, "b"]))
    assert codes.tolist() == [0, 1, -1, 0]


def test_the_documented_cluster_minimum() -> None:
    assert MIN_CLUSTERS == 20
