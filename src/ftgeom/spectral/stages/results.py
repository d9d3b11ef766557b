"""Rule spectral_results: paper B's claim rows, tables (CSV + LaTeX), the numbers its prose cites, and figures.

python -m ftgeom.spectral.stages.results --stability DIR ... [--runs DIR ...] [--baselines M.json ...]
       [--pretrained DIR ...] --settings JSON --claims C.csv --tables DIR --figures DIR [--config NAME]
Writes DIR/spectral_{stability,layers,peft,scale,cross,energy,steps,pretraining}.csv and
DIR/spectral_{stability,peft,scale,cross,numbers}.tex (every table is written, empty when the config runs no such part).
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from ftgeom.spectral.entry import ENTRY
from ftgeom.runtime import run_stage

PEFT_ORDER = ["full", "frozen", "spectral", "lora", "vera", "bitfit", "spectral-diag-topk", "spectral-diag-all"]
NAMES = {"full": "Full", "frozen": "Freeze", "spectral": "Spectral (block)", "lora": "LoRA", "vera": "VeRA",
         "bitfit": "BitFit", "spectral-diag-topk": "Spectral (diag, top k)",
         "spectral-diag-all": "Spectral (diag, all)"}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stability", nargs="+", required=True, help="spectral_stability output folders")
    ap.add_argument("--runs", nargs="*", default=[], help="the PEFT jobs' folders")
    ap.add_argument("--baselines", nargs="*", default=[], help="the foundation's full and frozen runs of those pairs")
    ap.add_argument("--pretrained", nargs="*", default=[], help="model folders pretrained in the workflow")
    ap.add_argument("--settings", required=True, help="the config's spectral section as JSON")
    for name in ("claims", "tables", "figures"):
        ap.add_argument(f"--{name}", required=True, type=Path)
    ap.add_argument("--config", default=os.environ.get("FTGEOM_CONFIG_NAME", "default"),
                    help="config name for the claims' setting column (the workflow sets $FTGEOM_CONFIG_NAME)")
    args = ap.parse_args(argv)
    import pandas as pd

    from ftgeom.claims import check_rows, write_claims
    from ftgeom.spectral.claim_specs import SPECS
    from ftgeom.provenance import read_json, write_text
    from ftgeom.report.style import theme
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
    check_rows(SPECS, rows, sb)
    order = {c: i for i, c in enumerate(["B1", "B2", "B3", "B4", "B5"])}
    claims = write_claims(sorted(rows, key=lambda r: order[r["claim_id"][:2]]), args.claims)
    own = analysis.foundation(df, sb)  # the `spectral.models` pairs: what B1, B2 and B5 are measured on
    summary = analysis.summary(own)
    ratios = analysis.null_ratios(own, k, null)
    layers = ratios[ratios["end"] == "lead"].groupby(["model", "layer", "label", "kind"])["log_ratio"].mean()
    pretraining = pd.DataFrame([{"model": Path(d).name,
                                 **read_json(Path(d) / "ftgeom_model.json").get("pretraining", {})}
                                for d in args.pretrained])
    out = {"stability": summary, "layers": layers.reset_index(), "peft": peft, "scale": scale, "cross": pairs,
           "energy": analysis.energy_units(own, k), "steps": steps, "pretraining": pretraining,
           "peft_runs": runs}
    args.tables.mkdir(parents=True, exist_ok=True)
    for name in ENTRY.tables_csv:
        write_text(ENTRY.table(args.tables.parent, name), out[name].to_csv(index=False, float_format="%.6g"))
    tasks = sorted(runs["task"].unique()) if len(runs) else []
    tex = {"stability": tables.stability(summary, k), "scale": tables.scale(scale) if len(scale) else "",
           "cross": tables.cross(pairs) if len(pairs) else "",
           "peft": peft_table.latex(peft, tasks, NAMES) if len(peft) else "",
           "numbers": tables.numbers(sb, own, summary, claims, peft, pairs, pretraining)}
    for name in ENTRY.tables_tex:
        write_text(ENTRY.table(args.tables.parent, name, "tex"), tex[name] or "% no such part in this config\n")
    theme()
    args.figures.mkdir(parents=True, exist_ok=True)
    figures.heatmaps(ratios, args.figures, k, null)
    figures.overlap_vs_k(own, args.figures)
    figures.steps(steps, args.figures, k)
    figures.scale(scale, args.figures)
    figures.cross(pairs[pairs["model"].isin(list(sb["models"]))], args.figures)
    figures.peft_bars(runs, PEFT_ORDER, args.figures)
    print(claims[["claim_id", "effect", "ci_low", "ci_high", "n", "verdict"]].to_string(index=False), flush=True)


if __name__ == "__main__":
    run_stage(main)
