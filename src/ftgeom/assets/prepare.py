"""Prepare a task (read, split, save in one schema) and tokenise a text task once per model."""
from __future__ import annotations

import shutil
from pathlib import Path

from ftgeom.assets import checks
from ftgeom.assets.task_data import load_frames, make_splits, save_dataset_atomic, to_dataset_dict
from ftgeom.provenance import read_json, stamp, write_json

DEFAULT_METRIC = {"binary": "accuracy", "multiclass": "accuracy", "regression": "pearson"}


def prepare_task(name: str, spec: dict, seed: int, out_dir: Path) -> dict:
    """Read, check (ftgeom.assets.checks: one line naming the task and the fix, before anything is written), split
    and save one task."""
    kind, names, frames = load_frames(spec, seed, name)
    checks.labels(name, kind, frames)
    checks.texts(name, frames)  # rows as the source numbers them
    splits = make_splits(frames, kind, spec["splits"], seed)
    for split, df in splits.items():
        if len(df) == 0:
            raise checks.DataError(f"task {name}: split '{split}' is empty after splitting; raise the split "
                                   f"fractions or caps (tasks.{name}.splits), or give the task more examples")
    checks.labels(name, kind, splits)
    checks.images(name, splits)
    checks.duplicates(name, splits)
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


def encode_task(data_dir: Path, model_dir: Path, max_length: int, out_dir: Path) -> dict:
    """Tokenise every split once for a model; lengths are kept for length-bucketed batches."""
    import datasets
    from transformers import AutoTokenizer

    info = read_json(data_dir / "ftgeom_task.json")
    if info["modality"] != "text":
        raise ValueError(f"task {info['task']}: encode_task tokenises text; image tasks are read by the vision stages")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    dsd = datasets.load_from_disk(str(data_dir))
    pair = "text_pair" in dsd["train"].column_names

    def tokenize(batch):
        enc = tokenizer(batch["text"], batch["text_pair"] if pair else None, truncation=True, max_length=max_length)
        enc["length"] = [len(ids) for ids in enc["input_ids"]]
        return enc

    drop = [c for c in dsd["train"].column_names if c != "label"]
    encoded = dsd.map(tokenize, batched=True, remove_columns=drop, desc="tokenise")
    tmp = out_dir.with_name(f".{out_dir.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    encoded.save_to_disk(str(tmp))
    lengths = {k: sorted(v["length"]) for k, v in encoded.items()}
    stats = {k: {"p50": v[len(v) // 2], "p90": v[int(len(v) * 0.9)], "max": v[-1],
                 "truncated": sum(x >= max_length for x in v)} for k, v in lengths.items()}
    # The encoding is identified by the model (its config hash: tokenizer included) and max_length, not by paths.
    model_hash = read_json(model_dir / "ftgeom_model.json")["provenance"].get("config_hash")
    spec = {"task": info["task"], "model": model_hash, "max_length": max_length}
    write_json(tmp / "ftgeom_task.json", {**info, "tokens": stats, "max_length": max_length,
                                          "encoding": spec, "encode_provenance": stamp(spec)})
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
    return stats
