"""The demo report end to end: the .qmd holds the JSON's numbers, HTML and PDF render and carry them."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from validator.errors import UsageError
from validator.report.build import parse_formats, run_names


def headline_numbers(document: dict) -> list[str]:
    """The headline numbers as the report prints them, read from results.json (an independent path to them)."""
    (sim,) = document["simulations"]
    r = sim["recovery"]
    iv = r["intervals"]
    numbers = [f"{r['f1_sign']:.3f}", f"{r['fpr']:.3f}", f"{r['fnr']:.3f}", f"{r['f1_strict']:.3f}", str(r["sign_flips"])]
    numbers += [f"[{iv['f1_sign']['low']:.3f}, {iv['f1_sign']['high']:.3f}]", f"[{iv['fpr']['low']:.3f}, {iv['fpr']['high']:.3f}]"]
    mean_js = sim["distribution"]["mean_js"]["overall"]
    numbers += [f"{mean_js['estimate']:.3f}", f"[{mean_js['low']:.3f}, {mean_js['high']:.3f}]", f"{mean_js['floor_p95']:.3f}"]
    h = sim["heterogeneity"]["belief_structures"]
    numbers += [f"{h['human']['unique']} (n = {h['human']['n']})", f"{h['sim']['unique']} (n = {h['sim']['n']})"]
    c = sim["coherence"]["value_action_gap"]
    numbers += [f"{100 * c['human']['gap']['estimate']:.1f}", f"{100 * c['sim']['gap']['estimate']:.1f}"]
    return numbers


@pytest.fixture(scope="module")
def document(demo_run) -> dict:
    return json.loads((demo_run.directory / "results.json").read_text(encoding="utf-8"))


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[tuple[str, str, str]] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "data") and value is not None:
                self.urls.append((tag, name, value))
        if tag in ("style",):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style",):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def parse_html(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def pdf_text(path: Path) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return len(reader.pages), "\n".join(page.extract_text() or "" for page in reader.pages)


def test_every_source_is_written(demo_run):
    folder = demo_run.directory
    assert demo_run.qmd == folder / "report.qmd"
    for name in ("report.qmd", "report.html", "report.pdf", "results.json", "report.css"):
        assert (folder / name).is_file(), name
    stems = {p.stem for p in (folder / "figures").iterdir()}
    assert {"distributions", "structures", "js_1", "js_2", "forest_1"} <= stems
    for stem in stems:  # one vector file per figure serves the HTML and the PDF
        assert (folder / "figures" / f"{stem}.svg").is_file()
    assert not list((folder / "figures").glob("*.png"))
    assert not (folder / "report.typ").exists()  # the intermediate Typst file goes once the PDF exists


def test_results_json_is_the_runs_own_results(demo_result, demo_run):
    from dataclasses import replace

    expected = replace(demo_result, simulations=demo_result.simulations[:1]).to_json()
    assert (demo_run.directory / "results.json").read_text(encoding="utf-8") == expected


def test_qmd_holds_the_key_numbers_of_the_json(demo_run, document):
    text = re.sub(r"\s+", " ", demo_run.qmd.read_text(encoding="utf-8"))  # intervals are joined with no-break spaces
    for number in headline_numbers(document):
        assert number in text, number


def test_qmd_is_static_quarto_with_sections_in_order(demo_run):
    text = demo_run.qmd.read_text(encoding="utf-8")
    front = text.split("---")[1]
    assert "format:" in front and "html:" in front and "typst:" in front
    assert "```{" not in text  # no executable code cell, so no kernel
    order = ["sec-verdict", "sec-data", "sec-heterogeneity", "sec-alignment", "sec-coherence", "sec-recovery", "sec-methods", "sec-reproducibility"]
    positions = [text.index("{#" + label + "}") for label in order]
    assert positions == sorted(positions)


def test_qmd_names_synthetic_data(demo_run):
    text = demo_run.qmd.read_text(encoding="utf-8")
    assert "Synthetic data" in text and "SYNTHETIC demo data" in text


def test_html_is_self_contained_with_the_numbers_and_every_figure(demo_run, document):
    page = parse_html(demo_run.html)
    external = [(tag, name, url) for tag, name, url in page.urls if not (url.startswith("#") or url.startswith("data:"))]
    assert external == []
    text = re.sub(r"\s+", " ", "".join(page.text))
    for number in headline_numbers(document):
        assert number in text, number
    html = demo_run.html.read_text(encoding="utf-8")
    figures = sorted(p.stem for p in (demo_run.directory / "figures").glob("*.svg"))
    inline = html.count("<svg") + html.count("data:image/svg+xml")
    assert inline >= len(figures)
    assert "figures/" not in "".join(url for _, _, url in page.urls)
    assert page.tags.count("figure") == len(figures)


def test_pdf_opens_with_the_numbers(demo_run, document):
    pages, text = pdf_text(demo_run.pdf)
    assert 6 <= pages <= 16
    flat = re.sub(r"\s+", " ", text).replace("\u2212", "-")
    for number in headline_numbers(document):
        assert number in flat, number


def test_pdf_embeds_the_template_fonts(demo_run):
    """Body text in Libertinus Serif (Typst's own), tables and headings in matplotlib's DejaVu Sans."""
    from pypdf import PdfReader

    fonts = set()
    for page in PdfReader(str(demo_run.pdf)).pages:
        for font in (page.get("/Resources", {}).get("/Font", {}) or {}).values():
            fonts.add(str(font.get_object().get("/BaseFont", "")))
    assert any("LibertinusSerif" in f for f in fonts), fonts
    assert any("DejaVuSans-Bold" in f for f in fonts) and any("DejaVuSans" in f and "Mono" not in f for f in fonts), fonts


def test_figures_are_deterministic(demo_result, tmp_path):
    from validator.report import figures

    sim = demo_result.simulations[0]
    for attempt in ("a", "b"):
        folder = tmp_path / attempt
        folder.mkdir()
        drawn = [figures.distribution_histograms(sim.distribution), *[f for _, f in figures.js_heatmaps(sim.distribution)]]
        figures.save(drawn, folder, "svg")
        figures.save(drawn, folder, "png")
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


@pytest.mark.parametrize(
    ("text", "expected"),
    [("html,pdf", ("html", "pdf")), ("pdf", ("pdf",)), (" HTML , html ", ("html",)), (["pdf", "html"], ("pdf", "html"))],
)
def test_parse_formats(text, expected):
    assert parse_formats(text) == expected


@pytest.mark.parametrize(("text", "message"), [("docx", "unknown report format 'docx'"), ("", "at least one"), ("html,tex", "'tex'")])
def test_parse_formats_rejects(text, message):
    with pytest.raises(UsageError, match=message):
        parse_formats(text)


def test_run_names_are_distinct_and_safe(demo_result):
    from dataclasses import replace

    sim = demo_result.simulations[0]
    sims = [replace(sim, dataset=replace(sim.dataset, label=label)) for label in ("a/run.csv", "b/run.csv", "comparison.csv", "x <y>.csv")]
    assert run_names(sims) == ["run", "run_2", "comparison_2", "x_y"]


def test_comparison_report_for_several_runs(demo_paths, tmp_path):
    import validator
    from validator.report import build_reports

    result = validator.check(demo_paths["human"], [demo_paths["unfinetuned"], demo_paths["finetuned_random"]], bootstrap=0)
    reports = build_reports(result, tmp_path, formats="html", renderer="builtin")
    assert [r.name for r in reports.runs] == ["sim_unfinetuned_synthetic", "sim_finetuned_random_synthetic"]
    assert reports.comparison is not None and reports.comparison.html is not None and reports.comparison.pdf is None
    text = reports.comparison.qmd.read_text(encoding="utf-8")
    for sim in result.simulations:
        s = sim.recovery.summary
        row = f"{s.n_coefficients} | {s.n_reference_significant} | {s.n_sim_significant} | {s.tp} | {s.fpr:.3f} | {s.fnr:.3f} | {s.f1_sign:.3f} | {s.sign_flips}"
        assert re.sub(r" +", " ", row) in re.sub(r" +", " ", text)
    assert len(list((tmp_path / "comparison" / "figures").glob("js_runs_*.svg"))) == 2  # by ethnicity and by cell
    json_runs = json.loads((tmp_path / "comparison" / "results.json").read_text(encoding="utf-8"))["simulations"]
    assert len(json_runs) == 2


def test_verdict_shows_each_gate(demo_paths, tmp_path):
    import validator
    from validator.gates.records import Gate
    from validator.report import build_reports

    gates = [Gate("f1 high", "recovery.f1_sign", ">=", 0.99), Gate("few flips", "recovery.sign_flips", "<=", 10.0)]
    result = validator.check(demo_paths["human"], [demo_paths["unfinetuned"]], bootstrap=0, gates=gates)
    (run,) = build_reports(result, tmp_path, formats="html", renderer="builtin").runs
    text = run.qmd.read_text(encoding="utf-8")
    assert "subtitle: 'FAIL" in text and 'title="Verdict: FAIL"' in text
    rows = [line for line in text.splitlines() if line.startswith(("| f1 high", "| few flips"))][:2]  # the verdict's table comes first
    assert "**FAIL**" in rows[0] and "| 0.75 " in rows[0] and "**PASS**" in rows[1] and "| 6 " in rows[1]
    assert "recovery.f1_sign = 0.75 is not >= 0.99" in text.replace("\\", "")


def test_gap_figure_is_drawn_and_referenced(demo_run):
    assert (demo_run.directory / "figures" / "gap.svg").is_file()
    text = demo_run.qmd.read_text(encoding="utf-8")
    coherence = text[text.index("{#sec-coherence}") : text.index("{#sec-recovery}")]
    assert "](#fig-gap)" in coherence and "](figures/gap){#fig-gap" in coherence
    html = demo_run.html.read_text(encoding="utf-8")
    assert 'id="fig-gap"' in html and 'href="#fig-gap"' in html


def test_histograms_sit_under_distributional_alignment(demo_run):
    text = demo_run.qmd.read_text(encoding="utf-8")
    at = text.index("](figures/distributions)")
    assert text.index("{#sec-alignment}") < at < text.index("{#sec-coherence}")
    assert "Distributional alignment {#sec-alignment}" in text


def test_names_carry_no_zero_width_space(demo_paths, tmp_path):
    """Gate names, metric paths and run names are copied as they are: wrapping is left to CSS and Typst."""
    import validator
    from validator.gates.records import Gate
    from validator.report import build_reports

    gates = [Gate("recovery.f1_sign.high", "recovery.f1_sign", ">=", 0.99), Gate("mean js", "alignment.mean_js.by.ethnicity.max", "<=", 0.2)]
    result = validator.check(demo_paths["human"], [demo_paths["unfinetuned"], demo_paths["finetuned_random"]], bootstrap=0, gates=gates)
    reports = build_reports(result, tmp_path, formats="html,pdf", renderer="builtin")
    assert reports.comparison is not None
    for report in [*reports.runs, reports.comparison]:
        for path in (report.qmd, report.html):
            assert path is not None and "\u200b" not in path.read_text(encoding="utf-8"), path
        assert report.pdf is not None
        _, text = pdf_text(report.pdf)
        assert "\u200b" not in text
    run_html = re.sub(r"\s+", " ", "".join(parse_html(reports.runs[0].html).text))
    assert "alignment.mean_js.by.ethnicity.max" in run_html and "recovery.f1_sign.high" in run_html
    comparison_html = "".join(parse_html(reports.comparison.html).text)
    for run in reports.runs:
        assert run.name in comparison_html
