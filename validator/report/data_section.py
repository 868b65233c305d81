"""The report's data section: the files, their hashes, the rows used and set aside with reasons, the models' rows."""

from __future__ import annotations

from collections.abc import Sequence

from validator.io.ingest import Dataset
from validator.models.types import ModelFit
from validator.provenance import display_path
from validator.report import markdown as mdx
from validator.report.escape import md, md_code
from validator.results import CheckResult, SimulationResult

#: Set-aside rows listed per dataset; all of them are in results.json.
SET_ASIDE_LIMIT = 20
#: Undeclared columns named per dataset (a wide survey file has hundreds); all of them are in results.json.
EXTRA_COLUMNS_LIMIT = 12


def is_synthetic(dataset: Dataset) -> bool:
    """True when the file's leading comment lines say it is synthetic (as simval's demo files do)."""
    return any("synthetic" in line.lower() for line in dataset.comments)


def _reasons(dataset: Dataset) -> str:
    reasons = dataset.set_aside_by_reason()
    return ", ".join(f"{n} {md(reason)}" for reason, n in reasons.items()) if reasons else "-"


def _files_table(datasets: Sequence[tuple[str, Dataset]]) -> str:
    rows = [
        [
            role,
            md(display_path(d.source)) + (" (synthetic)" if is_synthetic(d) else ""),
            md(d.format),
            str(d.n_rows_read),
            str(d.n_used),
            str(d.n_set_aside),
            _reasons(d),
        ]
        for role, d in datasets
    ]
    return mdx.table(
        ["data", "file", "format", "rows read", "used", "set aside", "set aside by reason"],
        rows,
        align=["left", "left", "left", "right", "right", "right", "left"],
        caption="The input files and what became of their rows.",
        label="tbl-files",
    )


def _hashes(datasets: Sequence[tuple[str, Dataset]]) -> str:
    rows = [[role, md(display_path(d.source)), md_code(d.sha256)] for role, d in datasets]
    return mdx.table(["data", "file", "SHA-256 of the file's bytes"], rows, caption="File hashes: the same hash means the same data.", label="tbl-hashes")


def _synthetic_notice(datasets: Sequence[tuple[str, Dataset]]) -> str:
    marked = [(role, d) for role, d in datasets if is_synthetic(d)]
    if not marked:
        return ""
    lines = []
    for role, d in marked:
        quoted = " ".join(md(line) for line in d.comments)
        lines.append(f"- The {role} file {md(display_path(d.source))} says: *{quoted}*")
    body = (
        "These files declare themselves **synthetic** in their first lines. The numbers below describe them, "
        "not a study of real participants.\n\n" + "\n".join(lines)
    )
    return mdx.callout("warning", "Synthetic data", body)


def _set_aside(role: str, d: Dataset) -> str:
    if not d.set_aside:
        return ""
    rows = [
        [
            str(item.row),
            "-" if item.line is None else str(item.line),
            md(item.column) if item.column else "-",
            md(item.value) if item.value is not None else "-",
            md(item.reason),
            md(item.detail),
        ]
        for item in d.set_aside[:SET_ASIDE_LIMIT]
    ]
    more = len(d.set_aside) - SET_ASIDE_LIMIT
    caption = f"Rows of the {role} data set aside" + (f" (the first {SET_ASIDE_LIMIT}; {more} more are listed in results.json)" if more > 0 else "") + "."
    return mdx.table(["row", "line", "column", "value", "reason", "detail"], rows, caption=caption, label=f"tbl-set-aside-{role}")


def _columns(role: str, d: Dataset) -> str:
    renamed = [(canonical, found) for canonical, found in d.column_sources if canonical != found]
    items = []
    if renamed:
        items.append("columns read under another name: " + ", ".join(f"{md_code(c)} from {md_code(f)}" for c, f in renamed))
    if d.absent_optional:
        items.append("optional columns absent: " + ", ".join(md_code(c) for c in d.absent_optional))
    if d.extra_columns:
        shown = d.extra_columns[:EXTRA_COLUMNS_LIMIT]
        more = len(d.extra_columns) - len(shown)
        items.append(
            f"{len(d.extra_columns)} columns the spec does not declare (kept, not used): "
            + ", ".join(md_code(c) for c in shown)
            + (f" and {more} more (all of them in results.json)" if more > 0 else "")
        )
    return f"The {role} data: " + "; ".join(items) + "." if items else ""


def _fit_status(fit: ModelFit | None) -> str:
    if fit is None:
        return "-"
    if fit.estimable:
        return f"{fit.n_obs} rows"
    return f"not estimable: {md(fit.reason or 'unknown')}" + (f" ({md(fit.detail)})" if fit.detail else "")


def _models_table(result: CheckResult, sim: SimulationResult) -> str:
    sim_fits = {f.model: f for f in sim.fits}
    rows = []
    for fit in result.human_fits:
        other = sim_fits.get(fit.model)
        rows.append(
            [
                md(fit.model),
                md(fit.label),
                _fit_status(fit),
                str(fit.n_subset_excluded + fit.n_missing),
                _fit_status(other),
                str(other.n_subset_excluded + other.n_missing) if other else "-",
            ]
        )
    return mdx.table(
        ["model", "label", "human: fitted on", "human: rows outside", "simulation: fitted on", "simulation: rows outside"],
        rows,
        caption="Rows each model was fitted on; 'rows outside' are left out by the model's row subset or for a missing model variable.",
        label="tbl-model-rows",
    )


def data_section(result: CheckResult, sim: SimulationResult) -> str:
    """Files, hashes, rows used and set aside (with reasons), and the rows behind each model."""
    datasets = [("human", result.human), ("simulated", sim.dataset)]
    parts = [
        mdx.section(1, "Data", "sec-data"),
        _synthetic_notice(datasets),
        _files_table(datasets),
        _hashes(datasets),
        _columns("human", result.human),
        _columns("simulated", sim.dataset),
        _set_aside("human", result.human),
        _set_aside("simulated", sim.dataset),
        _models_table(result, sim),
    ]
    return "\n\n".join(part for part in parts if part)
