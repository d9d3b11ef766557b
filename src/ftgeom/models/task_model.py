"""One model interface for text and vision: a pretrained backbone and a task head, as separate modules.

`features(batch)` is the backbone's output that the head reads (BERT: the pooler output; RoBERTa/MPNet: the
first token's hidden state; timm: the pooled pre-logits features). `forward(batch)` runs the backbone under bf16
autocast when asked and the head in float32, so logits and regression outputs are never bf16-quantised.

Parameter names are `backbone.<the library's own names>` and `head.<...>`; they are the "plain" names that the
layer map, trajectories and weight analyses use, whatever a method does to the model.
"""
from __future__ import annotations

from contextlib import nullcontext

import torch
from torch import nn

from ftgeom.models.layers import LayerMap


class Head(nn.Module):
    """The task head: dropout + linear (a linear probe), or a one-hidden-layer MLP (paper C's MLP variant).

    Initialised as transformers initialises its classifiers (normal, std 0.02; zero bias), from the run's seed.
    """

    def __init__(self, features: int, outputs: int, kind: str = "linear", dropout: float = 0.0, hidden: int = 0):
        super().__init__()
        self.kind = kind
        self.dropout = nn.Dropout(dropout)
        if kind == "mlp":
            self.hidden = nn.Linear(features, hidden or features)
            features = hidden or features
        elif kind != "linear":
            raise ValueError(f"unknown head '{kind}' (known: linear, mlp)")
        self.out = nn.Linear(features, outputs)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = self.dropout(z)
        if self.kind == "mlp":
            z = self.dropout(torch.tanh(self.hidden(z)))
        return self.out(z)


class TaskModel(nn.Module):
    """backbone + head. Subclasses define `features(batch)` and `family` ('text' | 'vision')."""

    family = "base"

    def __init__(self, backbone: nn.Module, head: Head, info: dict):
        super().__init__()
        self.backbone = backbone
        self.head = head
        self.info = info            # the model folder's ftgeom_model.json
        self.precision = "fp32"     # set by the training loop: bf16 autocast for the backbone, or none
        self.trainable_roles: tuple[str, ...] | None = None
        self.layer_map = LayerMap(self)

    def features(self, batch: dict) -> torch.Tensor:
        raise NotImplementedError

    def _autocast(self, device: torch.device):
        if self.precision == "bf16":
            return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
        return nullcontext()

    def forward(self, batch: dict) -> torch.Tensor:
        device = next(iter(batch.values())).device
        with self._autocast(device):
            z = self.features(batch)
        return self.head(z.float())

    def set_trainable_roles(self, roles: tuple[str, ...]) -> None:
        """Freeze every parameter outside `roles`; frozen parts then also run in eval mode (see `train`)."""
        self.trainable_roles = tuple(roles)
        for name, p in self.named_parameters():
            p.requires_grad_(self.layer_map.role(name) in roles)

    def train(self, mode: bool = True):
        # A frozen part is a fixed function: no dropout, and BatchNorm uses (and does not update) its running
        # statistics. Trained parts use batch statistics and update the running ones (momentum 0.1).
        # A module is frozen when no parameter under it trains (containers included: BERT's self-attention module
        # applies attention dropout itself, so leaving it in train mode would perturb a frozen encoder); a module
        # without parameters (dropout, activations) follows its own role.
        super().train(mode)
        if mode and self.trainable_roles is not None:
            for name, module in self.named_modules():
                if not name:
                    continue
                names = [n for n, _ in module.named_parameters(prefix=name)]
                roles = {self.layer_map.role(n) for n in names} if names else {self.layer_map.role(name)}
                if not roles & set(self.trainable_roles):
                    module.eval()
        return self
