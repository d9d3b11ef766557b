"""Stage `assets`: save one configured model as a HF folder.  python -m ftgeom.prepare_model --spec JSON --out DIR"""
from __future__ import annotations

import argparse
import json

from ftgeom.assets.models import save_model
from ftgeom import runtime
from ftgeom.provenance import stamp


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--spec", required=True, help="the model's config entry, as JSON")
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    runtime.setup(args.threads)
    spec = json.loads(args.spec)
    save_model(spec, args.out, stamp(spec))
    print(f"saved model ({spec['source']}) to {args.out}")


if __name__ == "__main__":
    main()
