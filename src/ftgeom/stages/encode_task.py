"""Rule encode_task: tokenise a prepared text task once for a model.

python -m ftgeom.stages.encode_task --data DIR --model DIR --max-length N --out DIR [--threads N]
"""
from __future__ import annotations

from pathlib import Path

from ftgeom import runtime
from ftgeom.runtime import job_parser, run_stage


def main(argv=None) -> None:
    ap = job_parser(__doc__)
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--max-length", required=True, type=int)
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)
    runtime.setup(args.threads)
    from ftgeom.assets.prepare import encode_task

    stats = encode_task(args.data, args.model, args.max_length, args.out)
    print(f"tokens per split: {stats}")


if __name__ == "__main__":
    run_stage(main)
