"""Rule intrinsic_report: paper A's claim rows, tables (CSV + LaTeX), the numbers its prose cites, and figures.

python -m ftgeom.stages.intrinsic_report --runs DIR ... --subspaces DIR ... --baselines M.json ... --settings JSON
       --claims C.csv --runs-csv R.csv --table1 T.csv --tex T.tex --ablation A.csv --ablation-tex A.tex
       --macros N.tex --figures DIR [--config NAME]
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from ftgeom.stages import run_stage


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", nargs="+", required=True, help="intrinsic_finetune output folders")
    ap.add_argument("--subspaces", nargs="+", required=True, help="intrinsic_subspaces output folders")
    ap.add_argument("--baselines", nargs="+", required=True, help="the foundation's full and frozen runs")
    ap.add_argument("--settings", required=True, help="the config's intrinsic section as JSON")
    for name in ("claims", "runs-csv", "table1", "tex", "ablation", "ablation-tex", "macros", "figures"):
        ap.add_argument(f"--{name}", required=True, type=Path)
    ap.add_argument("--config", default=os.environ.get("FTGEOM_CONFIG_NAME", "default"),
                    help="config name for the claims' setting column (the workflow sets $FTGEOM_CONFIG_NAME)")
    args = ap.parse_args(argv)
    import pandas as pd

    from ftgeom.claims import write_claims
    from ftgeom.provenance import write_text
    from ftgeom.report.style import theme
    from ftgeom.subspace import analysis, figures
    from ftgeom.subspace.numbers import macros, spectra

    settings = json.loads(args.settings)
    headline = {k: settings[k] for k in ("d", "variant", "scaled")}
    runs = analysis.load_runs(args.runs, args.baselines)
    table = analysis.table1(runs)
    gaps = analysis.gaps(runs)
    abl = analysis.ablation(runs, headline)
    spec = spectra(args.subspaces)
    claims = write_claims(analysis.claim_rows(runs, headline, args.config), args.claims)
    seeds = runs.groupby("run")["seed"].nunique().to_dict()
    for path, text in ((args.runs_csv, runs.to_csv(index=False)), (args.table1, table.to_csv(index=False)),
                       (args.ablation, abl.to_csv(index=False)),
                       (args.tex, figures.table1_latex(table, gaps, seeds)),
                       (args.ablation_tex, figures.ablation_latex(abl)),
                       (args.macros, macros(settings, runs, gaps, abl, spec))):
        write_text(path, text)
    theme()
    args.figures.mkdir(parents=True, exist_ok=True)
    figures.spectrum(spec, args.figures)
    figures.table1_bars(runs, args.figures)
    curve = analysis.d_curve(runs, settings["d"])
    if not curve.empty:
        figures.d_ablation(curve, runs, args.figures)
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(table.to_string(index=False))
        print(gaps.to_string(index=False))
        print(abl.to_string(index=False))
        print(claims[["claim_id", "setting", "effect", "ci_low", "ci_high", "n", "verdict"]].to_string(index=False))


if __name__ == "__main__":
    run_stage(main)
