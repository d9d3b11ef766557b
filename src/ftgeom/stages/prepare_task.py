"""Rule prepare_task: read one task's data, split it (fixed seed), save it.

python -m ftgeom.stages.prepare_task --name NAME --spec JSON --seed N --out DIR [--threads N]
"""
from __future__ import annotations

import json
from pathlib import Path

from ftgeom import runtime
from ftgeom.runtime import job_parser, run_stage


def main(argv=None) -> None:
    ap = job_parser(__doc__)
    ap.add_argument("--name", required=True)
    ap.add_argument("--spec", required=True, help="the task's config entry, as JSON")
    ap.add_argument("--seed", type=int, required=True, help="data_seed: the splits depend on it only")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    runtime.setup(args.threads)
    from ftgeom.assets.prepare import prepare_task

    info = prepare_task(args.name, json.loads(args.spec), args.seed, Path(args.out))
    print(f"task {args.name}: {info['kind']} ({info['modality']}), sizes {info['sizes']}")


if __name__ == "__main__":
    run_stage(main)
