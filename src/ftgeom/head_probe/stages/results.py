"""Rule head_probe_results: paper C's claim rows, tables (CSV + LaTeX) and figures.

python -m ftgeom.head_probe.stages.results --probes P.json ... --runs DIR ... --start M.json ... --linear L.csv
       --taus JSON --settings JSON --root results [--config NAME]
Writes what paper C's registry entry declares under the root: claims/head_probe.csv,
tables/head_probe_{runs,summary}.csv, tables/head_probe_summary.tex and figures/head_probe/.
"""
from __future__ import annotations

import json
from pathlib import Path

from ftgeom.head_probe.entry import ENTRY
from ftgeom.report.stage_results import StageOutputs, parser
from ftgeom.runtime import run_stage


def main(argv=None) -> None:
    ap = parser(__doc__)
    ap.add_argument("--probes", nargs="+", required=True)
    ap.add_argument("--runs", nargs="+", required=True, help="head_probe_finetune output folders")
    ap.add_argument("--start", nargs="*", default=[],
                    help="the shared full runs (τ = 0) of the models without a finetune_lr of their own")
    ap.add_argument("--linear", required=True, type=Path)
    ap.add_argument("--taus", required=True)
    args = ap.parse_args(argv)
    import pandas as pd

    from ftgeom.head_probe import figures
    from ftgeom.head_probe.analysis import (
        best_intermediate,
        claim_rows,
        load_runs,
        probe_curves,
        summary_table,
    )

    curves = probe_curves(args.probes)
    runs, epochs = load_runs(args.probes, args.runs, args.start)
    linear = pd.read_csv(args.linear)
    summary = summary_table(runs)
    rows = claim_rows(runs, curves, json.loads(args.taus), linear, args.config, epochs)
    out = StageOutputs(ENTRY, args.root)
    claims = out.claims(rows, ENTRY.claim_specs, json.loads(args.settings))
    per_row = runs.groupby(["model", "task", "variant", "tau"])["seed"].nunique()
    base = per_row.xs("base", level="variant")
    n_seeds = f"{base.min()} seeds" + ("" if per_row.min() == base.min() else f" (variants: {per_row.min()})")
    out.tables({"runs": runs, "summary": summary}, {"summary": figures.summary_latex(summary, n_seeds)})
    folder = out.figures()
    figures.energy_vs_tau(curves, folder)
    figures.features_vs_energy(runs, folder)
    figures.metric_vs_tau(runs, best_intermediate(runs), folder)
    figures.variants(runs, folder)
    figures.drift_vs_epoch(epochs, folder)
    figures.linear_model(linear, folder)
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(summary.to_string(index=False))
        print(claims[["claim_id", "setting", "effect", "ci_low", "ci_high", "n", "verdict"]].to_string(index=False))


if __name__ == "__main__":
    run_stage(main)
