"""Rule intrinsic_subspaces: the per-layer SVD of the trajectories paper A's runs need, for one model.

python -m ftgeom.stages.intrinsic_subspaces --subspaces JSON --out DIR [--threads N]
--subspaces: {name: {"trajectories": [folder, ...], "variant": raw | updates | centred}}; writes DIR/<name>/
(svd.safetensors: Σ and U per layer; spectrum.json: singular values and explained variance per layer).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ftgeom import runtime
from ftgeom.stages import run_stage


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subspaces", required=True)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    runtime.setup(args.threads)
    from ftgeom.provenance import stamp
    from ftgeom.subspace.store import extract

    for name, sub in json.loads(args.subspaces).items():
        print(f"subspace {name}: {len(sub['trajectories'])} trajectories, variant {sub['variant']}", flush=True)
        extract(sub["trajectories"], sub["variant"], args.out / name, stamp(sub))


if __name__ == "__main__":
    run_stage(main)
