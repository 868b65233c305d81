"""Simulating a study's participants with any OpenAI-compatible chat model.

``simulate()`` renders each participant's prompts from the spec's
``simulation`` section, asks the model through ``openai.AsyncOpenAI`` with
bounded concurrency, retries what can be retried, journals every response
and writes the simulated dataset; ``dry_run()`` shows the prompts and sends
nothing. See docs/simulation.md.
"""

from __future__ import annotations

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
