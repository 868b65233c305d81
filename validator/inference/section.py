"""Parse a spec's ``inference`` section into a frozen :class:`InferenceSection`.

Same rules as the rest of the spec (:mod:`validator.spec.load`): unknown keys are
errors that name the key path with a "did you mean" hint, names of models and variables
must exist in the spec.

.. code-block:: yaml

    inference:
      key: participant_id            # links a simulated row to its persona's human row
      models: [m1, m2]               # default: every logit and OLS model
      alpha: 0.05                    # default: the spec's alpha
      power_tuning: true             # PPI++ lambda (false: plain PPI, lambda = 1)
      tuning: coefficient            # one lambda per coefficient (default), or one per model
      weight: wtssps                 # optional survey weight column
      persona: [ethnicity, valuation]  # columns that must agree within a pair
      agreement:
        variables: [decision]        # default: the outcomes of the rectified models
        by: [ethnicity]              # subgroups (the human row's value)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from validator.spec.model import ModelSpec, StudySpec
from validator.spec.yaml_source import Reader as _Reader
from validator.spec.yaml_source import join_path as _join

__all__ = ["INFERENCE_KEYS", "AgreementSpec", "InferenceSection", "default_section", "parse_inference"]

INFERENCE_KEYS = ("key", "models", "alpha", "power_tuning", "tuning", "weight", "persona", "agreement")
TUNINGS = ("model", "coefficient")
AGREEMENT_KEYS = ("variables", "by")

#: Families rectified when ``models`` is not given.
DEFAULT_FAMILIES = ("logit", "ols")


@dataclass(frozen=True)
class AgreementSpec:
    """Individual-level agreement: the variables compared within pairs and the subgroups."""

    variables: tuple[str, ...] = ()
    by: tuple[str, ...] = ()


@dataclass(frozen=True)
class InferenceSection:
    """What ``simval`` rectifies with the simulation and how pairs are formed.

    ``tuning`` ``coefficient`` (the default) tunes one lambda per coefficient, each
    coefficient then comes from its own fit (ppi-python's ``coord``): asymptotically no
    coefficient is less efficient than human-only. ``model`` tunes one lambda minimising
    the trace of the model's covariance (ppi-python's default), which is not invariant
    to the scale of the covariates: the intercept's variance dominates the trace and a
    slope's interval can come out several times wider (docs/inference.md, Validation). ``models`` are the spec's model definitions to rectify (a probit is rectified too
    when named; a multinomial logit is reported as unsupported), so that the section is
    all a computation needs. ``alpha`` is resolved: the section's, else the spec's.
    """

    key: str
    models: tuple[ModelSpec, ...]
    alpha: float = 0.05
    power_tuning: bool = True
    tuning: Literal["model", "coefficient"] = "coefficient"
    weight: str | None = None
    persona: tuple[str, ...] = ()
    agreement: AgreementSpec = AgreementSpec()

    @property
    def level(self) -> float:
        """The confidence level of the intervals, ``1 - alpha``."""
        return 1.0 - self.alpha

    @property
    def model_ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.models)


def _default_models(spec: StudySpec) -> tuple[ModelSpec, ...]:
    return tuple(m for m in spec.models if m.family in DEFAULT_FAMILIES)


def default_section(spec: StudySpec, key: str) -> InferenceSection:
    """The section used when a spec has none: ``key`` given on the command line, defaults otherwise."""
    return InferenceSection(key=key, models=_default_models(spec), alpha=spec.alpha)


def parse_inference(raw: Any, spec: StudySpec, *, source: str) -> InferenceSection:
    """Validate the ``inference`` mapping of ``spec``'s YAML."""
    r = _Reader(source)
    body = r.mapping(raw, "inference", INFERENCE_KEYS)
    if "key" not in body:
        raise r.fail("inference.key", "name the column that links a simulated row to its human row, e.g. participant_id")
    key = r.identifier(body["key"], "inference.key")
    known = list(spec.variable_names)
    ids = [m.id for m in spec.models]
    if body.get("models") is None:
        models = _default_models(spec)
    else:
        if not ids:
            raise r.fail("inference.models", "the spec has no models to rectify")
        models = tuple(spec.model(m) for m in r.names(body["models"], "inference.models", ids))
    alpha = spec.alpha
    if body.get("alpha") is not None:
        alpha = r.number(body["alpha"], "inference.alpha")
        if not 0.0 < alpha < 1.0:
            raise r.fail("inference.alpha", f"must lie strictly between 0 and 1, got {alpha:g}")
    power_tuning = r.boolean(body.get("power_tuning", True), "inference.power_tuning")
    tuning = r.choice(body.get("tuning", "coefficient"), "inference.tuning", TUNINGS)
    weight = None
    if body.get("weight") is not None:
        weight = r.identifier(body["weight"], "inference.weight")
        if weight in spec.column_names and spec.column(weight).type != "numeric":
            raise r.fail("inference.weight", f"the weight column '{weight}' must be numeric, not {spec.column(weight).type}")
    persona = r.names(body["persona"], "inference.persona", known) if body.get("persona") is not None else ()
    agreement = AgreementSpec()
    if body.get("agreement") is not None:
        path = "inference.agreement"
        entry = r.mapping(body["agreement"], path, AGREEMENT_KEYS)
        variables = r.names(entry["variables"], _join(path, "variables"), known) if entry.get("variables") is not None else ()
        by = r.names(entry["by"], _join(path, "by"), known) if entry.get("by") is not None else ()
        agreement = AgreementSpec(variables, by)
    return InferenceSection(key, models, alpha, power_tuning, tuning, weight, persona, agreement)  # type: ignore[arg-type]
