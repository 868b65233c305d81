"""The registry entry of rectified inference: what a paired simulation is worth in human respondents.

It runs when the spec has an ``inference`` section. Its metrics per model are the
effective sample size with its bootstrap interval and the additional respondents
it amounts to; per coefficient, the rectified (PPI++) estimate with its interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from validator.checks.entry import CheckEntry, PresentOptions
from validator.checks.inputs import CheckInputs
from validator.checks.record import MetricInfo
from validator.present.formatting import fmt_number, fmt_value
from validator.present.table import Table, table
from validator.present.terms import readable_term
from validator.spec.model import StudySpec

if TYPE_CHECKING:  # the records load with the computation, when a spec has an inference section
    from validator.inference.records import InferenceResult


def inference_metrics(spec: StudySpec) -> tuple[MetricInfo, ...]:
    section = spec.inference
    if section is None:
        return ()
    infos: list[MetricInfo] = []
    for model in section.models:
        model_id = getattr(model, "id", model)
        infos += [
            MetricInfo(f"{model_id}.effective_n", "effective sample size n_human x Var(classical) / Var(PPI++)", "higher", (0.0, None), True),
            MetricInfo(f"{model_id}.additional_n", "additional human respondents the simulation is worth (n_eff - n_human)", "higher", (None, None), True),
            MetricInfo(f"{model_id}.effective_ratio", "n_eff / n_human: how many humans each human respondent plus the simulation is worth", "higher", (0.0, None), True),
            MetricInfo(f"{model_id}.coefficients.*.ppi_estimate", "rectified (PPI++) coefficient estimate", "none", (None, None), True),
        ]
    return tuple(infos)


def inference_tables(result: InferenceResult, options: PresentOptions) -> Sequence[Table]:
    rows = []
    for model in result.models:
        for c in model.coefficients:
            rows.append(
                [
                    model.model,
                    readable_term(c.term),
                    fmt_value(c.classical_estimate, c.classical_low, c.classical_high),
                    fmt_value(c.ppi_estimate, c.ppi_low, c.ppi_high),
                    fmt_number(c.lam, 2),
                    fmt_number(c.effective_n, 0),
                ]
            )
    return (
        table(
            "inference",
            f"Rectified estimates (PPI++), human-only vs humans plus paired simulations, {100 * result.level:g}% intervals",
            ["model", "term", "human only", "rectified", "lambda", "n_eff"],
            rows,
            align=["left", "left", "right", "right", "right", "right"],
            detail=2,
        ),
    )


def _headline(result: InferenceResult, options: PresentOptions) -> str | None:
    """One line per model, or one line for all models when they say the same thing."""
    lines = result.summary_lines()
    if not lines:
        return None
    messages = {line.split(": ", 1)[-1] for line in lines}
    if len(lines) > 1 and len(messages) == 1:
        return f"every model ({', '.join(m.model for m in result.models)}): {messages.pop()}"
    return "; ".join(lines)


def _items(spec: StudySpec) -> tuple[Any, ...]:
    return (spec.inference,) if spec.inference is not None else ()


def _compute(inputs: CheckInputs, section: Any) -> InferenceResult:
    from validator.inference.compute import compute_inference

    return compute_inference(inputs.human, inputs.sim, section, inputs.context)


ENTRY = CheckEntry(
    name="inference",
    title="What the simulation is worth",
    construct="inference",
    description="prediction-powered (PPI++) rectified estimates from humans plus paired simulations, and the effective sample size",
    items=_items,
    compute=_compute,
    metrics=inference_metrics,
    tables=inference_tables,
    headline=_headline,
)
