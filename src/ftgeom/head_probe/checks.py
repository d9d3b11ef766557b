"""Paper C's config cross-checks (what the schema cannot check): one line naming the key."""
from __future__ import annotations

from ftgeom.config import ConfigError, check_pairs, finetune_pairs


def _check_head_probe(config: dict) -> None:
    hp, ft = config["head_probe"], config["finetune"]
    pairs = finetune_pairs(config)
    if "full" not in ft["methods"]:
        raise ConfigError("config error: head_probe: needs method 'full' in finetune.methods (τ = 0 is that run)")
    check_pairs("head_probe", hp["models"], pairs)
    for model, tasks in hp["models"].items():
        for i, task in enumerate(tasks):
            if config["tasks"][task].get("metric") in ("pearson", "spearman", "mse"):
                raise ConfigError(f"config error: head_probe.models.{model}[{i}]: '{task}' is a regression task; head "
                                  "probing needs a classification task")
    for i, seed in enumerate(hp["seeds"]):
        if seed not in ft["seeds"]:
            raise ConfigError(f"config error: head_probe.seeds[{i}]: seed {seed} is not in finetune.seeds")
    for i, seed in enumerate(hp.get("variant_seeds", [])):
        if seed not in hp["seeds"]:
            raise ConfigError(f"config error: head_probe.variant_seeds[{i}]: seed {seed} is not in head_probe.seeds")
    for i, seed in enumerate(hp["weight_geometry"]["seeds"]):
        if seed not in hp["seeds"]:
            raise ConfigError(f"config error: head_probe.weight_geometry.seeds[{i}]: seed {seed} is not in "
                              "head_probe.seeds")
    for key in ("taus", "lr", "variants", "converged_epochs", "finetune_lr"):
        if isinstance(hp.get(key), dict):
            for model in hp[key]:
                if model not in hp["models"]:
                    raise ConfigError(f"config error: head_probe.{key}.{model}: not a model of head_probe.models")
    taus = hp["taus"]
    for model in hp["models"]:
        grid = taus.get(model) if isinstance(taus, dict) else taus
        where = f"head_probe.taus.{model}" if isinstance(taus, dict) else "head_probe.taus"
        if grid is None:
            raise ConfigError(f"config error: {where}: no τ grid for model '{model}'")
        if 0 not in grid or "converged" not in grid:
            raise ConfigError(f"config error: {where}: must include 0 and 'converged'")
    for key, what in (("lr", "learning rate"), ("converged_epochs", "converged epochs"),
                      ("finetune_lr", "fine-tuning rate")):
        if isinstance(hp.get(key), dict) and set(hp["models"]) - set(hp[key]):
            missing = sorted(set(hp["models"]) - set(hp[key]))[0]
            raise ConfigError(f"config error: head_probe.{key}: no {what} for model '{missing}'")




def check(config: dict) -> None:
    if config.get("head_probe"):
        _check_head_probe(config)
