"""The parameterisation interface: the only thing that differs between fine-tuning methods.

The shared loop (ftgeom.train.loop) asks a method three things about a TaskModel (ftgeom.models):
1. `prepare(model)` — freeze/unfreeze tensors by role (embeddings, encoder, pooler, head: the model's layer map),
   wrap modules (peft LoRA/VeRA) or add forward hooks (spectral: a rank-k path beside each frozen matrix);
   returns the model to train;
2. `parameter_groups(model, lr, weight_decay)` — the tensors the optimiser sees (model tensors and/or the
   method's own, e.g. subspace coordinates z or spectral coefficients);
3. `weight_overrides()` — tensors that replace model parameters in the forward pass via
   `torch.func.functional_call`, e.g. θ = θ₀ + V·z per layer (intrinsic/random subspace): a full-weight rebuild
   every step. Empty for methods that train tensors in place or change the forward themselves (adapters, hooks);
   keyed by the TaskModel's plain parameter names, built in float32 (the loop calls it outside autocast).
Trajectories and weight analyses also ask for `effective_weights()`: the full weights that the method's own tensors
imply (θ₀ + update; W₀ + U·ΔS·Vᵀ for spectral), by plain parameter name; never used in the training forward, and by
default the weight overrides.
A method is an nn.Module so that its own trainable tensors are checkpointed with `state_dict()` for resuming.
Frozen parts run in eval mode (no dropout; BatchNorm uses its running statistics): see TaskModel.train.
"""
from __future__ import annotations

import math

import torch

NO_DECAY = ("bias", "LayerNorm.weight", "layer_norm.weight", "norm.weight")


class Method(torch.nn.Module):
    name = "base"
    trains: tuple[str, ...] = ("embeddings", "encoder", "pooler", "head")  # roles whose tensors train in place
    seeded = False  # whether make_method hands it the run's seed (methods that draw their own initial tensors)

    def prepare(self, model: torch.nn.Module) -> torch.nn.Module:
        model.set_trainable_roles(self.trains)
        return model

    def options(self) -> dict:
        """The method's own settings that change numbers (part of a checkpoint's fingerprint)."""
        return {}

    def parameter_groups(self, model: torch.nn.Module, lr: float, weight_decay: float) -> list[dict]:
        decay, no_decay = [], []
        for name, p in model.named_parameters():
            if p.requires_grad:
                # biases and norm scales (BatchNorm/LayerNorm: every 1-d tensor) take no weight decay
                (no_decay if p.ndim <= 1 or name.endswith(NO_DECAY) else decay).append(p)
        own = [p for p in self.parameters() if p.requires_grad]
        groups = [{"params": decay, "weight_decay": weight_decay, "lr": lr},
                  {"params": no_decay + own, "weight_decay": 0.0, "lr": lr}]
        return [g for g in groups if g["params"]]

    def weight_overrides(self) -> dict[str, torch.Tensor]:
        return {}

    def effective_weights(self) -> dict[str, torch.Tensor]:
        """{plain name: weight} of every tensor whose value the method's own tensors set (see the module doc)."""
        return self.weight_overrides()

    def describe(self, model: torch.nn.Module) -> dict:
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        trainable += sum(p.numel() for p in self.parameters() if p.requires_grad)
        total = sum(p.numel() for p in model.parameters())
        return {"method": self.name, "trainable_parameters": trainable, "total_parameters": total,
                "trainable_fraction": trainable / total}


def linear_targets(model: torch.nn.Module, kinds: tuple[str, ...] | None) -> list:
    """The layer map's weight matrices of nn.Linear modules, of the given kinds (None: every kind), in layer order.

    The PEFT methods adapt these; a kind asked for but absent (a typo, or `qkv` on BERT) is an error, not a no-op.
    A module that peft already wrapped counts by the layer it wraps (a method prepared twice finds its targets)."""
    modules = dict(model.named_modules())

    def linear(name: str) -> bool:
        module = modules.get(name.removesuffix(".weight"))
        base = module.get_base_layer() if hasattr(module, "get_base_layer") else module
        return isinstance(base, torch.nn.Linear)
    found = [m for m in model.layer_map.matrices() if linear(m.name)]
    if kinds is None:
        return found
    missing = set(kinds) - {m.kind for m in found}
    if missing:
        raise ValueError(f"no nn.Linear matrices of kind {sorted(missing)} (this model has "
                         f"{sorted({m.kind for m in found})})")
    return [m for m in found if m.kind in kinds]


def budget(model: torch.nn.Module, own: int = 0) -> dict:
    """Trainable tensors of the backbone (adapters and `own` method tensors included) against the pretrained backbone.

    The backbone's size counts the plain parameters the layer map saw when the model was built, so adapters that a
    method injects do not inflate the denominator."""
    lm = model.layer_map
    backbone = sum(math.prod(s) for n, s in lm.shapes.items() if lm.role(n) != "head")
    trained = {"backbone": own, "head": 0}
    for name, p in model.named_parameters():
        if p.requires_grad:
            trained["head" if lm.role(name) == "head" else "backbone"] += p.numel()
    return {"backbone_trainable": trained["backbone"], "backbone_parameters": backbone,
            "backbone_fraction": trained["backbone"] / backbone, "head_trainable": trained["head"]}
