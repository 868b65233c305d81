"""The methods section describes the spec the check ran with, and quotes no particular study."""

from __future__ import annotations

import pytest

from tests.conftest import GSS2024_DATA, REPO
from validator.report.methods import methods_section
from validator.results import CheckResult

#: Wording of the reference study (Hunt et al. 2025) that another study's report must not carry.
REFERENCE_PROSE = ["Target k", "only at Target", "belief triples", "attack", "reference study", "belief_t1", "the paper"]


@pytest.fixture(scope="module")
def gss_result() -> CheckResult:
    import validator

    return validator.check(
        GSS2024_DATA / "gss_wide.csv", [GSS2024_DATA / "openai_gpt-4o-mini_wide.csv"], spec=REPO / "examples" / "gss2024" / "gss2024.yaml", bootstrap=0
    )


def test_another_studys_methods_quote_no_reference_prose(gss_result: CheckResult) -> None:
    text = methods_section(gss_result, gss_result.simulations[0], None)
    for phrase in REFERENCE_PROSE:
        assert phrase.lower() not in text.lower(), phrase


def test_another_studys_methods_describe_its_models(gss_result: CheckResult) -> None:
    text = methods_section(gss_result, gss_result.simulations[0], None)
    n = len(gss_result.human_fits)
    assert f"The spec declares {n} models" in text
    for fit in gss_result.human_fits:
        assert f"| {fit.model} " in text.replace("\\", "")


def test_reference_methods_are_generated_from_its_sections(demo_result: CheckResult) -> None:
    sim = demo_result.simulations[0]
    text = methods_section(demo_result, sim, None).replace("\\", "")
    assert "The spec declares 6 models (6 logit)" in text
    assert "distinct tuples of `belief_t1`, `belief_t2`, `belief_both`" in text
    assert "targets: `belief_t1` highest, action `decision` = `attack_t1`" in text
    assert "only at Target" not in text and "triples" not in text
