"""Rule finetune (and finetune_traced / finetune_kept): one (model, task, method, seed) run.

python -m ftgeom.stages.finetune --spec JSON [--ops JSON] --data DIR --model DIR --out metrics.json --state-dir DIR
                                 [--trajectory-out DIR] [--threads N]
--spec holds every setting that changes a number; --ops (default: $FTGEOM_OPS, which the workflow sets) the
operational ones (checkpoint_every, device, eval_batch_size): they are not rule params, so changing them re-runs
nothing.
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from ftgeom import runtime
from ftgeom.stages import run_stage


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec", required=True, help="run settings as JSON (see rules/finetune.smk)")
    ap.add_argument("--ops", default=os.environ.get("FTGEOM_OPS", "{}"), help="operational settings as JSON")
    ap.add_argument("--data", required=True, type=Path, help="encoded text task, or prepared image task")
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--state-dir", required=True, type=Path)
    ap.add_argument("--trajectory-out", type=Path)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    spec = json.loads(args.spec)
    runtime.setup(args.threads, spec["seed"])
    from ftgeom.train.run import finetune

    rec = finetune(spec, args.data, args.model, args.out, args.state_dir, args.trajectory_out, json.loads(args.ops))
    print(f"{rec['task']} {rec['method']} seed {rec['seed']}: test {rec['metric']} = {rec['test_score']:.4f} "
          f"({rec['timing']['seconds_per_step']:.3f} s/step)")


if __name__ == "__main__":
    run_stage(main)
