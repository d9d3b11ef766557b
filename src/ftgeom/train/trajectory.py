"""Fine-tuning trajectories: t snapshots of every encoder layer, evenly spaced over training.

Layout of a finished trajectory folder (read layer by layer, never the whole model):
  layer{i:02d}.safetensors  points (t x D_i, float32), theta0 (D_i,) = the pretrained layer
  trajectory.json           steps, layer parameter names/shapes (the flattening order), provenance
While training, each snapshot is one file in the run's state folder, so a killed run keeps what it had recorded.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from ftgeom.model_layers import encoder_layers, flatten_layer
from ftgeom.provenance import atomic_path, write_json


def record_steps(total_steps: int, points: int) -> list[int]:
    """`points` optimiser steps spread evenly over training, ending at the last step."""
    points = min(points, total_steps)
    return sorted({int(round(s)) for s in np.linspace(total_steps / points, total_steps, points)})


class TrajectoryRecorder:
    def __init__(self, model: torch.nn.Module, points: int, total_steps: int, work_dir: Path):
        self.steps = record_steps(total_steps, points)
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.layers = {i: [(n, tuple(p.shape)) for n, p in ps] for i, ps in encoder_layers(model).items()}
        if not (self.work_dir / "theta0.safetensors").exists():
            self._save(model, self.work_dir / "theta0.safetensors")

    def _save(self, model: torch.nn.Module, path: Path) -> None:
        tensors = {f"layer{i:02d}": flatten_layer(ps) for i, ps in encoder_layers(model).items()}
        with atomic_path(path) as tmp:
            save_file(tensors, str(tmp))

    def maybe_record(self, step: int, model: torch.nn.Module) -> None:
        if step in self.steps:
            self._save(model, self.work_dir / f"step{step:07d}.safetensors")

    def finalize(self, out_dir: Path, provenance: dict) -> dict:
        """Consolidate snapshots into one t x D file per layer, atomically (temp folder + rename)."""
        out_dir = Path(out_dir)
        snaps = [self.work_dir / f"step{s:07d}.safetensors" for s in self.steps]
        missing = [p.name for p in snaps if not p.exists()]
        if missing:
            raise RuntimeError(f"trajectory incomplete, missing snapshots {missing[:3]}")
        tmp = out_dir.with_name(f".{out_dir.name}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for i in self.layers:
            key = f"layer{i:02d}"
            rows = []
            for path in snaps:
                with safe_open(str(path), framework="pt") as f:
                    rows.append(f.get_tensor(key))
            with safe_open(str(self.work_dir / "theta0.safetensors"), framework="pt") as f:
                theta0 = f.get_tensor(key)
            save_file({"points": torch.stack(rows), "theta0": theta0}, str(tmp / f"{key}.safetensors"))
        meta = {
            "steps": self.steps,
            "layers": {f"layer{i:02d}": {"names": [n for n, _ in ps], "shapes": [list(s) for _, s in ps],
                                         "numel": int(sum(np.prod(s) for _, s in ps))}
                       for i, ps in self.layers.items()},
            "provenance": provenance,
        }
        write_json(tmp / "trajectory.json", meta)
        shutil.rmtree(out_dir, ignore_errors=True)
        tmp.rename(out_dir)
        return meta


def load_layer(traj_dir: str | Path, layer: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(points t x D, theta0 D) of one encoder layer."""
    with safe_open(str(Path(traj_dir) / f"layer{layer:02d}.safetensors"), framework="pt") as f:
        return f.get_tensor("points"), f.get_tensor("theta0")
