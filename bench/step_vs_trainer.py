"""Benchmark: ftgeom's training loop vs HF Trainer, same model, same examples, side by side in one process.

    python bench/step_vs_trainer.py [--examples 320] [--threads 1]

Uses all-MiniLM-L6-v2 (pip-shipped) on the movie-polarity training split prepared by the workflow
(results/encoded/minilm/movie-polarity; run `snakemake --cores 2 results/encoded/minilm/movie-polarity` first).
Prints seconds per optimiser step for each and the ratios. One epoch, batch 32, AdamW, lr 5e-5, no evaluation.
Trainer gets its own best CPU settings too (group_by_length, bf16) so the comparison is fair in both directions.
"""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


def ours(data_dir, model_dir, n, precision, buckets):
    from ftgeom.methods import make_method
    from ftgeom.models import load_task_model, model_info
    from ftgeom.train.data import load_task
    from ftgeom.train.loop import TrainConfig, fit

    data = load_task(data_dir, model_info(model_dir))
    for split in ("train",):
        s = getattr(data, split)
        s.features = {k: v[:n] for k, v in s.features.items()}
        s.labels, s.lengths = s.labels[:n], s.lengths[:n]
    model = load_task_model(model_dir, data.info, seed=0)
    cfg = TrainConfig(epochs=1, batch_size=32, lr=5e-5, precision=precision, length_buckets=buckets,
                      checkpoint_every=10**9)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = fit(model, make_method("full"), data, cfg, Path(tmp), progress=False)
        wall = time.perf_counter() - t0
    return res["timing"]["train_seconds"] / res["timing"]["steps"], wall


def trainer(data_dir, model_dir, n, bf16, group_by_length):
    import datasets
    import torch
    from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding, Trainer,
                              TrainingArguments)

    from ftgeom.provenance import read_json

    info = read_json(Path(data_dir) / "ftgeom_task.json")
    train = datasets.load_from_disk(str(data_dir))["train"].select(range(n)).rename_column("label", "labels")
    tok = AutoTokenizer.from_pretrained(model_dir)
    torch.manual_seed(0)
    # transformers' own classifier (pooler + linear head for BERT): the same computation as our TaskModel
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=info["num_labels"],
                                                               dtype=torch.float32)
    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(output_dir=tmp, per_device_train_batch_size=32, num_train_epochs=1,
                                 learning_rate=5e-5, use_cpu=True, bf16=bf16,
                                 train_sampling_strategy="group_by_length" if group_by_length else "random",
                                 length_column_name="length", report_to=[], save_strategy="no",
                                 logging_strategy="no", dataloader_num_workers=0, seed=0)
        tr = Trainer(model=model, args=args, train_dataset=train, data_collator=DataCollatorWithPadding(tok))
        t0 = time.perf_counter()
        tr.train()
        wall = time.perf_counter() - t0
    return wall / math.ceil(n / 32), wall


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=320)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data", default=str(REPO / "results/encoded/minilm/movie-polarity"))
    ap.add_argument("--model", default=str(REPO / "results/models/minilm"))
    a = ap.parse_args()
    from ftgeom import runtime

    runtime.setup(a.threads, 0)
    import torch

    from ftgeom.train.loop import resolve_precision

    # bf16 only where the CPU computes it natively: elsewhere it is emulated ~100x slower than fp32
    bf16 = resolve_precision("auto", torch.device("cpu")) == "bf16"
    best = "bf16" if bf16 else "fp32"
    rows = [
        ("HF Trainer fp32, no grouping", trainer(a.data, a.model, a.examples, False, False)),
        (f"HF Trainer {best}, group_by_length", trainer(a.data, a.model, a.examples, bf16, True)),
        ("ftgeom fp32, no buckets", ours(a.data, a.model, a.examples, "fp32", False)),
        (f"ftgeom {best} + length buckets", ours(a.data, a.model, a.examples, best, True)),
    ]
    base = rows[0][1][0]
    print(f"{a.examples} examples, batch 32, {a.threads} thread(s)")
    for name, (per_step, wall) in rows:
        print(f"{name:34s} {per_step:6.3f} s/step  (wall {wall:6.1f} s)  speed-up vs Trainer fp32: {base / per_step:4.2f}x")


if __name__ == "__main__":
    main()
