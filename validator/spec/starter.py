"""``simval spec init``: a commented starter spec inferred from one or more data files.

The columns are written as a spec (types, ranges, categories, missing values; the
guesses of :mod:`validator.spec.column_inference`), so the starter validates and
``simval check`` runs with it as it is. The analysis sections (constraints, derived
variables, models, distributions, heterogeneity, coherence) follow as commented
stubs, filled in from the data where it allows: deleting the ``# `` in front of a
stub's lines makes it part of the spec. Stubs start with a line ``# <section>:``
and continue with lines ``#   ...`` (tests uncomment them the same way).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePath

import yaml

from validator.io.readers import RawTable
from validator.spec.column_inference import (
    ColumnGuess,
    bins_for,
    guess_columns,
    round_bound,
    share_group,
)

#: Categorical columns with at most this many levels are offered as breakdowns.
MAX_BREAKDOWN_LEVELS = 8
#: At most this many breakdowns and heterogeneity columns are proposed.
MAX_BREAKDOWNS = 4
MAX_STRUCTURE_COLUMNS = 4


def _yaml_scalar(value: object) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()


def _key(name: str) -> str:
    """A spec key for a column name: the name itself when it is an identifier, else a cleaned copy."""
    if name.isidentifier() and not name.startswith("_"):
        return name
    cleaned = "".join(ch if ch.isalnum() else "_" for ch in name).strip("_") or "column"
    return cleaned if not cleaned[0].isdigit() else f"c_{cleaned}"


def _identifier(text: str) -> str:
    cleaned = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").lower() or "level"
    return cleaned if not cleaned[0].isdigit() else f"v{cleaned}"


def _quoted(text: str) -> str:
    """A string literal of the expression language."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _column_lines(guess: ColumnGuess) -> list[str]:
    key = _key(guess.name)
    if guess.kind == "identifier":
        lines = [f"  {key}:  # an identifier, {guess.distinct} distinct values: a text key, used by no model", "    type: text"]
    elif guess.kind == "empty":
        lines = [f"  {key}:  # empty in every file", "    type: text"]
    else:
        points = guess.scale_points
        what = f"a {points}-point scale" if points is not None and points > 2 else f"{guess.distinct} distinct values"
        lines = [f"  {key}:  # {what}, {guess.n_missing} of {guess.n_rows} missing", f"    type: {guess.kind}"]
    if key != guess.name:
        lines.append(f"    aliases: [{_yaml_scalar(guess.name)}]")
    if guess.kind == "numeric" and guess.low is not None and guess.high is not None:
        bounds = f"[{_yaml_scalar(round_bound(guess.low))}, {_yaml_scalar(round_bound(guess.high))}]"
        lines.append(f"    range: {bounds}   # observed; widen to the scale's bounds")
        if guess.integer:
            lines.append("    integer: true")
    if guess.kind == "categorical":
        lines.append(f"    values: {_yaml_scalar(list(guess.values))}   # in the order first seen in the data; the first is a model's reference level")
    if guess.kind in ("identifier", "empty"):
        lines.append("    required: false")
    elif guess.absent_from:
        lines.append(f"    required: false   # absent from {', '.join(PurePath(s).name for s in guess.absent_from)}")
    if guess.n_missing or guess.kind == "empty" or guess.absent_from:
        lines.append("    allow_missing: true")
    elif guess.kind != "identifier":
        lines.append("    # allow_missing: true   # if some rows may leave it empty")
    return lines


def _analysed(guesses: Sequence[ColumnGuess]) -> list[ColumnGuess]:
    """Columns an analysis stub may use: numeric or categorical, in every file."""
    return [g for g in guesses if g.kind in ("numeric", "categorical") and not g.absent_from]


def _is_item(guess: ColumnGuess) -> bool:
    """An answer scale of three or more points (a Likert item), as opposed to a 0/1 column or a wide number."""
    points = guess.scale_points
    return points is not None and points >= 3


def _stub(lines: Sequence[str]) -> list[str]:
    return [f"# {line}" for line in lines]


def _constraint_stub(group: tuple[str, ...]) -> list[str]:
    if not group:
        return ["# Row-level rules (a row that breaks one is set aside and reported), e.g. shares that", "# must sum to 100: see docs/spec-format.md, Constraints.", ""]
    names = [_key(n) for n in group]
    listed = ", ".join(names[:-1]) + f" and {names[-1]}"
    return [
        f"# Row-level rules; a row that breaks one is set aside and reported. {listed} sum to 100 in the data:",
        *_stub(
            [
                "constraints:",
                "  - name: shares_sum_to_100",
                f"    expr: abs({' + '.join(names)} - 100) <= 1",
                f"    message: {listed} must sum to 100",
            ]
        ),
        "",
    ]


def _model_stub(analysed: Sequence[ColumnGuess], group: tuple[str, ...]) -> list[str]:
    treatments = [g for g in analysed if g.kind == "categorical" and g.treatment]
    outcomes = [g for g in analysed if g.kind == "categorical" and not g.treatment and len(g.values) >= 2]
    # The omitted share is the reference: the shares sum to 100, so all of them with an intercept are collinear.
    predictors = [_key(g.name) for g in treatments] + [_key(n) for n in group[:-1]]
    lines = ["# Regression models fitted on both datasets (logit, probit, ols, mnlogit); a guess to edit:"]
    items = [g for g in analysed if _is_item(g)]
    if treatments and items:
        # An experiment with answer scales: the first item on the treatment, by OLS.
        item = _key(items[0].name)
        terms = [_key(g.name) for g in treatments]
        lines += _stub(
            [
                "models:",
                "  - id: m1",
                f"    label: {item} on {', '.join(terms)}",
                "    family: ols",
                f"    formula: {item} ~ {' + '.join(terms)}",
                "    cov_type: HC1    # nonrobust, HC0-HC3, or cluster (with cluster: a column)",
            ]
        )
        return [*lines, ""]
    if outcomes:
        outcome = outcomes[-1]
        level = outcome.values[-1]
        indicator = f"{_identifier(outcome.name)}_is_{_identifier(level)}"
        others = [_key(g.name) for g in analysed if g is not outcome and not g.treatment and _key(g.name) not in group][:3]
        terms = predictors or others
        if not terms:
            return []
        lines += _stub(
            [
                "derived:",
                f"  - name: {indicator}",
                f"    expr: {_key(outcome.name)} == {_quoted(level)}",
                f"    description: 1 when {outcome.name} is {level}, else 0",
                "models:",
                "  - id: m1",
                f"    label: {indicator} on {', '.join(terms)}",
                "    family: logit",
                f"    formula: {indicator} ~ {' + '.join(terms)}",
                "    cov_type: nonrobust    # HC0-HC3, or cluster (with cluster: a column)",
            ]
        )
        return [*lines, ""]
    numeric = [g for g in analysed if g.kind == "numeric" and _key(g.name) not in group]
    if len(numeric) < 2:
        return []
    outcome_guess = numeric[-1]
    terms = predictors or [_key(g.name) for g in sorted(numeric[:-1], key=lambda g: g.n_missing)[:3]]
    lines += _stub(
        [
            "models:",
            "  - id: m1",
            f"    label: {_key(outcome_guess.name)} on {', '.join(terms)}",
            "    family: ols",
            f"    formula: {_key(outcome_guess.name)} ~ {' + '.join(terms)}",
            "    cov_type: HC1    # nonrobust, HC0-HC3, or cluster (with cluster: a column)",
        ]
    )
    return [*lines, ""]


def _distribution_stub(analysed: Sequence[ColumnGuess], group: tuple[str, ...]) -> list[str]:
    if not analysed:
        return []
    variables = []
    for g in analysed:
        bins = bins_for(g)
        if g.kind == "categorical":
            variables.append(f"    - {{name: {_key(g.name)}}}")
        elif bins is not None:
            start, stop, count = bins
            note = f"   # one bin per point of the {count}-point scale" if g.scale_points is not None else f"   # {count} equal bins over the observed range"
            variables.append(
                f"    - {{name: {_key(g.name)}, bins: {{start: {_yaml_scalar(round_bound(start))}, stop: {_yaml_scalar(round_bound(stop))}, count: {count}}}}}{note}"
            )
    if not variables:
        return []
    levels = [g for g in analysed if g.kind == "categorical" and 2 <= len(g.values) <= MAX_BREAKDOWN_LEVELS]
    # Treatment columns first: the by-cell comparison is what an experiment is designed for.
    breakdowns = [_key(g.name) for g in sorted(levels, key=lambda g: not g.treatment)][:MAX_BREAKDOWNS]
    body = ["distributions:", "  variables:", *variables]
    if group:
        body.append(f"  mean_over: [{', '.join(_key(n) for n in group)}]   # the columns that sum to 100")
    if breakdowns:
        body.append(f"  breakdowns: [{', '.join(breakdowns)}]   # subgroups and treatment cells")
    body.append("  min_group_size: 30")
    return ["# Distributional alignment (Jensen-Shannon distance per variable, overall and by breakdown):", *_stub(body), ""]


def _heterogeneity_stub(analysed: Sequence[ColumnGuess], group: tuple[str, ...]) -> list[str]:
    if group:
        columns = [_key(n) for n in group]
    else:
        items = [g for g in analysed if not g.treatment and (g.kind == "categorical" or g.scale_points is not None)]
        # Answer scales before demographics, then the most complete columns.
        ranked = sorted(items, key=lambda g: (not _is_item(g), g.n_missing))
        columns = [_key(g.name) for g in ranked[:MAX_STRUCTURE_COLUMNS]]
        columns = [_key(g.name) for g in analysed if _key(g.name) in columns]  # back in file order
    if len(columns) < 2:
        return []
    return [
        "# Heterogeneity: the number of distinct answer patterns over these columns, at equal n:",
        *_stub(["heterogeneity:", "  - name: answer_patterns", f"    columns: [{', '.join(columns)}]"]),
        "",
    ]


def _coherence_stub(analysed: Sequence[ColumnGuess], group: tuple[str, ...]) -> list[str]:
    """A value-action gap when an action column has a level per share (``belief_t1`` -> ``attack_t1``)."""
    best: tuple[ColumnGuess, list[tuple[str, str]]] | None = None
    for action in (g for g in analysed if g.kind == "categorical" and not g.treatment):
        targets = []
        for share in group:
            token = share.rsplit("_", 1)[-1].lower()
            match = next((v for v in action.values if v.lower() == token or v.lower().endswith("_" + token)), None)
            if match is not None:
                targets.append((_key(share), match))
        if targets and (best is None or len(targets) > len(best[1])):
            best = (action, targets)
    if best is None:
        return []
    action, targets = best
    return [
        f"# Belief-action coherence: among rows whose share is strictly the highest, how often {action.name} is its action:",
        *_stub(
            [
                "coherence:",
                "  - name: value_action_gap",
                f"    action: {_key(action.name)}",
                f"    beliefs: [{', '.join(_key(n) for n in group)}]",
                "    targets:",
                *[f"      - {{belief: {belief}, action: {_yaml_scalar(level)}}}" for belief, level in targets],
            ]
        ),
        "",
    ]


def starter_spec(tables: RawTable | Sequence[RawTable], name: str) -> str:
    """YAML text of a spec that declares every column of ``tables``, with the analysis sections as commented stubs."""
    tables = [tables] if isinstance(tables, RawTable) else list(tables)
    frames = [t.frame for t in tables]
    guesses = guess_columns(frames, [t.source for t in tables])
    analysed = _analysed(guesses)
    group = share_group(frames, guesses)
    sources = ", ".join(t.source for t in tables)
    lines = [
        f"# simval study spec, started by `simval spec init` from {sources}.",
        "# Check every column: the types, ranges and categories below are guesses from the data.",
        "# The sections in comments at the end are inferred from the data too: delete the '# '",
        "# in front of a section's lines to use it. Every key: docs/spec-format.md",
        *(
            ["# Started from one file: give every file (simval spec init human.csv sim.csv) to mark the", "# columns a simulated file lacks as not required."]
            if len(tables) == 1
            else []
        ),
        "simval_spec: 1",
        f"name: {name}",
        f"title: {_yaml_scalar(name + ' study')}",
        "alpha: 0.05",
        "correction: none        # or: bonferroni, holm, sidak, fdr_bh, fdr_by",
        "",
        "columns:",
    ]
    for guess in guesses:
        lines += _column_lines(guess)
    lines.append("")
    lines += _constraint_stub(group)
    lines += _model_stub(analysed, group)
    lines += _distribution_stub(analysed, group)
    lines += _heterogeneity_stub(analysed, group)
    lines += _coherence_stub(analysed, group)
    return "\n".join(lines).rstrip("\n") + "\n"


__all__ = ["starter_spec"]
