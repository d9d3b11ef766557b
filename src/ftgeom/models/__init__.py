"""One model interface for text and vision: TaskModel (backbone + head), the layer map, effective weights."""
from __future__ import annotations

from pathlib import Path

import torch

from ftgeom.models.layers import LayerMap, Matrix
from ftgeom.models.task_model import Head, TaskModel
from ftgeom.provenance import read_json

__all__ = ["Head", "LayerMap", "Matrix", "TaskModel", "load_task_model", "model_info"]


def model_info(model_dir: str | Path) -> dict:
    """The model folder's ftgeom_model.json (family, source, preprocessing, provenance)."""
    info = read_json(Path(model_dir) / "ftgeom_model.json")
    info.setdefault("family", "text")
    return info


def load_task_model(model_dir: str | Path, task_info: dict, seed: int, head: str = "linear") -> TaskModel:
    """The pretrained backbone with a fresh task head; the head's initialisation depends on the seed only."""
    model_dir = Path(model_dir)
    info = model_info(model_dir)
    if info["family"] == "vision":
        from ftgeom.models.vision import VisionTaskModel as cls, load_vision_backbone as load
    else:
        from ftgeom.models.text import TextTaskModel as cls, load_text_backbone as load
    torch.manual_seed(seed)  # weights missing from a checkpoint (a pooler, say) are drawn reproducibly
    backbone, width, dropout = load(model_dir, info)
    torch.manual_seed(seed)  # after loading: the head's initialisation depends on the seed alone
    return cls(backbone, Head(width, task_info["num_labels"], head, dropout), info)
