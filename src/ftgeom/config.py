"""Config validation with one-line errors, defaults, and the hash that goes into every result's provenance."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jsonschema
import yaml


class ConfigError(ValueError):
    """A config problem, phrased as one line that names the offending key."""


def _key_path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "<top level>"


def _one_line(error: jsonschema.ValidationError) -> str:
    where = _key_path(error)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        key = f"{where}.{extra[0]}" if where != "<top level>" else extra[0]
        hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"config error: unknown key '{key}'{hint}"
    if error.validator == "required":
        return f"config error: {where}: {error.message}"
    if error.validator == "enum":
        return f"config error: {where}: {error.instance!r} is not one of {error.validator_value}"
    return f"config error: {where}: {error.message}"


def load_schema(schema_path: str | Path) -> dict:
    return yaml.safe_load(Path(schema_path).read_text())


def validate(config: dict, schema_path: str | Path) -> dict:
    """Raise ConfigError with one line on the first problem (Snakemake's validate then fills the defaults)."""
    schema = load_schema(schema_path)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if errors:
        raise ConfigError(_one_line(jsonschema.exceptions.best_match(errors)))
    _check_references(config)
    return config


def _check_references(config: dict) -> None:
    ft = config["finetune"]
    for kind, defined in (("models", config["models"]), ("tasks", config["tasks"])):
        for i, name in enumerate(ft[kind]):
            if name not in defined:
                raise ConfigError(
                    f"config error: finetune.{kind}[{i}]: unknown {kind[:-1]} '{name}' (defined: {', '.join(defined)})"
                )
    for name, model in config["models"].items():
        needed = {"package": ("package",), "hub": ("hub_name", "timm_name"),
                  "random": ("tokenizer", "timm_name", "architecture_of"), "pretrain": ("init",)}[model["source"]]
        if not any(k in model for k in needed):
            raise ConfigError(f"config error: models.{name}: source '{model['source']}' needs key "
                              f"{' or '.join(repr(k) for k in needed)}")
    for name, task in config["tasks"].items():
        needed = {"package": "reader", "hub": "hub", "synthetic": "synthetic"}[task["source"]]
        if needed not in task:
            raise ConfigError(f"config error: tasks.{name}: source '{task['source']}' needs key '{needed}'")
        if task["source"] == "hub" and not (task["hub"].get("text") or task["hub"].get("image")):
            raise ConfigError(f"config error: tasks.{name}.hub: needs key 'text' (text task) or 'image' (image task)")
        if task["source"] == "package":
            from ftgeom.assets.image_sources import IMAGE_SOURCES
            from ftgeom.assets.text_sources import SOURCES

            if task["reader"] not in SOURCES and task["reader"] not in IMAGE_SOURCES:
                known = ", ".join([*SOURCES, *IMAGE_SOURCES])
                raise ConfigError(f"config error: tasks.{name}.reader: unknown reader '{task['reader']}' "
                                  f"(known: {known})")
    for name, model in config["models"].items():
        if model["source"] == "pretrain":
            _check_pretrain(config, name, model)
    if config.get("head_probe"):
        _check_head_probe(config)
    if config.get("intrinsic"):
        _check_intrinsic(config)
    if config.get("spectral"):
        _check_spectral(config)
    if not finetune_pairs(config):
        raise ConfigError("config error: finetune: no model in finetune.models has the modality (text/image) of a "
                          "task in finetune.tasks")


def _check_pairs(section: str, models: dict[str, list[str]], pairs: list[tuple[str, str]]) -> None:
    """Every (model, task) a paper section names must be one the shared stage fine-tunes."""
    for model, tasks in models.items():
        for i, task in enumerate(tasks):
            if (model, task) not in pairs:
                raise ConfigError(f"config error: {section}.models.{model}[{i}]: ({model}, {task}) is not a "
                                  "fine-tuned pair (see finetune.models, finetune.tasks)")


def _check_head_probe(config: dict) -> None:
    hp, ft = config["head_probe"], config["finetune"]
    pairs = finetune_pairs(config)
    if "full" not in ft["methods"]:
        raise ConfigError("config error: head_probe: needs method 'full' in finetune.methods (τ = 0 is that run)")
    _check_pairs("head_probe", hp["models"], pairs)
    for model, tasks in hp["models"].items():
        for i, task in enumerate(tasks):
            if config["tasks"][task].get("metric") in ("pearson", "spearman", "mse"):
                raise ConfigError(f"config error: head_probe.models.{model}[{i}]: '{task}' is a regression task; head "
                                  "probing needs a classification task")
    for i, seed in enumerate(hp.get("seeds", [])):
        if seed not in ft["seeds"]:
            raise ConfigError(f"config error: head_probe.seeds[{i}]: seed {seed} is not in finetune.seeds")
    for i, seed in enumerate(hp.get("variant_seeds", [])):
        if seed not in hp.get("seeds", ft["seeds"]):
            raise ConfigError(f"config error: head_probe.variant_seeds[{i}]: seed {seed} is not in head_probe.seeds")
    for key in ("taus", "lr", "variants"):
        if isinstance(hp.get(key), dict):
            for model in hp[key]:
                if model not in hp["models"]:
                    raise ConfigError(f"config error: head_probe.{key}.{model}: not a model of head_probe.models")
    taus = hp.get("taus", [0, "converged"])
    for model in hp["models"]:
        grid = taus.get(model) if isinstance(taus, dict) else taus
        where = f"head_probe.taus.{model}" if isinstance(taus, dict) else "head_probe.taus"
        if grid is None:
            raise ConfigError(f"config error: {where}: no τ grid for model '{model}'")
        if 0 not in grid or "converged" not in grid:
            raise ConfigError(f"config error: {where}: must include 0 and 'converged'")
    if isinstance(hp.get("lr"), dict) and set(hp["models"]) - set(hp["lr"]):
        missing = sorted(set(hp["models"]) - set(hp["lr"]))[0]
        raise ConfigError(f"config error: head_probe.lr: no learning rate for model '{missing}'")


def _check_intrinsic(config: dict) -> None:
    ia, ft = config["intrinsic"], config["finetune"]
    pairs = finetune_pairs(config)
    for method in ("full", "frozen"):
        if method not in ft["methods"]:
            raise ConfigError(f"config error: intrinsic: needs method '{method}' in finetune.methods (Table 1's rows)")
    if not ft.get("trajectory", {}).get("seeds", [0]):
        raise ConfigError("config error: intrinsic: needs a traced seed in finetune.trajectory.seeds")
    _check_pairs("intrinsic", ia["models"], pairs)
    ablation = ia.get("ablation") or {}
    for i, task in enumerate(ablation.get("tasks", [])):
        if not any(task in tasks for tasks in ia["models"].values()):
            raise ConfigError(f"config error: intrinsic.ablation.tasks[{i}]: '{task}' is not a task of "
                              "intrinsic.models")
    for part in ("outliers", "long_trace"):
        for i, task in enumerate((ia.get(part) or {}).get("tasks", [])):
            if not any(task in tasks for tasks in ia["models"].values()):
                raise ConfigError(f"config error: intrinsic.{part}.tasks[{i}]: '{task}' is not a task of "
                                  "intrinsic.models")
    outliers = ia.get("outliers") or {}
    if outliers.get("tasks") and not outliers.get("seeds"):
        raise ConfigError("config error: intrinsic.outliers.seeds: needed when intrinsic.outliers.tasks is set")
    if outliers.get("source_seed", ia.get("seeds", [1])[0]) not in ia.get("seeds", [1, 2, 3, 4, 5]):
        raise ConfigError("config error: intrinsic.outliers.source_seed: not a seed of intrinsic.seeds")
    points = ft.get("trajectory", {}).get("points", 32)
    for where, d in [("intrinsic.d", ia.get("d", 8))] + [(f"intrinsic.ablation.d[{i}]", d)
                                                        for i, d in enumerate(ablation.get("d", []))]:
        if d > points:
            raise ConfigError(f"config error: {where}: dimension {d} exceeds the trajectory's "
                              f"{points} points (finetune.trajectory.points)")


def _check_pretrain(config: dict, name: str, model: dict) -> None:
    from ftgeom.assets.models import model_modality

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
    steps, examples, batch = pre["steps"], pre["examples"], pre.get("batch_size", 32)
    if (steps * batch) % examples:
        raise ConfigError(f"config error: models.{name}.pretrain: steps x batch_size ({steps} x {batch}) is not a "
                          f"whole number of epochs over {examples} examples")


def _check_spectral(config: dict) -> None:
    from ftgeom.assets.models import model_modality
    from ftgeom.assets.prepare import task_modality

    sb, ft = config["spectral"], config["finetune"]
    pairs = finetune_pairs(config)
    if "full" not in ft["methods"]:
        raise ConfigError("config error: spectral: needs method 'full' in finetune.methods")
    _check_pairs("spectral", sb["models"], pairs)
    traced, kept = ft.get("trajectory", {}).get("seeds", [0]), ft.get("keep_weights", {})
    for i, seed in enumerate(sb.get("seeds", [0, 1])):
        if seed not in ft["seeds"] or not (seed in traced or ("full" in kept.get("methods", [])
                                                                and seed in kept.get("seeds", []))):
            raise ConfigError(f"config error: spectral.seeds[{i}]: seed {seed} is neither traced "
                              "(finetune.trajectory.seeds) nor kept for method full (finetune.keep_weights)")
    if sb.get("claim_k", 16) not in sb.get("ks", [1, 4, 16, 64]):
        raise ConfigError("config error: spectral.claim_k: not one of spectral.ks")
    for i, task in enumerate(sb.get("trajectory_tasks", [])):
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
        _check_pairs("spectral.peft", peft["models"], pairs)
        if peft.get("keep_seed", 0) not in peft.get("seeds", [0, 1, 2]):
            raise ConfigError("config error: spectral.peft.keep_seed: not a seed of spectral.peft.seeds")


def finetune_pairs(config: dict) -> list[tuple[str, str]]:
    """(model, task) pairs to fine-tune: the product of finetune.models and .tasks, where modalities match."""
    from ftgeom.assets.models import model_modality
    from ftgeom.assets.prepare import task_modality

    ft = config["finetune"]
    return [(m, t) for m in ft["models"] for t in ft["tasks"]
            if model_modality(config["models"][m]) == task_modality(config["tasks"][t])]


def config_hash(obj) -> str:
    """Stable short hash of any JSON-able object (key order does not matter)."""
    blob = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
