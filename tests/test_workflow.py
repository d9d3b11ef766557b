"""The workflow as users run it: config errors, the smoke DAG end to end, the paper-scale DAG offline."""
from __future__ import annotations

import json
import re
import time

import pandas as pd
import yaml
from safetensors import safe_open

from workflow_runs import REPO, SMOKE, run_snakemake


def _config_with(tmp_path, edit):
    cfg = yaml.safe_load(SMOKE.read_text())
    edit(cfg)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _fails_fast_naming(tmp_path, edit, *needles):
    t0 = time.monotonic()
    proc = run_snakemake(tmp_path, "-n", "--configfile", str(_config_with(tmp_path, edit)))
    elapsed = time.monotonic() - t0
    assert proc.returncode != 0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("config error:")]
    assert len(lines) == 1, proc.stdout
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert elapsed < 10, f"took {elapsed:.1f} s"
    assert not (tmp_path / "results").exists(), "no job may run on a bad config"


def test_misspelt_key_fails_fast_with_one_line(tmp_path):
    _fails_fast_naming(tmp_path, lambda c: c["finetune"].update(epochz=3), "finetune.epochz", "unknown key")


def test_wrong_type_names_the_key(tmp_path):
    _fails_fast_naming(tmp_path, lambda c: c["finetune"].update(batch_size="big"), "finetune.batch_size")


def test_unknown_task_and_reader_are_named(tmp_path):
    _fails_fast_naming(tmp_path, lambda c: c["finetune"]["tasks"].append("movie-polarty"), "movie-polarty")
    _fails_fast_naming(tmp_path, lambda c: c["tasks"]["movie-polarity"].update(reader="nope"),
                       "tasks.movie-polarity.reader", "nope")


def test_paper_config_builds_its_dag_offline(tmp_path):
    proc = run_snakemake(tmp_path, "-n", "--configfile", str(REPO / "config" / "paper.yaml"))
    assert proc.returncode == 0, proc.stdout[-3000:]
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", proc.stdout, flags=re.M))
    # 2 models x 8 GLUE tasks x 2 methods x 5 seeds; one traced (trajectory) seed per model and task
    assert counts["finetune"] == "144" and counts["finetune_traced"] == "16", counts
    assert counts["prepare_model"] == "2" and counts["prepare_task"] == "8" and counts["encode_task"] == "16"


def test_smoke_dag_outputs(smoke_local):
    res = smoke_local / "results"
    cfg = yaml.safe_load(SMOKE.read_text())
    ft = cfg["finetune"]
    table = pd.read_csv(res / "tables" / "finetune.csv")
    assert len(table) == len(ft["tasks"]) * len(ft["methods"]) and (table["n"] == len(ft["seeds"])).all()
    assert table["mean"].notna().all()
    assert "\\begin{tabular}" in (res / "tables" / "finetune.tex").read_text()
    assert (res / "figures" / "learning_curves.png").stat().st_size > 10_000
    for task in ft["tasks"]:
        rec = json.loads((res / "finetune" / "tiny-bert" / task / "full" / "seed0" / "metrics.json").read_text())
        assert len(rec["history"]) == ft["epochs"] and rec["provenance"]["config_hash"]
        traj = res / "trajectories" / "tiny-bert" / task / "full" / "seed0"
        meta = json.loads((traj / "trajectory.json").read_text())
        with safe_open(str(traj / "layer01.safetensors"), "pt") as f:
            assert tuple(f.get_slice("points").get_shape()) == (ft["trajectory"]["points"],
                                                                meta["layers"]["layer01"]["numel"])
        assert not (res / "trajectories" / "tiny-bert" / task / "full" / "seed1").exists()
        for split_dir in (res / "data" / task, res / "encoded" / "tiny-bert" / task):
            assert (split_dir / "ftgeom_task.json").exists()
    assert not list(res.rglob("*.tmp")), "no temp files left behind"
    assert not (res / "state").exists() or not list((res / "state").rglob("last.pt"))
    for stage in ("prepare_model", "prepare_task", "encode_task", "finetune", "report"):
        assert list((res / "benchmarks" / stage).rglob("*.tsv")), stage
        assert list((res / "logs" / stage).rglob("*.log")), stage
    again = run_snakemake(smoke_local, "-n", "--configfile", str(SMOKE))
    assert "Nothing to be done" in again.stdout, again.stdout[-2000:]
