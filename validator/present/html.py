"""Compact HTML for notebooks (``_repr_html_``): the verdicts, then the leaderboard or the run's headlines.

Every text from data passes through :func:`html.escape`; nothing here computes.
"""

from __future__ import annotations

from html import escape

from validator.present.checks import check_views, options_for
from validator.present.leaderboard import leaderboard_table
from validator.present.table import Table
from validator.results import CheckResult, SimulationResult

_COLOURS = {"pass": "#1a7f37", "fail": "#cf222e", "inconclusive": "#9a6700"}


def _badge(value: str) -> str:
    return f'<strong style="color:{_COLOURS.get(value, "#57606a")}">{escape(value.upper())}</strong>'


def table_html(table: Table) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{'<b>' if c.strong else ''}{escape(c.text)}{'</b>' if c.strong else ''}</td>" for c in row) + "</tr>"
        for row in table.rows
    )
    return f"<table><caption>{escape(table.title)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def simulation_html(sim: SimulationResult, result: CheckResult | None = None) -> str:
    verdict = sim.verdict
    parts = [f"<p>{_badge(verdict.overall) if verdict else 'DONE'} {escape(sim.label)}</p>"]
    if verdict is not None and verdict.constructs:
        items = "".join(f"<li>{escape(name)}: {_badge(c.verdict)} {escape(c.reason)}</li>" for name, c in verdict.constructs)
        parts.append(f"<ul>{items}</ul>")
    if result is not None:
        lines = "".join(
            f"<li><i>{escape(view.entry.construct)}</i>: {escape(line)}</li>"
            for view in check_views(result, sim, options_for(result, 0))
            for line in view.headlines
        )
        parts.append(f"<ul>{lines}</ul>")
    return "".join(parts)


def check_html(result: CheckResult) -> str:
    parts = [f"<div><p>simval check, spec <code>{escape(result.spec_name)}</code>: {escape(result.spec_title)}</p>"]
    parts.extend(simulation_html(sim, result) for sim in result.simulations)
    if len(result.simulations) > 1:
        parts.append(table_html(leaderboard_table(result)))
    parts.append("</div>")
    return "".join(parts)
