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
