"""Rule synthesis_task: the synthesis's measures of one traced full run (ftgeom.synthesis.trajectory_measures).

python -m ftgeom.synthesis.stages.task --trajectory DIR [--outliers RECORD.json] --settings JSON --out DIR
--outliers: paper A's intrinsic run whose record holds the task's outlier positions (outlier tasks only).
Writes DIR/measures.csv (one row per encoder weight matrix), DIR/subspaces.safetensors (top-k left singular vectors
of each matrix's update) and DIR/provenance.json.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from ftgeom import runtime
from ftgeom.runtime import job_parser, run_stage


def main(argv=None) -> None:
    ap = job_parser(__doc__)
    ap.add_argument("--trajectory", required=True, type=Path)
    ap.add_argument("--outliers", type=Path)
    ap.add_argument("--settings", required=True)
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)
    runtime.setup(args.threads)
    import pandas as pd
    from safetensors.torch import save_file

    from ftgeom.provenance import read_json, stamp, write_json
    from ftgeom.synthesis.trajectory_measures import measure

    settings = json.loads(args.settings)
    record = read_json(args.outliers) if args.outliers else None
    outliers = {**record["outliers"], "coordinates": record["coordinates"]} if record else None
    rows, subspaces = measure(args.trajectory, settings["k"], settings["directions"], outliers)
    tmp = args.out.with_name(f".{args.out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    pd.DataFrame(rows).to_csv(tmp / "measures.csv", index=False, float_format="%.8g")
    save_file(subspaces, str(tmp / "subspaces.safetensors"))
    write_json(tmp / "provenance.json", stamp({"trajectory": str(args.trajectory), "settings": settings,
                                               "outliers": str(args.outliers) if args.outliers else None}))
    shutil.rmtree(args.out, ignore_errors=True)
    tmp.rename(args.out)
    print(f"{len(rows)} matrices of {args.trajectory} -> {args.out}", flush=True)


if __name__ == "__main__":
    run_stage(main)
