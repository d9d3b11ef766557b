"""Effective weights: the tensors the forward pass really uses, under the plain TaskModel's parameter names.

A method may train a model's tensors in place, supply weight overrides (θ₀ + V·z, U·diag(σ+Δσ)·Vᵀ, applied with
`torch.func.functional_call`), or wrap modules with peft (LoRA/VeRA adapters beside a frozen `base_layer`).
Trajectories and weight analyses read `effective_parameters`, never a method's internal tensors.
"""
from __future__ import annotations

import torch

# peft inserts these into parameter names: base_model.model.<plain>, <module>.base_layer.weight
_PEFT_PREFIX = "base_model.model."


def _plain_name(name: str) -> str:
    if name.startswith(_PEFT_PREFIX):
        name = name[len(_PEFT_PREFIX):]
    return name.replace(".base_layer.", ".")


def _peft_deltas(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """weight deltas of unmerged peft adapter layers, keyed by the plain weight name."""
    try:
        from peft.tuners.tuners_utils import BaseTunerLayer
    except ImportError:  # peft not installed: no module can be wrapped by it
        return {}
    deltas = {}
    for name, module in model.named_modules():
        if isinstance(module, BaseTunerLayer) and not module.merged:
            delta = None
            for adapter in module.active_adapters:
                if adapter in getattr(module, "lora_A", {}) or adapter in getattr(module, "vera_lambda_b", {}):
                    d = module.get_delta_weight(adapter)
                    delta = d if delta is None else delta + d
            if delta is not None:
                deltas[_plain_name(name) + ".weight"] = delta
    return deltas


@torch.no_grad()
def effective_parameters(model: torch.nn.Module, overrides: dict[str, torch.Tensor] | None = None,
                         names: list[str] | None = None) -> dict[str, torch.Tensor]:
    """{plain name: float32 tensor the forward pass uses} for `names` (default: every plain parameter).

    model: the TaskModel, or what a method made of it (e.g. a peft wrapper); overrides: the method's
    `weight_overrides()` (plain names).
    """
    deltas = _peft_deltas(model)
    plain = {}
    for name, p in model.named_parameters():
        key = _plain_name(name)
        if not _is_adapter_param(key):
            plain[key] = p
    wanted = names if names is not None else list(plain)
    out = {}
    for key in wanted:
        if overrides and key in overrides:
            w = overrides[key]
        else:
            w = plain[key]
            if key in deltas:
                w = w + deltas[key].to(w.dtype)
        out[key] = w.detach().float()
    return out


def _is_adapter_param(name: str) -> bool:
    return any(tag in name.split(".") for tag in ("lora_A", "lora_B", "lora_embedding_A", "lora_embedding_B",
                                                   "vera_lambda_b", "vera_lambda_d", "lora_magnitude_vector"))
