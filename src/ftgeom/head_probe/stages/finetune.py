"""Rule head_probe_finetune: fine-tune one seed of one (model, task) from each of its probed heads.

python -m ftgeom.head_probe.stages.finetune --spec JSON --runs JSON --heads heads.pt --probe probe.json --data DIR
                                      --model DIR --out-dir DIR --state-dir DIR [--ops JSON] [--threads N]
--spec: the foundation's full fine-tuning spec for this seed; --runs: [[variant, tau], ...].
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

from ftgeom import runtime
from ftgeom.runtime import run_stage


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec", required=True)
    ap.add_argument("--runs", required=True)
    ap.add_argument("--heads", required=True, type=Path)
    ap.add_argument("--probe", required=True, type=Path)
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--out-dir", required=True, type=Path)
    ap.add_argument("--state-dir", required=True, type=Path)
    ap.add_argument("--ops", default=os.environ.get("FTGEOM_OPS", "{}"))
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    spec = json.loads(args.spec)
    runtime.setup(args.threads, spec["seed"])
    from ftgeom.head_probe.runs import finetune_from_heads

    runs = [tuple(r) for r in json.loads(args.runs)]
    finetune_from_heads(spec, runs, args.heads, args.probe, args.data, args.model, args.out_dir, args.state_dir,
                        json.loads(args.ops))
    shutil.rmtree(args.state_dir, ignore_errors=True)  # every run is complete: resume state no longer needed


if __name__ == "__main__":
    run_stage(main)
