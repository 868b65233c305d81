"""The Likert example (examples/likert/): its data is what its generator writes, and its spec bins per scale point."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import validator

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "likert"


def test_the_generator_writes_the_shipped_files_byte_for_byte(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("likert_make_data", EXAMPLE / "make_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for path in module.write(tmp_path):
        assert path.read_bytes() == (EXAMPLE / path.name).read_bytes()


def test_each_point_of_the_1_to_7_scale_is_its_own_category() -> None:
    result = validator.check(
        EXAMPLE / "human_likert_synthetic.csv", EXAMPLE / "sim_likert_synthetic.csv", spec=EXAMPLE / "likert.yaml", bootstrap=0
    )
    document = result.to_dict()["simulations"][0]
    assert len(document["distribution"]["q1"]["labels"]) == 7
    assert result.simulations[0].recovery.summary.n_coefficients == 20
    patterns = document["heterogeneity"]["answer_patterns"]
    assert (patterns["human"]["unique"], patterns["sim"]["unique"]) == (273, 110)
