"""Rule intrinsic_results: paper A's claim rows, tables (CSV + LaTeX), the numbers its prose cites, and figures.

python -m ftgeom.intrinsic.stages.results --runs DIR ... --subspaces DIR ... --baselines M.json ... --settings JSON
       --claims C.csv --tables DIR --figures DIR [--config NAME]
Writes DIR/intrinsic_{runs,table1,ablation,outliers,unified,transfer,cosine}.csv, the LaTeX tables
DIR/intrinsic_{table1,ablation,outliers,unified}.tex and DIR/intrinsic_numbers.tex (every table is written, empty
when the config runs no such part).
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from ftgeom.intrinsic.entry import ENTRY
from ftgeom.runtime import run_stage



def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", nargs="+", required=True, help="intrinsic_finetune output folders")
    ap.add_argument("--subspaces", nargs="+", required=True, help="intrinsic_subspace output folders")
    ap.add_argument("--baselines", nargs="+", required=True, help="the foundation's full and frozen runs")
    ap.add_argument("--settings", required=True, help="the config's intrinsic section as JSON")
    for name in ("claims", "tables", "figures"):
        ap.add_argument(f"--{name}", required=True, type=Path)
    ap.add_argument("--config", default=os.environ.get("FTGEOM_CONFIG_NAME", "default"),
                    help="config name for the claims' setting column (the workflow sets $FTGEOM_CONFIG_NAME)")
    args = ap.parse_args(argv)
    import pandas as pd

    from ftgeom.claims import check_rows, write_claims
    from ftgeom.intrinsic.claim_specs import SPECS
    from ftgeom.provenance import write_text
    from ftgeom.report.latex import not_run
    from ftgeom.report.style import theme
    from ftgeom.intrinsic import analysis, figures, outlier_analysis as oa, transfer_analysis as ta
    from ftgeom.intrinsic.numbers import layernorm_scales, macros, spectra

    settings = json.loads(args.settings)
    headline = {k: settings[k] for k in ("d", "variant", "scaled")}
    records = analysis.load_records(args.runs)
    runs = analysis.load_runs(records, args.baselines)
    table, gaps, abl = analysis.table1(runs), analysis.gaps(runs), analysis.ablation(runs, headline)
    spec = spectra(args.subspaces)
    cheap, full_space = oa.cheap(records), oa.full_space(runs)
    kinds, hidden = oa.where(records)
    features = oa.model_outlier_features(layernorm_scales(args.subspaces))
    transfer, uni = ta.transfer_pairs(runs), ta.unified(runs)
    cosines = ta.coordinate_cosines(records)
    sigma = settings["outliers"]["sigma"]
    rows = analysis.claim_rows(runs, headline, args.config) + oa.claim_rows(runs, cheap, sigma, args.config) \
        + ta.claim_rows(transfer, uni, args.config)
    check_rows(SPECS, rows, settings)
    claims = write_claims(rows, args.claims)
    seeds = runs.groupby("run")["seed"].nunique().to_dict()
    top = oa.top_indices(hidden) if not hidden.empty else {}
    outliers = pd.concat([full_space.assign(ablation="zeroed, then full fine-tuning"),
                          cheap.assign(ablation="zeroed in the learned update only")], ignore_index=True)
    tables = {"runs": runs, "table1": table, "ablation": abl, "outliers": outliers, "unified": uni,
              "transfer": transfer, "cosine": cosines.reset_index(names="task")}
    for name in ENTRY.tables_csv:
        write_text(ENTRY.table(args.tables.parent, name), tables[name].to_csv(index=False))
    tex = {"table1": figures.table1_latex(table, gaps, seeds), "ablation": figures.ablation_latex(abl),
           "outliers": figures.outliers_latex(full_space, cheap) if len(full_space) or len(cheap) else
           not_run("tab:intrinsic-outliers", "Outlier dimensions"),
           "unified": figures.unified_latex(uni) if len(uni) else
           not_run("tab:intrinsic-unified", "The unified subspace"),
           "numbers": macros(settings, runs, gaps, abl, spec, cheap=cheap, kinds=kinds, top=top, features=features,
                             transfer=transfer, uni=uni, cosines=cosines)}
    for name in ENTRY.tables_tex:
        write_text(ENTRY.table(args.tables.parent, name, "tex"), tex[name])
    theme()
    args.figures.mkdir(parents=True, exist_ok=True)
    figures.spectrum(spec, args.figures)
    figures.table1_bars(runs, args.figures)
    curve = analysis.d_curve(runs, settings["d"])
    if not curve.empty:
        figures.d_ablation(curve, runs, args.figures)
    if not transfer.empty:
        figures.transfer_heatmaps(transfer, args.figures)
    if cosines.notna().any().any():
        figures.cosine_matrix(cosines, args.figures)
    if not hidden.empty:
        size = next(r["outliers"]["hidden_size"] for r in records if r.get("outliers"))
        figures.outlier_spikes(hidden, features, size or int(hidden["hidden_index"].max()) + 1, args.figures)
    if len(full_space) or len(cheap):
        figures.outlier_bars(full_space, cheap, args.figures)
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        for name in ("table1", "ablation", "outliers", "unified"):
            print(tables[name].to_string(index=False))
        print(claims[["claim_id", "setting", "effect", "ci_low", "ci_high", "n", "verdict"]].to_string(index=False))


if __name__ == "__main__":
    run_stage(main)
