"""The shared training loop: it learns, it is deterministic, it resumes exactly, methods expose the right tensors."""
from __future__ import annotations

import json

import pytest
import torch


SPEC = {"model": "tiny-bert", "task": "keywords", "method": "full", "seed": 0, "epochs": 6, "batch_size": 16,
        "lr": 3e-3, "warmup_ratio": 0.1, "precision": "fp32", "checkpoint_every": 5}


def run(spec, task, model, tmp, name, trajectory=False):
    from ftgeom.train.run import finetune

    out = tmp / name
    return finetune(spec, task, model, out / "metrics.json", out / "state",
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


def test_killed_run_resumes_to_identical_numbers(keyword_task, tiny_model, tmp_path):
    from kill_resume import assert_kill_and_resume_matches

    # with paper C's feature tracking on: z0 and the drift so far live in the checkpoint
    assert_kill_and_resume_matches({**SPEC, "epochs": 8, "trajectory_points": 6, "track_features": True},
                                   keyword_task, tiny_model, tmp_path,
                                   layers=2)


def _fit(task_dir, model_dir, state, method="full", **cfg):
    from ftgeom.methods import make_method
    from ftgeom.models import load_task_model, model_info
    from ftgeom.train.data import load_task
    from ftgeom.train.loop import TrainConfig, fit

    data = load_task(task_dir, model_info(model_dir))
    model = load_task_model(model_dir, data.info, seed=0)
    cfg = {"precision": "fp32", **cfg}
    return model, fit(model, make_method(method), data, TrainConfig(**cfg), state, progress=False)


def test_checkpoint_of_a_run_with_other_settings_is_not_resumed(keyword_task, tiny_model, tmp_path, capsys):
    _fit(keyword_task, tiny_model, tmp_path / "shared", epochs=1, lr=1e-2, checkpoint_every=1)  # leaves a last.pt
    capsys.readouterr()
    reused = _fit(keyword_task, tiny_model, tmp_path / "shared", epochs=2, lr=3e-3)[1]
    assert "written by a run with other settings" in capsys.readouterr().err
    assert reused["final"] == _fit(keyword_task, tiny_model, tmp_path / "fresh", epochs=2, lr=3e-3)[1]["final"]


@pytest.mark.parametrize("method,moves", [("frozen", {"embeddings", "pooler", "head"}), ("head", {"head"}),
                                          ("full", {"embeddings", "encoder", "pooler", "head"})])
def test_methods_train_exactly_their_tensors(method, moves, keyword_task, tiny_model, tmp_path):
    from ftgeom.models import load_task_model, model_info
    from ftgeom.train.data import load_task

    data = load_task(keyword_task, model_info(tiny_model))
    before = {n: p.detach().clone() for n, p in load_task_model(tiny_model, data.info, seed=0).named_parameters()}
    model, _ = _fit(keyword_task, tiny_model, tmp_path / "state", method, epochs=1, lr=1e-2)
    role = model.layer_map.role
    changed = {role(n) for n, p in model.named_parameters() if not torch.equal(before[n], p.detach())}
    assert changed == moves
    frozen_modules = [n for n, m in model.named_modules() if n and not list(m.children()) and role(n) not in moves]
    model.train()
    assert len(frozen_modules) > 0 or method == "full"
    assert all(not model.get_submodule(n).training for n in frozen_modules), \
        "frozen parts run in eval mode (no dropout, BatchNorm running statistics)"


def test_trajectory_layout(keyword_task, tiny_model, tmp_path):
    from ftgeom.models import load_task_model
    from ftgeom.train.trajectory import layer_weights, load_layer, other_weights, record_steps

    rec = run({**SPEC, "epochs": 2, "trajectory_points": 5}, keyword_task, tiny_model, tmp_path, "t", trajectory=True)
    traj = tmp_path / "t" / "trajectory"
    meta = json.loads((traj / "trajectory.json").read_text())
    assert meta["steps"] == record_steps(rec["timing"]["steps"], 5) and meta["steps"][-1] == rec["timing"]["steps"]
    start = load_task_model(tiny_model, {"num_labels": 3}, seed=0)   # the run's initial state (same seed)
    params = dict(start.named_parameters())
    for i, names in start.layer_map.layers.items():
        points, theta0 = load_layer(traj, i)
        info = meta["layers"][f"layer{i:02d}"]
        assert info["names"] == names and points.shape == (5, info["numel"])
        assert torch.equal(theta0, torch.cat([params[n].detach().reshape(-1) for n in names]))  # θ0 = pretrained
        assert not torch.equal(points[-1], theta0)                                             # training moved it
        assert set(layer_weights(traj, i)) == set(names)
    initial, final = other_weights(traj, "initial"), other_weights(traj, "final")
    assert set(initial) == set(meta["rest"]) == set(start.layer_map.names("embeddings") + start.layer_map.names(
        "pooler") + start.layer_map.names("head"))
    assert torch.equal(initial["head.out.weight"], params["head.out.weight"].detach()), "the head's initialisation"
    assert not torch.equal(final["head.out.weight"], initial["head.out.weight"])


def test_record_steps_are_evenly_spread():
    from ftgeom.train.trajectory import record_steps

    assert record_steps(64, 32) == list(range(2, 65, 2))
    assert record_steps(10, 32) == list(range(1, 11))


def test_checkpoint_of_another_model_or_encoding_is_not_resumed(keyword_task, tiny_model, tmp_path, capsys):
    """The fingerprint covers the model the run starts from and the task's encoding (tokenizer, max_length)."""
    import shutil

    from ftgeom.provenance import read_json, write_json

    _fit(keyword_task, tiny_model, tmp_path / "state", epochs=1, lr=1e-2, checkpoint_every=1)
    other_model = tmp_path / "other-model"
    shutil.copytree(tiny_model, other_model)
    info = read_json(other_model / "ftgeom_model.json")
    write_json(other_model / "ftgeom_model.json", {**info, "provenance": {"config_hash": "another model"}})
    capsys.readouterr()
    _fit(keyword_task, other_model, tmp_path / "state", epochs=1, lr=1e-2, checkpoint_every=1)
    assert "written by a run with other settings" in capsys.readouterr().err

    other_encoding = tmp_path / "other-encoding"
    shutil.copytree(keyword_task, other_encoding)
    info = read_json(other_encoding / "ftgeom_task.json")
    write_json(other_encoding / "ftgeom_task.json", {**info, "encoding": {**info["encoding"], "max_length": 12}})
    _fit(keyword_task, tiny_model, tmp_path / "state2", epochs=1, lr=1e-2, checkpoint_every=1)
    capsys.readouterr()
    _fit(other_encoding, tiny_model, tmp_path / "state2", epochs=1, lr=1e-2, checkpoint_every=1)
    assert "written by a run with other settings" in capsys.readouterr().err


def test_stale_snapshots_without_a_checkpoint_are_not_reused(keyword_task, tiny_model, tmp_path):
    """A run killed before its first checkpoint leaves θ0 (and maybe snapshots) behind: the next run starts over."""
    from safetensors.torch import save_file

    from ftgeom.train.trajectory import load_layer

    stale = tmp_path / "s" / "state" / "trajectory"
    stale.mkdir(parents=True)
    save_file({"layer00": torch.zeros(10), "layer01": torch.zeros(10)}, str(stale / "theta0.safetensors"))
    save_file({"head.out.weight": torch.zeros(1)}, str(stale / "initial.safetensors"))
    run({**SPEC, "epochs": 1, "trajectory_points": 3}, keyword_task, tiny_model, tmp_path, "s", trajectory=True)
    ref = run({**SPEC, "epochs": 1, "trajectory_points": 3}, keyword_task, tiny_model, tmp_path, "r", trajectory=True)
    for layer in (0, 1):
        a, b = load_layer(tmp_path / "s" / "trajectory", layer), load_layer(tmp_path / "r" / "trajectory", layer)
        assert torch.equal(a[1], b[1]) and torch.equal(a[0], b[0])
    assert ref["trajectory"]["points"] == 3


def test_seeds_in_one_job_give_each_seed_its_own_numbers(keyword_task, tiny_model, tmp_path, capsys):
    """finetune_runs (rule finetune's job: every seed in one process) = each seed run alone; a finished run waits
    in the state folder, so a job run again after a failure skips it; outputs appear only when all are done."""
    from ftgeom.provenance import read_json
    from ftgeom.train.run import finetune_runs

    specs = {0: {**SPEC, "epochs": 2, "seed": 0, "trajectory_points": 3}, 1: {**SPEC, "epochs": 2, "seed": 1}}
    alone = {s: run(specs[s], keyword_task, tiny_model, tmp_path, f"alone{s}", trajectory=s == 0) for s in (0, 1)}
    runs = [{"spec": specs[s], "out": str(tmp_path / "job" / f"seed{s}" / "metrics.json"),
             "trajectory": str(tmp_path / "job" / "trajectory") if s == 0 else None} for s in (0, 1)]
    state = tmp_path / "job" / "state"
    # An earlier attempt of the job finished seed 0, then died in seed 1: seed 0's record and trajectory wait in
    # the state folder, and no output of the job exists yet.
    finetune_runs(runs[:1], keyword_task, tiny_model, state, progress=False)
    state.mkdir()
    (state / "seed0.json").write_text(json.dumps(read_json(runs[0]["out"])))
    (tmp_path / "job" / "trajectory").rename(state / "seed0.trajectory")
    (tmp_path / "job" / "seed0" / "metrics.json").unlink()
    capsys.readouterr()
    records = finetune_runs(runs, keyword_task, tiny_model, state, progress=False)
    assert "seed0: finished by an earlier attempt" in capsys.readouterr().out
    def numbers(rec):
        return rec["final"], [{k: v for k, v in h.items() if k != "train_seconds"} for h in rec["history"]]

    for s, rec in zip((0, 1), records):
        assert numbers(rec) == numbers(alone[s])
        assert read_json(runs[s]["out"])["final"] == rec["final"]
    assert records[0]["final"] != records[1]["final"]
    assert records[0]["trajectory"]["path"] == runs[0]["trajectory"]
    assert (tmp_path / "job" / "trajectory" / "trajectory.json").exists()
    assert not state.exists(), "the job's resume state is removed once every run is done"


@pytest.mark.parametrize("choice", ["tcmalloc", "system"])
def test_stages_preload_tcmalloc_unless_told_not_to(choice):
    import ctypes.util
    import os
    import subprocess
    import sys

    if choice == "tcmalloc" and ctypes.util.find_library("tcmalloc_minimal") is None:
        pytest.skip("libtcmalloc-minimal4 is not installed (envs/apt-packages.txt, purpose 'speed')")
    code = ("from ftgeom.runtime import use_fast_allocator; use_fast_allocator(); "
            "print(open('/proc/self/maps').read().count('tcmalloc') > 0)")
    env = {**os.environ, "FTGEOM_MALLOC": choice}
    env.pop("LD_PRELOAD", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(choice == "tcmalloc")


def test_a_non_finite_loss_stops_the_run_naming_step_and_learning_rate(keyword_task, tiny_model, tmp_path):
    from ftgeom.models import load_task_model, model_info
    from ftgeom.train.data import load_task
    from ftgeom.train.hooks import Extensions
    from ftgeom.train.loop import NonFiniteLoss
    from ftgeom.train.run import finetune

    head = load_task_model(tiny_model, load_task(keyword_task, model_info(tiny_model)).info, seed=0).head
    broken = {k: torch.full_like(v, float("nan")) for k, v in head.state_dict().items()}
    with pytest.raises(NonFiniteLoss) as err:
        finetune(SPEC, keyword_task, tiny_model, tmp_path / "m.json", tmp_path / "state", progress=False,
                 extensions=Extensions(head_state=lambda spec: broken))
    message = str(err.value)
    assert "\n" not in message and "the training loss is nan at step 1/" in message, message
    assert "learning rate" in message and "last finite loss none" in message
    assert not (tmp_path / "m.json").exists(), "no metrics record for a diverged run"
