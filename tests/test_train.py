"""The shared training loop: it learns, it is deterministic, it resumes exactly, methods expose the right tensors."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from conftest import REPO

SPEC = {"model": "tiny-bert", "task": "keywords", "method": "full", "seed": 0, "epochs": 6, "batch_size": 16,
        "lr": 3e-3, "warmup_ratio": 0.1, "precision": "fp32", "checkpoint_every": 5}


def run(spec, task, model, tmp, name, trajectory=False):
    from ftgeom.finetune import run as finetune_run

    out = tmp / name
    return finetune_run(spec, task, model, out / "metrics.json", out / "state",
                        trajectory_out=out / "trajectory" if trajectory else None, progress=False)


def test_full_finetuning_learns_the_keyword_task(keyword_task, tiny_model, tmp_path):
    rec = run(SPEC, keyword_task, tiny_model, tmp_path, "a")
    assert rec["final"]["test"]["accuracy"] > 0.9, rec["final"]
    assert rec["history"][0]["train_loss"] > rec["history"][-1]["train_loss"]
    assert set(rec["provenance"]) >= {"config_hash", "seed", "git_commit", "versions"}
    assert not (tmp_path / "a" / "state").exists(), "resume state is removed once the run is complete"


def test_same_seed_same_numbers_other_seed_different(keyword_task, tiny_model, tmp_path):
    spec = {**SPEC, "epochs": 2, "precision": "bf16"}
    a = run(spec, keyword_task, tiny_model, tmp_path, "a")
    b = run(spec, keyword_task, tiny_model, tmp_path, "b")
    c = run({**spec, "seed": 1}, keyword_task, tiny_model, tmp_path, "c")
    assert a["final"] == b["final"]
    assert [h["train_loss"] for h in a["history"]] == [h["train_loss"] for h in b["history"]]
    assert [h["train_loss"] for h in a["history"]] != [h["train_loss"] for h in c["history"]]


def test_regression_task_trains_with_mse(regression_task, tiny_model, tmp_path):
    rec = run({**SPEC, "task": "counts", "epochs": 8}, regression_task, tiny_model, tmp_path, "r")
    assert rec["kind"] == "regression" and rec["metric"] == "pearson"
    assert rec["final"]["test"]["pearson"] > 0.5, rec["final"]


def _cli(spec, task, model, out: Path, traj: bool):
    cmd = [sys.executable, "-m", "ftgeom.finetune", "--spec", json.dumps(spec), "--data", str(task),
           "--model", str(model), "--out", str(out / "metrics.json"), "--state-dir", str(out / "state")]
    if traj:
        cmd += ["--trajectory-out", str(out / "trajectory")]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return cmd, env


def test_killed_run_resumes_to_identical_numbers(keyword_task, tiny_model, tmp_path):
    spec = {**SPEC, "epochs": 8, "trajectory_points": 6}
    ref = tmp_path / "ref"
    cmd, env = _cli(spec, keyword_task, tiny_model, ref, traj=True)
    subprocess.run(cmd, env=env, check=True, capture_output=True)

    cut = tmp_path / "cut"
    cmd, env = _cli(spec, keyword_task, tiny_model, cut, traj=True)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (cut / "state" / "last.pt").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (cut / "metrics.json").exists(), "the run was killed before it could finish"

    second = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    assert "resumed from" in second.stderr
    a, b = (json.loads((d / "metrics.json").read_text()) for d in (ref, cut))
    assert a["final"] == b["final"]
    assert [h["train_loss"] for h in a["history"]] == [h["train_loss"] for h in b["history"]]
    from ftgeom.train.trajectory import load_layer

    for layer in (0, 1):
        assert torch.equal(load_layer(ref / "trajectory", layer)[0], load_layer(cut / "trajectory", layer)[0])


def test_checkpoint_of_a_run_with_other_settings_is_not_resumed(keyword_task, tiny_model, tmp_path, capsys):
    from ftgeom.finetune import load_classifier
    from ftgeom.methods import make_method
    from ftgeom.train.data import load_task
    from ftgeom.train.loop import TrainConfig, fit

    data = load_task(keyword_task, pad_id=0)

    def train(state, **cfg):
        model = load_classifier(tiny_model, data.info, seed=0)
        return fit(model, make_method("full"), data, TrainConfig(precision="fp32", **cfg), state, progress=False)

    train(tmp_path / "shared", epochs=1, lr=1e-2)                 # leaves its last.pt behind
    capsys.readouterr()
    reused = train(tmp_path / "shared", epochs=2, lr=3e-3)
    assert "written by a run with other settings" in capsys.readouterr().err
    assert reused["final"] == train(tmp_path / "fresh", epochs=2, lr=3e-3)["final"]


@pytest.mark.parametrize("method,moves", [("frozen", {"embeddings", "head"}), ("head", {"head"}),
                                          ("full", {"embeddings", "encoder", "head"})])
def test_methods_train_exactly_their_tensors(method, moves, keyword_task, tiny_model):
    from ftgeom.finetune import load_classifier
    from ftgeom.methods import make_method
    from ftgeom.model_layers import role
    from ftgeom.train.data import load_task
    from ftgeom.train.loop import TrainConfig, fit

    data = load_task(keyword_task, pad_id=0)
    model = load_classifier(tiny_model, data.info, seed=0)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    fit(model, make_method(method), data, TrainConfig(epochs=1, lr=1e-2, precision="fp32"),
        Path(keyword_task).parent / f"state-{method}", progress=False)
    changed = {role(n) for n, p in model.named_parameters() if not torch.equal(before[n], p.detach())}
    assert changed == moves


def test_trajectory_layout(keyword_task, tiny_model, tmp_path):
    from ftgeom.model_layers import encoder_layers, flatten_layer
    from ftgeom.train.trajectory import load_layer, record_steps

    rec = run({**SPEC, "epochs": 2, "trajectory_points": 5}, keyword_task, tiny_model, tmp_path, "t", trajectory=True)
    traj = tmp_path / "t" / "trajectory"
    meta = json.loads((traj / "trajectory.json").read_text())
    assert meta["steps"] == record_steps(rec["timing"]["steps"], 5) and meta["steps"][-1] == rec["timing"]["steps"]
    from transformers import AutoModel

    pretrained = encoder_layers(AutoModel.from_pretrained(tiny_model))
    for i, params in pretrained.items():
        points, theta0 = load_layer(traj, i)
        info = meta["layers"][f"layer{i:02d}"]
        assert points.shape == (5, info["numel"])
        assert torch.equal(theta0, flatten_layer(params))  # θ0 is the pretrained layer
        assert not torch.equal(points[-1], theta0)           # training moved it


def test_record_steps_are_evenly_spread():
    from ftgeom.train.trajectory import record_steps

    assert record_steps(64, 32) == list(range(2, 65, 2))
    assert record_steps(10, 32) == list(range(1, 11))
