"""timm image classifiers as TaskModels; images arrive preprocessed (see ftgeom.train.images)."""
from __future__ import annotations

from pathlib import Path

import torch

from ftgeom.models.task_model import TaskModel
from ftgeom.provenance import load_safetensors


class VisionTaskModel(TaskModel):
    family = "vision"

    def __init__(self, backbone, head, info):
        super().__init__(backbone, head, info)
        # Convolutions run ~1.5x faster on CPU in channels-last layout; numbers do not depend on it.
        self.channels_last = info.get("channels_last", True)
        if self.channels_last:
            self.backbone.to(memory_format=torch.channels_last)

    def features(self, batch: dict) -> torch.Tensor:
        x = batch["pixel_values"]
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.backbone(x)


def build_timm(info: dict, weights: dict | None):
    """The saved architecture with its ImageNet (or random) classifier, weights loaded strictly."""
    import timm

    model = timm.create_model(info["timm_name"], pretrained=False, num_classes=info["num_classes"],
                              **info.get("timm_kwargs", {}))
    if weights is not None:
        model.load_state_dict(weights, strict=True)
    return model


def load_vision_backbone(model_dir: Path, info: dict) -> tuple[torch.nn.Module, int, float]:
    """The pretrained timm model without its classifier, its feature width, the head's dropout (none)."""

    backbone = build_timm(info, load_safetensors(Path(model_dir) / "model.safetensors")).float()
    backbone.reset_classifier(0)  # the backbone now returns pooled features; our head replaces the classifier
    return backbone, backbone.num_features, 0.0
