"""Rule synthesis_results: claims S1-S5, their tables (CSV + LaTeX) and five figures.

python -m ftgeom.synthesis.stages.results --tasks DIR ... --frontier-dirs DIR ... --frontier-records M.json ...
       --geometry DIR|M.json ... --head-probe-runs R.csv --transfer T.csv --settings JSON --root results
       [--config NAME]
--tasks: synthesis_task folders (results/synthesis/<model>/<task>); --frontier-dirs: paper A's subspace jobs and
paper B's PEFT jobs of the frontier's tasks; --frontier-records: the shared stage's Full and Freeze records of them;
--geometry: paper C's fine-tuning jobs that record weight geometry (and τ = 0's shared run when it is one);
--head-probe-runs: paper C's runs table (start energies); --transfer: paper A's transfer table. Writes what the
synthesis's registry entry declares under the root.
"""
from __future__ import annotations

import json
from pathlib import Path

from ftgeom.report.stage_results import StageOutputs, parser
from ftgeom.runtime import run_stage
from ftgeom.synthesis.entry import ENTRY


def _task_measures(dirs: list[Path]):
    import pandas as pd

    from ftgeom.provenance import load_safetensors

    frames, subspaces = [], {}
    for d in dirs:  # results/synthesis/<model>/<task>
        model, task = d.parent.name, d.name
        frames.append(pd.read_csv(d / "measures.csv").assign(model=model, task=task))
        subspaces.setdefault(model, {})[task] = load_safetensors(d / "subspaces.safetensors")
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(), subspaces


def main(argv=None) -> None:
    ap = parser(__doc__)
    ap.add_argument("--tasks", nargs="*", default=[], type=Path)
    ap.add_argument("--frontier-dirs", nargs="*", default=[], type=Path)
    ap.add_argument("--frontier-records", nargs="*", default=[], type=Path)
    ap.add_argument("--geometry", nargs="*", default=[], type=Path)
    ap.add_argument("--head-probe-runs", type=Path, help="paper C's runs table (the start energy of every run)")
    ap.add_argument("--transfer", type=Path)
    args = ap.parse_args(argv)  # --settings: {synthesis: section, d: intrinsic.d, parts: the analyses it has data for}
    import pandas as pd

    from ftgeom.synthesis import analysis, figures, frontier, geometry, tables, transfer
    from ftgeom.synthesis.claim_specs import specs

    settings = json.loads(args.settings)
    sy = settings["synthesis"]
    measures, subspaces = _task_measures(args.tasks)
    records = [*args.frontier_records, *(p for d in args.frontier_dirs for p in sorted(d.glob("*.json")))]
    runs = frontier.load(records) if records else pd.DataFrame()
    front = frontier.table(runs) if len(runs) else pd.DataFrame()
    sweeps = geometry.load(args.geometry, args.head_probe_runs)
    moves = pd.read_csv(args.transfer) if args.transfer else pd.DataFrame()
    overlaps = {model: transfer.task_overlaps(subspaces.get(model, {})) for model in set(moves.get("model", []))}
    pairs = pd.concat([transfer.pairs(g, overlaps[m]) for m, g in moves.groupby("model")], ignore_index=True) \
        if len(moves) else pd.DataFrame()
    table_specs = specs(sy)
    rows, tests = analysis.claim_rows(table_specs, args.config, runs, settings["d"], measures, sweeps, pairs,
                                     overlaps, sy["permutations"])
    out = StageOutputs(ENTRY, args.root)
    claims = out.claims(rows, table_specs, {**sy, "parts": settings["parts"]})
    block = analysis.block_table(measures) if len(measures) else pd.DataFrame()
    outliers = analysis.outlier_table(measures) if len(measures) and "outliers" in measures else pd.DataFrame()
    test = next(iter(tests.values()), {})  # the first model's test (the default has one model in paper A)
    csv = {"frontier": front, "block": block, "geometry": sweeps, "outliers": outliers,
           "transfer": pairs.assign(permutation_p=pairs["model"].map(lambda m: tests[m]["p"])) if len(pairs) else pairs}
    tex = {"frontier": tables.frontier(front), "summary": tables.summary(block, outliers, sweeps, test)}
    out.tables(csv, tex, float_format="%.6g")
    folder = out.figures()
    figures.frontier(front, folder)
    figures.block_share(block, folder)
    figures.geometry(sweeps, folder)
    figures.outliers(outliers, folder)
    if len(pairs):
        figures.transfer(pairs, test, folder)
    print(claims[["claim_id", "effect", "ci_low", "ci_high", "n", "verdict"]].to_string(index=False), flush=True)


if __name__ == "__main__":
    run_stage(main)
