"""The report's figures: ticked forest axes, capped term labels, the value-action-gap figure, the heatmap legend."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from validator.report import figures
from validator.results import CheckResult


@pytest.mark.parametrize(("lo", "hi"), [(-0.05, 0.04), (-0.0598, 0.0627), (-22.0, 6.8), (0.0, 4.1), (-1.0, 0.02), (0.0021, 0.0102), (-150.0, 3000.0)])
def test_forest_axes_get_three_to_six_round_ticks_inside_the_range(lo: float, hi: float) -> None:
    values, decimals = figures._ticks(lo, hi)
    assert 3 <= len(values) <= 6
    assert all(lo <= v <= hi for v in values)
    labels = [figures._tick_text(v, decimals) for v in values]
    assert len(set(labels)) == len(labels)  # printed apart
    step = values[1] - values[0]
    assert all(math.isclose(b - a, step, rel_tol=1e-9) for a, b in zip(values, values[1:]))


@pytest.mark.parametrize(
    ("term", "label"),
    [
        ("belief_t1", "belief_t1"),
        ("C(race, levels=['white', 'black', 'asian_pi'])[T.black]", "race[black]"),
        ("a_very_long_interaction_term_name:another_long_one", "a_very_long_interaction_ter\u2026"),
    ],
)
def test_forest_term_labels_are_readable_and_capped(term: str, label: str) -> None:
    assert figures._term_label(term) == label
    assert len(label) <= figures.TERM_CHARS


def test_forest_figures_fit_a_page(demo_result: CheckResult) -> None:
    sim = demo_result.simulations[0]
    drawn = figures.forest_plots(sim.recovery, demo_result.human_fits, sim.fits, demo_result.alpha)
    assert drawn
    assert all(d.figure.get_figheight() <= figures.FOREST_MAX_H for d in drawn)
    assert sum(len(t.get_text()) > 0 for t in drawn[0].figure.axes[0].texts) > 3 * sim.recovery.summary.n_coefficients  # term, class and ticks per row


def test_gap_figure_shows_each_target_share_with_its_n(demo_result: CheckResult, tmp_path: Path) -> None:
    sim = demo_result.simulations[0]
    drawn = figures.gap_figure(sim.coherence)
    assert drawn is not None
    (svg,) = figures.save([drawn], tmp_path, "svg")
    text = svg.read_text(encoding="utf-8")
    (c,) = sim.coherence
    for point, shares, gap in ((c.human.point, c.human.shares, c.human.gap), (c.sim.point, c.sim.shares, c.sim.gap)):
        for target, share in zip(point.targets, shares):
            assert share.estimate is not None
            assert f"n = {target.n}" in text and f"{100 * share.estimate:.1f}" in text
        assert gap.estimate is not None
        assert f"n = {point.n}" in text and f"{100 * gap.estimate:.1f}" in text
    assert "gap (pooled)" in text


def test_gap_figure_needs_a_coherence_check() -> None:
    assert figures.gap_figure([]) is None


@pytest.mark.parametrize(("within", "legend"), [(True, True), (False, False)])
def test_heatmap_frames_within_floor_cells_and_says_so_in_a_legend(tmp_path: Path, within: bool, legend: bool) -> None:
    cells = [[figures.HeatCell(0.02, within, False), figures.HeatCell(0.6, False, False)]]
    fig = figures._heatmap_figure(["mean JS"], ["a", "b"], cells, title="t", xlabel="group", ylabel="variable")
    (svg,) = figures.save([figures.Drawn("h", fig)], tmp_path, "svg")
    assert ("within the human noise floor" in svg.read_text(encoding="utf-8")) is legend


@pytest.mark.parametrize("sizes", [[3, 5, 6, 4], [10, 10, 5, 4], [21], [1, 30, 2], [9] * 7])
def test_forest_parts_fit_their_figure_and_keep_every_coefficient_once(sizes: list[int]) -> None:
    groups = [(f"m{k}", [(k, i) for i in range(n)]) for k, n in enumerate(sizes)]
    chunks = figures._chunks(groups)
    room = figures.FOREST_MAX_H - 0.45
    assert all(sum(figures._HEAD_H + figures._ROW_H * len(items) for _, items in chunk) <= room + 1e-9 for chunk in chunks)
    assert [c for chunk in chunks for _, items in chunk for c in items] == [c for _, items in groups for c in items]
    parts = {model: [len(items) for chunk in chunks for m, items in chunk if m == model] for model, _ in groups}
    assert all(max(p) - min(p) <= 1 for p in parts.values())  # a split model is split evenly, no lone row
