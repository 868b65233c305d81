"""Write the validation reports of one ``simval check``: per run and, with several runs, a comparison.

For each simulated dataset, ``DIR/<run>/`` receives ``report.qmd`` (static
Quarto Markdown: every number and table written in, no code cells),
``figures/`` (SVG, drawn in both formats), ``results.json`` (the results of that run in the
layout of docs/results-json.md), ``report.css`` and the rendered
``report.html`` and ``report.pdf``. With several simulated datasets,
``DIR/comparison/`` gets the same for the comparison report. The sources are
all written before anything is rendered, so a renderer that fails loses nothing.

The builder reads result records; it computes no statistic.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import shlex
import shutil
import string
import sys
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from validator.errors import UsageError
from validator.outputs import StagedFolder
from validator.provenance import PACKAGES, display_path, package_versions
from validator.report import comparison as comparison_sections
from validator.report import figures
from validator.report.constructs import RunFigures, alignment_section, coherence_section, heterogeneity_section
from validator.report.data_section import data_section
from validator.report.escape import safe_name, yaml_md, yaml_plain
from validator.report.methods import Provenance, methods_section, reproducibility_section
from validator.report.other_checks import other_checks_section
from validator.report.recovery_section import recovery_section
from validator.report.render import FORMATS, Preference, Renderer, RenderError, RenderFailure, RenderJob, failure_message, find_renderer
from validator.report.verdict import gate_status, verdict_section
from validator.results import CheckResult, SimulationResult
from validator.spec.bundled import bundled_dir
from validator.spec.model import StudySpec

COMPARISON = "comparison"
#: Packages whose versions the reproducibility section lists (besides simval and Python).
#: Reported in the reproducibility section: the analysis packages and the renderers.
REPORT_PACKAGES = (*PACKAGES, "pypandoc-binary", "typst")


@dataclass(frozen=True)
class ReportOutput:
    """One written report: its folder, source and the rendered files (None where not requested or failed)."""

    name: str
    directory: Path
    qmd: Path
    html: Path | None
    pdf: Path | None


@dataclass(frozen=True)
class ReportSet:
    """Every report of one check: one per simulated run, and the comparison when there are several runs."""

    runs: tuple[ReportOutput, ...]
    comparison: ReportOutput | None
    renderer: str
    notes: tuple[str, ...] = ()  # files of an earlier report that this one replaced without rewriting


def parse_formats(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"html,pdf"`` -> ``("html", "pdf")``: known formats, each once, in the given order."""
    items = [part.strip().lower() for part in (text.split(",") if isinstance(text, str) else text)]
    items = [item for item in items if item]
    if not items:
        raise UsageError("--format needs at least one of: html, pdf")
    unknown = [item for item in items if item not in FORMATS]
    if unknown:
        raise UsageError(f"--format: unknown report format '{unknown[0]}'; choose from html, pdf (e.g. --format html,pdf)")
    return tuple(dict.fromkeys(items))


def run_names(sims: Sequence[SimulationResult]) -> list[str]:
    """A distinct, safe folder name per simulated run (its file stem), never ``comparison``."""
    names: list[str] = []
    taken = {COMPARISON}
    for index, sim in enumerate(sims):
        base = safe_name(sim.label, fallback=f"run_{index + 1}")
        name, suffix = base, 2
        while name.lower() in taken:
            name, suffix = f"{base}_{suffix}", suffix + 1
        taken.add(name.lower())
        names.append(name)
    return names


def _timestamp() -> tuple[str, int]:
    """The report's time: SOURCE_DATE_EPOCH when set (reproducible builds), else now; as text and UNIX seconds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = (
        _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc) if epoch.isdigit() else _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    )
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC"), int(moment.timestamp())


def _command(command: Sequence[str] | None) -> str:
    argv = list(sys.argv) if command is None else list(command)
    if argv and Path(argv[0]).name in ("simval", "__main__.py", "simval.exe"):
        argv = ["simval", *argv[1:]]
    return shlex.join(argv)


def _spec_for(result: CheckResult) -> StudySpec | None:
    """The spec the check ran with, when it can be found again unchanged (same SHA-256)."""
    from validator.errors import SimvalError
    from validator.spec.load import load_spec

    source = result.spec_source
    target = source.removeprefix("bundled:") if source.startswith("bundled:") else source
    try:
        spec = load_spec(target)
    except (SimvalError, OSError):
        return None
    return spec if spec.sha256 == result.spec_sha256 else None


def _fill(template: str, values: dict[str, str]) -> str:
    text = (bundled_dir("reports") / template).read_text(encoding="utf-8")
    return string.Template(text).substitute(values)


OUTPUT_FILES = ("report.qmd", "report.html", "report.pdf", "figures/", "results.json", "report.css")
# Every name simval may leave in a run folder (Quarto adds its own); anything else there is the user's.
RUN_FOLDER_FILES = ("report.qmd", "report.html", "report.pdf", "report.typ", "figures", "results.json", "report.css", "report_files", ".quarto")


def _prepare(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    figure_dir = folder / "figures"
    figure_dir.mkdir(exist_ok=True)
    for old in figure_dir.glob("*"):
        if old.is_file() and old.suffix in (".svg", ".png"):
            old.unlink()
    shutil.copyfile(bundled_dir("reports") / "report.css", folder / "report.css")
    return figure_dir


# What a forked figure worker inherits: the results whose forest plots it draws.
_FOREST: tuple[CheckResult, SimulationResult] | None = None


def _forest_saved(figure_dir: str) -> list[tuple[str, str]]:
    """In a forked worker: draw and save the forest plots; their stems and widths."""
    assert _FOREST is not None, "not in a forked worker"
    result, sim = _FOREST
    drawn = figures.forest_plots(sim.recovery, result.human_fits, sim.fits, result.alpha)
    figures.save(drawn, Path(figure_dir), "svg")
    return [(f.stem, f.width_percent) for f in drawn]


def _run_figures(result: CheckResult, sim: SimulationResult, figure_dir: Path) -> tuple[RunFigures, list[figures.Drawn]]:
    """The run's figures: the ones to save, and every figure's stem and width.

    The forest plots (half the drawing) are drawn and saved by a forked worker while
    this process draws the others, where the process can fork (as the checks do:
    :func:`validator.run.forked.can_fork`); the same files either way.
    """
    global _FOREST
    from validator.run.forked import can_fork, fork_pool

    def others() -> tuple[list[figures.Drawn], figures.Drawn | None, list[tuple[str, figures.Drawn]], figures.Drawn | None]:
        d = sim.distribution
        histograms = figures.distribution_figures(d) if d is not None else []
        heatmaps = figures.js_heatmaps(d) if d is not None else []
        return histograms, figures.structure_counts(sim.heterogeneity), heatmaps, figures.gap_figure(sim.coherence)

    forest_drawn: list[figures.Drawn] = []
    if not sim.recovery.coefficients:
        forest: list[tuple[str, str]] = []
        histograms, structures, heatmaps, gap = others()
    elif can_fork(2, 2):
        _FOREST = (result, sim)
        try:
            with fork_pool(1) as pool:
                saved = pool.submit(_forest_saved, str(figure_dir))
                histograms, structures, heatmaps, gap = others()
                forest = saved.result()
        finally:
            _FOREST = None
    else:
        forest_drawn = figures.forest_plots(sim.recovery, result.human_fits, sim.fits, result.alpha)
        forest = [(f.stem, f.width_percent) for f in forest_drawn]
        histograms, structures, heatmaps, gap = others()
    drawn = histograms + [f for f in (structures, gap) if f is not None] + [f for _, f in heatmaps] + forest_drawn
    stems = RunFigures(
        distributions=tuple((f.stem, f.width_percent) for f in histograms),
        structures=(structures.stem, structures.width_percent) if structures else None,
        js=tuple((by, f.stem, f.width_percent) for by, f in heatmaps),
        forest=tuple(forest),
        gap=(gap.stem, gap.width_percent) if gap else None,
    )
    return stems, drawn


@dataclass
class _Document:
    name: str
    qmd: Path
    drawn: list[figures.Drawn]


def _run_document(result: CheckResult, sim: SimulationResult, name: str, folder: Path, spec: StudySpec | None, provenance: Provenance) -> _Document:
    figure_dir = _prepare(folder)
    single = replace(result, simulations=(sim,))
    (folder / "results.json").write_text(single.to_json(), encoding="utf-8", newline="\n")
    stems, drawn = _run_figures(result, sim, figure_dir)
    verdict = gate_status(sim)
    values = {
        # The file name alone: a path breaks the title at its slashes (the full path is in the Data section).
        "title": yaml_md(f"Validation report: {Path(display_path(sim.label)).name}"),
        "subtitle": yaml_md(f"{verdict} · spec {result.spec_name}: {result.spec_title}"),
        "date": yaml_plain(provenance.timestamp),
        "version": result.simval_version,
        "verdict": verdict_section(result, sim),
        "data": data_section(result, sim),
        "heterogeneity": heterogeneity_section(sim, stems),
        "alignment": alignment_section(sim, stems),
        "coherence": coherence_section(sim, stems),
        "recovery": recovery_section(result, sim, stems),
        "checks": other_checks_section(result, sim),
        "methods": methods_section(result, sim, spec),
        "reproducibility": reproducibility_section(result, provenance, OUTPUT_FILES),
    }
    qmd = folder / "report.qmd"
    qmd.write_text(_fill("report.qmd", values), encoding="utf-8", newline="\n")
    return _Document(name, qmd, drawn)


def _comparison_document(result: CheckResult, names: Sequence[str], folder: Path, provenance: Provenance) -> _Document:
    _prepare(folder)
    (folder / "results.json").write_text(result.to_json(), encoding="utf-8", newline="\n")
    heatmaps = figures.comparison_heatmaps(result.simulations, names)
    values = {
        "title": yaml_md(f"Comparison of {len(result.simulations)} simulated runs"),
        "subtitle": yaml_md(f"spec {result.spec_name}: {result.spec_title}"),
        "date": yaml_plain(provenance.timestamp),
        "version": result.simval_version,
        "leaderboard": comparison_sections.leaderboard_section(result, names),
        "alignment": comparison_sections.alignment_section([(by, f.stem, f.width_percent) for by, f in heatmaps]),
        "runs": comparison_sections.runs_section(result, names),
        "reproducibility": reproducibility_section(result, provenance, OUTPUT_FILES),
    }
    qmd = folder / "report.qmd"
    qmd.write_text(_fill("comparison.qmd", values), encoding="utf-8", newline="\n")
    return _Document(COMPARISON, qmd, [f for _, f in heatmaps])


def _discard_all(stages: dict[str, StagedFolder]) -> None:
    for stage in stages.values():
        stage.discard()


def build_reports(
    result: CheckResult,
    directory: str | os.PathLike[str],
    *,
    formats: str | Sequence[str] = FORMATS,
    spec: StudySpec | None = None,
    command: Sequence[str] | None = None,
    renderer: Preference = "auto",
) -> ReportSet:
    """Write and render the reports of ``result`` under ``directory``.

    One folder per simulated run (named after its file), and ``comparison/``
    with several runs. ``formats`` is any of ``html`` and ``pdf``;
    ``renderer`` is ``auto`` (Quarto when found, else built-in), ``quarto`` or
    ``builtin``. ``spec`` adds the models' row subsets to the methods (by
    default the spec is loaded again from ``result.spec_source`` when its hash
    matches). Raises :class:`RenderError` after writing every source when a
    renderer fails.
    """
    wanted = parse_formats(formats)
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise UsageError(f"--report: '{root}' exists and is not a folder")
    chosen: Renderer = find_renderer(renderer)
    text_time, epoch = _timestamp()
    provenance = Provenance(
        command=_command(command),
        timestamp=text_time,
        python=sys.version.split()[0],
        platform=platform.platform(),
        packages=package_versions(REPORT_PACKAGES),
        renderer=chosen.description,
    )
    spec = spec if spec is not None else _spec_for(result)
    names = run_names(result.simulations)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--report: cannot create the folder '{root}' ({exc.strerror})") from None

    documents: list[_Document] = []
    outputs: dict[str, dict[str, Path]] = {}
    failures: list[tuple[Path, RenderFailure]] = []
    # Each run folder is rendered beside its place and moved in whole once every
    # document is done: Ctrl-C or a failure leaves the previous reports intact.
    stages: dict[str, StagedFolder] = {}
    # Per document: figures drawn and saved as SVG, then Pandoc starts on the HTML and the Typst source; the
    # PDF is compiled in a worker thread while the next document is drawn.
    with ExitStack() as cleanup, ThreadPoolExecutor(max_workers=1) as pool:
        cleanup.callback(_discard_all, stages)
        finishing: list[tuple[_Document, Future[tuple[dict[str, Path], list[RenderFailure]]]]] = []
        plan: list[tuple[str, SimulationResult | None]] = list(zip(names, result.simulations))
        if len(result.simulations) > 1:
            plan.append((COMPARISON, None))
        for name, sim in plan:
            stages[name] = StagedFolder(root / name, RUN_FOLDER_FILES)
            folder = stages[name].path
            document = (
                _run_document(result, sim, name, folder, spec, provenance) if sim is not None else _comparison_document(result, names, folder, provenance)
            )
            documents.append(document)
            figure_dir = folder / "figures"
            job = RenderJob(document.qmd, wanted, chosen, timestamp=epoch)
            # Pandoc's Typst source only names the figures: it is converted while they are saved.
            job.start(("pdf",))
            # One SVG per figure serves both formats (Typst draws SVG): drawn and saved once.
            figures.save(document.drawn, figure_dir, "svg")
            job.start()  # the self-contained HTML embeds the figures: started once they exist
            finishing.append((document, pool.submit(job.finish)))
        for document, job_future in finishing:
            done, failed = job_future.result()
            outputs[document.name] = done
            failures.extend((document.qmd, failure) for failure in failed)
        notes = []
        for name, stage in stages.items():
            stage.commit()
            if stage.removed:
                notes.append(f"report {name}: removed {', '.join(stage.removed)} of the previous report (not written this time)")

    def moved(name: str, path: Path | None) -> Path | None:
        return None if path is None else root / name / path.relative_to(stages[name].path)

    def output(document: _Document) -> ReportOutput:
        done = outputs.get(document.name, {})
        qmd = moved(document.name, document.qmd)
        assert qmd is not None
        return ReportOutput(document.name, qmd.parent, qmd, moved(document.name, done.get("html")), moved(document.name, done.get("pdf")))

    report_set = ReportSet(
        runs=tuple(output(d) for d in documents if d.name != COMPARISON),
        comparison=next((output(d) for d in documents if d.name == COMPARISON), None),
        renderer=chosen.description,
        notes=tuple(notes),
    )
    if failures:
        by_stage = {stage.path: name for name, stage in stages.items()}
        placed = [(moved(by_stage[qmd.parent], qmd) or qmd, failure) for qmd, failure in failures]
        raise RenderError(failure_message(root, placed, chosen))
    return report_set


__all__ = ["COMPARISON", "ReportOutput", "ReportSet", "RenderError", "build_reports", "parse_formats", "run_names"]
