"""Pairing simulated rows with human rows: every exclusion is counted."""

from __future__ import annotations

import pandas as pd
import pytest

from validator.api import read_dataset
from validator.errors import InputError
from validator.inference.pairing import pair_datasets
from validator.spec.model import StudySpec


def _datasets(spec: StudySpec, demo_frames: tuple[pd.DataFrame, pd.DataFrame], human_ids: list[object], sim_ids: list[object]):  # type: ignore[no-untyped-def]
    human, sim = demo_frames
    h = human.iloc[: len(human_ids)].copy()
    s = sim.iloc[: len(sim_ids)].copy()
    h["participant_id"], s["participant_id"] = human_ids, sim_ids
    return read_dataset(h, spec, label="h.csv"), read_dataset(s, spec, label="s.csv")


@pytest.mark.parametrize(
    ("human_ids", "sim_ids", "expected"),
    [
        ([1, 2, 3], [1, 2, 3], {"pairs": 3, "unlabeled_units": 0}),
        ([1, 2, 3], [1, 2, 4, 5], {"pairs": 2, "unlabeled_units": 2, "sim_unmatched": 2, "human_unmatched": 1}),
        ([1, 1, 2], [1, 2, 3], {"pairs": 1, "duplicated_human_key": 2, "unlabeled_units": 1}),
        ([1, 2, 3], [1, 1, 2, 3], {"pairs": 3, "sim_duplicated": 1}),
        ([1, None, 3], [1, 2, None], {"pairs": 1, "missing_key_human": 1, "missing_key_sim": 1, "unlabeled_units": 1}),
        (["7", "8"], ["7.0", 8], {"pairs": 2}),
    ],
)
def test_counts(spec: StudySpec, demo_frames, human_ids, sim_ids, expected) -> None:  # type: ignore[no-untyped-def]
    human, sim = _datasets(spec, demo_frames, human_ids, sim_ids)
    counts = pair_datasets(human, sim, "participant_id").counts.to_dict()
    for name, value in expected.items():
        assert counts[name] == value, name


def test_conflicting_persona_is_counted_and_left_out(spec: StudySpec, demo_frames) -> None:  # type: ignore[no-untyped-def]
    human, sim = _datasets(spec, demo_frames, [1, 2, 3], [1, 2, 3])
    frame = sim.frame.copy()
    frame.loc[frame.index[0], "ethnicity"] = "Other" if frame["ethnicity"].iloc[0] != "Other" else "White"
    sim = read_dataset(frame.reset_index(drop=True)[list(demo_frames[1].columns)], spec, label="s.csv")
    pairing = pair_datasets(human, sim, "participant_id", persona=("ethnicity",))
    assert pairing.counts.conflicting == 1
    assert pairing.n == 2


def test_pilot_keys_make_the_other_personas_unlabeled(spec: StudySpec, demo_frames) -> None:  # type: ignore[no-untyped-def]
    human, sim = _datasets(spec, demo_frames, [1, 2, 3, 4], [1, 2, 3, 4])
    pairing = pair_datasets(human, sim, "participant_id", labeled=frozenset({"1", "2"}))
    assert (pairing.n, pairing.n_unlabeled, pairing.counts.held_out, pairing.counts.human_unmatched) == (2, 2, 2, 0)


def test_missing_key_column_names_file_and_column(spec: StudySpec, demo_datasets) -> None:  # type: ignore[no-untyped-def]
    human, sim = demo_datasets
    with pytest.raises(InputError, match=r"^human, column 'persona': the key column 'persona' .* is missing"):
        pair_datasets(human, sim, "persona")
    assert InputError.exit_code == 2
