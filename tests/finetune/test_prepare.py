"""``simval finetune prepare``: which rows, how many per cell, the conversations, the manifest."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from validator.errors import UsageError
from validator.finetune.prepare import manifest_path_for, prepare
from validator.simulate.answers import parse_reply
from validator.spec.load import load_spec

SIM = load_spec("hunt2025").simulation
ETHNICITIES = ["White", "Black", "Asian", "Mixed", "Other"]


def human_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines))


def conversations(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_table(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def hand_built(tmp_path: Path) -> Path:
    """Cell V1A1: 8 White, 3 Black, 1 Asian (12 rows); cell V1A2: 4 Other; cell V2A4: 4 White."""
    rows = []
    plan = [("V1", "A1", "White", 8), ("V1", "A1", "Black", 3), ("V1", "A1", "Asian", 1), ("V1", "A2", "Other", 4), ("V2", "A4", "White", 4)]
    for valuation, disclosure, ethnicity, count in plan:
        for _ in range(count):
            i = len(rows) + 1
            rows.append({
                "participant_id": f"h{i}", "ethnicity": ethnicity, "age": 20 + i, "sex": "Female" if i % 2 else "Male",
                "valuation": valuation, "disclosure": disclosure, "pre_choice": "target_1" if i % 3 else "target_2",
                "belief_t1": i, "belief_t2": 50 - i, "belief_both": 50, "decision": ["attack_t1", "attack_t2", "abort"][i % 3],
            })
    return write_table(tmp_path / "human.csv", rows)


def test_balanced_on_a_hand_built_table_takes_turns_over_ethnicity_in_the_first_cell(tmp_path):
    human = hand_built(tmp_path)
    result = prepare(human, tmp_path / "train.jsonl", strategy="balanced", cells=1, fraction=0.5)
    # V1A1 has 12 rows: 6 drawn; White, Black, Asian, White, Black, White (Asian runs out)
    by_id = {r["participant_id"]: r for r in human_rows(human)}
    manifest = json.loads((tmp_path / "train.manifest.json").read_text())
    assert [by_id[f"h{row}"]["ethnicity"] for row in manifest["rows"]] == ["White", "Black", "Asian", "White", "Black", "White"]
    assert manifest["participant_ids"] == [f"h{row}" for row in manifest["rows"]]  # row r holds participant h{r}
    assert manifest["per_cell"] == [{"cell": "V1A1", "available": 12, "drawn": 6}]
    assert manifest["per_group"] == {"White": 3, "Black": 2, "Asian": 1}
    assert result.rows == tuple(manifest["rows"]) and all(1 <= r <= 12 for r in result.rows)


@pytest.mark.parametrize(("cells", "expected"), [(1, [("V1A1", 12, 3)]), (4, [("V1A1", 12, 3), ("V1A2", 4, 1), ("V1A3", 0, 0), ("V1A4", 0, 0)]), (8, None)])
def test_cells_takes_the_first_k_cells_in_declared_order(tmp_path, cells, expected):
    result = prepare(hand_built(tmp_path), tmp_path / "t.jsonl", strategy="random", cells=cells, fraction=0.25, seed=3)
    if expected is None:
        expected = [("V1A1", 12, 3), ("V1A2", 4, 1), ("V1A3", 0, 0), ("V1A4", 0, 0), ("V2A1", 0, 0), ("V2A2", 0, 0), ("V2A3", 0, 0), ("V2A4", 4, 1)]
    assert list(result.per_cell) == expected
    assert len(result.rows) == sum(k for _, _, k in expected)


@pytest.mark.parametrize("strategy", ["random", "balanced"])
def test_paper_settings_on_the_demo_data(demo_paths, tmp_path, strategy):
    result = prepare(demo_paths["human"], tmp_path / "t.jsonl", strategy=strategy, cells=8, fraction=0.25, seed=11)
    human = human_rows(demo_paths["human"])
    sizes = Counter(r["valuation"] + r["disclosure"] for r in human)
    assert [(name, n, k) for name, n, k in result.per_cell] == [(c.name, sizes[c.name], int(sizes[c.name] * 0.25 + 0.5)) for c in SIM.cells]
    drawn = [human[row - 1] for row in result.rows]
    assert all(r["valuation"] + r["disclosure"] == name for r, name in zip(drawn, [n for n, _, k in result.per_cell for _ in range(k)]))
    again = prepare(demo_paths["human"], tmp_path / "t.jsonl", strategy=strategy, seed=11, force=True)
    assert again.rows == result.rows
    other = prepare(demo_paths["human"], tmp_path / "t.jsonl", strategy=strategy, seed=12, force=True)
    assert other.rows != result.rows


def test_conversations_are_the_simulation_prompts_answered_with_the_human_rows(demo_paths, tmp_path):
    out = tmp_path / "t.jsonl"
    result = prepare(demo_paths["human"], out, cells=1, seed=2)
    human = human_rows(demo_paths["human"])
    examples = conversations(out)
    assert len(examples) == len(result.rows) == 29
    for row, example in zip(result.rows, examples):
        person = human[row - 1]
        roles = [m["role"] for m in example["messages"]]
        assert roles == ["system", "user", "assistant", "user", "assistant"]
        system = example["messages"][0]["content"]
        assert f"You are {person['age']} years old, your sex is {person['sex']}" in system
        assert "1,200,000" in system  # cell V1A1
        assert parse_reply(example["messages"][2]["content"], SIM.turns[0].answer) == {"pre_choice": person["pre_choice"]}
        parsed = parse_reply(example["messages"][4]["content"], SIM.turns[1].answer)
        assert parsed["decision"] == person["decision"]
        assert [parsed[c] for c in ("belief_t1", "belief_t2", "belief_both")] == [float(person[c]) for c in ("belief_t1", "belief_t2", "belief_both")]


@pytest.mark.parametrize(
    ("drop", "check"),
    [
        (["demographics"], lambda m: m[0]["content"].startswith("In this game") and "years old" not in m[0]["content"]),
        (["beliefs"], lambda m: len(parse_reply(m[4]["content"], SIM.turns[1].answer[1:])) == 3),
        (["decision"], lambda m: "decision" not in parse_reply(m[4]["content"], [i for i in SIM.turns[1].answer if i.columns != ("decision",)])),
        (["beliefs", "decision"], lambda m: m[4]["content"] == "[], []"),
    ],
)
def test_ablations_leave_out_what_they_name(demo_paths, tmp_path, drop, check):
    out = tmp_path / "t.jsonl"
    prepare(demo_paths["human"], out, cells=1, drop=drop)
    assert all(check(example["messages"]) for example in conversations(out))
    assert json.loads(manifest_path_for(out).read_text())["drop"] == drop


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cells": 9}, "--cells must lie between 1 and 8"),
        ({"cells": 0}, "--cells must lie between 1 and 8"),
        ({"fraction": 0.0}, "--fraction must lie in (0, 1]"),
        ({"fraction": 1.5}, "--fraction must lie in (0, 1]"),
        ({"drop": ["belief"]}, "'belief' is not demographics or a drop group of the spec (did you mean 'beliefs'?)"),
        ({"strategy": "stratified"}, "unknown strategy 'stratified'"),
        ({"strategy": "balanced", "balance_by": "ethnicty"}, "unknown column 'ethnicty' (did you mean 'ethnicity'?)"),
    ],
)
def test_bad_settings_are_usage_errors(demo_paths, tmp_path, options, message):
    with pytest.raises(UsageError) as err:
        prepare(demo_paths["human"], tmp_path / "t.jsonl", **options)
    assert message in str(err.value)


def test_existing_files_are_kept_unless_forced(demo_paths, tmp_path):
    out = tmp_path / "t.jsonl"
    prepare(demo_paths["human"], out, cells=1)
    with pytest.raises(UsageError, match="exists; use --force"):
        prepare(demo_paths["human"], out, cells=1)
    prepare(demo_paths["human"], out, cells=1, force=True)


def test_manifest_records_the_inputs(demo_paths, tmp_path):
    out = tmp_path / "train.jsonl"
    prepare(demo_paths["human"], out, strategy="balanced", cells=4, seed=9)
    manifest = json.loads((tmp_path / "train.manifest.json").read_text())
    assert manifest["simval_manifest"] == 1 and manifest["strategy"] == "balanced" and manifest["seed"] == 9
    assert manifest["cell_names"] == ["V1A1", "V1A2", "V1A3", "V1A4"]
    assert manifest["n_rows"] == len(manifest["rows"]) == sum(c["drawn"] for c in manifest["per_cell"])
    import hashlib

    assert manifest["human_sha256"] == hashlib.sha256(Path(demo_paths["human"]).read_bytes()).hexdigest()
    assert manifest["training_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert list(manifest["per_group"]) == [e for e in ETHNICITIES if e in manifest["per_group"]]
