"""Simulating a study's participants with any OpenAI-compatible chat model.

``simulate()`` renders each participant's prompts from the spec's
``simulation`` section, asks the model through ``openai.AsyncOpenAI`` with
bounded concurrency, retries what can be retried, journals every response
and writes the simulated dataset; ``dry_run()`` shows the prompts and sends
nothing. See docs/simulation.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from validator.lazy import lazy_attribute

if TYPE_CHECKING:
    from validator.simulate.answers import AnswerError, find_arrays, parse_reply, render_reply
    from validator.simulate.model import AnswerItem, CellSpec, SimulationSpec, TurnSpec
    from validator.simulate.session import SimulationReport, dry_run, format_report, simulate
    from validator.simulate.template import Template, parse_template

__all__ = [
    "simulate",
    "dry_run",
    "format_report",
    "SimulationReport",
    "SimulationSpec",
    "AnswerItem",
    "CellSpec",
    "TurnSpec",
    "Template",
    "parse_template",
    "parse_reply",
    "render_reply",
    "find_arrays",
    "AnswerError",
]

# Loaded on first use: a spec with a ``simulation`` section is parsed by
# validator.simulate.section on every ``simval check``, which imports this package;
# the session, runner and journal (asyncio, the HTTP client's helpers) are for
# ``simval simulate`` only.
_LAZY = {
    "AnswerError": ".answers",
    "find_arrays": ".answers",
    "parse_reply": ".answers",
    "render_reply": ".answers",
    "AnswerItem": ".model",
    "CellSpec": ".model",
    "SimulationSpec": ".model",
    "TurnSpec": ".model",
    "SimulationReport": ".session",
    "dry_run": ".session",
    "format_report": ".session",
    "simulate": ".session",
    "Template": ".template",
    "parse_template": ".template",
}


def __getattr__(name: str) -> Any:
    return lazy_attribute(__name__, _LAZY, name)
