"""Rule spectral_results: paper B's claim rows, tables (CSV + LaTeX), the numbers its prose cites, and figures.

python -m ftgeom.spectral.stages.results --stability DIR ... [--runs DIR ...] [--baselines M.json ...]
       [--pretrained DIR ...] --settings JSON --root results [--config NAME]
Writes what paper B's registry entry declares under the root: claims/spectral.csv,
tables/spectral_{stability,layers,peft,peft_runs,scale,cross,energy,steps,pretraining}.csv,
tables/spectral_{stability,peft,scale,cross,numbers}.tex (every table is written, empty when the config runs no such
part) and figures/spectral/.
"""
from __future__ import annotations

import json
from pathlib import Path

from ftgeom.report.stage_results import StageOutputs, parser
from ftgeom.runtime import run_stage
from ftgeom.spectral.entry import ENTRY

PEFT_ORDER = ["full", "frozen", "spectral", "lora", "vera", "bitfit", "spectral-diag-topk", "spectral-diag-all"]
NAMES = {"full": "Full", "frozen": "Freeze", "spectral": "Spectral (block)", "lora": "LoRA", "vera": "VeRA",
         "bitfit": "BitFit", "spectral-diag-topk": "Spectral (diag, top k)",
         "spectral-diag-all": "Spectral (diag, all)"}


def main(argv=None) -> None:
    ap = parser(__doc__)
    ap.add_argument("--stability", nargs="+", required=True, help="spectral_stability output folders")
    ap.add_argument("--runs", nargs="*", default=[], help="the PEFT jobs' folders")
    ap.add_argument("--baselines", nargs="*", default=[], help="the shared stage's full and frozen runs of those pairs")
    ap.add_argument("--pretrained", nargs="*", default=[], help="model folders pretrained in the workflow")
    args = ap.parse_args(argv)
    import pandas as pd

    from ftgeom.provenance import read_json
    from ftgeom.spectral import analysis, cross, figures, peft_table, tables

    sb = json.loads(args.settings)
    k, null = sb["claim_k"], sb["verdict_null"]
    df = analysis.load_measures(args.stability)
    steps = analysis.load_measures(args.stability, "steps.csv")
    by_model: dict[str, dict] = {}
    for d in args.stability:  # results/spectral/{model}/{task}/stability
        by_model.setdefault(Path(d).parent.parent.name, {}).update(cross.load_subspaces(d))
    pairs = pd.concat([cross.pair_overlaps(subspaces, model, sb.get("unrelated", {}).get(model, []))
                       for model, subspaces in by_model.items()], ignore_index=True)
    units = cross.cross_units(pairs) if len(pairs) else pd.Series(dtype=float)
    scale = analysis.scale_table(df, sb)
    runs = peft_table.load_runs(args.runs, args.baselines) if args.runs else pd.DataFrame()
    peft = peft_table.table(runs, PEFT_ORDER) if len(runs) else pd.DataFrame()
    rows = analysis.claim_rows(df, sb, units, scale, args.config)
    rows += peft_table.claim_rows(runs, sb, args.config) if len(runs) else []
    order = {c: i for i, c in enumerate(["B1", "B2", "B3", "B4", "B5"])}
    out = StageOutputs(ENTRY, args.root)
    claims = out.claims(sorted(rows, key=lambda r: order[r["claim_id"][:2]]), ENTRY.claim_specs, sb)
    own = analysis.analysed_pairs(df, sb)  # the `spectral.models` pairs: what B1, B2 and B5 are measured on
    summary = analysis.summary(own)
    ratios = analysis.null_ratios(own, k, null)
    layers = ratios[ratios["end"] == "lead"].groupby(["model", "layer", "label", "kind"])["log_ratio"].mean()
    pretraining = pd.DataFrame([{"model": Path(d).name,
                                 **read_json(Path(d) / "ftgeom_model.json").get("pretraining", {})}
                                for d in args.pretrained])
    csv = {"stability": summary, "layers": layers.reset_index(), "peft": peft, "scale": scale, "cross": pairs,
           "energy": analysis.energy_units(own, k), "steps": steps, "pretraining": pretraining,
           "peft_runs": runs}
    tasks = sorted(runs["task"].unique()) if len(runs) else []
    tex = {"stability": tables.stability(summary, k), "scale": tables.scale(scale) if len(scale) else "",
           "cross": tables.cross(pairs) if len(pairs) else "",
           "peft": peft_table.latex(peft, tasks, NAMES) if len(peft) else "",
           "numbers": tables.numbers(sb, own, summary, claims, peft, pairs, pretraining)}
    out.tables(csv, tex, float_format="%.6g")
    folder = out.figures()
    figures.heatmaps(ratios, folder, k, null)
    figures.overlap_vs_k(own, folder)
    figures.steps(steps, folder, k)
    figures.scale(scale, folder)
    figures.cross(pairs[pairs["model"].isin(list(sb["models"]))], folder)
    figures.peft_bars(runs, PEFT_ORDER, folder)
    print(claims[["claim_id", "effect", "ci_low", "ci_high", "n", "verdict"]].to_string(index=False), flush=True)


if __name__ == "__main__":
    run_stage(main)
