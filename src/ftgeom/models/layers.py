"""The layer map: which parameters are embeddings, encoder layer i, the backbone's tail, or the task head.

Every method, the trajectory recorder and every weight analysis read this one map, built from the module
structure of a TaskModel (never from regular expressions elsewhere), so "layer i" means the same thing everywhere:

- text (HF BERT/RoBERTa/MPNet): `backbone.encoder.layer.{i}`;
- timm ViT: `backbone.blocks.{i}`; timm EfficientNet: `backbone.blocks.{stage}.{block}`; timm ResNet:
  `backbone.layer{stage}.{block}` — nested blocks are numbered in forward order (0, 1, 2, ... across stages),
  so stage/block pairs never collide; `label(i)` keeps the original path for figures.

Roles: `embeddings` (everything of the backbone before the first layer: token/position embeddings, ViT patch
embedding and tokens, the conv stem), `encoder` (inside a layer), `pooler` (the backbone after its last layer: BERT
pooler, ViT final norm, EfficientNet conv_head + bn2), `head` (the task head).
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch

ROLES = ("embeddings", "encoder", "pooler", "head")
# Parameters that sit after the layers in module order but act as embeddings (MPNet's relative position bias).
EMBEDDING_LIKE = ("relative_attention_bias",)
# Local names (inside one layer, without `.weight`) of the weight matrices paper B analyses, by kind.
MATRIX_KINDS = {
    "attention.self.query": "query", "attention.self.key": "key", "attention.self.value": "value",
    "attention.output.dense": "attention_output", "intermediate.dense": "ffn_in", "output.dense": "ffn_out",
    "attention.attn.q": "query", "attention.attn.k": "key", "attention.attn.v": "value",  # MPNet
    "attention.attn.o": "attention_output",
    "attn.qkv": "qkv", "attn.proj": "attention_output", "mlp.fc1": "ffn_in", "mlp.fc2": "ffn_out",  # timm ViT
}

# What peft inserts into the names of a model it wraps in place (`<module>.base_layer.weight`) or as a whole
# (`base_model.model.<name>`): removing them gives back the plain name (see also ftgeom.models.weights).
PEFT_INFIXES = ("base_layer",)
PEFT_PREFIX = "base_model.model."


def _without_peft_prefix(name: str) -> str:
    return name[len(PEFT_PREFIX):] if name.startswith(PEFT_PREFIX) else name


@dataclass(frozen=True)
class Matrix:
    name: str     # parameter name in the task model
    layer: int
    kind: str     # query | key | value | qkv | attention_output | ffn_in | ffn_out | conv | linear
    shape: tuple[int, ...]

    def as_matrix(self, w: torch.Tensor) -> torch.Tensor:
        """2-d view for spectral analyses: conv kernels reshaped out-channels x (in-channels * kh * kw)."""
        return w.reshape(w.shape[0], -1)


def _layer_prefixes(backbone: torch.nn.Module) -> list[tuple[str, str]]:
    """(module prefix inside the backbone, label) of every layer, in forward order."""
    if getattr(backbone, "precomputed", False):  # cached features stand in for the backbone: no layers
        return []
    encoder = getattr(backbone, "encoder", None)
    if encoder is not None and isinstance(getattr(encoder, "layer", None), torch.nn.ModuleList):
        return [(f"encoder.layer.{i}", f"layer {i}") for i in range(len(encoder.layer))]
    if hasattr(backbone, "blocks"):
        blocks = list(backbone.blocks.named_children())
        nested = all(isinstance(b, torch.nn.Sequential) for _, b in blocks) and not hasattr(backbone, "patch_embed")
        if not nested:
            return [(f"blocks.{n}", f"block {n}") for n, _ in blocks]
        return [(f"blocks.{s}.{j}", f"stage {s} block {j}") for s, stage in blocks for j, _ in stage.named_children()]
    stages = [n for n, _ in backbone.named_children() if n.startswith("layer") and n[5:].isdigit()]
    if stages:
        return [(f"{s}.{j}", f"stage {s[5:]} block {j}") for s in stages
                for j, _ in getattr(backbone, s).named_children()]
    raise ValueError(f"no encoder layers recognised in {type(backbone).__name__}")


class LayerMap:
    """Roles and layer indices of a TaskModel's parameters (names as in `task_model.named_parameters()`)."""

    def __init__(self, task_model: torch.nn.Module):
        backbone = task_model.backbone
        prefixes = _layer_prefixes(backbone)
        self.labels = {i: label for i, (_, label) in enumerate(prefixes)}
        self.prefixes = {i: f"backbone.{p}." for i, (p, _) in enumerate(prefixes)}
        self.layers: OrderedDict[int, list[str]] = OrderedDict((i, []) for i in self.labels)
        self._roles: dict[str, str] = {}
        self._layer_of: dict[str, int] = {}
        seen_layer = False
        for name, _ in task_model.named_parameters():
            i = self._match_layer(name)
            if i is not None:
                seen_layer = True
                self.layers[i].append(name)
                self._layer_of[name] = i
                self._roles[name] = "encoder"
            elif not name.startswith("backbone."):
                self._roles[name] = "head"
            elif any(part in name.split(".") for part in EMBEDDING_LIKE) or not seen_layer:
                self._roles[name] = "embeddings"
            else:
                self._roles[name] = "pooler"
        self.shapes = {n: tuple(p.shape) for n, p in task_model.named_parameters()}
        self._module_roles: dict[str, str] = {"": "head"}
        seen_layer = False
        for name, _ in task_model.named_modules():
            if not name:
                continue
            if self._match_layer(name + ".") is not None:
                seen_layer = True
                self._module_roles[name] = "encoder"
            elif not name.startswith("backbone."):
                self._module_roles[name] = "head" if name != "backbone" else "embeddings"
            elif any(part in name.split(".") for part in EMBEDDING_LIKE) or not seen_layer:
                self._module_roles[name] = "embeddings"
            else:
                self._module_roles[name] = "pooler"

    def _match_layer(self, name: str) -> int | None:
        for i, prefix in self.prefixes.items():
            if name.startswith(prefix):
                return i
        return None

    def role(self, name: str) -> str:
        """Role of a parameter, or of a module by its name (modules are classified like parameters).

        A name the map did not see when it was built (peft's `.base_layer`, `lora_A.default`, `vera_lambda_b.default`,
        `lora_dropout.default`, ..., added by wrapping modules in place) takes the role of its nearest known ancestor
        once peft's infixes are removed: an adapter belongs to the part of the model whose module it adapts, and a
        wrapped weight keeps the role it had. A name under no module of the model raises KeyError, as before."""
        found = self._known(name)
        if found is not None:
            return found
        parts = [p for p in _without_peft_prefix(name).split(".") if p not in PEFT_INFIXES]
        while parts:  # stops before the root, whose role ("head") would hide a misspelt name
            found = self._known(".".join(parts))
            if found is not None:
                return found
            parts.pop()
        raise KeyError(f"'{name}' is neither a parameter or module of the model nor inside one")

    def _known(self, name: str) -> str | None:
        return self._roles.get(name) or self._module_roles.get(name)

    def layer_of(self, name: str) -> int | None:
        return self._layer_of.get(name)

    def names(self, role: str) -> list[str]:
        return [n for n, r in self._roles.items() if r == role]

    def matrices(self, layer: int | None = None) -> list[Matrix]:
        """The weight matrices of one layer (or all layers) with their kind; 1-d tensors (norms, biases) are not."""
        out = []
        for i, names in self.layers.items():
            if layer is not None and i != layer:
                continue
            for name in names:
                shape = self.shapes[name]
                if len(shape) < 2 or not name.endswith(".weight"):
                    continue
                local = name[len(self.prefixes[i]):-len(".weight")]
                kind = MATRIX_KINDS.get(local, "conv" if len(shape) == 4 else "linear")
                out.append(Matrix(name, i, kind, shape))
        return out
