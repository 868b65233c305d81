"""The spec's inference section: defaults, and errors that name the key path."""

from __future__ import annotations

import pytest

from validator.errors import SpecError
from validator.inference.section import parse_inference
from validator.spec.model import StudySpec


def test_defaults_rectify_every_logit_and_ols_model(spec: StudySpec) -> None:
    section = parse_inference({"key": "participant_id"}, spec, source="s.yaml")
    assert section.model_ids == ("m1", "m2", "m3", "m4", "m5", "m6")
    assert (section.alpha, section.power_tuning, section.tuning, section.weight) == (0.05, True, "coefficient", None)


def test_a_full_section(spec: StudySpec) -> None:
    raw = {
        "key": "participant_id", "models": ["m2"], "alpha": 0.1, "power_tuning": False, "weight": "age",
        "persona": ["ethnicity"], "agreement": {"variables": ["decision"], "by": ["ethnicity"]},
    }
    section = parse_inference(raw, spec, source="s.yaml")
    assert section.model_ids == ("m2",)
    assert section.level == pytest.approx(0.9)
    assert section.agreement.variables == ("decision",)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"key": "participant_id", "modles": ["m1"]}, r"s\.yaml, at inference\.modles: unknown key 'modles' \(did you mean 'models'"),
        ({"models": ["m1"]}, r"at inference\.key: name the column"),
        ({"key": "participant_id", "models": ["m9"]}, r"at inference\.models\[0\]: unknown variable 'm9'"),
        ({"key": "participant_id", "alpha": 1.5}, r"at inference\.alpha: must lie strictly between 0 and 1"),
        ({"key": "participant_id", "power_tuning": "yes"}, r"at inference\.power_tuning: expected true or false"),
        ({"key": "participant_id", "tuning": "each"}, r"at inference\.tuning: 'each' is not one of model, coefficient"),
        ({"key": "participant_id", "weight": "sex"}, r"at inference\.weight: the weight column 'sex' must be numeric"),
        ({"key": "participant_id", "agreement": {"vars": []}}, r"at inference\.agreement\.vars: unknown key"),
    ],
)
def test_errors_name_the_key_path(spec: StudySpec, raw: dict[str, object], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_inference(raw, spec, source="s.yaml")


def test_the_spec_loader_reads_the_section() -> None:
    from validator.spec.bundled import bundled_spec_path
    from validator.spec.load import parse_spec_text

    text = bundled_spec_path("hunt2025").read_text(encoding="utf-8") + "\ninference:\n  key: participant_id\n  models: [m1]\n"
    spec = parse_spec_text(text, source="x.yaml")
    assert spec.inference is not None and spec.inference.model_ids == ("m1",)
