"""The label a person reads for each compared coefficient.

A model in the spec may give terms labels (``terms: {"race[black]": "Black"}``),
keyed by the formula term or by its readable name; every other term is shown by
its readable name (:func:`validator.present.terms.readable_term`). The JSON keeps
the formula term beside the label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from validator.models.types import ModelFit
from validator.present.terms import readable_term
from validator.recovery.records import RecoveryResult
from validator.spec.model import ModelSpec

#: How many of a model's term names a warning lists.
KNOWN_SHOWN = 12


def _label_of(term: str, declared: dict[str, str]) -> str | None:
    return declared.get(term) or declared.get(readable_term(term))


def label_terms(models: Sequence[ModelSpec], fits: Sequence[ModelFit], result: RecoveryResult) -> tuple[RecoveryResult, tuple[str, ...]]:
    """``result`` with each coefficient's label set, and one warning per declared key that names no fitted term.

    ``fits`` are every fit of the comparison (both sides): a key is only unknown
    when no side has the term, so a model not estimable on one side warns of nothing.
    """
    declared = {m.id: dict(m.terms) for m in models}
    coefficients = tuple(
        replace(c, label=_label_of(c.term, declared.get(c.model, {})) or readable_term(c.term)) for c in result.coefficients
    )
    fitted: dict[str, set[str]] = {}
    for fit in fits:
        names = fitted.setdefault(fit.model, set())
        for coefficient in fit.coefficients:
            names.update((coefficient.term, readable_term(coefficient.term)))
    warnings = []
    for index, model in enumerate(models):
        if model.id not in fitted:
            continue
        for key, _ in model.terms:
            if key not in fitted[model.id]:
                known = sorted({readable_term(t) for t in fitted[model.id]})
                shown = ", ".join(known[:KNOWN_SHOWN]) + (", ..." if len(known) > KNOWN_SHOWN else "")
                warnings.append(f"models[{index}].terms names '{key}', which is no term of model {model.id} (its terms: {shown})")
    return replace(result, coefficients=coefficients), tuple(warnings)
