"""Rule intrinsic_results: paper A's claim rows, tables (CSV + LaTeX), the numbers its prose cites, and figures.

python -m ftgeom.intrinsic.stages.results --runs DIR ... --subspaces DIR ... --baselines M.json ... --settings JSON
       --root results [--config NAME]
Writes what paper A's registry entry declares under the root: claims/intrinsic.csv, tables/intrinsic_{runs,table1,
ablation,outliers,unified,transfer,cosine}.csv, the LaTeX tables tables/intrinsic_{table1,ablation,outliers,unified,
numbers}.tex (every table is written, empty when the config runs no such part) and figures/intrinsic/.
"""
from __future__ import annotations

import json

from ftgeom.intrinsic.entry import ENTRY
from ftgeom.report.stage_results import StageOutputs, parser
from ftgeom.runtime import run_stage


def main(argv=None) -> None:
    ap = parser(__doc__)
    ap.add_argument("--runs", nargs="+", required=True, help="intrinsic_finetune output folders")
    ap.add_argument("--subspaces", nargs="+", required=True, help="intrinsic_subspace output folders")
    ap.add_argument("--baselines", nargs="+", required=True, help="the shared stage's full and frozen runs")
    args = ap.parse_args(argv)
    import pandas as pd

    from ftgeom.report.latex import not_run
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
    out = StageOutputs(ENTRY, args.root)
    claims = out.claims(rows, ENTRY.claim_specs, settings)
    seeds = runs.groupby("run")["seed"].nunique().to_dict()
    top = oa.top_indices(hidden) if not hidden.empty else {}
    outliers = pd.concat([full_space.assign(ablation="zeroed, then full fine-tuning"),
                          cheap.assign(ablation="zeroed in the learned update only")], ignore_index=True)
    tables = {"runs": runs, "table1": table, "ablation": abl, "outliers": outliers, "unified": uni,
              "transfer": transfer, "cosine": cosines.reset_index(names="task")}
    tex = {"table1": figures.table1_latex(table, gaps, seeds), "ablation": figures.ablation_latex(abl),
           "outliers": figures.outliers_latex(full_space, cheap) if len(full_space) or len(cheap) else
           not_run("tab:intrinsic-outliers", "Outlier dimensions"),
           "unified": figures.unified_latex(uni) if len(uni) else
           not_run("tab:intrinsic-unified", "The unified subspace"),
           "numbers": macros(settings, runs, gaps, abl, spec, cheap=cheap, kinds=kinds, top=top, features=features,
                             transfer=transfer, uni=uni, cosines=cosines)}
    out.tables(tables, tex)
    folder = out.figures()
    figures.spectrum(spec, folder)
    figures.table1_bars(runs, folder)
    curve = analysis.d_curve(runs, settings["d"])
    if not curve.empty:
        figures.d_ablation(curve, runs, folder)
    if not transfer.empty:
        figures.transfer_heatmaps(transfer, folder)
    if cosines.notna().any().any():
        figures.cosine_matrix(cosines, folder)
    if not hidden.empty:
        size = next(r["outliers"]["hidden_size"] for r in records if r.get("outliers"))
        figures.outlier_spikes(hidden, features, size or int(hidden["hidden_index"].max()) + 1, folder)
    if len(full_space) or len(cheap):
        figures.outlier_bars(full_space, cheap, folder)
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        for name in ("table1", "ablation", "outliers", "unified"):
            print(tables[name].to_string(index=False))
        print(claims[["claim_id", "setting", "effect", "ci_low", "ci_high", "n", "verdict"]].to_string(index=False))


if __name__ == "__main__":
    run_stage(main)
