"""Rule head_probe_select: the converged base probe of one (model, task) and seed at each probing setting of a
selection grid (snakemake select), scored on validation data.

python -m ftgeom.head_probe.stages.probe_grid --runs JSON --features DIR --model DIR [--threads N]
--runs: [{"spec": {lr, batch_size, head, label_smoothing, converged_epochs, seed, ...}, "out": point.json}, ...]
"""
from __future__ import annotations

import json
from pathlib import Path

from ftgeom import runtime
from ftgeom.runtime import job_parser, run_stage


def main(argv=None) -> None:
    ap = job_parser(__doc__)
    ap.add_argument("--runs", required=True)
    ap.add_argument("--features", required=True, type=Path)
    ap.add_argument("--model", required=True, type=Path)
    args = ap.parse_args(argv)
    runs = json.loads(args.runs)
    runtime.setup(args.threads, runs[0]["spec"]["seed"])
    from ftgeom.head_probe.probe import CONVERGED, probe_heads
    from ftgeom.models import model_info
    from ftgeom.provenance import stamp, write_json

    info = model_info(args.model)
    for run in runs:
        spec = run["spec"]
        _, record = probe_heads(args.features, info, spec["seed"], spec, [CONVERGED])
        end = record["energy"][CONVERGED]
        write_json(run["out"], {"spec": spec, "validation": end["validation"], "energy": end["energy"],
                                "provenance": stamp(spec, spec["seed"])})
        print(f"probe lr {spec['lr']:g} seed {spec['seed']}: validation {end['validation']:.4f}, energy "
              f"{end['energy']:.3f}", flush=True)


if __name__ == "__main__":
    run_stage(main)
