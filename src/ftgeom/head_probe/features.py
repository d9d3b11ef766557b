"""Frozen-backbone features cached once per (model, task), so head probing costs one backbone pass, not τ.

The cache holds the head's input (the pooled penultimate features) for every split, computed with the backbone in
eval mode: exactly what the head sees while the backbone is frozen (frozen parts run in eval mode in the shared
loop too). `feature_task` turns the cache into a TaskData whose examples are feature vectors, and `feature_model`
into a TaskModel whose backbone is the cache, so head probing runs in the shared training loop unchanged.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ftgeom.models.task_model import Head, TaskModel
from ftgeom.provenance import load_safetensors, read_json, write_json
from ftgeom.train.data import Split, TaskData

SPLITS = ("train", "validation", "test")


class CachedBackbone(torch.nn.Module):
    """Stands in for a frozen backbone whose outputs were computed beforehand (the layer map sees no layers)."""
    precomputed = True


class FeatureTaskModel(TaskModel):
    family = "features"

    def features(self, batch: dict) -> torch.Tensor:
        return batch["features"]


def compute_features(model_dir: Path, data: TaskData, eval_batch_size: int = 64) -> tuple[dict[str, torch.Tensor], float]:
    """{split: N × width float32} of the pretrained backbone in eval mode, in split order; the head's dropout."""
    from ftgeom.methods import make_method
    from ftgeom.models import load_task_model
    from ftgeom.train.loop import TrainConfig, evaluate

    task_model = load_task_model(model_dir, data.info, seed=0)
    method = make_method("head")
    model = method.prepare(task_model)
    cfg = TrainConfig(eval_batch_size=eval_batch_size)
    features = {name: evaluate(model, method, data, getattr(data, name), cfg, torch.device("cpu"), features=True)[1]
                for name in SPLITS}
    return features, task_model.head.dropout.p


def save_features(out_dir: Path, features: dict[str, torch.Tensor], data: TaskData, head_dropout: float,
                  provenance: dict) -> None:
    from safetensors.torch import save_file

    from ftgeom.provenance import atomic_path

    out_dir.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for name in SPLITS:
        split = getattr(data, name)
        tensors[f"{name}.features"] = features[name].contiguous()
        tensors[f"{name}.labels"] = torch.as_tensor(np.asarray(split.labels))
        tensors[f"{name}.lengths"] = torch.as_tensor(np.asarray(split.lengths))
    with atomic_path(out_dir / "features.safetensors") as tmp:
        save_file(tensors, str(tmp))
    write_json(out_dir / "features.json", {"task": data.info, "width": int(features["train"].shape[1]),
                                            "head_dropout": head_dropout, "provenance": provenance})


def feature_task(cache_dir: Path) -> TaskData:
    """The cached features as a TaskData; lengths are the original examples' (same batches as the real task)."""

    t = load_safetensors(Path(cache_dir) / "features.safetensors")
    meta = read_json(Path(cache_dir) / "features.json")
    splits = {name: Split({"features": t[f"{name}.features"]}, t[f"{name}.labels"].numpy(),
                          t[f"{name}.lengths"].numpy()) for name in SPLITS}
    return TaskData(meta["task"], pad_id=0, **splits)


def feature_model(cache_dir: Path, model_info: dict, seed: int, head: str) -> FeatureTaskModel:
    """A head on the cached features, initialised exactly as `load_task_model` initialises it for `seed`."""
    meta = read_json(Path(cache_dir) / "features.json")
    torch.manual_seed(seed)
    head = Head(meta["width"], meta["task"]["num_labels"], head, meta["head_dropout"])
    return FeatureTaskModel(CachedBackbone(), head, model_info)

