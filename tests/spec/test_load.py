"""The spec loader: a valid spec becomes frozen records; every mistake names file and key path."""

from __future__ import annotations

import textwrap

import pytest

from validator.errors import SpecError
from validator.spec.load import load_spec, parse_spec_text

MINIMAL = """
simval_spec: 1
name: tiny
columns:
  y: {type: numeric}
  x: {type: numeric, range: [0, 10]}
  group: {type: categorical, values: [a, b], recode: {1: a, 2: b}}
derived:
  - name: x2
    expr: x * 2
models:
  - id: m1
    family: ols
    formula: y ~ x + x2
"""


def parse(text: str):
    return parse_spec_text(textwrap.dedent(text), source="spec.yaml")


def test_bundled_reference_spec_has_the_six_models_of_study_md():
    spec = load_spec("hunt2025")
    assert [m.id for m in spec.models] == ["m1", "m2", "m3", "m4", "m5", "m6"]
    assert all(m.family == "logit" for m in spec.models)
    assert [m.subset for m in spec.models[:2]] == [None, None]
    assert all(m.subset == "decision != 'abort'" for m in spec.models[2:])
    assert spec.alpha == 0.05
    assert len(spec.sha256) == 64


def test_minimal_spec_parses_into_records():
    spec = parse(MINIMAL)
    assert spec.name == "tiny"
    assert spec.column("group").recode == (("1", "a"), ("2", "b"))
    assert spec.column("x").range == (0.0, 10.0)
    assert spec.variable_names == ("y", "x", "group", "x2")
    assert spec.models[0].cov_type == "nonrobust"


@pytest.mark.parametrize(
    "change, message",
    [
        ("name: tiny\n", r"spec\.yaml, at colour: unknown key 'colour'"),
        ("  - id: m2\n    family: logt\n    formula: y ~ x\n", r"models\[1\]\.family: 'logt' is not one of .*did you mean 'logit'"),
        ("  - id: m2\n    family: ols\n    formula: y ~ open('x')\n", r"spec\.yaml.*models\[1\]\.formula"),
        ("  - id: m1\n    family: ols\n    formula: y ~ x\n", r"models\[1\]\.id: model id 'm1' is used twice"),
        ("  - id: m2\n    family: ols\n    formula: y ~ z\n", r"models\[1\]\.formula"),
        ("  - id: m2\n    family: ols\n    formula: y ~ x\n    cov_type: cluster\n", r"models\[1\]\.cluster"),
        ("  - id: m2\n    family: ols\n    formula: y ~ x\n    cov_typ: HC1\n", r"models\[1\]\.cov_typ: unknown key 'cov_typ'.*did you mean 'cov_type'"),
    ],
)
def test_mistakes_name_the_file_and_key_path(change: str, message: str):
    text = textwrap.dedent(MINIMAL)
    if change.startswith("name:"):
        text = text.replace("name: tiny\n", "name: tiny\ncolour: blue\n")
    else:
        text = text + change
    with pytest.raises(SpecError, match=message):
        parse_spec_text(text, source="spec.yaml")


@pytest.mark.parametrize(
    "text, message",
    [
        ("", r"spec\.yaml: the spec is empty"),
        ("columns: [unclosed", r"spec\.yaml: line 1, column \d+: the YAML does not parse"),
        ("name: x\n", r"at columns: a spec must declare its columns"),
        ("columns:\n  y: {type: number}\n", r"columns\.y\.type: 'number' is not one of .*did you mean 'numeric'"),
        ("columns:\n  y: {type: numeric, range: [10, 0]}\n", r"columns\.y\.range: low bound 10 is above high bound 0"),
        ("columns:\n  y: {type: numeric, values: [a]}\n", r"columns\.y\.values: only categorical"),
        ("columns:\n  y: {type: categorical, values: [a], recode: {1: b}}\n", r"columns\.y\.recode\.1: recodes to 'b'"),
        ("columns:\n  y: {type: numeric}\nalpha: 1.5\n", r"at alpha: must lie strictly between 0 and 1"),
        ("columns:\n  y: {type: numeric}\nderived:\n  - name: z\n    expr: y.__class__\n", r"derived\[0\]\.expr"),
        ("columns:\n  y: {type: numeric}\nderived:\n  - name: y\n    expr: 1\n", r"derived\[0\]\.name: 'y' is already"),
        ("columns:\n  y: {type: numeric}\n  x: {type: numeric, aliases: [y]}\n", r"columns\.x\.aliases: alias 'y' is already used"),
        ("simval_spec: 2\ncolumns:\n  y: {type: numeric}\n", r"at simval_spec: this simval reads spec format 1"),
        ("columns:\n  y: {type: numeric}\nconstraints:\n  - expr: __import__('os')\n", r"constraints\[0\]\.expr"),
    ],
)
def test_invalid_specs_are_rejected_with_their_path(text: str, message: str):
    with pytest.raises(SpecError, match=message):
        parse_spec_text(text, source="spec.yaml")


def test_unknown_bundled_name_suggests_the_closest():
    with pytest.raises(SpecError, match="did you mean 'hunt2025'"):
        load_spec("hunt2024")


def test_missing_spec_file_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError, match="does not exist"):
        load_spec(tmp_path / "nope.yaml")


def test_yaml_tags_that_would_build_objects_are_refused():
    with pytest.raises(SpecError, match="does not parse"):
        parse_spec_text("columns: !!python/object/apply:os.system ['echo hi']\n", source="evil.yaml")


def test_yes_and_no_stay_text_as_in_yaml_1_2():
    spec = parse_spec_text("columns:\n  answer: {type: categorical, values: [yes, no, on]}\n  flag: {type: boolean, required: true}\n", source="s.yaml")
    assert spec.column("answer").values == ("yes", "no", "on")
    assert spec.column("flag").required is True


SECTIONS_BASE = """
columns:
  score: {type: numeric, range: [0, 100]}
  other: {type: numeric}
  group: {type: categorical, values: [a, b]}
  action: {type: categorical, values: [go, stay]}
"""


@pytest.mark.parametrize(
    "section, message",
    [
        ("distributions:\n  variables: [{name: scor, bins: {start: 0, stop: 100, count: 10}}]\n", r"distributions\.variables\[0\]\.name: unknown variable 'scor' \(did you mean 'score'\?\)"),
        ("distributions:\n  variables: [{name: score, bins: {start: 0, stop: 100}}]\n", r"distributions\.variables\[0\]\.bins\.count: bins need start, stop and count"),
        ("distributions:\n  variables: [{name: score, bins: {start: 5, stop: 5, count: 2}}]\n", r"distributions\.variables\[0\]\.bins: start 5 must be below stop 5"),
        ("distributions:\n  variables: [{name: group, bins: {start: 0, stop: 1, count: 2}}]\n", r"only numeric variables are binned"),
        ("distributions:\n  variables: [{name: other}]\n", r"distributions\.variables\[0\]: 'other' needs bins"),
        ("distributions:\n  variables: [{name: score, bins: {start: 0, stop: 100, count: 10}}]\n  mean_over: [group]\n", r"distributions\.mean_over\[0\]: unknown variable 'group'"),
        ("distributions:\n  variables: [{name: score, bins: {start: 0, stop: 100, count: 10}}]\n  breakdowns: [grup]\n", r"distributions\.breakdowns\[0\]: unknown variable 'grup'"),
        ("distributions:\n  variables: [{name: group}]\n  min_group_size: 0\n", r"distributions\.min_group_size: must be at least 1"),
        ("heterogeneity:\n  - name: s\n    columns: [score, nope]\n", r"heterogeneity\[0\]\.columns\[1\]: unknown variable 'nope'"),
        ("coherence:\n  - action: action\n    beliefs: [score, other]\n    targets: [{belief: score, action: jump}]\n", r"coherence\[0\]\.targets\[0\]\.action: 'jump' is not a value of 'action'"),
        ("coherence:\n  - action: action\n    beliefs: [score, other]\n    targets: [{belief: group, action: go}]\n", r"coherence\[0\]\.targets\[0\]\.belief: 'group' is not among the beliefs"),
        ("coherence:\n  - action: action\n    beliefs: [score]\n    targets: [{belief: score, action: go}]\n", r"coherence\[0\]\.beliefs: needs at least 2 names"),
        ("uncertainty:\n  bootstrap: -1\n", r"uncertainty\.bootstrap: must be at least 0"),
        ("uncertainty:\n  level: 1.5\n", r"uncertainty\.level: must lie in \[0\.5, 1\)"),
        ("uncertainty:\n  draws: 5\n", r"uncertainty\.draws: unknown key 'draws'"),
        ("uncertainty:\n  resample_by: grop\n", r"uncertainty\.resample_by: unknown column 'grop' \(did you mean 'group'\?\)"),
    ],
)
def test_construct_sections_are_validated_with_their_key_paths(section: str, message: str):
    with pytest.raises(SpecError, match=message):
        parse_spec_text(SECTIONS_BASE + section, source="spec.yaml")


def test_construct_sections_of_the_reference_spec_follow_study_md():
    spec = load_spec("hunt2025")
    assert spec.distributions is not None
    beliefs = ("belief_t1", "belief_t2", "belief_both")
    binned = [v for v in spec.distributions.variables if v.kind == "binned"]
    assert tuple(v.name for v in binned) == beliefs
    assert all((v.bins.start, v.bins.stop, v.bins.count) == (0.0, 100.0, 10) for v in binned)
    decision = next(v for v in spec.distributions.variables if v.name == "decision")
    assert decision.categories == ("attack_t1", "attack_t2", "abort")
    assert spec.distributions.mean_over == beliefs
    assert spec.distributions.breakdowns == ("ethnicity", "cell")
    assert spec.heterogeneity[0].columns == beliefs
    gap = spec.coherence[0]
    assert (gap.action, gap.beliefs) == ("decision", beliefs)
    assert [(t.belief, t.action) for t in gap.targets] == [("belief_t1", "attack_t1"), ("belief_t2", "attack_t2")]
    assert spec.uncertainty.bootstrap == 1000


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ("belief_t1", r"models\[0\]\.terms: expected a mapping from term to label"),
        ({"belief_t1": ["a"]}, r"models\[0\]\.terms\.belief_t1: expected text"),
        ({"belief_t1": "x" * 81}, r"models\[0\]\.terms\.belief_t1: a term label has at most 80 characters"),
    ],
)
def test_term_labels_are_a_mapping_of_short_texts(tmp_path, terms, message) -> None:
    import yaml

    from validator.errors import SpecError

    spec = {"name": "t", "columns": {"y": {"type": "boolean"}, "belief_t1": {"type": "numeric"}},
            "models": [{"id": "m1", "family": "logit", "formula": "y ~ belief_t1", "terms": terms}]}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(SpecError, match=message):
        load_spec(str(path))
