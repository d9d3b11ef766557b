"""Faults never change a number and never leave a partial result: a full disk, two controllers in one folder."""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import time

import pytest
from workflow_runs import SMOKE, snakemake_cmd, snakemake_env

from ftgeom.provenance import DiskFull, atomic_path, write_json


def _left(folder):
    return sorted(p.name for p in folder.iterdir())


def test_a_full_disk_is_one_line_naming_the_file_and_leaves_nothing(tmp_path, monkeypatch):
    """A writer that hits ENOSPC (as torch.save or safetensors would) inside an atomic write."""
    target = tmp_path / "metrics.json"

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr("pathlib.Path.write_text", full)
    with pytest.raises(DiskFull) as err:
        write_json(target, {"a": 1})
    assert str(target) in str(err.value) and "\n" not in str(err.value) and "no space left" in str(err.value)
    assert _left(tmp_path) == [], "neither the result nor a temp file is left"


def test_a_really_full_tmpfs(tmp_path):
    """The same on a real 64 KiB tmpfs (root only: mounting needs it)."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {made.stderr.decode().strip()[:80]}")
    try:
        with pytest.raises(DiskFull) as err:
            with atomic_path(mount / "weights.bin") as tmp:
                tmp.write_bytes(b"\0" * (1 << 20))
        assert str(mount / "weights.bin") in str(err.value)
        assert _left(mount) == []
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_second_controller_in_the_same_folder_stops_and_changes_nothing(tmp_path):
    first = subprocess.Popen(snakemake_cmd(tmp_path, "all", "--cores", "1", "--configfile", str(SMOKE)),
                             env=snakemake_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    try:
        locks = tmp_path / ".snakemake" / "locks"
        deadline = time.monotonic() + 120
        while not (locks.exists() and any(locks.iterdir())) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert locks.exists() and any(locks.iterdir()), "the first controller holds the folder's lock"
        os.killpg(first.pid, signal.SIGSTOP)  # frozen: nothing changes in the folder but what the second does
        before = sorted(str(p) for p in tmp_path.rglob("*") if ".snakemake" not in p.parts)
        second = subprocess.run(snakemake_cmd(tmp_path, "all", "--cores", "1", "--configfile", str(SMOKE)),
                                env=snakemake_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        after = sorted(str(p) for p in tmp_path.rglob("*") if ".snakemake" not in p.parts)
        assert second.returncode != 0 and "cannot be locked" in second.stdout, second.stdout[-2000:]
        assert after == before, "the second controller changed nothing"
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()


def test_truncated_json_and_safetensors_are_one_line_naming_the_file(tmp_path):
    import torch
    from safetensors.torch import save_file

    from ftgeom.provenance import CorruptFile, read_json
    from ftgeom.train.trajectory import load_layer

    record = tmp_path / "metrics.json"
    write_json(record, {"test_score": 0.5, "history": [1, 2, 3]})
    record.write_text(record.read_text()[:20])
    with pytest.raises(CorruptFile) as err:
        read_json(record)
    assert str(record) in str(err.value) and "\n" not in str(err.value) and "truncated or corrupt" in str(err.value)
    traj = tmp_path / "trajectory"
    traj.mkdir()
    layer = traj / "layer00.safetensors"
    save_file({"points": torch.zeros(4, 1000), "theta0": torch.zeros(1000)}, str(layer))
    layer.write_bytes(layer.read_bytes()[:100])
    with pytest.raises(CorruptFile) as err:
        load_layer(traj, 0)
    assert str(layer) in str(err.value) and "\n" not in str(err.value)


def test_a_corrupt_model_file_ends_a_job_with_one_line(tmp_path, tiny_model, keyword_task):
    """Through a stage, as Snakemake runs it: exit status 1, one line on stderr, no record written."""
    import json
    import shutil
    import sys

    from workflow_runs import REPO

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    (model / "ftgeom_model.json").write_text('{"family": "text", "provenance": ')
    out = tmp_path / "out" / "metrics.json"
    runs = [{"spec": {"model": "tiny-bert", "task": "keywords", "method": "full", "seed": 0, "epochs": 1,
                      "precision": "fp32"}, "out": str(out), "trajectory": None}]
    proc = subprocess.run([sys.executable, "-m", "ftgeom.stages.finetune", "--runs", json.dumps(runs), "--data",
                           str(keyword_task), "--model", str(model), "--state-dir", str(tmp_path / "state")],
                          env={**os.environ, "PYTHONPATH": str(REPO / "src")}, capture_output=True, text=True)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and lines[-1].startswith("error: ") and "ftgeom_model.json" in lines[-1], \
        proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and not out.exists()


def test_a_subspace_from_another_model_is_named(tiny_model, keyword_task):
    import torch

    from ftgeom.methods import make_method
    from ftgeom.methods.projected import BasisMismatch
    from ftgeom.models import load_task_model, model_info
    from ftgeom.train.data import load_task

    model = load_task_model(tiny_model, load_task(keyword_task, model_info(tiny_model)).info, seed=0)
    other = {i: torch.zeros(4, 123) for i in model.layer_map.layers}  # another model's layer sizes
    method = make_method("intrinsic", d=4, subspace="results/intrinsic/other/subspaces/x", bases=other)
    with pytest.raises(BasisMismatch, match="made from another model's trajectory") as err:
        method.prepare(model)
    assert "results/intrinsic/other/subspaces/x" in str(err.value) and "\n" not in str(err.value)


def test_a_k_beyond_every_matrix_rank_is_one_line_and_smaller_ones_pass(tmp_path):
    from ftgeom.spectral.stability import RankError, check_ks

    write_json(tmp_path / "trajectory.json", {"layers": {"layer00": {
        "names": ["attn.weight", "attn.bias", "conv.weight"], "shapes": [[384, 384], [384], [32, 16, 3, 3]]}}})
    check_ks(tmp_path, {"ks": [1, 64, 384], "claim_k": 16, "cross_k": 16})  # 384 fits the attention matrix
    with pytest.raises(RankError) as err:
        check_ks(tmp_path, {"ks": [1, 512], "claim_k": 16, "cross_k": 16})
    assert "spectral.ks: k = 512" in str(err.value) and "largest rank 384" in str(err.value)


KILL_DURING_WRITE = """
import os, runpy, signal, sys
import ftgeom.train.trajectory as trajectory
real = trajectory.save_file
def save_file(tensors, path, *args, **kwargs):
    if ".tmp" in path and os.path.basename(path).startswith("layer01"):  # consolidating: half a file, then killed
        real(tensors, path, *args, **kwargs)
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) // 2)
        os.kill(os.getpid(), signal.SIGKILL)
    return real(tensors, path, *args, **kwargs)
trajectory.save_file = save_file
sys.argv = ["ftgeom.stages.finetune", *sys.argv[1:]]
runpy.run_module("ftgeom.stages.finetune", run_name="__main__")
"""


def test_a_job_killed_while_writing_its_trajectory_resumes_to_the_same_numbers(keyword_task, tiny_model, tmp_path):
    """SIGKILL in the middle of writing a layer of the trajectory (the last thing a traced run does); the same
    command again ends with the uninterrupted run's metrics and trajectory."""
    import json
    import sys

    import torch
    from kill_resume import finetune_cmd
    from workflow_runs import REPO

    from ftgeom.train.trajectory import load_layer

    spec = {"model": "tiny-bert", "task": "keywords", "method": "full", "seed": 0, "epochs": 2, "batch_size": 16,
            "lr": 3e-3, "precision": "fp32", "trajectory_points": 4, "checkpoint_every": 8}
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "FTGEOM_MALLOC": "system"}
    ref, cut = tmp_path / "ref", tmp_path / "cut"
    subprocess.run(finetune_cmd(spec, keyword_task, tiny_model, ref), env=env, check=True, capture_output=True)
    cmd = finetune_cmd(spec, keyword_task, tiny_model, cut)
    killed = subprocess.run([sys.executable, "-c", KILL_DURING_WRITE, *cmd[3:]], env=env, capture_output=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert not (cut / "metrics.json").exists() and not (cut / "trajectory").exists(), "nothing taken as complete"
    again = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr[-2000:]
    a, b = (json.loads((d / "metrics.json").read_text()) for d in (ref, cut))
    assert a["final"] == b["final"] and [h["train_loss"] for h in a["history"]] == \
        [h["train_loss"] for h in b["history"]]
    for layer in range(2):
        assert torch.equal(load_layer(ref / "trajectory", layer)[0], load_layer(cut / "trajectory", layer)[0])
