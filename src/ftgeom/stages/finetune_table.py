"""Rule finetune_table: test score per model, task and method (mean ± std over seeds), CSV + LaTeX + per-run CSV.

python -m ftgeom.stages.finetune_table --csv T.csv --tex T.tex --runs RUNS.csv METRICS.json ...
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ftgeom.runtime import run_stage


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv", required=True, type=Path)
    ap.add_argument("--tex", required=True, type=Path)
    ap.add_argument("--runs", required=True, type=Path, help="one row per run, for later analysis")
    ap.add_argument("metrics", nargs="+")
    args = ap.parse_args(argv)
    from ftgeom.report.finetune_table import write_tables

    print(write_tables(args.metrics, args.csv, args.tex, args.runs).to_string(index=False))


if __name__ == "__main__":
    run_stage(main)
