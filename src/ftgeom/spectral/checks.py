"""Paper B's config cross-checks (what the schema cannot check), models pretrained here included."""
from __future__ import annotations

from ftgeom.assets.modality import model_modality, task_modality
from ftgeom.config import ConfigError, check_pairs, finetune_pairs


def _check_pretrain(config: dict, name: str, model: dict) -> None:
    init, pre = model["init"], model.get("pretrain")
    if init not in config["models"] or init == name:
        raise ConfigError(f"config error: models.{name}.init: unknown model '{init}' (defined: "
                          f"{', '.join(m for m in config['models'] if m != name)})")
    if model_modality(config["models"][init]) != "image":
        raise ConfigError(f"config error: models.{name}.init: '{init}' is a text model; source pretrain is vision-only")
    if not pre:
        raise ConfigError(f"config error: models.{name}: source 'pretrain' needs key 'pretrain'")
    if pre["task"] not in config["tasks"]:
        raise ConfigError(f"config error: models.{name}.pretrain.task: unknown task '{pre['task']}'")
    steps, examples, batch = pre["steps"], pre["examples"], pre["batch_size"]
    if (steps * batch) % examples:
        raise ConfigError(f"config error: models.{name}.pretrain: steps x batch_size ({steps} x {batch}) is not a "
                          f"whole number of epochs over {examples} examples")


def _check_spectral(config: dict) -> None:
    sb, ft = config["spectral"], config["finetune"]
    pairs = finetune_pairs(config)
    if "full" not in ft["methods"]:
        raise ConfigError("config error: spectral: needs method 'full' in finetune.methods")
    check_pairs("spectral", sb["models"], pairs)
    traced, kept = ft["trajectory"]["seeds"], ft["keep_weights"]
    for i, seed in enumerate(sb["seeds"]):
        if seed not in ft["seeds"] or not (seed in traced or ("full" in kept["methods"]
                                                                and seed in kept["seeds"])):
            raise ConfigError(f"config error: spectral.seeds[{i}]: seed {seed} is neither traced "
                              "(finetune.trajectory.seeds) nor kept for method full (finetune.keep_weights)")
    if sb["claim_k"] not in sb["ks"]:
        raise ConfigError("config error: spectral.claim_k: not one of spectral.ks")
    for i, task in enumerate(sb["trajectory_tasks"]):
        if not any(task in tasks for tasks in sb["models"].values()):
            raise ConfigError(f"config error: spectral.trajectory_tasks[{i}]: '{task}' is not a task of "
                              "spectral.models")
    for model, couples in sb.get("unrelated", {}).items():
        for i, couple in enumerate(couples):
            for task in couple:
                if task not in sb["models"].get(model, []):
                    raise ConfigError(f"config error: spectral.unrelated.{model}[{i}]: '{task}' is not a task of "
                                      f"spectral.models.{model}")
    for g, group in enumerate(sb.get("scale", [])):
        for key, names, defined in (("models", group["models"], config["models"]),
                                    ("tasks", group["tasks"], config["tasks"])):
            for i, name in enumerate(names):
                if name not in defined:
                    raise ConfigError(f"config error: spectral.scale[{g}].{key}[{i}]: unknown {key[:-1]} '{name}'")
        for i, model in enumerate(group["models"]):
            if model not in group["examples"]:
                raise ConfigError(f"config error: spectral.scale[{g}].examples: no entry for model '{model}'")
            for task in group["tasks"]:
                if model_modality(config["models"][model]) != task_modality(config["tasks"][task]):
                    raise ConfigError(f"config error: spectral.scale[{g}].models[{i}]: '{model}' cannot be "
                                      f"fine-tuned on '{task}' (text and image do not mix)")
    peft = sb.get("peft")
    if peft:
        if "frozen" not in ft["methods"]:
            raise ConfigError("config error: spectral.peft: needs method 'frozen' in finetune.methods (a table row)")
        check_pairs("spectral.peft", peft["models"], pairs)
        if peft["keep_seed"] not in peft["seeds"]:
            raise ConfigError("config error: spectral.peft.keep_seed: not a seed of spectral.peft.seeds")




def check(config: dict) -> None:
    """Models of source `pretrain` are this stage's (it pretrains them), with or without the `spectral` section."""
    for name, model in config["models"].items():
        if model["source"] == "pretrain":
            _check_pretrain(config, name, model)
    if config.get("spectral"):
        _check_spectral(config)
