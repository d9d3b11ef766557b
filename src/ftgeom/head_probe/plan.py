"""What paper C's stages run: probing variants, and the (variant, τ) fine-tuning runs of each (model, task, seed).

Variants (the paper's principles), each a probing recipe and the τ values fine-tuning starts from:
- base: the model's own head, plain cross-entropy, every τ of the model's grid (τ = 0 is the shared stage's run, or
  this stage's own when `finetune_lr` sets the fine-tuning rate after probing);
- smooth: the same head probed with label smoothing (`head_probe.label_smoothing`), from the converged head;
- mlp: a one-hidden-layer MLP head (tanh), from the converged head (compare: base at the converged head);
- early: the base probe stopped at its best validation epoch.
Variants run on `variant_seeds` only (a subset of the seeds): they are compared with the base runs of those seeds.

`settings_for(hp, model)` resolves the config section for one model (per-model τ grids, converged epochs and
learning rates).
"""
from __future__ import annotations

CONVERGED = "converged"  # τ: the head probed for `converged_epochs`
EARLY = "early"          # τ: the base probe's head at its best validation epoch


def _per_model(value, model: str):
    return value[model] if isinstance(value, dict) else value


def settings_for(hp: dict, model: str) -> dict:
    """The head_probe section as it applies to `model` (what its jobs receive)."""
    seeds = list(hp["seeds"])
    return {"seeds": seeds, "variant_seeds": [s for s in hp.get("variant_seeds", seeds) if s in seeds],
            "taus": list(_per_model(hp["taus"], model)), "lr": _per_model(hp["lr"], model),
            "converged_epochs": _per_model(hp["converged_epochs"], model), "label_smoothing": hp["label_smoothing"],
            "variants": ["base", *hp.get("variants", {}).get(model, [])],
            "finetune_lr": _per_model(hp.get("finetune_lr"), model)}


def probe_settings(hp: dict, head: str, batch_size: int) -> dict[str, dict]:
    """{variant: probing settings} for the variants that probe a head of their own (early reuses base)."""
    common = {"lr": hp["lr"], "batch_size": batch_size, "converged_epochs": hp["converged_epochs"]}
    variant_seeds = hp["variant_seeds"]
    out = {"base": {**common, "head": head, "label_smoothing": 0.0, "taus": hp["taus"], "seeds": hp["seeds"],
                    "keep_every_epoch": "early" in hp["variants"]}}
    if "smooth" in hp["variants"]:
        out["smooth"] = {**common, "head": head, "label_smoothing": hp["label_smoothing"], "taus": [CONVERGED],
                         "seeds": variant_seeds}
    if "mlp" in hp["variants"]:
        out["mlp"] = {**common, "head": "mlp", "label_smoothing": 0.0, "taus": [CONVERGED], "seeds": variant_seeds}
    return out


def own_recipe(hp: dict) -> bool:
    """Whether fine-tuning after probing has its own learning rate (then τ = 0 is this stage's run too)."""
    return hp.get("finetune_lr") is not None


def finetune_runs(hp: dict, seed: int) -> list[tuple[str, object]]:
    """(variant, τ) pairs fine-tuned for one seed; (base, 0) is the shared stage's full run, not listed, unless the
    stage fine-tunes with its own learning rate (`finetune_lr`)."""
    runs = [("base", t) for t in hp["taus"] if t != 0 or own_recipe(hp)]
    if seed in hp["variant_seeds"]:
        runs += [(v, EARLY if v == "early" else CONVERGED) for v in hp["variants"] if v != "base"]
    return runs


def run_name(variant: str, tau) -> str:
    return variant if tau == EARLY else f"{variant}-tau{tau}"


def head_key(variant: str, seed: int, tau) -> str:
    """Key of a probed head in heads.pt; the early-stopped head comes from the base probe."""
    source = "base" if variant == "early" else variant
    return f"{source}/seed{seed}/{tau}"
