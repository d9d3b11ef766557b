"""The rules' paths and run specs (ftgeom.workflow and each paper's workflow module), from the smoke config alone:
what the rule files bind, checked without Snakemake."""
from __future__ import annotations

import pytest
import yaml
from workflow_runs import REPO, SMOKE

from ftgeom import registry
from ftgeom.head_probe.workflow import HeadProbeWorkflow
from ftgeom.intrinsic.workflow import IntrinsicWorkflow
from ftgeom.spectral.workflow import SpectralWorkflow
from ftgeom.workflow import Workflow


@pytest.fixture(scope="module")
def wf() -> Workflow:
    from snakemake.utils import validate

    cfg = yaml.safe_load(SMOKE.read_text())
    validate(cfg, str(REPO / "config" / "schema.yaml"))  # the schema's defaults, as the workflow fills them
    return Workflow(cfg, "results", shared_run_spec=registry.shared_run_spec)


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
    iw = IntrinsicWorkflow(wf)
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


def test_spectral_reads_the_foundations_weights_where_it_kept_them(wf):
    sw = SpectralWorkflow(wf)
    assert sw.weights("tiny-bert", "movie-polarity", "full", 0) == \
        "results/trajectories/tiny-bert/movie-polarity/full/seed0"
    assert sw.weights("tiny-bert", "movie-polarity", "lora", 0) == \
        "results/spectral/tiny-bert/movie-polarity/peft/lora-seed0.trajectory"
    assert sw.stability_inputs("tiny-bert", "movie-polarity")  # the foundation's folders, or this stage's jobs
    assert all(p.endswith("metrics.json") for p in sw.peft_baselines())


def test_head_probe_starts_are_the_foundations_full_runs(wf):
    hw = HeadProbeWorkflow(wf)
    assert hw.starts() == [wf.metrics_path(m, t, "full", s) for m, t in hw.pairs() for s in wf.config["head_probe"]
                           ["seeds"]]
    assert "track_features" not in hw.full_spec("tiny-bert", "movie-polarity", 0)


def test_own_fine_tuning_rate_makes_tau_zero_paper_cs_run_and_a_grid_starts_from_the_probed_head(wf, tmp_path):
    import copy

    import torch

    from ftgeom.head_probe.entry import grid_run, run_head
    from ftgeom.head_probe.plan import finetune_runs

    cfg = copy.deepcopy(wf.config)
    cfg["head_probe"]["finetune_lr"] = {"tiny-bert": 1e-5, "tiny-effnet": 2e-5}
    own = Workflow(cfg, "results", shared_run_spec=registry.shared_run_spec)
    hw = HeadProbeWorkflow(own)
    assert hw.starts() == [] and hw.full_spec("tiny-effnet", "digits", 0)["lr"] == 2e-5
    # the probing job does not read it: setting it re-runs no probe
    assert hw.probe_settings("tiny-bert") == HeadProbeWorkflow(wf).probe_settings("tiny-bert")
    assert ("base", 0) in finetune_runs(hw.settings("tiny-bert"), 0)
    assert ("base", 0) not in finetune_runs(HeadProbeWorkflow(wf).settings("tiny-bert"), 0)
    run, inputs = grid_run(own, "finetune", "tiny-effnet", "digits", 1)
    assert run["out"] == "results/head_probe/tiny-effnet/digits/finetune/seed1/base-tauconverged.json"
    assert run["producer"] == "results/head_probe/tiny-effnet/digits/finetune/seed1"
    assert inputs == [f"results/head_probe/tiny-effnet/digits/{f}" for f in ("heads.pt", "probe.json")]
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
