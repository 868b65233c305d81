"""Calibration of PPI++ on a known process: coverage, width against human-only, pilot check.

The process is the demo generator's synthetic population (validator.demo.generate). The
truth of every coefficient of the six models is its pseudo-true value in the human
population, estimated once by fitting the model on a very large human sample. Each
replicate draws 929 personas with their human answers, keeps a random 25% as labeled
(the pilot: their human answers and their simulations) and uses the simulations of the
other 75% as unlabeled. Two simulations, both paired by persona (participant_id):

- ``finetuned_random``: the demo's finetuned-like run: biased (perturbed constants) and,
  given the persona, independent of the person's own answers (uninformative pairs);
- ``twin70``: an informative, still biased simulation: each simulated persona repeats
  its human's answers with probability 0.7 and otherwise answers as finetuned_random.

Reported per simulation: coverage of the true coefficients by the 95% PPI++ and by the
human-only (classical) interval over all 22 coefficients, with its Monte-Carlo standard
error sqrt(p (1 - p) / (R * 22)) (coefficients of one replicate are not independent, so
the per-model rows, which use R, are the conservative read); the median ratio of PPI++
to human-only width; the median n_eff / n; and the pilot check: how often the PPI++
pilot interval covers the full-human (all 929) estimate.

Usage:  python bench/coverage_inference.py [--quick] [--replicates R] [--figure PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

N_PERSONAS = 929
PILOT = 0.25
ANSWERS = ["pre_choice", "belief_t1", "belief_t2", "belief_both", "decision"]


def _twin(human: pd.DataFrame, sim: pd.DataFrame, share: float, rng: np.random.Generator) -> pd.DataFrame:
    out = sim.copy()
    copy = rng.random(len(human)) < share
    out.loc[copy, ANSWERS] = human.loc[copy, ANSWERS].to_numpy()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100 replicates and a smaller truth sample")
    parser.add_argument("--replicates", type=int, default=None)
    parser.add_argument("--figure", default=None, help="write the coverage and width figure (PNG) here")
    parser.add_argument("--json", default=None, help="write the summary as JSON here")
    parser.add_argument("--tuning", choices=["model", "coefficient"], default="model", help="one lambda per model or per coefficient")
    args = parser.parse_args()
    replicates = args.replicates or (100 if args.quick else 400)
    truth_n = 100_000 if args.quick else 400_000

    from validator.api import read_dataset
    from validator.checks.context import CheckContext
    from validator.demo.generate import generate_human, generate_simulated
    from validator.inference.compute import compute_inference
    from validator.inference.section import default_section
    from validator.models.fit import fit_models
    from validator.spec.load import load_spec

    spec = load_spec("hunt2025")
    section = replace(default_section(spec, "participant_id"), tuning=args.tuning)
    started = time.time()
    big = read_dataset(generate_human(truth_n, seed=999_999), spec, label="truth")
    truth = {(f.model, c.term): c.estimate for f in fit_models(spec.models, big.frame) for c in f.coefficients}
    print(f"truth from {truth_n:,} humans in {time.time() - started:.0f}s", file=sys.stderr)

    kinds = ("finetuned_random", "twin70")
    records: list[dict[str, object]] = []
    context = CheckContext(replicates=0)
    for r in range(replicates):
        rng = np.random.default_rng((2026, r))
        human = generate_human(N_PERSONAS, seed=10_000 + r)
        base = generate_simulated("finetuned_random", human, seed=10_000 + r)
        sims = {"finetuned_random": base, "twin70": _twin(human, base, 0.7, rng)}
        labeled_ids = rng.choice(N_PERSONAS, size=round(PILOT * N_PERSONAS), replace=False) + 1
        labeled = frozenset(str(i) for i in labeled_ids)
        h_data = read_dataset(human, spec, label="human")
        full = {(f.model, c.term): c.estimate for f in fit_models(spec.models, h_data.frame) if f.estimable for c in f.coefficients}
        for kind in kinds:
            s_data = read_dataset(sims[kind], spec, label=kind)
            result = compute_inference(h_data, s_data, section, replace(context, seed=r), labeled=labeled)
            for model in result.models:
                if model.status != "ok":
                    records.append({"kind": kind, "replicate": r, "model": model.model, "term": None, "status": model.reason})
                    continue
                for c in model.coefficients:
                    t = truth[(model.model, c.term)]
                    f = full.get((model.model, c.term), np.nan)
                    records.append({
                        "kind": kind, "replicate": r, "model": model.model, "term": c.term, "status": "ok",
                        "ppi_covers": c.ppi_low <= t <= c.ppi_high,
                        "classical_covers": c.classical_low <= t <= c.classical_high,
                        "width_ratio": (c.ppi_high - c.ppi_low) / (c.classical_high - c.classical_low),
                        "neff_ratio": c.effective_n / model.n_human,
                        "lambda": c.lam,
                        "pilot_covers_full": bool(c.ppi_low <= f <= c.ppi_high),
                        "classical_pilot_covers_full": bool(c.classical_low <= f <= c.classical_high),
                    })
        if (r + 1) % 25 == 0:
            print(f"{r + 1}/{replicates} replicates, {time.time() - started:.0f}s", file=sys.stderr)

    frame = pd.DataFrame(records)
    ok = frame[frame["status"] == "ok"]
    summary: dict[str, object] = {"tuning": args.tuning, "replicates": replicates, "n_personas": N_PERSONAS, "pilot": PILOT, "truth_n": truth_n}
    print(f"\nPPI++ calibration ({args.tuning} tuning): {replicates} replicates of {N_PERSONAS} personas, "
          f"{PILOT:.0%} labeled, 95% intervals")
    for kind in kinds:
        part = ok[ok["kind"] == kind]
        k = len(part)
        p_ppi, p_cl = part["ppi_covers"].mean(), part["classical_covers"].mean()
        def mc(p: float, k: int = k) -> float:
            return float(np.sqrt(p * (1 - p) / k))

        failed = frame[(frame["kind"] == kind) & (frame["status"] != "ok")]
        row = {
            "coefficient_intervals": k,
            "ppi_coverage": float(p_ppi), "ppi_mc_se": mc(p_ppi),
            "classical_coverage": float(p_cl), "classical_mc_se": mc(p_cl),
            "median_width_ratio": float(part["width_ratio"].median()),
            "max_width_ratio": float(part["width_ratio"].max()),
            "widest": " ".join(map(str, part.loc[part["width_ratio"].idxmax(), ["model", "term"]])),
            "share_wider_than_1_1": float((part["width_ratio"] > 1.1).mean()),
            "median_neff_ratio": float(part["neff_ratio"].median()),
            "median_lambda": float(part["lambda"].median()),
            "pilot_covers_full": float(part["pilot_covers_full"].mean()),
            "classical_pilot_covers_full": float(part["classical_pilot_covers_full"].mean()),
            "models_not_rectified": len(failed),
            "by_model": {
                m: {"ppi_coverage": float(g["ppi_covers"].mean()), "mc_se": float(np.sqrt(g["ppi_covers"].mean() * (1 - g["ppi_covers"].mean()) / g["replicate"].nunique())),
                    "classical_coverage": float(g["classical_covers"].mean()), "median_width_ratio": float(g["width_ratio"].median())}
                for m, g in part.groupby("model")
            },
        }
        summary[kind] = row
        print(f"\n{kind}: {k} coefficient intervals ({len(failed)} model fits not rectified)")
        print(f"  coverage of the truth: PPI++ {p_ppi:.3f} (MC se {mc(p_ppi):.3f}), human-only {p_cl:.3f} (MC se {mc(p_cl):.3f})")
        print(f"  width PPI++ / human-only: median {row['median_width_ratio']:.3f}, max {row['max_width_ratio']:.3f} "
              f"({row['widest']}), share above 1.1 {row['share_wider_than_1_1']:.3f}; "
              f"median n_eff / n {row['median_neff_ratio']:.2f}; median lambda {row['median_lambda']:.2f}")
        print(f"  pilot check: PPI++ pilot interval covers the full-human estimate {row['pilot_covers_full']:.3f} "
              f"(human-only pilot {row['classical_pilot_covers_full']:.3f})")
        for m, g in row["by_model"].items():  # type: ignore[union-attr]
            print(f"    {m}: PPI++ {g['ppi_coverage']:.3f} (MC se {g['mc_se']:.3f}), human-only {g['classical_coverage']:.3f}, "
                  f"width ratio {g['median_width_ratio']:.3f}")
    print(f"\n{time.time() - started:.0f}s in all")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if args.figure:
        _figure(ok, kinds, args.figure)
    return 0


def _figure(ok: pd.DataFrame, kinds: tuple[str, ...], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    models = sorted(ok["model"].unique())
    x = np.arange(len(models))
    for i, kind in enumerate(kinds):
        part = ok[ok["kind"] == kind]
        cov = [part[part["model"] == m]["ppi_covers"].mean() for m in models]
        n_rep = [part[part["model"] == m]["replicate"].nunique() for m in models]
        err = [1.96 * np.sqrt(c * (1 - c) / r) for c, r in zip(cov, n_rep)]
        axes[0].errorbar(x + (i - 0.5) * 0.25, cov, yerr=err, fmt="o" if i == 0 else "s", color=("0.2", "0.55")[i], label=f"PPI++, {kind}", capsize=3)
    classical = [ok[(ok["kind"] == kinds[0]) & (ok["model"] == m)]["classical_covers"].mean() for m in models]
    axes[0].plot(x, classical, "x", color="0.0", label="human-only")
    axes[0].axhline(0.95, color="0.5", lw=0.8, ls="--")
    axes[0].set_xticks(x, models)
    axes[0].set_ylim(0.85, 1.0)
    axes[0].set_ylabel("coverage of the true coefficients")
    axes[0].legend(fontsize=8, loc="lower left")
    axes[0].set_title("95% intervals, 25% labeled of 929")
    data = [ok[ok["kind"] == kind]["width_ratio"].to_numpy() for kind in kinds]
    axes[1].boxplot(data, tick_labels=list(kinds), showfliers=False)
    axes[1].axhline(1.0, color="0.5", lw=0.8, ls="--")
    axes[1].set_ylabel("width PPI++ / human-only")
    axes[1].set_title("interval width per coefficient")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    raise SystemExit(main())
