"""Fine-tuning trajectories: t snapshots of every encoder layer's effective weights, evenly spaced over training.

Layout of a finished trajectory folder (read layer by layer, never the whole model):
  layer{i:02d}.safetensors  points (t x D_i, float32), theta0 (D_i,) = the pretrained layer the run started from
  initial.safetensors       every other parameter (embeddings, pooler, head) at step 0: with theta0, the run's
                            complete initial state (the head's initialisation included)
  final.safetensors         the same parameters at the end of training
  trajectory.json           steps, per layer its parameter names/shapes (the flattening order) and label, provenance
The weights are the effective ones (ftgeom.models.weights), under the TaskModel's plain names, whatever the
method. A run that keeps only its final weights is a trajectory of one point (the last step).
While training, each snapshot is one file in the run's state folder, so a killed run keeps what it had recorded.
"""
from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from ftgeom.models.weights import effective_parameters
from ftgeom.provenance import atomic_path, load_safetensors, read_json, safetensors_file, write_json


def record_steps(total_steps: int, points: int) -> list[int]:
    """`points` optimiser steps spread evenly over training, ending at the last step."""
    points = min(points, total_steps)
    return sorted({int(round(s)) for s in np.linspace(total_steps / points, total_steps, points)})


class TrajectoryRecorder:
    def __init__(self, task_model, model, method, points: int, total_steps: int, work_dir: Path):
        """task_model: the plain TaskModel (its layer map names the weights); model: what the method trains
        (the TaskModel itself, or a wrapper); method: supplies the effective weights its own tensors imply."""
        self.model, self.method = model, method
        self.layer_map = task_model.layer_map
        self.steps = record_steps(total_steps, points)
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.layers = {i: names for i, names in self.layer_map.layers.items()}
        in_layers = {n for names in self.layers.values() for n in names}
        self.rest = [n for n in self.layer_map.shapes if n not in in_layers]
        if not (self.work_dir / "theta0.safetensors").exists():
            self._save_rest(self.work_dir / "initial.safetensors")
            self._save_layers(self.work_dir / "theta0.safetensors")

    def _weights(self, names: list[str]) -> dict[str, torch.Tensor]:
        # effective_weights, not weight_overrides: a method that changes the forward without overriding weights
        # (spectral hooks) still records W₀ + its update; peft adapter deltas are added by effective_parameters.
        with torch.no_grad():
            overrides = self.method.effective_weights()
        return {k: v.cpu() for k, v in effective_parameters(self.model, overrides, names).items()}

    def _save_layers(self, path: Path) -> None:
        weights = self._weights([n for names in self.layers.values() for n in names])
        tensors = {f"layer{i:02d}": torch.cat([weights[n].reshape(-1) for n in names])
                   for i, names in self.layers.items()}
        with atomic_path(path) as tmp:
            save_file(tensors, str(tmp))

    def _save_rest(self, path: Path) -> None:
        with atomic_path(path) as tmp:
            save_file({k: v.contiguous() for k, v in self._weights(self.rest).items()}, str(tmp))

    def maybe_record(self, step: int) -> None:
        if step in self.steps:
            self._save_layers(self.work_dir / f"step{step:07d}.safetensors")

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
        shutil.copyfile(self.work_dir / "initial.safetensors", tmp / "initial.safetensors")
        self._save_rest(tmp / "final.safetensors")
        shapes = self.layer_map.shapes
        meta = {
            "steps": self.steps,
            "layers": {f"layer{i:02d}": {"names": names, "shapes": [list(shapes[n]) for n in names],
                                         "numel": int(sum(math.prod(shapes[n]) for n in names)),
                                         "label": self.layer_map.labels[i]}
                       for i, names in self.layers.items()},
            "rest": self.rest,
            "provenance": provenance,
        }
        write_json(tmp / "trajectory.json", meta)
        shutil.rmtree(out_dir, ignore_errors=True)
        tmp.rename(out_dir)
        return meta


def load_layer(traj_dir: str | Path, layer: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(points t x D, theta0 D) of one encoder layer."""
    with safetensors_file(Path(traj_dir) / f"layer{layer:02d}.safetensors") as f:
        return f.get_tensor("points"), f.get_tensor("theta0")


def layer_start(traj_dir: str | Path, layer: int) -> torch.Tensor:
    """θ0 (D,) of one encoder layer, without reading its points."""
    with safetensors_file(Path(traj_dir) / f"layer{layer:02d}.safetensors") as f:
        return f.get_tensor("theta0")


def unflatten(traj_dir: str | Path, layer: int, flat: torch.Tensor) -> dict[str, torch.Tensor]:
    """A flat layer vector (a row of `points`, or theta0) as {parameter name: tensor of its shape}."""
    info = read_json(Path(traj_dir) / "trajectory.json")["layers"][f"layer{layer:02d}"]
    sizes = [math.prod(s) for s in info["shapes"]]
    return {n: part.reshape(s) for n, s, part in zip(info["names"], info["shapes"], torch.split(flat, sizes))}


def layer_weights(traj_dir: str | Path, layer: int, which: str = "final") -> dict[str, torch.Tensor]:
    """One layer's weights by name: `initial` (pretrained, θ0) or `final` (the last recorded step)."""
    points, theta0 = load_layer(traj_dir, layer)
    return unflatten(traj_dir, layer, theta0 if which == "initial" else points[-1])


def other_weights(traj_dir: str | Path, which: str = "final") -> dict[str, torch.Tensor]:
    """Embeddings, pooler and head at the start (`initial`) or end (`final`) of the run."""
    return load_safetensors(Path(traj_dir) / f"{which}.safetensors")
