"""Rule finetune (and finetune_traced / finetune_kept): every seed of one (model, task, method), in one process.

python -m ftgeom.stages.finetune --runs JSON [--ops JSON] --data DIR --model DIR --state-dir DIR [--threads N]
--runs: [{"spec": {...}, "out": metrics.json, "trajectory": DIR or null}, ...]; each spec holds every setting that
changes that run's numbers. --ops (default: $FTGEOM_OPS, which the workflow sets) holds the operational ones
(checkpoint_every, device): they are not rule params, so changing them re-runs nothing. Each run resumes from
--state-dir/seed<N>/ (see ftgeom.train.run.finetune_runs).
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from ftgeom import runtime
from ftgeom.runtime import job_parser, run_stage


def parser(doc: str) -> argparse.ArgumentParser:
    """The arguments of a job that trains runs on one (model, task) (this stage, and select_runs)."""
    ap = job_parser(doc)
    ap.add_argument("--runs", required=True, help="the runs as JSON (see rules/finetune.smk)")
    ap.add_argument("--ops", default=os.environ.get("FTGEOM_OPS", "{}"), help="operational settings as JSON")
    ap.add_argument("--data", required=True, type=Path, help="encoded text task, or prepared image task")
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--state-dir", required=True, type=Path)
    return ap


def main(argv=None) -> None:
    args = parser(__doc__).parse_args(argv)
    runs = json.loads(args.runs)
    runtime.setup(args.threads, runs[0]["spec"]["seed"])
    from ftgeom.registry import extensions
    from ftgeom.train.run import finetune_runs

    # The paper stages' hooks and method inputs, each chosen by the run's spec (a plain run gets none).
    for rec in finetune_runs(runs, args.data, args.model, args.state_dir, json.loads(args.ops),
                             extensions=extensions()):
        print(f"{rec['task']} {rec['method']} seed {rec['seed']}: test {rec['metric']} = {rec['test_score']:.4f} "
              f"({rec['timing']['seconds_per_step']:.3f} s/step)", flush=True)


if __name__ == "__main__":
    run_stage(main)
