"""Rendering a report's ``.qmd`` to HTML and PDF: with Quarto when there is one, else with the built-in route.

Routes, in order of preference:

1. **Quarto**: ``quarto`` on ``PATH``, or the executable named by the
   environment variable ``SIMVAL_QUARTO``. Per format, ``quarto render
   report.qmd --to html`` and ``quarto render report.qmd --to typst`` (Quarto's
   Typst format writes the PDF with the Typst it bundles, so no LaTeX is needed).
2. **Built-in**: Pandoc from the ``pypandoc-binary`` package writes one
   self-contained HTML file (``--embed-resources``, our stylesheet, the SVG
   figures inline) and, with its Typst writer and our template, a ``.typ`` file
   that the ``typst`` package compiles to PDF. Everything runs offline; HTML
   and PDF are made in parallel.

``SIMVAL_QUARTO=none`` (or ``off``, ``0``) forces the built-in route.

A renderer that fails raises :class:`RenderError` naming the format, the
renderer's own message and the tail of its error output; the ``.qmd``, the
figures and ``results.json`` stay where they are.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from validator.errors import SimvalError
from validator.spec.bundled import bundled_dir

Route = Literal["quarto", "builtin"]
Preference = Literal["auto", "quarto", "builtin"]
FORMATS = ("html", "pdf")
QUARTO_ENV = "SIMVAL_QUARTO"
_OFF = {"none", "off", "0", "false", "no", "builtin"}
#: Seconds one renderer call may take before it counts as failed.
TIMEOUT_S = 600
#: Pandoc's input format: its own Markdown, as Quarto reads it.
PANDOC_FROM = "markdown"
STDERR_TAIL_LINES = 15
# Pandoc gives a pipe table whose source lines exceed --columns fixed relative column widths; a large value
# keeps natural ("auto") widths, which browsers and Typst fit to the page far better (Quarto: tbl-colwidths: false).
COLUMNS = "--columns=100000"


class RenderError(SimvalError):
    """The report's sources were written but a renderer failed (exit code 2).

    The message says which format failed and with which tool, and ends with the
    tail of that tool's own error output; the ``.qmd``, figures and
    ``results.json`` are kept so nothing is lost and the render can be retried.
    """

    exit_code = 2


@dataclass(frozen=True)
class Renderer:
    """The route that renders the reports of one run, and how it is described in the report."""

    route: Route
    executable: str
    description: str


def _tail(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-STDERR_TAIL_LINES:])


def _quarto_executable() -> str | None:
    """The Quarto CLI to use, or None for the built-in route; raises when SIMVAL_QUARTO names nothing runnable."""
    configured = os.environ.get(QUARTO_ENV)
    if configured is not None and configured.strip():
        if configured.strip().lower() in _OFF:
            return None
        path = shutil.which(configured.strip())
        if path is None:
            raise RenderError(f"{QUARTO_ENV} names '{configured}', which is not an executable file; unset it or set it to 'none' for the built-in renderer")
        return path
    return shutil.which("quarto")


def _pandoc_path() -> str:
    """The Pandoc binary that pypandoc-binary ships (found without importing pypandoc, which pulls in urllib), else pypandoc's own search."""
    import importlib.util

    spec = importlib.util.find_spec("pypandoc")
    folders = list(spec.submodule_search_locations or ()) if spec is not None else []
    for folder in folders:
        for name in ("pandoc", "pandoc.exe"):
            candidate = Path(folder) / "files" / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    try:
        import pypandoc

        return str(pypandoc.get_pandoc_path())
    except (ImportError, OSError) as exc:
        raise RenderError(
            "the built-in renderer needs Pandoc, which comes with simval's dependency pypandoc-binary "
            f"(pip install pypandoc-binary), or install Quarto ({exc})"
        ) from None


def _version(command: Sequence[str]) -> str:
    try:
        out = subprocess.run(list(command), capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown version"
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0].strip() if first else "unknown version"


def find_renderer(preference: Preference = "auto") -> Renderer:
    """The rendering route: Quarto when found (or asked for), else the built-in Pandoc + Typst route."""
    if preference not in ("auto", "quarto", "builtin"):
        raise RenderError(f"unknown renderer '{preference}'; choose auto, quarto or builtin")
    quarto = _quarto_executable() if preference != "builtin" else None
    if preference == "quarto" and quarto is None:
        raise RenderError(f"Quarto was asked for but is not installed: put 'quarto' on PATH or set {QUARTO_ENV} to its path")
    if quarto is not None:
        return Renderer("quarto", quarto, f"Quarto {_version([quarto, '--version'])} ({quarto})")
    pandoc = _pandoc_path()
    try:
        from importlib.metadata import version

        typst_version = version("typst")
    except Exception:  # noqa: BLE001 - only for the description
        typst_version = "unknown"
    pandoc_version = _version([pandoc, "--version"]).removeprefix("pandoc").strip()
    return Renderer("builtin", pandoc, f"built-in: Pandoc {pandoc_version} (pypandoc-binary) and Typst (typst {typst_version})")


@dataclass(frozen=True)
class RenderFailure:
    format: str
    message: str
    detail: str


# --- Quarto -------------------------------------------------------------------------------------

QUARTO_TARGET = {"html": "html", "pdf": "typst"}


def quarto_command(executable: str, qmd: Path, fmt: str) -> list[str]:
    """``quarto render report.qmd --to html|typst``, run in the report's folder."""
    return [executable, "render", qmd.name, "--to", QUARTO_TARGET[fmt]]


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str] | RenderFailure:
    try:
        return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return RenderFailure("", f"{Path(command[0]).name} did not finish within {TIMEOUT_S} s", "")
    except OSError as exc:
        return RenderFailure("", f"{command[0]} could not be started ({exc.strerror})", "")


def _render_quarto(qmd: Path, formats: Sequence[str], quarto: str) -> tuple[dict[str, Path], list[RenderFailure]]:
    outputs: dict[str, Path] = {}
    failures: list[RenderFailure] = []
    for fmt in formats:
        target = qmd.with_suffix(f".{fmt}")
        target.unlink(missing_ok=True)
        command = quarto_command(quarto, qmd, fmt)
        done = _run(command, qmd.parent)
        if isinstance(done, RenderFailure):
            failures.append(RenderFailure(fmt, done.message, ""))
        elif done.returncode != 0:
            failures.append(RenderFailure(fmt, f"'{' '.join(command[1:])}' failed with exit code {done.returncode}", _tail(done.stderr or done.stdout)))
        elif not target.is_file():
            failures.append(RenderFailure(fmt, f"'{' '.join(command[1:])}' wrote no {target.name}", _tail(done.stderr or done.stdout)))
        else:
            if fmt == "pdf":
                _strip_false_suspects(target)  # Quarto's bundled Typst writes the same MarkInfo
            outputs[fmt] = target
    return outputs, failures


# --- built-in: Pandoc + Typst ---------------------------------------------------------------------


def _assets() -> Path:
    return bundled_dir("reports")


def pandoc_html_command(pandoc: str, qmd: Path, output: Path) -> list[str]:
    """Pandoc to one self-contained HTML file: our stylesheet, SVG figures and everything else inline."""
    assets = _assets()
    return [
        pandoc,
        qmd.name,
        "--from",
        PANDOC_FROM,
        "--to",
        "html5",
        "--standalone",
        "--embed-resources",
        "--css",
        str(assets / "report.css"),
        "--toc",
        "--toc-depth=2",
        "--number-sections",
        COLUMNS,
        "--default-image-extension=svg",
        "--lua-filter",
        str(assets / "simval.lua"),
        "--resource-path",
        ".",
        "--output",
        output.name,
    ]


def pandoc_typst_command(pandoc: str, qmd: Path, output: Path) -> list[str]:
    """Pandoc's Typst writer with our template and filter; SVG figures (vector in the PDF)."""
    assets = _assets()
    return [
        pandoc,
        qmd.name,
        "--from",
        PANDOC_FROM,
        "--to",
        "typst",
        "--standalone",
        "--template",
        str(assets / "report.typ"),
        "--toc",
        "--toc-depth=2",
        COLUMNS,
        # Vector figures in the PDF too: Typst draws the same SVG files the HTML embeds.
        "--default-image-extension=svg",
        "--lua-filter",
        str(assets / "simval.lua"),
        "--output",
        output.name,
    ]


def _font_paths() -> list[str]:
    """matplotlib's bundled fonts (DejaVu Sans and Mono): the same sans font in the figures and the PDF, on every machine.

    Typst takes folders here, not single font files.
    """
    import matplotlib

    return [str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")]


def _compile_typst(source: Path, output: Path, timestamp: int | None) -> RenderFailure | None:
    try:
        import typst
    except ImportError:
        return RenderFailure("pdf", "the built-in PDF route needs the 'typst' package (pip install typst), or install Quarto", "")
    try:
        typst.compile(
            str(source),
            output=str(output),
            root=str(source.parent),
            font_paths=_font_paths(),
            ignore_system_fonts=True,
            timestamp=timestamp,
        )
    except Exception as exc:  # noqa: BLE001 - typst.TypstError and anything its Rust core raises
        message = getattr(exc, "message", None) or str(exc)
        hints = getattr(exc, "hints", None) or []
        detail = "\n".join([getattr(exc, "diagnostic", "") or "", *[f"hint: {h}" for h in hints]])
        return RenderFailure("pdf", f"typst could not compile {source.name}: {message}", _tail(detail))
    _strip_false_suspects(output)
    return None


# Typst tags its PDFs (accessibility) and writes ``/MarkInfo<</Marked true/Suspects false>>``. That is valid PDF,
# but poppler (pdfinfo, pdftotext, Evince, Okular) warns "Syntax Error: Suspects object is wrong type (boolean)"
# on any /Suspects that is not true. False is the default, so the key says nothing: it is blanked out with spaces
# of the same length, which keeps every byte offset of the cross-reference table valid and the tags in place.
_FALSE_SUSPECTS = b"/Suspects false"


def _strip_false_suspects(pdf: Path) -> None:
    """Blank ``/Suspects false`` in the PDF's MarkInfo (same length, so the file stays valid and deterministic)."""
    if not pdf.is_file():
        return
    data = pdf.read_bytes()
    marker = data.find(b"/MarkInfo<<")
    if marker < 0:
        return
    end = data.find(b">>", marker)
    head = data[marker:end]
    if _FALSE_SUSPECTS not in head:
        return
    fixed = head.replace(_FALSE_SUSPECTS, b" " * len(_FALSE_SUSPECTS))
    pdf.write_bytes(data[:marker] + fixed + data[end:])


class RenderJob:
    """The rendering of one report, in two steps, once its SVG figures are written.

    :meth:`start` launches, on the built-in route, Pandoc for the HTML and Pandoc
    for the Typst source; :meth:`finish` compiles the PDF with Typst and collects both. On the
    Quarto route everything happens in :meth:`finish`, one format after the other.
    """

    def __init__(self, qmd: Path, formats: Sequence[str], renderer: Renderer, *, timestamp: int | None = None) -> None:
        self.qmd = qmd
        self.formats = tuple(formats)
        self.renderer = renderer
        self.timestamp = timestamp
        self._processes: dict[str, tuple[subprocess.Popen[str], Path]] = {}
        self._failures: list[RenderFailure] = []

    def start(self, formats: Sequence[str] | None = None) -> None:
        """Start Pandoc on ``formats`` (default: every format not started yet)."""
        if self.renderer.route != "builtin":
            return
        pandoc, qmd = self.renderer.executable, self.qmd
        for fmt in self.formats if formats is None else [f for f in formats if f in self.formats]:
            if fmt in self._processes:
                continue
            target = qmd.with_suffix(".html" if fmt == "html" else ".typ")
            command = pandoc_html_command(pandoc, qmd, target) if fmt == "html" else pandoc_typst_command(pandoc, qmd, target)
            target.unlink(missing_ok=True)
            try:
                process = subprocess.Popen(command, cwd=qmd.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            except OSError as exc:
                self._failures.append(RenderFailure(fmt, f"pandoc could not be started ({exc.strerror})", ""))
                continue
            self._processes[fmt] = (process, target)

    def _wait(self, fmt: str) -> Path | None:
        process, target = self._processes.pop(fmt)
        try:
            _, stderr = process.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            self._failures.append(RenderFailure(fmt, f"pandoc did not finish within {TIMEOUT_S} s", ""))
            return None
        if process.returncode != 0 or not target.is_file():
            what = "HTML" if fmt == "html" else "Typst"
            self._failures.append(RenderFailure(fmt, f"pandoc could not convert {self.qmd.name} to {what} (exit code {process.returncode})", _tail(stderr)))
            return None
        return target

    def finish(self) -> tuple[dict[str, Path], list[RenderFailure]]:
        """The rendered files by format, and the failures."""
        if self.renderer.route == "quarto":
            return _render_quarto(self.qmd, self.formats, self.renderer.executable)
        outputs: dict[str, Path] = {}
        if "pdf" in self._processes:
            typ = self._wait("pdf")
            if typ is not None:
                pdf = self.qmd.with_suffix(".pdf")
                pdf.unlink(missing_ok=True)
                failure = _compile_typst(typ, pdf, self.timestamp)
                if failure is not None:
                    self._failures.append(failure)  # the .typ stays beside the .qmd to debug with
                else:
                    outputs["pdf"] = pdf
                    typ.unlink(missing_ok=True)
        if "html" in self._processes:
            html = self._wait("html")
            if html is not None:
                outputs["html"] = html
        return outputs, list(self._failures)


def render_document(qmd: Path, formats: Sequence[str], renderer: Renderer, *, timestamp: int | None = None) -> tuple[dict[str, Path], list[RenderFailure]]:
    """Render one report whose figures are all written, with the chosen route."""
    job = RenderJob(qmd, formats, renderer, timestamp=timestamp)
    job.start()
    return job.finish()


def failure_message(folder: Path, failures: Sequence[tuple[Path, RenderFailure]], renderer: Renderer) -> str:
    """One sentence naming what failed and where the kept sources are, then each tool's own error output."""
    names = sorted({f"{qmd.parent.name}/{qmd.name} to {failure.format.upper()}" for qmd, failure in failures})
    head = (
        f"the report could not be rendered ({'; '.join(names)}) with {renderer.description}; "
        f"the sources are kept in {folder} (report.qmd, figures/, results.json)"
    )
    lines = [head]
    for qmd, failure in failures:
        lines.append(f"  {qmd.parent.name} {failure.format}: {failure.message}")
        lines.extend(f"    {line}" for line in failure.detail.splitlines())
    return "\n".join(lines)
