"""Rule head_probe_results: paper C's claim rows, tables (CSV + LaTeX) and figures.

python -m ftgeom.head_probe.stages.results --probes P.json ... --runs DIR ... --start M.json ... --linear L.csv
       --taus JSON --claims C.csv --runs-csv R.csv --summary S.csv --tex S.tex --figures DIR [--config NAME]
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from ftgeom.runtime import run_stage


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--probes", nargs="+", required=True)
    ap.add_argument("--runs", nargs="+", required=True, help="head_probe_finetune output folders")
    ap.add_argument("--start", nargs="*", default=[],
                    help="the foundation's full runs (τ = 0) of the models without a finetune_lr of their own")
    ap.add_argument("--linear", required=True, type=Path)
    ap.add_argument("--taus", required=True)
    ap.add_argument("--settings", default="{}", help="the head_probe config section (JSON): which claims it runs")
    ap.add_argument("--claims", required=True, type=Path)
    ap.add_argument("--runs-csv", required=True, type=Path)
    ap.add_argument("--summary", required=True, type=Path)
    ap.add_argument("--tex", required=True, type=Path)
    ap.add_argument("--figures", required=True, type=Path)
    ap.add_argument("--config", default=os.environ.get("FTGEOM_CONFIG_NAME", "default"),
                    help="config name for the claims' setting column (the workflow sets $FTGEOM_CONFIG_NAME)")
    args = ap.parse_args(argv)
    import pandas as pd

    from ftgeom.claims import check_rows, write_claims
    from ftgeom.head_probe.claim_specs import SPECS
    from ftgeom.head_probe import figures
    from ftgeom.head_probe.analysis import (
        best_intermediate,
        claim_rows,
        load_runs,
        probe_curves,
        summary_table,
    )
    from ftgeom.provenance import atomic_path

    curves = probe_curves(args.probes)
    runs, epochs = load_runs(args.probes, args.runs, args.start)
    linear = pd.read_csv(args.linear)
    summary = summary_table(runs)
    rows = claim_rows(runs, curves, json.loads(args.taus), linear, args.config, epochs)
    check_rows(SPECS, rows, json.loads(args.settings))
    claims = write_claims(rows, args.claims)
    per_row = runs.groupby(["model", "task", "variant", "tau"])["seed"].nunique()
    base = per_row.xs("base", level="variant")
    n_seeds = f"{base.min()} seeds" + ("" if per_row.min() == base.min() else f" (variants: {per_row.min()})")
    for path, text in ((args.runs_csv, runs.to_csv(index=False)), (args.summary, summary.to_csv(index=False)),
                       (args.tex, figures.summary_latex(summary, n_seeds))):
        with atomic_path(path) as tmp:
            tmp.write_text(text)
    args.figures.mkdir(parents=True, exist_ok=True)
    figures.energy_vs_tau(curves, args.figures)
    figures.features_vs_energy(runs, args.figures)
    figures.metric_vs_tau(runs, best_intermediate(runs), args.figures)
    figures.variants(runs, args.figures)
    figures.drift_vs_epoch(epochs, args.figures)
    figures.linear_model(linear, args.figures)
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(summary.to_string(index=False))
        print(claims[["claim_id", "setting", "effect", "ci_low", "ci_high", "n", "verdict"]].to_string(index=False))


if __name__ == "__main__":
    run_stage(main)
