"""Rule document_inputs: every claim row in results/claims.csv, and the generated LaTeX the paper inputs (verdict
table, findings, published-vs-ours tables, macros), plus the README's results block.

python -m ftgeom.stages.document_inputs --claims-files head_probe.csv ... --finetune finetune.csv --config JSON
       --text-models JSON --claims claims.csv --generated DIR --readme-block results.md [--readme README.md]
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from ftgeom.runtime import run_stage


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims-files", nargs="*", default=[], help="results/claims/paper_*.csv of the landed stages")
    ap.add_argument("--finetune", required=True, type=Path, help="tables/finetune.csv (Full and Freeze)")
    ap.add_argument("--stage-tables", nargs="*", default=[], type=Path,
                    help="the paper stages' tables the assembly reads (registry: assembly_csv)")
    ap.add_argument("--config", required=True, help="the config slices the prose cites (JSON)")
    ap.add_argument("--text-models", required=True, help="JSON list: models run on text tasks")
    ap.add_argument("--claims", required=True, type=Path)
    ap.add_argument("--generated", required=True, type=Path)
    ap.add_argument("--readme-block", required=True, type=Path)
    ap.add_argument("--readme", type=Path, help="README.md to compare with the new results block (default config)")
    ap.add_argument("--config-name", default=os.environ.get("FTGEOM_CONFIG_NAME", "default"))
    args = ap.parse_args(argv)
    from ftgeom.document.inputs import write_inputs

    claims, stale = write_inputs(args.claims_files, args.finetune, json.loads(args.config),
                                 json.loads(args.text_models), args.config_name, args.claims, args.generated,
                                 args.readme_block, args.readme, stage_tables=args.stage_tables)
    print(claims.groupby(["paper", "verdict"]).size().to_string())
    if stale:
        print("WARNING: README.md's results block differs from this default run's; to update it: make readme")


if __name__ == "__main__":
    run_stage(main)
