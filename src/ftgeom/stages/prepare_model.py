"""Rule prepare_model: save one configured model (text: HF folder; vision: timm weights) with its info.

python -m ftgeom.stages.prepare_model --spec JSON --out DIR [--threads N]
"""
from __future__ import annotations

import json

from ftgeom import runtime
from ftgeom.runtime import job_parser, run_stage


def main(argv=None) -> None:
    ap = job_parser(__doc__)
    ap.add_argument("--spec", required=True, help="the model's config entry, as JSON")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    runtime.setup(args.threads)
    from ftgeom.assets.models import save_model
    from ftgeom.provenance import stamp

    spec = json.loads(args.spec)
    info = save_model(spec, args.out, stamp(spec))
    print(f"saved {info['family']} model ({spec['source']}, {info['parameters']:,} parameters) to {args.out}")


if __name__ == "__main__":
    run_stage(main)
