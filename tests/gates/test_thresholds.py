"""Suggested gates are calibrated: a fresh human sample passes them, the unfinetuned-like run does not."""

from __future__ import annotations

import pytest

import validator
from validator.api import read_dataset
from validator.demo.generate import generate_human
from validator.gates.thresholds import suggest_gates, suggestion_yaml
from validator.spec.load import load_spec

SPEC = load_spec("hunt2025")


@pytest.fixture(scope="module")
def suggestion(demo_paths):  # type: ignore[no-untyped-def]
    human = read_dataset(demo_paths["human"], SPEC)
    return suggest_gates(SPEC, human, draws=100, seed=1)


def test_suggested_gates_cover_every_construct_and_are_jointly_calibrated(suggestion):
    paths = [g.path for g in suggestion.gates]
    assert "recovery.f1_sign" in paths and "coherence.value_action_gap.difference" in paths
    # Distance gates are on the plug-in distance, the statistic the calibration draws describe.
    assert "distribution.mean_js.overall.plug_in" in paths and "heterogeneity.belief_structures.ratio_at_equal_n" in paths
    assert suggestion.joint_pass >= 0.95
    assert all(g.severity == "error" for g in suggestion.gates)


def test_a_fresh_human_sample_passes_in_at_least_90_of_100_draws_and_the_unfinetuned_run_fails(demo_paths, suggestion):
    fresh = [generate_human(seed=seed) for seed in range(1000, 1100)]
    result = validator.check(demo_paths["human"], fresh, bootstrap=0, gates=list(suggestion.gates))
    passed = sum(sim.passed for sim in result.simulations)
    assert passed >= 90, [g.message for sim in result.simulations if not sim.passed for g in sim.gates if not g.passed][:10]
    demo = validator.check(
        demo_paths["human"], [demo_paths["unfinetuned"], demo_paths["finetuned_random"], demo_paths["finetuned_balanced"]], bootstrap=0, gates=list(suggestion.gates)
    )
    unfinetuned, *finetuned = demo.simulations
    assert not unfinetuned.passed
    for sim in finetuned:
        coherence = [g for g in sim.gates if g.gate.path.startswith("coherence.")]
        assert coherence and all(g.passed for g in coherence), sim.label


def test_the_yaml_is_a_loadable_gates_file(suggestion, tmp_path):
    from validator.gates.load import load_gates_file

    path = tmp_path / "gates.yaml"
    path.write_text(suggestion_yaml(suggestion, "hunt2025", "human.csv"))
    loaded = load_gates_file(path, SPEC)
    assert [(g.path, g.comparison, g.threshold) for g in loaded] == [(g.path, g.comparison, g.threshold) for g in suggestion.gates]


def test_the_header_states_the_joint_pass_rate_it_computed(suggestion):
    text = suggestion_yaml(suggestion, "hunt2025", "human.csv")
    assert f"so that {100 * suggestion.joint_pass:.1f}% of the draws pass all gates together" in text
    assert "97.5%" not in text
    assert "threshold Monte-Carlo spread +- " in text


@pytest.mark.parametrize(
    ("values", "direction", "best", "expected"),
    [
        # 3% of the draws flip a sign: a 0.5% tail must not give `sign_flips <= 0`.
        ([0.0] * 97 + [1.0] * 3, "upper", 0.0, 1.0),
        ([0.0] * 100, "upper", 0.0, 0.0),
        ([1.0] * 95 + [0.9] * 5, "lower", 1.0, 0.9),
    ],
)
def test_a_bounded_gate_is_not_left_at_its_best_value_when_draws_miss_it(values, direction, best, expected):
    import numpy as np

    from validator.gates.thresholds import _bounds

    low, high = _bounds(np.array(values), direction, 0.005 if direction == "upper" else 0.001, best)
    assert (high if direction == "upper" else low) == expected


def test_a_metric_constant_over_every_draw_gets_no_gate():
    # Before: a heterogeneity ratio that is 1 in every draw became `threshold: [1.0, 1.0]`.
    import numpy as np
    import pandas as pd

    from validator.spec.load import parse_spec_text

    spec = parse_spec_text(
        """
name: few
columns:
  a: {type: categorical, values: [x, y]}
  score: {type: numeric, range: [0, 100]}
heterogeneity:
  - {name: pairs, columns: [a]}
""",
        source="few.yaml",
    )
    rng = np.random.default_rng(0)
    human = read_dataset(pd.DataFrame({"a": rng.choice(["x", "y"], 400), "score": rng.integers(0, 100, 400)}), spec, label="h")
    suggestion = suggest_gates(spec, human, draws=20, seed=0, workers=1)
    assert suggestion.gates == ()
    assert "every draw gave 1" in suggestion.skipped["heterogeneity.pairs.ratio_at_equal_n"]
    assert "# not gated: heterogeneity.pairs.ratio_at_equal_n" in suggestion_yaml(suggestion, "few", "h")


def test_draws_in_forked_workers_suggest_the_gates_threads_suggest(tmp_path):
    """Forked workers run only from a single-threaded process (not a pytest-xdist worker): a fresh interpreter."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    human = tmp_path / "human.csv"
    generate_human(300, seed=3).to_csv(human, index=False)
    code = f"""
import json
import validator.gates.thresholds as T
from validator.api import read_dataset
from validator.spec.load import load_spec
forked = []
original = T._forked_draws
T._forked_draws = lambda *a, **k: (forked.append(1), original(*a, **k))[1]
spec = load_spec("hunt2025")
human = read_dataset({str(human)!r}, spec)
two = T.suggestion_yaml(T.suggest_gates(spec, human, draws=24, workers=2), spec.name, "h")
one = T.suggestion_yaml(T.suggest_gates(spec, human, draws=24, workers=1), spec.name, "h")
print(json.dumps({{"forked": len(forked), "same": two == one}}))
"""
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(repo)}, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"forked": 1, "same": True} or (not sys.platform.startswith("linux") and result["same"])
