"""Report sections of registered checks that have no section of their own (plugins, added checks).

The built-in constructs have their own sections (figures and prose); any other
registered check gets its presenter's tables, or a table of its metrics, under its title.
"""

from __future__ import annotations

from validator.present.checks import check_views, options_for
from validator.report import markdown as mdx
from validator.report.escape import md
from validator.results import CheckResult, SimulationResult

#: Checks that the report presents in sections of their own.
BUILT_IN = frozenset({"recovery", "distribution", "heterogeneity", "coherence"})


def other_checks_section(result: CheckResult, sim: SimulationResult) -> str:
    parts = []
    for index, view in enumerate(v for v in check_views(result, sim, options_for(result, 2)) if v.entry.name not in BUILT_IN):
        parts.append(mdx.section(1, md(view.entry.title), f"sec-check-{index + 1}"))
        parts.append(md(view.entry.description))
        parts.extend(mdx.render_table(t) for t in view.tables)
    return "\n\n".join(parts)
