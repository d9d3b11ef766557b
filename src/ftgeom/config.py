"""Config validation with one-line errors; each paper stage adds its own cross-checks (ftgeom.registry)."""
from __future__ import annotations

import copy
from pathlib import Path

from ftgeom.assets.modality import model_modality, task_modality
from ftgeom.errors import OneLineError

# jsonschema, yaml and the readers (pandas) are imported where validation needs them: every stage's config checks
# import this module, and a training job that imports the registry must not pay for them.


class ConfigError(ValueError, OneLineError):
    """A config problem, phrased as one line that names the offending key."""


def _key_path(error) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "<top level>"


def _one_line(error) -> str:
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


# The schema of every config: the one place a default is written (the workflow reads it from the same file).
SCHEMA = Path(__file__).resolve().parents[2] / "config" / "schema.yaml"


def schema_default(key: str, schema_path: str | Path = SCHEMA):
    """The schema's default of a dotted config key (`synthesis.margin`), for what is declared before any config
    is read (a claim spec's bar in the module-level table)."""
    node = load_schema(schema_path)
    for part in key.split("."):
        node = node["properties"][part]
    return node["default"]


def load_schema(schema_path: str | Path) -> dict:
    """The schema, parsed with libyaml where it is there: the module-level claim table of the synthesis reads a
    default from it when the registry is imported, in every job (60 ms in Python, 15 ms in C, same objects)."""
    import yaml

    return yaml.load(Path(schema_path).read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _with_defaults(validator_class):
    """A validator that fills each property's schema default where the config has none, as it walks (so a filled
    section gets its own defaults too): what Snakemake's `validate` does, so the workflow and the library agree."""
    import jsonschema

    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        for name, sub in properties.items():
            if "default" in sub and isinstance(instance, dict):
                instance.setdefault(name, copy.deepcopy(sub["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def fill_defaults(config: dict, schema_path: str | Path = SCHEMA, at: str | None = None) -> dict:
    """The config with every schema default filled in (in place; also returned). The one place defaults come from:
    code indexes the filled config, tests fill theirs here. `at`: the dotted place in a config of what is filled
    (`tasks.*`: one task's entry), when it is a part of one."""
    import jsonschema

    schema = load_schema(schema_path)
    part = schema
    for key in (at.split(".") if at else []):
        part = part["additionalProperties"] if key == "*" else part["properties"][key]
    _with_defaults(jsonschema.Draft202012Validator)({**part, "definitions": schema.get("definitions", {})}).validate(
        config)
    return config


def validate(config: dict, schema_path: str | Path, checks=()) -> dict:
    """Raise ConfigError with one line on the first problem; then fill the schema's defaults (in place) and run the
    cross-reference checks on the filled config. `checks`: each `check(config)` (the stages' own: ftgeom.registry)."""
    import jsonschema

    schema = load_schema(schema_path)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if errors:
        raise ConfigError(_one_line(jsonschema.exceptions.best_match(errors)))
    fill_defaults(config, schema_path)
    _check_references(config)
    for check in checks:
        check(config)
    return config


def _check_references(config: dict) -> None:
    from ftgeom.assets.image_sources import IMAGE_SOURCES
    from ftgeom.assets.text_sources import SOURCES

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
            if task["reader"] not in SOURCES and task["reader"] not in IMAGE_SOURCES:
                known = ", ".join([*SOURCES, *IMAGE_SOURCES])
                raise ConfigError(f"config error: tasks.{name}.reader: unknown reader '{task['reader']}' "
                                  f"(known: {known})")
    if not finetune_pairs(config):
        raise ConfigError("config error: finetune: no model in finetune.models has the modality (text/image) of a "
                          "task in finetune.tasks")


def check_pairs(section: str, models: dict[str, list[str]], pairs: list[tuple[str, str]]) -> None:
    """Every (model, task) a paper section names must be one the shared stage fine-tunes."""
    for model, tasks in models.items():
        for i, task in enumerate(tasks):
            if (model, task) not in pairs:
                raise ConfigError(f"config error: {section}.models.{model}[{i}]: ({model}, {task}) is not a "
                                  "fine-tuned pair (see finetune.models, finetune.tasks)")


def finetune_pairs(config: dict) -> list[tuple[str, str]]:
    """(model, task) pairs to fine-tune: the product of finetune.models and .tasks, where modalities match."""
    ft = config["finetune"]
    return [(m, t) for m in ft["models"] for t in ft["tasks"]
            if model_modality(config["models"][m]) == task_modality(config["tasks"][t])]
