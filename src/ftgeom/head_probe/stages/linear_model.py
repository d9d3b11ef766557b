"""Rule head_probe_linear_model: our overparameterised linear simulation of head probing then fine-tuning.

python -m ftgeom.head_probe.stages.linear_model --config JSON --out rows.csv
--config: {"seeds": n, "taus": [...], "head_inits": [...], "setting": {LinearSetting fields}}
"""
from __future__ import annotations

import json
from pathlib import Path

from ftgeom import runtime
from ftgeom.runtime import job_parser, run_stage


def main(argv=None) -> None:
    ap = job_parser(__doc__)
    ap.add_argument("--config", required=True)
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)
    cfg = json.loads(args.config)
    runtime.setup(args.threads, 0)
    import pandas as pd

    from ftgeom.head_probe.linear_model import run
    from ftgeom.provenance import atomic_path, stamp

    frames = []
    for head_init in cfg["head_inits"]:
        rows, _ = run({**cfg.get("setting", {}), "head_init": head_init}, list(range(cfg["seeds"])),
                            cfg["taus"])
        frames.append(pd.DataFrame(rows).assign(head_init=head_init))
    provenance = stamp(cfg)
    out = pd.concat(frames).assign(config_hash=provenance["config_hash"], git_commit=provenance["git_commit"])
    with atomic_path(args.out) as tmp:
        out.to_csv(tmp, index=False)
    print(out.groupby(["head_init", "tau"])[["energy", "distance", "cosine", "dot", "norm"]].mean().round(4))


if __name__ == "__main__":
    run_stage(main)
