"""Rule select: each selection grid's table (results/selection/<grid>.csv) and a one-line summary per grid of the
value it picks on validation data against the config's (results/selection/summary.txt).

python -m ftgeom.stages.select_summary --points JSON --out-dir DIR --summary summary.txt
--points: [{"grid", "setting", "model", "task", "seed", "value", "configured", "path"}, ...]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ftgeom.runtime import run_stage


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", required=True)
    ap.add_argument("--out-dir", required=True, type=Path)
    ap.add_argument("--summary", required=True, type=Path)
    args = ap.parse_args(argv)
    from ftgeom.selection.summary import write

    for line in write(json.loads(args.points), args.out_dir, args.summary):
        print(line, flush=True)


if __name__ == "__main__":
    run_stage(main)
