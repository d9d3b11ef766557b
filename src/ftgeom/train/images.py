"""Image tasks in memory, preprocessed once per run for the model: resized to the configured size, grey images
repeated to 3 channels, normalised with the model's mean/std (timm's data config), interpolation as timm's.

Images are stored at native resolution (28 px, 8 px); the size they are trained at is a setting of the model
(`models.<m>.image_size`: 64 px on CPU by default, 224 at paper scale) or of the task (`tasks.<t>.image_size`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ftgeom.provenance import read_json
from ftgeom.train.data import Split, TaskData


def preprocess(images: np.ndarray, size: int, mean, std, interpolation: str = "bicubic") -> torch.Tensor:
    """uint8 N x H x W x C -> float32 N x 3 x size x size, normalised."""
    x = torch.from_numpy(np.array(images, dtype=np.uint8)).permute(0, 3, 1, 2).float().div_(255.0)
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    if x.shape[-2:] != (size, size):
        mode = interpolation if interpolation in ("bilinear", "bicubic", "nearest") else "bilinear"
        kwargs = {"align_corners": False, "antialias": True} if mode != "nearest" else {}
        x = F.interpolate(x, size=(size, size), mode=mode, **kwargs).clamp_(0.0, 1.0)
    mean = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous()


def load_image_task(data_dir: str | Path, model_info: dict, size: int | None = None) -> TaskData:
    """size: pixels (the run's image_size setting); None: the model's own input size (timm's data config)."""
    import datasets

    data_dir = Path(data_dir)
    info = read_json(data_dir / "ftgeom_task.json")
    if model_info.get("family") != "vision":
        raise ValueError(f"task {info['task']} is an image task; model is a {model_info.get('family')} model")
    size, data = int(size or model_info["image_size"]), model_info["data"]
    info = {**info, "image_size": size}
    dsd = datasets.load_from_disk(str(data_dir)).with_format("numpy")
    splits = {}
    for name in ("train", "validation", "test"):
        columns = dsd[name][:]  # {"image": uint8 N x H x W x C, "label": N}
        pixels = preprocess(columns["image"], size, data["mean"], data["std"], data["interpolation"])
        labels = np.asarray(columns["label"])
        splits[name] = Split({"pixel_values": pixels}, labels, np.ones(len(labels), dtype=np.int64))
    return TaskData(info, pad_id=0, **splits)
