"""Kill a fine-tuning run (SIGKILL) once it has written a checkpoint, run it again, compare with an uninterrupted run."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]


def finetune_cmd(spec: dict, task: Path, model: Path, out: Path, trajectory: bool = True) -> list[str]:
    runs = [{"spec": spec, "out": str(out / "metrics.json"),
             "trajectory": str(out / "trajectory") if trajectory else None}]
    return [sys.executable, "-m", "ftgeom.stages.finetune", "--runs", json.dumps(runs), "--ops",
            json.dumps({"checkpoint_every": spec.get("checkpoint_every", 4)}), "--data", str(task),
            "--model", str(model), "--state-dir", str(out / "state")]


def assert_kill_and_resume_matches(spec: dict, task: Path, model: Path, tmp: Path, layers: int) -> None:
    from ftgeom.train.trajectory import load_layer

    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    ref, cut = tmp / "ref", tmp / "cut"
    subprocess.run(finetune_cmd(spec, task, model, ref), env=env, check=True, capture_output=True)
    cmd = finetune_cmd(spec, task, model, cut)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    checkpoint = cut / "state" / f"seed{spec['seed']}" / "last.pt"
    while not checkpoint.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (cut / "metrics.json").exists(), "the run was killed before it could finish"

    second = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    assert "resumed from" in second.stderr
    a, b = (json.loads((d / "metrics.json").read_text()) for d in (ref, cut))
    assert a["final"] == b["final"]
    assert [h["train_loss"] for h in a["history"]] == [h["train_loss"] for h in b["history"]]
    assert a.get("feature_drift") == b.get("feature_drift")
    for layer in range(layers):
        assert torch.equal(load_layer(ref / "trajectory", layer)[0], load_layer(cut / "trajectory", layer)[0])
