"""The parameterisation interface: the only thing that differs between fine-tuning methods.

The shared loop (ftgeom.train.loop) asks a method three things about a TaskModel (ftgeom.models):
1. `prepare(model)` — freeze/unfreeze tensors by role (embeddings, encoder, pooler, head: the model's layer map),
   or wrap modules (peft LoRA/VeRA); returns the model to train;
2. `parameter_groups(model, lr, weight_decay)` — the tensors the optimiser sees (model tensors and/or the
   method's own, e.g. subspace coordinates z or spectral coefficients);
3. `weight_overrides()` — tensors that replace model parameters in the forward pass via
   `torch.func.functional_call`, e.g. θ = θ₀ + V·z per layer (intrinsic/random subspace) or U·diag(σ + Δσ)·Vᵀ
   (frozen singular vectors, trainable spectral coefficients). Empty for methods that train tensors in place;
   keyed by the TaskModel's plain parameter names, built in float32 (the loop calls it outside autocast).
A method is an nn.Module so that its own trainable tensors are checkpointed with `state_dict()` for resuming.
Frozen parts run in eval mode (no dropout; BatchNorm uses its running statistics): see TaskModel.train.
"""
from __future__ import annotations

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

    def describe(self, model: torch.nn.Module) -> dict:
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        trainable += sum(p.numel() for p in self.parameters() if p.requires_grad)
        total = sum(p.numel() for p in model.parameters())
        return {"method": self.name, "trainable_parameters": trainable, "total_parameters": total,
                "trainable_fraction": trainable / total}
