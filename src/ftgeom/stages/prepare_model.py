"""Rule prepare_model: save one configured model (text: HF folder; vision: timm weights) with its info.

python -m ftgeom.stages.prepare_model --spec JSON --out DIR [--threads N]
"""
from __future__ import annotations

import argparse
import json

from ftgeom import runtime
from ftgeom.runtime import run_stage


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec", required=True, help="the model's config entry, as JSON")
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    runtime.setup(args.threads)
    from ftgeom.assets.models import save_model
    from ftgeom.provenance import stamp

    spec = json.loads(args.spec)
    info = save_model(spec, args.out, stamp(spec))
    print(f"saved {info['family']} model ({spec['source']}, {info['parameters']:,} parameters) to {args.out}")


if __name__ == "__main__":
    run_stage(main)
