"""Which parameters are embeddings, which belong to encoder layer i, and which form the task head.

Methods and the trajectory recorder share this one map, so 'layer i' means the same thing everywhere
(BERT/RoBERTa/MPNet `*.encoder.layer.i.*`, timm ViT `blocks.i.*`).
"""
from __future__ import annotations

import re
from collections import OrderedDict

import torch

_LAYER = re.compile(r"(?:^|\.)(?:encoder\.layer|blocks|layers)\.(\d+)\.")
_EMBED = re.compile(r"(?:^|\.)(?:embeddings|patch_embed|pos_embed|cls_token|relative_attention_bias)(?:\.|$)")


def role(name: str) -> str:
    """'encoder' (inside a numbered layer), 'embeddings', or 'head' (pooler, classifier, final norm)."""
    if _LAYER.search(name):
        return "encoder"
    if _EMBED.search(name):
        return "embeddings"
    return "head"


def layer_index(name: str) -> int | None:
    m = _LAYER.search(name)
    return int(m.group(1)) if m else None


def encoder_layers(model: torch.nn.Module) -> "OrderedDict[int, list[tuple[str, torch.nn.Parameter]]]":
    """Parameters of each encoder layer, in named_parameters order (the order flattened trajectories use)."""
    layers: OrderedDict[int, list] = OrderedDict()
    for name, p in model.named_parameters():
        i = layer_index(name)
        if i is not None:
            layers.setdefault(i, []).append((name, p))
    if not layers:
        raise ValueError(f"no encoder layers recognised in {type(model).__name__}")
    return OrderedDict(sorted(layers.items()))


def flatten_layer(params: list[tuple[str, torch.Tensor]]) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1).float().cpu() for _, p in params])
