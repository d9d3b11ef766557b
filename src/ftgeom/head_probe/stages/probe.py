"""Rule head_probe_heads: probe the task head on cached features for every seed and variant of one (model, task).

python -m ftgeom.head_probe.stages.probe --features DIR --model DIR --config JSON --heads heads.pt --out probe.json
--config: {"head_probe": <config section>, "model": name, "head": kind, "batch_size": n}
"""
from __future__ import annotations

import json
from pathlib import Path

from ftgeom import runtime
from ftgeom.runtime import job_parser, run_stage


def main(argv=None) -> None:
    ap = job_parser(__doc__)
    ap.add_argument("--features", required=True, type=Path)
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--config", required=True)
    ap.add_argument("--heads", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)
    cfg = json.loads(args.config)
    runtime.setup(args.threads, 0)
    from ftgeom.head_probe.runs import probe_all
    from ftgeom.models import model_info

    probe_all(args.features, model_info(args.model), cfg["head_probe"], cfg["model"], cfg["head"],
              cfg["batch_size"], args.heads, args.out)


if __name__ == "__main__":
    run_stage(main)
