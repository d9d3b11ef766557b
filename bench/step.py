"""Benchmark `step`: ftgeom's training step vs HF Trainer, same model, same examples, side by side in one process.

    python bench/step.py [--examples 320] [--threads 1]

Uses all-MiniLM-L6-v2 (pip-shipped) on the movie-polarity training split prepared by the workflow
(results/encoded/minilm/movie-polarity; run `snakemake --cores 2 results/encoded/minilm/movie-polarity` first).
Seconds per optimiser step for each, one epoch, batch 32, AdamW, lr 5e-5, no evaluation, and the ratios:
  (a) loop overhead: ftgeom vs Trainer with the same settings (our precision, length grouping);
  (b) ftgeom vs Trainer as a user runs it by default (fp32, no length grouping).
Achieved GFLOP/s of our step (matmul/attention FLOPs counted by torch's FlopCounterMode over the same batches)
against the peak of a large matmul measured in the same process, in the same precision.
"""
from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

from common import REPO, LoopStep, need, report


def ours(data_dir, model_dir, n, precision, buckets):
    """fit itself: every step is the loop's train_step (clipping at TrainConfig's max_grad_norm, 1.0)."""
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
    """HF Trainer's step for comparison (not ftgeom's): it too clips at max_grad_norm 1.0 (its default)."""
    import datasets
    import torch
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )

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


def step_flops(data_dir, model_dir, n, precision, buckets) -> float:
    """Matmul/attention FLOPs of one training step (the loop's train_step, as `ours` runs it; only its forward and
    backward count: clipping and AdamW do no matmuls), averaged over one epoch's batches."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from ftgeom.methods import make_method
    from ftgeom.models import load_task_model, model_info
    from ftgeom.train.data import collate, epoch_batches, load_task

    data = load_task(data_dir, model_info(model_dir))
    model = load_task_model(model_dir, data.info, seed=0)
    model.precision = precision
    method = make_method("full")
    net = method.prepare(model)
    net.train()
    step = LoopStep(net, method, data.kind, lr=5e-5)  # TrainConfig as in `ours`: lr 5e-5, max_grad_norm 1.0
    lengths = data.train.lengths[:n]
    batches = epoch_batches(lengths, 32, 0, 0, buckets)
    with FlopCounterMode(display=False) as counter:
        for idx in batches:
            step(collate(data.train, idx, data.pad_id, data.kind, torch.device("cpu")))
    return counter.get_total_flops() / len(batches)


def matmul_peak(precision: str, n: int = 2048, reps: int = 5) -> float:
    """GFLOP/s of an n x n matmul in this precision, this process's threads: what the CPU can reach (no step)."""
    import torch

    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n ** 3 * reps / (time.perf_counter() - t0) / 1e9


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=320)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data", default=str(REPO / "results/encoded/minilm/movie-polarity"))
    ap.add_argument("--model", default=str(REPO / "results/models/minilm"))
    a = ap.parse_args()
    need(Path(a.data), Path(a.model))
    from ftgeom import runtime

    runtime.setup(a.threads, 0)
    import torch

    from ftgeom.train.loop import resolve_precision

    # bf16 only where the CPU computes it natively: elsewhere it is emulated ~100x slower than fp32
    best = resolve_precision("auto", torch.device("cpu"))
    bf16 = best == "bf16"
    rows = {
        "trainer_default_fp32": trainer(a.data, a.model, a.examples, False, False),
        f"trainer_{best}_grouped": trainer(a.data, a.model, a.examples, bf16, True),
        f"ftgeom_{best}_buckets": ours(a.data, a.model, a.examples, best, True),
    }
    ours_step = rows[f"ftgeom_{best}_buckets"][0]
    flops = step_flops(a.data, a.model, a.examples, best, True)
    peak = matmul_peak(best)
    report("step", {
        "examples": a.examples, "batch_size": 32, "threads": a.threads, "precision": best,
        "seconds_per_step": {k: round(v[0], 4) for k, v in rows.items()},
        "ratios": {"loop_overhead_vs_trainer_same_settings": round(ours_step / rows[f"trainer_{best}_grouped"][0], 3),
                   "trainer_default_vs_ours": round(rows["trainer_default_fp32"][0] / ours_step, 3),
                   "achieved_vs_matmul_peak": round(flops / ours_step / 1e9 / peak, 3)},
        "gflop_per_step": round(flops / 1e9, 2), "achieved_gflops": round(flops / ours_step / 1e9, 1),
        "matmul_peak_gflops": round(peak, 1),
    })


if __name__ == "__main__":
    main()
