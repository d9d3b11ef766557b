"""Rule intrinsic_subspace: the per-layer SVD of the trajectories one of paper A's subspaces stacks.

python -m ftgeom.intrinsic.stages.subspace --subspace JSON --out DIR [--threads N]
--subspace: {"trajectories": [folder, ...], "variant": raw | updates | centred}; writes DIR/svd.safetensors (Σ and U
per layer) and DIR/spectrum.json (singular values and explained variance per layer).
"""
from __future__ import annotations

import json
from pathlib import Path

from ftgeom import runtime
from ftgeom.runtime import job_parser, run_stage


def main(argv=None) -> None:
    ap = job_parser(__doc__)
    ap.add_argument("--subspace", required=True)
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)
    runtime.setup(args.threads)
    from ftgeom.provenance import stamp
    from ftgeom.intrinsic.store import extract

    sub = json.loads(args.subspace)
    print(f"subspace {args.out.name}: {len(sub['trajectories'])} trajectories, variant {sub['variant']}", flush=True)
    extract(sub["trajectories"], sub["variant"], args.out, stamp(sub))


if __name__ == "__main__":
    run_stage(main)
