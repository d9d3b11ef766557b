"""Stage `assets`: read one task's data, split it (fixed seed), save it.  python -m ftgeom.prepare_task --spec JSON ..."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ftgeom.assets.task_data import load_frames, make_splits, save_dataset_atomic, to_dataset_dict
from ftgeom import runtime
from ftgeom.provenance import stamp, write_json

DEFAULT_METRIC = {"binary": "accuracy", "multiclass": "accuracy", "regression": "pearson"}


def prepare(name: str, spec: dict, seed: int, out_dir: Path) -> dict:
    kind, names, frames = load_frames(spec, seed)
    splits = make_splits(frames, kind, spec.get("splits", {}), seed)
    for split, df in splits.items():
        if len(df) == 0:
            raise ValueError(f"task {name}: split '{split}' is empty; lower the split fractions or caps")
    dsd = to_dataset_dict(splits, kind, names)
    info = {
        "task": name,
        "kind": kind,
        "modality": "image" if "image" in dsd["train"].features else "text",
        "label_names": list(names),
        "num_labels": 1 if kind == "regression" else len(names),
        "metric": spec.get("metric", DEFAULT_METRIC[kind]),
        "sizes": {k: len(v) for k, v in splits.items()},
        "label_counts": {k: {str(a): int(b) for a, b in v["label"].value_counts().sort_index().items()}
                         for k, v in splits.items()} if kind != "regression" else {},
        "spec": spec,
        "provenance": stamp(spec, seed),
    }
    save_dataset_atomic(dsd, out_dir)
    write_json(out_dir / "ftgeom_task.json", info)
    return info


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--name", required=True)
    ap.add_argument("--spec", required=True, help="the task's config entry, as JSON")
    ap.add_argument("--seed", type=int, required=True, help="data_seed: the splits depend on it only")
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    runtime.setup(args.threads)
    info = prepare(args.name, json.loads(args.spec), args.seed, Path(args.out))
    print(f"task {args.name}: {info['kind']}, sizes {info['sizes']}")


if __name__ == "__main__":
    main()
