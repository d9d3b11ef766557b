"""Rule learning_curves: validation score per epoch, one panel per (model, task), one line per method.

python -m ftgeom.stages.learning_curves --out FIG.png METRICS.json ...   (also writes FIG.pdf)
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ftgeom.runtime import run_stage


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("metrics", nargs="+")
    args = ap.parse_args(argv)
    from ftgeom.report.learning_curves import plot
    from ftgeom.report.runs import load_curves

    plot(load_curves(args.metrics), args.out)


if __name__ == "__main__":
    run_stage(main)
