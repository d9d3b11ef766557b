"""Rule spectral_stability: paper B's SVD measures of every encoder weight matrix of one model's analysed runs.

python -m ftgeom.spectral.stages.stability --runs JSON --settings JSON --out DIR [--threads N]
--runs: [{"task", "run" (full | a PEFT run), "seed", "weights" (a trajectory folder: θ0 = W0, last point = W1)}].
Writes DIR/measures.csv (W0 vs W1 per matrix, source (real, null-*), k and end), DIR/steps.csv (W0 vs the traced
seed's recorded points of `trajectory_tasks`), DIR/subspaces.safetensors (top cross_k left singular vectors of W1
and ΔW of the full runs, real and same-spectrum null) and DIR/provenance.json. Nulls are drawn for full runs only.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from ftgeom import runtime
from ftgeom.runtime import job_parser, run_stage


def main(argv=None) -> None:
    ap = job_parser(__doc__)
    ap.add_argument("--runs", required=True)
    ap.add_argument("--settings", required=True)
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)
    runtime.setup(args.threads)
    import pandas as pd
    from safetensors.torch import save_file

    from ftgeom.provenance import stamp, write_json
    from ftgeom.spectral.stability import run_measures

    runs, settings = json.loads(args.runs), json.loads(args.settings)
    traced = min(r["seed"] for r in runs if r["run"] == "full") if any(r["run"] == "full" for r in runs) else None
    rows, steps, kept = [], [], {}
    for i, r in enumerate(runs):
        full = r["run"] == "full"
        points = settings.get("trajectory_points", []) if full and r["seed"] == traced and \
            r["task"] in settings.get("trajectory_tasks", []) else []
        tag = f"{r['task']}/{r['run']}/seed{r['seed']}"
        print(f"[{i + 1}/{len(runs)}] {tag}: {'with nulls' if full else 'real update only'}"
              f"{f', {len(points)} trajectory points' if points else ''}", flush=True)
        got, at, subspaces = run_measures(r["weights"], settings, nulls=full, keep_subspaces=full, points=points,
                                          tag=tag)
        ident = {"task": r["task"], "run": r["run"], "seed": r["seed"]}
        rows += [{**ident, **row} for row in got]
        steps += [{**ident, **row} for row in at]
        kept.update({f"{tag}/{k}": v for k, v in subspaces.items()})
    tmp = args.out.with_name(f".{args.out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    pd.DataFrame(rows).to_csv(tmp / "measures.csv", index=False, float_format="%.8g")
    pd.DataFrame(steps).to_csv(tmp / "steps.csv", index=False, float_format="%.8g")
    save_file(kept, str(tmp / "subspaces.safetensors"))
    write_json(tmp / "provenance.json", stamp({"runs": runs, "settings": settings}))
    shutil.rmtree(args.out, ignore_errors=True)
    tmp.rename(args.out)
    print(f"{len(rows)} rows from {len(runs)} runs, {len(steps)} trajectory rows -> {args.out}", flush=True)


if __name__ == "__main__":
    run_stage(main)
