"""The rules' paths and run specs (ftgeom.workflow and each paper's workflow module), from the smoke config alone:
what the rule files bind, checked without Snakemake."""
from __future__ import annotations

import pytest
import yaml
from workflow_runs import SMOKE, workflow_of

from ftgeom import registry
from ftgeom.workflow import Workflow


@pytest.fixture(scope="module")
def wf() -> Workflow:
    return workflow_of(yaml.safe_load(SMOKE.read_text()))


def test_a_finetune_job_keeps_the_trajectory_of_its_traced_seed_and_the_weights_of_its_kept_one(wf):
    runs = wf.finetune_group("tiny-bert", "movie-polarity", "full")
    assert [r["spec"]["seed"] for r in runs] == [0, 1]
    traced, kept = runs
    assert traced["trajectory"] == "results/trajectories/tiny-bert/movie-polarity/full/seed0"
    assert traced["spec"]["trajectory_points"] == 4
    assert kept["trajectory"] == "results/weights/tiny-bert/movie-polarity/full/seed1"
    assert kept["spec"]["trajectory_points"] == 1
    assert traced["out"] == wf.metrics_path("tiny-bert", "movie-polarity", "full", 0)
    one = wf.finetune_group("tiny-bert", "movie-polarity", "full", seed=1)
    assert len(one) == 1 and one[0]["spec"]["seed"] == 1


def test_only_paper_c_pairs_full_runs_track_their_features(wf):
    hp = wf.config["head_probe"]["models"]
    for model, task in wf.pairs:
        for method in wf.FT["methods"]:
            spec = wf.shared_run_spec(model, task, method, 0)
            assert spec.get("track_features", False) == (method == "full" and task in hp.get(model, [])), \
                (model, task, method)
            assert "track_features" not in wf.train_spec(model, task, method, 0), "train_spec knows no paper"


def test_intrinsic_jobs_read_their_subspace_and_the_run_whose_outliers_they_zero(wf):
    iw = wf.stages["intrinsic"]
    zeroed = iw.group("tiny-bert", "movie-polarity", "zeroed")
    assert zeroed and all(r["spec"]["method"] == "zeroed" for r in zeroed)
    assert {r["spec"]["method_options"]["source"] for r in zeroed} == \
        {"results/intrinsic/tiny-bert/movie-polarity/intrinsic/seed1.json"}
    assert iw.job_dir("tiny-bert", "movie-polarity", "intrinsic") in iw.job_inputs("tiny-bert", "movie-polarity",
                                                                                  "zeroed")
    headline = iw.group("tiny-bert", "movie-polarity", "intrinsic")
    assert all(r["spec"]["method_options"]["subspace"].startswith("results/intrinsic/tiny-bert/subspaces/")
               for r in headline)
    assert all(r["out"].startswith("results/intrinsic/tiny-bert/movie-polarity/intrinsic/") for r in headline)


def test_spectral_reads_the_shared_stages_weights_where_it_kept_them(wf):
    sw = wf.stages["spectral"]
    assert sw.weights("tiny-bert", "movie-polarity", "full", 0) == \
        "results/trajectories/tiny-bert/movie-polarity/full/seed0"
    assert sw.weights("tiny-bert", "movie-polarity", "lora", 0) == \
        "results/spectral/tiny-bert/movie-polarity/peft/lora-seed0.trajectory"
    assert sw.stability_inputs("tiny-bert", "movie-polarity")  # the shared stage's folders, or this stage's jobs
    assert all(p.endswith("metrics.json") for p in sw.peft_baselines())


def test_head_probe_starts_are_the_shared_stages_full_runs(wf):
    hw = wf.stages["head_probe"]
    assert hw.starts() == [wf.metrics_path(m, t, "full", s) for m, t in hw.pairs() for s in wf.config["head_probe"]
                           ["seeds"]]
    assert "track_features" not in hw.full_spec("tiny-bert", "movie-polarity", 0)


def test_own_fine_tuning_rate_makes_tau_zero_paper_cs_run_and_a_grid_starts_from_the_probed_head(wf, tmp_path):
    import copy

    import torch

    from ftgeom.head_probe.entry import run_head
    from ftgeom.head_probe.plan import finetune_runs

    cfg = copy.deepcopy(wf.config)
    cfg["head_probe"]["finetune_lr"] = {"tiny-bert": 1e-5, "tiny-effnet": 2e-5}
    own = wf.with_config(cfg)
    hw, plain = own.stages["head_probe"], wf.stages["head_probe"]
    assert hw.starts() == [] and hw.full_spec("tiny-effnet", "digits", 0)["lr"] == 2e-5
    # the probing job does not read it: setting it re-runs no probe
    assert hw.probe_settings("tiny-bert") == plain.probe_settings("tiny-bert")
    assert ("base", 0) in finetune_runs(hw.settings("tiny-bert"), 0)
    assert ("base", 0) not in finetune_runs(plain.settings("tiny-bert"), 0)
    run, inputs = hw.grid_run("finetune", "tiny-effnet", "digits", 1)
    assert run["out"] == "results/head_probe/tiny-effnet/digits/finetune/seed1/base-tauconverged.json"
    assert run["producer"] == "results/head_probe/tiny-effnet/digits/finetune/seed1"
    assert inputs == ["results/head_probe/tiny-effnet/digits/heads.pt"]
    spec = run["spec"]
    assert spec["lr"] == 2e-5 and spec["seed"] == 1 and spec["head_probe"]["tau"] == "converged"
    assert spec["head_probe"]["heads"]["key"] == "base/seed1/converged"
    heads = {"base/seed1/converged": {"weight": torch.ones(2, 3)}}
    torch.save(heads, tmp_path / "heads.pt")
    found = run_head({"head_probe": {"heads": {"file": str(tmp_path / "heads.pt"), "key": "base/seed1/converged"}}})
    assert torch.equal(found["weight"], heads["base/seed1/converged"]["weight"])
    assert run_head({"head_probe": {"variant": "base"}}) is None and run_head({}) is None
    assert registry.extensions().head_state({"head_probe": {"heads": {"file": str(tmp_path / "heads.pt"),
                                                                       "key": "base/seed1/converged"}}}) is not None


def test_paper_cs_fine_tuning_runs_are_shared_stage_runs_that_name_their_probed_head(wf):
    """One job path: each run of a head_probe_finetune job is a spec the shared stage trains (ftgeom.stages.finetune),
    naming the head it starts from (heads.pt and key), its variant, τ and the probing settings, which are the
    probing job's own (so the spec is known at DAG time); only the base sweep of a weight-geometry seed records it."""
    from ftgeom.head_probe.plan import head_key, run_name

    hw = wf.stages["head_probe"]
    geometry = set(hw.geometry_seeds())
    for model, task in hw.pairs():
        head = wf.config["models"][model]["head"]
        for seed in hw.section["seeds"]:
            runs = hw.group(model, task, seed)
            assert runs and {r["name"] for r in runs} == {run_name(r["spec"]["head_probe"]["variant"],
                                                                   r["spec"]["head_probe"]["tau"]) for r in runs}
            for r in runs:
                spec, hp = r["spec"], r["spec"]["head_probe"]
                assert r["out"] == f"{hw.finetune_dir(model, task, seed)}/{r['name']}.json" and not r["trajectory"]
                assert spec["method"] == "full" and spec["track_features"] and spec["seed"] == seed
                assert hp["heads"] == {"file": hw.heads_file(model, task),
                                       "key": head_key(hp["variant"], seed, hp["tau"])}
                assert hp["probe"]["head"] == ("mlp" if hp["variant"] == "mlp" else head) == spec["head"]
                assert {"lr", "batch_size", "converged_epochs", "label_smoothing"} <= set(hp["probe"])
                assert ("weight_geometry" in spec) == (hp["variant"] == "base" and seed in geometry)
