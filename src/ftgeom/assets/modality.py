"""Text or image: a model's or task's modality, read from its config entry alone (the DAG pairs a task only with
models of its modality)."""
from __future__ import annotations

from ftgeom.assets.image_sources import IMAGE_SOURCES
from ftgeom.assets.vision_models import VISION_PACKAGES


def model_modality(spec: dict) -> str:
    """'image' for timm models (a timm_name, a vision weights package, or pretrained here), else 'text'."""
    vision = "timm_name" in spec or spec.get("package") in VISION_PACKAGES or spec.get("source") == "pretrain"
    return "image" if vision else "text"


def task_modality(spec: dict) -> str:
    if spec["source"] == "package":
        return "image" if spec.get("reader") in IMAGE_SOURCES else "text"
    if spec["source"] == "hub":
        return "image" if spec.get("hub", {}).get("image") else "text"
    return spec["synthetic"]["modality"]  # the config's task entry, its schema defaults filled in
