"""``simval spec init``: a starter spec a researcher can run, with analysis stubs inferred from the data."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from validator.cli.main import main
from validator.io.readers import read_table
from validator.spec.column_inference import (
    ColumnGuess,
    bins_for,
    guess_column,
    share_group,
)
from validator.spec.load import load_spec
from validator.spec.starter import starter_spec

GSS = Path(__file__).resolve().parents[2] / "examples" / "gss2024" / "data"
GSS_FILES = [GSS / "gss_wide.csv", GSS / "openai_gpt-5_wide.csv", GSS / "meta-llama_llama-3.1-8b-instruct_wide.csv"]


def guess(name: str, values: Sequence[object]) -> ColumnGuess:
    return guess_column(name, [pd.Series([str(v) for v in values], dtype=object)])


def uncommented(text: str) -> str:
    """The starter with every stub section turned on: a stub is '# <section>:' and the '#   ...' lines under it."""
    out, inside = [], False
    for line in text.splitlines():
        if re.fullmatch(r"# [a-z]+:", line):
            inside = True
        elif not line.startswith("#   "):
            inside = False
        out.append(line[2:] if inside else line)
    return "\n".join(out) + "\n"


@pytest.mark.parametrize(
    ("name", "values", "kind"),
    [
        ("persona_id", list(range(1, 930)), "identifier"),  # named like an id: never numeric with range [1, 929]
        ("respondent", ["r1", "r2", "r3"], "identifier"),
        ("code", list(range(100, 150)), "identifier"),  # whole numbers, one per row
        ("valid", [1, 2, 1, 2], "numeric"),  # ends in "id" but is no identifier
        ("rating", [1, 7, 3, 3, 6], "numeric"),
        ("answer", ["agree", "disagree", "agree"], "categorical"),
        ("comment", [f"text {i}" for i in range(40)], "text"),
        ("blank", ["", "NA", None], "empty"),
    ],
)
def test_each_column_gets_a_kind(name: str, values: list[object], kind: str) -> None:
    assert guess(name, values).kind == kind


def test_categories_keep_the_order_first_seen_in_the_data() -> None:
    assert guess("answer", ["neutral", "agree", "disagree", "agree", "10", "2"]).values == ("neutral", "agree", "disagree", "10", "2")


@pytest.mark.parametrize(
    ("values", "bins"),
    [
        ([1, 2, 3, 4, 5, 6, 7], (0.5, 7.5, 7)),  # a Likert 1-7 scale: one bin per point, 6 and 7 apart
        ([0, 10, 5], (-0.5, 10.5, 11)),  # 0-10: 11 points, still a scale
        ([1, 5, 3], (0.5, 5.5, 5)),
        ([0, 1, 1], (-0.5, 1.5, 2)),
        ([0, 20, 7], (0, 20, 10)),  # 21 points: ten equal bins over the observed range
        ([0.5, 2.25, 1.0], (0.5, 2.25, 10)),
    ],
)
def test_integer_scales_of_up_to_11_points_get_one_bin_per_point(values: list[float], bins: tuple[float, float, int]) -> None:
    assert bins_for(guess("item", values)) == bins


def test_a_likert_1_to_7_scale_keeps_6_and_7_in_different_bins() -> None:
    start, stop, count = bins_for(guess("item", [1, 2, 3, 4, 5, 6, 7]))  # type: ignore[misc]
    counts, _ = np.histogram([6, 7], bins=count, range=(start, stop))
    assert counts.tolist() == [0, 0, 0, 0, 0, 1, 1]


@pytest.mark.parametrize(
    ("name", "values", "treatment"),
    [
        ("condition", ["control", "treated", "control"], True),  # named like a treatment
        ("valuation", ["V1", "V2"] * 50, True),  # short codes over equal groups: random assignment
        ("disclosure", ["A1", "A2", "A3", "A4"] * 25 + ["A1"], True),
        ("sex", ["Female", "Male"] * 50, False),  # balanced, but not codes
        ("grade", ["G1"] * 80 + ["G2"] * 20, False),  # codes, but far from equal groups
    ],
)
def test_treatment_columns_are_recognised(name: str, values: list[str], treatment: bool) -> None:
    assert guess(name, values).treatment is treatment


def test_shares_that_sum_to_100_are_found(demo_paths: dict[str, Path]) -> None:
    table = read_table(demo_paths["human"])
    guesses = [guess_column(str(c), [table.frame[c]]) for c in table.frame.columns]
    assert share_group([table.frame], guesses) == ("belief_t1", "belief_t2", "belief_both")


def test_the_demo_starter_declares_the_id_as_text_and_infers_every_stub(demo_paths: dict[str, Path], tmp_path: Path) -> None:
    text = starter_spec([read_table(demo_paths["human"]), read_table(demo_paths["finetuned_random"])], "demo")
    path = tmp_path / "starter.yaml"
    path.write_text(text)
    spec = load_spec(path)
    assert spec.column("participant_id").type == "text"
    assert "first seen in the data" in text
    full = tmp_path / "full.yaml"
    full.write_text(uncommented(text))
    spec = load_spec(full)
    assert [c.expr for c in spec.constraints] == ["abs(belief_t1 + belief_t2 + belief_both - 100) <= 1"]
    assert spec.models[0].formula == "decision_is_abort ~ valuation + disclosure + belief_t1 + belief_t2"
    assert spec.distributions is not None and spec.distributions.mean_over == ("belief_t1", "belief_t2", "belief_both")
    assert spec.distributions.breakdowns[:2] == ("valuation", "disclosure")
    assert [h.columns for h in spec.heterogeneity] == [("belief_t1", "belief_t2", "belief_both")]
    assert [(t.belief, t.action) for t in spec.coherence[0].targets] == [("belief_t1", "attack_t1"), ("belief_t2", "attack_t2")]


def test_columns_a_simulated_file_lacks_are_not_required(tmp_path: Path) -> None:
    path = tmp_path / "gss.yaml"
    path.write_text(starter_spec([read_table(p) for p in GSS_FILES], "gss"))
    spec = load_spec(path)
    assert spec.column("persona_id").type == "text"
    assert spec.column("abany").required is False  # a human-only item
    assert spec.column("cappun").required is True


@pytest.mark.parametrize("stubs", [False, True], ids=["as written", "stubs uncommented"])
def test_simval_check_runs_with_the_starter_on_the_demo_files(
    stubs: bool, demo_paths: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    human, sim = str(demo_paths["human"]), str(demo_paths["unfinetuned"])
    spec = tmp_path / "starter.yaml"
    assert main(["spec", "init", human, sim, "-o", str(spec)]) == 0
    if stubs:
        spec.write_text(uncommented(spec.read_text()))
    assert main(["check", human, sim, "--spec", str(spec), "--bootstrap", "0" if stubs else "50", "-v"]) == 0
    out = capsys.readouterr().out
    if stubs:
        assert "Distributional alignment" in out and "answer_patterns" in out


@pytest.mark.parametrize("stubs", [False, True], ids=["as written", "stubs uncommented"])
def test_simval_check_runs_with_the_starter_on_the_gss_files(stubs: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(p) for p in GSS_FILES]
    spec = tmp_path / "starter.yaml"
    assert main(["spec", "init", *files, "-o", str(spec)]) == 0
    if stubs:
        spec.write_text(uncommented(spec.read_text()))
    assert main(["check", *files, "--spec", str(spec), "--bootstrap", "0"]) == 0
    out = capsys.readouterr().out
    assert "3309 rows read, 3309 used" in out


def test_an_experiment_with_answer_scales_gets_an_item_on_treatment_model_and_item_patterns(tmp_path: Path) -> None:
    likert = Path(__file__).resolve().parents[2] / "examples" / "likert"
    tables = [read_table(likert / "human_likert_synthetic.csv"), read_table(likert / "sim_likert_synthetic.csv")]
    path = tmp_path / "likert.yaml"
    path.write_text(uncommented(starter_spec(tables, "likert")))
    spec = load_spec(path)
    assert spec.column("respondent_id").type == "text"
    assert [(m.family, m.formula) for m in spec.models] == [("ols", "q1 ~ condition")]
    assert [h.columns for h in spec.heterogeneity] == [("q1", "q2", "q3", "q4")]
    assert spec.distributions is not None
    q1 = next(v for v in spec.distributions.variables if v.name == "q1")
    assert q1.bins is not None and (q1.bins.start, q1.bins.stop, q1.bins.count) == (0.5, 7.5, 7)
