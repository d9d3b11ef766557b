"""A task's splits in memory, as the training loop reads them (ftgeom.train.data and .images fill them)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch


@dataclass
class Split:
    # text: token lists; images: {"pixel_values": uint8 NCHW}; cached backbone features: {"features": N x width}
    features: dict[str, list[list[int]] | torch.Tensor]
    labels: np.ndarray
    lengths: np.ndarray
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None  # images: per-batch preprocessing

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class TaskData:
    info: dict
    train: Split
    validation: Split
    test: Split
    pad_id: int

    @property
    def kind(self) -> str:
        return self.info["kind"]

    @property
    def num_labels(self) -> int:
        return self.info["num_labels"]

    @property
    def modality(self) -> str:
        return self.info.get("modality", "text")
