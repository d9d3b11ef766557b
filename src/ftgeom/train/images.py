"""Image tasks in memory at native resolution (uint8), preprocessed on the fly per batch for the model: resized to
the configured size, grey images repeated to 3 channels, normalised with the model's mean/std (timm's data
config), interpolated as timm says. Per batch, so that CIFAR at 224 px needs 150 MB, not 30 GB, of memory.

The size images are trained at is a setting of the model (`models.<m>.image_size`: 64 px on CPU by default, 224 at
paper scale) or of the task (`tasks.<t>.image_size`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ftgeom.provenance import read_json
from ftgeom.train.splits import Split, TaskData


@dataclass(frozen=True)
class ImageTransform:
    """uint8 N x C x H x W (any device) -> float32 N x 3 x size x size, normalised. Deterministic, per image."""
    size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    interpolation: str = "bicubic"

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float().div_(255.0)
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if tuple(x.shape[-2:]) != (self.size, self.size):
            mode = self.interpolation if self.interpolation in ("bilinear", "bicubic", "nearest") else "bilinear"
            kwargs = {"align_corners": False, "antialias": True} if mode != "nearest" else {}
            x = F.interpolate(x, size=(self.size, self.size), mode=mode, **kwargs).clamp_(0.0, 1.0)
        mean = torch.tensor(self.mean, dtype=torch.float32, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, dtype=torch.float32, device=x.device).view(1, 3, 1, 1)
        return ((x - mean) / std).contiguous()


def as_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 N x H x W x C (the datasets schema) -> uint8 N x C x H x W."""
    return torch.from_numpy(np.array(images, dtype=np.uint8)).permute(0, 3, 1, 2).contiguous()


def preprocess(images: np.ndarray, size: int, mean, std, interpolation: str = "bicubic") -> torch.Tensor:
    """uint8 N x H x W x C -> float32 N x 3 x size x size, normalised (all at once: for a few images)."""
    return ImageTransform(size, tuple(mean), tuple(std), interpolation)(as_tensor(images))


def load_image_task(data_dir: str | Path, model_info: dict, size: int | None = None) -> TaskData:
    """size: pixels (the run's image_size setting); None: the model's own input size (timm's data config)."""
    import datasets

    data_dir = Path(data_dir)
    info = read_json(data_dir / "ftgeom_task.json")
    if model_info.get("family") != "vision":
        raise ValueError(f"task {info['task']} is an image task; model is a {model_info.get('family')} model")
    data = model_info["data"]
    transform = ImageTransform(int(size or model_info["image_size"]), tuple(data["mean"]), tuple(data["std"]),
                               data["interpolation"])
    info = {**info, "image_size": transform.size}
    dsd = datasets.load_from_disk(str(data_dir)).with_format("numpy")
    splits = {}
    for name in ("train", "validation", "test"):
        columns = dsd[name][:]  # {"image": uint8 N x H x W x C, "label": N}
        labels = np.asarray(columns["label"])
        splits[name] = Split({"pixel_values": as_tensor(columns["image"])}, labels,
                             np.ones(len(labels), dtype=np.int64), transform=transform)
    return TaskData(info, pad_id=0, **splits)
