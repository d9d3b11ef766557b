"""What every benchmark shares: the default run's assets, child-process CPU accounting, one JSON line of results,
and the training step they time (LoopStep: the loop's own train_step)."""
from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
RESULTS = REPO / "results"
OUT = RESULTS / "bench"
DATA = RESULTS / "encoded" / "minilm"
MODEL = RESULTS / "models" / "minilm"


def need(*paths: Path) -> None:
    missing = [str(p.relative_to(REPO)) for p in paths if not p.exists()]
    if missing:
        sys.exit(f"bench: missing {', '.join(missing)}: run the default workflow first (make run), or at least "
                 f"`snakemake --cores 2 {' '.join(missing)}`")


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "src"), "TOKENIZERS_PARALLELISM": "false", **extra}


def timed(cmd: list[str], **extra_env: str) -> dict[str, float]:
    """Run a command; its wall seconds and the CPU seconds (user + system) of it and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env(**extra_env), cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        sys.exit(f"bench: {' '.join(cmd[:4])} ... failed:\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "stdout": proc.stdout}


def machine() -> dict:
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    cpu = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")),
               platform.processor())
    return {"date": time.strftime("%Y-%m-%d"), "cpu": cpu, "cores": os.cpu_count(),
            "avx512_bf16": "avx512_bf16" in info, "amx": "amx_bf16" in info, "python": platform.python_version()}


def report(name: str, result: dict) -> None:
    """Print one JSON line and keep it under results/bench/<name>.json."""
    result = {"bench": name, **result, "machine": machine()}
    line = json.dumps(result, sort_keys=False)
    print(line)
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = OUT / f".{name}.json.tmp"
    tmp.write_text(json.dumps(result, indent=1) + "\n")
    tmp.replace(OUT / f"{name}.json")


class LoopStep:
    """The training step every bench times: `ftgeom.train.loop.train_step`, set up as `fit` sets it up.

    The optimiser is fit's (fused AdamW over the method's parameter groups), gradient clipping covers the optimiser's
    parameters at `max_grad_norm` (TrainConfig's default 1.0) and a schedule steps with it (constant here: a bench
    times steps, not a run's learning-rate path). `step(batch)` takes one step and returns the loss tensor. torch is
    imported on construction, so a script may import this module before its runtime.setup."""

    def __init__(self, model, method, kind: str, lr: float, weight_decay: float = 0.01, max_grad_norm: float = 1.0,
                 label_smoothing: float = 0.0):
        import torch

        from ftgeom.train.loop import train_step

        self.train_step = train_step
        self.model, self.method, self.kind = model, method, kind
        self.max_grad_norm, self.label_smoothing = max_grad_norm, label_smoothing
        self.optimizer = torch.optim.AdamW(method.parameter_groups(model, lr, weight_decay), lr=lr, fused=True)
        self.params = [p for g in self.optimizer.param_groups for p in g["params"]]
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda _: 1.0)

    def __call__(self, batch: dict):
        return self.train_step(self.model, self.method, batch, self.kind, self.optimizer, self.params,
                               self.max_grad_norm, self.label_smoothing, self.scheduler)
