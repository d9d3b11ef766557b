"""Rule selection_runs: the points of one selection grid on one task (`snakemake select`), one fine-tuning run each.

python -m ftgeom.stages.select_runs --runs JSON [--ops JSON] --data DIR --model DIR --state-dir DIR [--threads N]
--runs: [{"spec", "out", "name"}, ...] as ftgeom.selection.grids builds them. A point whose training loss stops being
finite is a result of the grid (that value is too large), not a failure of the job: its record says `diverged`, and
the summary ranks it last. Each point resumes from --state-dir/<name>/.
"""
from __future__ import annotations

import json
from pathlib import Path

from ftgeom import runtime
from ftgeom.runtime import run_stage
from ftgeom.stages.finetune import parser


def main(argv=None) -> None:
    args = parser(__doc__).parse_args(argv)
    runs = json.loads(args.runs)
    runtime.setup(args.threads, runs[0]["spec"]["seed"])
    from ftgeom.provenance import stamp, write_json
    from ftgeom.registry import extensions
    from ftgeom.train.loop import NonFiniteLoss
    from ftgeom.train.run import finetune_runs

    for run in runs:
        try:
            rec = finetune_runs([run], args.data, args.model, args.state_dir / run["name"], json.loads(args.ops),
                                extensions=extensions())[0]
            print(f"{run['name']}: validation {rec['final']['validation'][rec['metric']]:.4f}", flush=True)
        except NonFiniteLoss as err:
            write_json(Path(run["out"]), {"spec": run["spec"], "diverged": str(err),
                                          "provenance": stamp(run["spec"], run["spec"]["seed"])})
            print(f"{run['name']}: diverged ({err})", flush=True)


if __name__ == "__main__":
    run_stage(main)
