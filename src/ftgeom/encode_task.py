"""Stage `assets`: tokenise a prepared text task once for a model.  python -m ftgeom.encode_task --data D --model M ..."""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from ftgeom import runtime
from ftgeom.provenance import read_json, stamp, write_json


def encode(data_dir: Path, model_dir: Path, max_length: int, out_dir: Path) -> dict:
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
    spec = {"task": info["task"], "model_dir": str(model_dir), "max_length": max_length}
    write_json(tmp / "ftgeom_task.json", {**info, "tokens": stats, "max_length": max_length,
                                          "encode_provenance": stamp(spec)})
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
    return stats


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--max-length", required=True, type=int)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    runtime.setup(args.threads)
    stats = encode(args.data, args.model, args.max_length, args.out)
    print(f"tokens per split: {stats}")


if __name__ == "__main__":
    main()
