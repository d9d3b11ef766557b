"""Model source `pretrain`: a vision model trained here from an init folder on a prepared image task, then saved
as one model folder in exactly the format save_model writes for vision (model.safetensors + ftgeom_model.json).

Paper B's pretraining-scale experiment compares the same architecture after several amounts of pretraining data.
To separate the amount of data from the amount of optimisation, every pretraining of a given `steps` takes exactly
`steps` optimiser steps of `batch_size` images; only the number of unique images (`examples`: the first N of the
task's train split) differs. Each image is then seen epochs = steps * batch_size / examples times, which must be
whole so that no image is favoured. The N images are repeated `epochs` times and the shared loop runs one pass over
them (all batches full, shuffled together by the run's seed), so the step count does not depend on whether N is a
multiple of the batch size.

spec keys: init (model folder name; its path is `init_dir`), task (pretraining task; its prepared folder is
`data_dir`), examples, steps, batch_size (32), lr (3e-3), image_size (the init's), seed (0), precision (fp32).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from ftgeom.config import ConfigError

DEFAULTS = {"batch_size": 32, "lr": 3e-3, "image_size": None, "seed": 0, "precision": "fp32"}
REQUIRED = ("init", "task", "examples", "steps")


def pretrain_settings(spec: dict) -> dict:
    """The spec's pretraining settings with defaults filled in; a missing or mistyped one is a one-line error.
    Other keys of the model's config entry (head, source, ...) are left to the config schema."""
    missing = [k for k in REQUIRED if k not in spec]
    if missing:
        raise ConfigError(f"pretrain: spec needs key(s) {', '.join(missing)}")
    settings = {**DEFAULTS, **{k: spec[k] for k in (*REQUIRED, *DEFAULTS) if k in spec}}
    for key in ("examples", "steps", "batch_size"):
        if not isinstance(settings[key], int) or isinstance(settings[key], bool) or settings[key] < 1:
            raise ConfigError(f"pretrain: {key} must be a positive integer (got {settings[key]!r})")
    if not isinstance(settings["lr"], (int, float)) or settings["lr"] <= 0:
        raise ConfigError(f"pretrain: lr must be a positive number (got {settings['lr']!r})")
    return settings


def epochs_of(examples: int, steps: int, batch_size: int) -> int:
    """Passes over the unique images; whole, or some images would be seen once more than others."""
    epochs, rest = divmod(steps * batch_size, examples)
    if rest:
        raise ConfigError(f"pretrain: examples={examples}, steps={steps}, batch_size={batch_size} give "
                          f"{steps * batch_size / examples:g} epochs (steps * batch_size must be a multiple of "
                          "examples)")
    return epochs


class Repeated:
    """The first `n` rows of an image tensor, indexed modulo n: `epochs` passes over them without copying them
    (collate indexes `split.features["pixel_values"]` with a tensor of row numbers)."""

    def __init__(self, images, n: int):
        self.images = images[:n]  # a view
        self.n = n

    def __getitem__(self, idx):
        return self.images[idx % self.n]


def pretraining_data(data, examples: int, epochs: int):
    """The task with its train split cut to the first `examples` images, repeated `epochs` times."""
    from dataclasses import replace

    train = data.train
    if examples > len(train):
        raise ConfigError(f"pretrain: examples={examples} exceeds the {len(train)} training images of task "
                          f"'{data.info['task']}'")
    labels = np.tile(train.labels[:examples], epochs)
    images = Repeated(train.features["pixel_values"], examples)
    return replace(data, train=replace(train, features={"pixel_values": images}, labels=labels,
                                       lengths=np.ones(len(labels), dtype=np.int64)))


def timm_classifier(task_model, init_info: dict, num_labels: int):
    """The trained backbone with the trained head as its timm classifier: a model that build_timm rebuilds from the
    saved weights with strict=True. Its BatchNorm running statistics are the backbone's buffers, which every
    training forward pass updated (evaluation runs in eval mode and leaves them alone)."""
    from ftgeom.models.vision import build_timm

    net = build_timm({**init_info, "num_classes": num_labels}, None)
    state = {k: v.detach().cpu() for k, v in task_model.backbone.state_dict().items()}
    # The vision head is dropout(0) + linear on the pooled features: exactly timm's classifier.
    state.update({f"classifier.{k}": v.detach().cpu() for k, v in task_model.head.out.state_dict().items()})
    net.load_state_dict(state, strict=True)
    return net


def pretrain_model(spec: dict, init_dir: str | Path, data_dir: str | Path, out_dir: str | Path, provenance: dict,
                   progress: bool = True) -> dict:
    """Pretrain the init model on the task (method full, the shared loop), write the model folder atomically and
    return its info (the init's, with num_classes, spec, parameters, provenance and a `pretraining` record)."""
    from ftgeom import runtime
    from ftgeom.assets.models import atomic_folder, write_weights
    from ftgeom.methods import make_method
    from ftgeom.models import load_task_model, model_info
    from ftgeom.provenance import write_json
    from ftgeom.train.data import load_task
    from ftgeom.train.loop import TrainConfig, fit

    s = pretrain_settings(spec)
    init_info = model_info(init_dir)
    if init_info["family"] != "vision":
        raise ConfigError(f"pretrain: only vision models are supported (init '{s['init']}' is a "
                          f"{init_info['family']} model)")
    epochs = epochs_of(s["examples"], s["steps"], s["batch_size"])
    data = load_task(data_dir, init_info, s["image_size"])
    if data.modality != "image" or data.kind == "regression":
        raise ConfigError(f"pretrain: task '{data.info['task']}' must be an image classification task")
    data = pretraining_data(data, s["examples"], epochs)
    runtime.seed_everything(s["seed"])
    task_model = load_task_model(init_dir, data.info, s["seed"])  # a fresh head for the pretraining task
    # One loop epoch over the repeated images: warmup and decay span exactly `steps` steps, and the validation
    # split is evaluated once, at the end.
    cfg = TrainConfig(epochs=1, batch_size=s["batch_size"], lr=s["lr"], seed=s["seed"], precision=s["precision"])
    if progress:
        print(f"pretraining on {data.info['task']}: {s['examples']} images x {epochs} epochs = {s['steps']} steps "
              f"of {s['batch_size']}", file=sys.stderr, flush=True)
    # No resume state: a failed pretraining leaves nothing behind (see atomic_folder below).
    result = fit(task_model, make_method("full"), data, cfg, state_dir=None, progress=progress)
    net = timm_classifier(result["model"], init_info, data.num_labels)
    final = result["final"]
    record = {"task": data.info["task"], "task_config_hash": data.info["provenance"]["config_hash"],
              "init": s["init"], "init_config_hash": init_info.get("provenance", {}).get("config_hash"),
              "examples": s["examples"], "steps": result["timing"]["steps"], "epochs": epochs,
              "batch_size": s["batch_size"], "lr": s["lr"], "seed": s["seed"], "image_size": data.info["image_size"],
              "precision": result["timing"]["precision"], "train_loss": result["history"][-1]["train_loss"],
              "validation_accuracy": final["validation"]["accuracy"], "test_accuracy": final["test"]["accuracy"],
              "train_seconds": result["timing"]["train_seconds"]}
    info = {**init_info, "num_classes": data.num_labels, "spec": spec,
            "parameters": sum(p.numel() for p in net.parameters()), "provenance": provenance, "pretraining": record}
    with atomic_folder(out_dir) as tmp:
        tmp.mkdir(parents=True)
        write_weights(net, tmp / "model.safetensors")
        write_json(tmp / "ftgeom_model.json", info)
    return info
