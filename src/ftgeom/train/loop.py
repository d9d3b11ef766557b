"""The one training loop: AdamW, linear warmup/decay, eval each epoch, resumable, deterministic under a seed.

It trains a TaskModel (ftgeom.models: text or vision, backbone + head) and is the same for every method: methods
differ only in the parameterisation they hand this loop (ftgeom.methods). A run's state folder holds
`last.pt` (model + method + optimiser + schedule + RNG + position in the epoch), written atomically every
`checkpoint_every` steps (after the evaluation when that step ends an epoch; never after the last step), so a
killed run restarts where it stopped and ends with the same numbers as an uninterrupted one.
"""
from __future__ import annotations

import hashlib
import math
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch.func import functional_call
from tqdm import tqdm

from ftgeom.errors import OneLineError
from ftgeom.methods.base import Method
from ftgeom.provenance import atomic_path
from ftgeom.train.data import Split, TaskData, collate, epoch_batches, eval_batches
from ftgeom.train.features import FeatureCapture
from ftgeom.train.hooks import Hook, RunContext
from ftgeom.train.metrics import compute
from ftgeom.train.settings import OPERATIONAL
from ftgeom.train.timing import Phases


class NonFiniteLoss(FloatingPointError, OneLineError):
    """Training diverged: the loss is nan or inf. The message is one line (step, learning rate, last finite loss)."""


@dataclass
class TrainConfig:
    epochs: int = 3
    batch_size: int = 32
    eval_batch_size: int = 64
    lr: float = 5e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    max_grad_norm: float = 1.0
    schedule: str = "linear"  # linear (warmup, then decay to 0) | constant (after warmup; paper C's head probing)
    label_smoothing: float = 0.0
    precision: str = "auto"   # auto | bf16 | fp32 (see resolve_precision)
    length_buckets: bool = True
    checkpoint_every: int = 50
    seed: int = 0
    device: str = "auto"


def resolve_precision(name: str, device: torch.device) -> str:
    """'auto': bf16 autocast where the hardware computes bf16 natively, else fp32. CPUs without AVX-512-BF16/AMX
    (AVX2 only, say) emulate bf16 matmuls ~100x slower than fp32; bf16 also changes the numbers, so the resolved
    precision is recorded with every run and is part of its resume fingerprint."""
    if name != "auto":
        return name
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    try:
        native = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a torch build without oneDNN: no fast bf16 path on CPU
        native = False
    return "bf16" if native else "fp32"


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def logits_of(model: torch.nn.Module, method: Method, batch: dict) -> torch.Tensor:
    """float32 logits. Weight overrides are formed here in float32, outside any autocast; the TaskModel applies
    bf16 autocast to its backbone only (see ftgeom.models.task_model)."""
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    overrides = method.weight_overrides()
    return functional_call(model, overrides, args=(inputs,)) if overrides else model(inputs)


def loss_of(logits: torch.Tensor, labels: torch.Tensor, kind: str, label_smoothing: float = 0.0) -> torch.Tensor:
    if kind == "regression":
        return torch.nn.functional.mse_loss(logits.squeeze(-1), labels)
    return torch.nn.functional.cross_entropy(logits, labels, label_smoothing=label_smoothing)


@torch.no_grad()
def evaluate(model, method, data: TaskData, split: Split, cfg: TrainConfig, device,
             features: bool = False) -> dict[str, float] | tuple[dict[str, float], torch.Tensor]:
    """The split's metrics; with `features`, also the head's input (pooled features) per example, in split order."""
    model.eval()
    preds = []
    with FeatureCapture(model.head if features else None) as capture:
        for idx in eval_batches(split.lengths, cfg.eval_batch_size):
            batch = collate(split, idx, data.pad_id, data.kind, device)
            preds.append((idx, logits_of(model, method, batch).cpu().numpy()))
    order = np.concatenate([i for i, _ in preds])
    stacked = np.concatenate([p for _, p in preds])[np.argsort(order)]
    model.train()
    scores = compute(data.kind, stacked, split.labels)
    return (scores, capture.stacked()[torch.as_tensor(np.argsort(order))]) if features else scores


def train_step(model, method: Method, batch: dict, kind: str, optimizer, params, max_grad_norm: float,
               label_smoothing: float = 0.0, scheduler=None) -> torch.Tensor:
    """One optimiser step, exactly as every run takes it (the benchmarks time this very function): forward with the
    method's weights, loss, backward, gradient clipping over `params`, AdamW, schedule, gradients dropped."""
    logits = logits_of(model, method, batch)
    loss = loss_of(logits, batch["labels"], kind, label_smoothing)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
    optimizer.step()
    if scheduler is not None:
        scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return loss


def _schedule(total: int, warmup: int, kind: str):
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        if kind == "constant":
            return 1.0
        return max(0.0, (total - step) / max(1, total - warmup))
    if kind not in ("linear", "constant"):
        raise ValueError(f"unknown schedule '{kind}' (known: linear, constant)")
    return factor


def fingerprint_of(cfg: TrainConfig, method: Method, data: TaskData, task_model, trajectory_points: int,
                   hooks: list[Hook] = ()) -> dict:
    """What a checkpoint must match to be resumed: every setting that changes a number (the precision as resolved on
    this hardware), the data (task, splits, encoding or image size) and the model it started from."""
    settings = {k: v for k, v in asdict(cfg).items() if k not in OPERATIONAL}
    # The head a run starts from (a seed's initialisation, or a probed head: paper C) is part of what it resumes.
    head = hashlib.sha256(b"".join(t.detach().cpu().numpy().tobytes() for t in task_model.head.state_dict().values()))
    return {**settings, "precision": task_model.precision, "method": method.name, "method_options": method.options(),
            "initial_head": head.hexdigest()[:16],
            "trajectory_points": trajectory_points,
            "hooks": {h.name: h.options() for h in hooks},
            "data": [data.info["provenance"]["config_hash"], data.info["provenance"]["seed"], data.info["sizes"],
                     data.info.get("encoding"), data.info.get("image_size")],
            "model": [task_model.info.get("provenance", {}).get("config_hash"), task_model.head.kind]}


def fit(task_model, method: Method, data: TaskData, cfg: TrainConfig, state_dir: Path | None,
        trajectory_points: int = 0, progress: bool = True, phases: Phases | None = None,
        hooks: list[Hook] = ()) -> dict:
    """Train; return {'history', 'final', 'timing', ...}. Resumes from state_dir/last.pt when present.

    `hooks` (ftgeom.train.hooks) add to the run: what a paper needs beyond training (feature drift, outlier
    re-evaluation, the probed heads of each epoch: `EpochEnd`) without this loop knowing the paper; no hook is
    called again for epochs finished before a resume.
    `state_dir` None: no checkpoints and no resume (runs of seconds, such as head probing on cached features).
    `phases`: where the wall time of evaluation, checkpoint and trajectory writes is added (timing.phases)."""
    from ftgeom.train.trajectory import TrajectoryRecorder

    phases = phases if phases is not None else Phases()
    if state_dir is not None:
        state_dir = Path(state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
    elif trajectory_points:
        raise ValueError("a trajectory needs a state_dir (its snapshots are written there)")
    device = pick_device(cfg.device)
    torch.manual_seed(cfg.seed)
    task_model.precision = resolve_precision(cfg.precision, device)
    if task_model.precision == "bf16" and cfg.precision == "bf16" and resolve_precision("auto", device) != "bf16":
        print("warning: bf16 requested, but this hardware has no native bf16: expect steps ~100x slower than fp32 "
              "(precision: auto picks fp32 here)", file=sys.stderr)
    model = method.prepare(task_model).to(device)
    method.to(device)
    model.train()
    steps_per_epoch = math.ceil(len(data.train) / cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    # fused AdamW: one kernel over all tensors, 3.6x faster than the per-tensor default on CPU (74 -> 20 ms per
    # step for MiniLM's 22.7 M parameters, 1 thread), and deterministic
    optimizer = torch.optim.AdamW(method.parameter_groups(model, cfg.lr, cfg.weight_decay), lr=cfg.lr, fused=True)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, _schedule(total, int(cfg.warmup_ratio * total), cfg.schedule))
    step, history, train_seconds, losses = 0, [], 0.0, []
    ckpt = state_dir / "last.pt" if state_dir is not None else None
    # A checkpoint resumes only the run that wrote it: after a config change it is stale, not a head start.
    hooks = list(hooks)
    if len({h.name for h in hooks}) != len(hooks):
        raise ValueError(f"two hooks share a name: {[h.name for h in hooks]}")
    fingerprint = fingerprint_of(cfg, method, data, task_model, trajectory_points, hooks)
    state = torch.load(ckpt, map_location=device, weights_only=False) if ckpt and ckpt.exists() else None
    if state is not None and state["fingerprint"] != fingerprint:
        print(f"ignoring {ckpt}: written by a run with other settings", file=sys.stderr)
        state = None
    if state is None and state_dir is not None:
        # Snapshots (θ0 included) are only valid beside the checkpoint that continues them: a run killed before
        # its first checkpoint, or one with other settings, leaves nothing this run may reuse.
        shutil.rmtree(state_dir / "trajectory", ignore_errors=True)
    with phases("trajectory"):
        recorder = TrajectoryRecorder(task_model, model, method, trajectory_points, total,
                                      state_dir / "trajectory") if trajectory_points else None
    if state is not None:
        model.load_state_dict(state["model"])
        method.load_state_dict(state["method"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"])
        if state["cuda_rng"] is not None:
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        step, history, train_seconds, losses = (state[k] for k in ("step", "history", "train_seconds", "losses"))
        for h in hooks:
            h.load_state_dict(state["hooks"][h.name])
        print(f"resumed from {ckpt} at step {step}/{total}", file=sys.stderr)

    def save_state():
        if ckpt is None:
            return
        with phases("checkpoint"), atomic_path(ckpt) as tmp:
            torch.save({"model": model.state_dict(), "method": method.state_dict(), "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(), "rng": torch.get_rng_state(),
                        "cuda_rng": torch.cuda.get_rng_state_all() if device.type == "cuda" else None,
                        "step": step, "history": history, "train_seconds": train_seconds, "losses": losses,
                        "hooks": {h.name: h.state_dict() for h in hooks}, "fingerprint": fingerprint}, tmp)

    def validate(features: bool):
        with phases("eval"):
            return evaluate(model, method, data, data.validation, cfg, device, features=features)

    run = RunContext(model=model, method=method, data=data, cfg=cfg, device=device, phases=phases,
                     validate=validate, step=step)
    for h in hooks:
        h.on_start(run)
    wants_features = any(h.wants_features for h in hooks)

    bar = tqdm(total=total, initial=step, desc=f"{method.name} seed {cfg.seed}", disable=not progress,
               mininterval=5 if sys.stderr.isatty() else 30, file=sys.stderr)
    params = [p for g in optimizer.param_groups for p in g["params"]]
    bucket = cfg.length_buckets and data.modality == "text"
    while step < total:
        epoch, offset = divmod(step, steps_per_epoch)
        for idx in epoch_batches(data.train.lengths, cfg.batch_size, cfg.seed, epoch, bucket)[offset:]:
            t0 = time.perf_counter()
            batch = collate(data.train, idx, data.pad_id, data.kind, device)
            lr = optimizer.param_groups[0]["lr"]
            loss = train_step(model, method, batch, data.kind, optimizer, params, cfg.max_grad_norm,
                              cfg.label_smoothing, scheduler)
            step += 1
            run.step = step
            train_seconds += time.perf_counter() - t0
            losses.append(loss.item())
            if not math.isfinite(losses[-1]):
                finite = [x for x in losses[:-1] if math.isfinite(x)] or [h["train_loss"] for h in history]
                last = f"{finite[-1]:.4g}" if finite else "none (the first step)"
                raise NonFiniteLoss(f"{method.name} seed {cfg.seed}: the training loss is {losses[-1]} at step "
                                    f"{step}/{total} (learning rate {lr:.3g}); last finite loss {last}: lower the "
                                    "learning rate, or check the data for non-finite values")
            for h in hooks:
                h.after_step(run, losses[-1])
            bar.update(1)
            bar.set_postfix(loss=f"{losses[-1]:.3f}", refresh=False)
            if recorder:
                with phases("trajectory"):
                    recorder.maybe_record(step)
            if step % cfg.checkpoint_every == 0 and step % steps_per_epoch:
                save_state()  # one due at an epoch end waits for that epoch's evaluation (below)
        val, z = validate(features=True) if wants_features else (validate(features=False), None)
        history.append({"epoch": epoch + 1, "step": step, "train_loss": float(np.mean(losses)),
                        "validation": val, "train_seconds": train_seconds})
        if progress:
            print(f"epoch {epoch + 1}/{cfg.epochs} step {step} loss {np.mean(losses):.4f} val {val}", file=sys.stderr)
        losses = []  # per-epoch losses live in the checkpoint so a resumed epoch reports the same mean
        for h in hooks:
            h.on_epoch_end(run, epoch + 1, val, z)
        # Checkpoints every `checkpoint_every` steps only: one at every epoch end cost 5% of a default run (270 MB
        # written twice for 32 steps), and none at the last step, which only the test evaluation follows.
        if step % cfg.checkpoint_every == 0 and step < total:
            save_state()
    bar.close()
    # The last epoch's validation score was computed on these very weights: no need to evaluate it again.
    with phases("eval"):
        test = evaluate(model, method, data, data.test, cfg, device)
    final = {"validation": history[-1]["validation"], "test": test}
    extra = {}
    for h in hooks:
        extra.update(h.after_run(run))
    phases.seconds["train"] = train_seconds
    return {"history": history, "final": final, "recorder": recorder, "model": model, **extra,
            "timing": {"train_seconds": train_seconds, "steps": total,
                       "seconds_per_step": train_seconds / max(1, total), "device": str(device),
                       "precision": task_model.precision,
                       "threads": torch.get_num_threads(), "phases": phases.seconds},
            **method.describe(model)}
