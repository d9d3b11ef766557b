"""`snakemake select`: each grid point is the default's run with one setting changed; the summary picks on
validation data; the smoke config's grids run end to end."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from workflow_runs import REPO, run_snakemake, workflow_of

from ftgeom.selection.grids import Selection, SelectionError, configured, default_run, grids, with_value
from ftgeom.selection.summary import line, pick, table


def _workflow(name: str, root: str = "results"):
    return workflow_of(yaml.safe_load((REPO / "config" / f"{name}.yaml").read_text()), root)


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        out.update(_flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
    return out


@pytest.mark.parametrize("name", ["default", "smoke"])
def test_a_grid_point_is_the_default_run_with_only_its_setting_changed(name):
    wf = _workflow(name)
    cfg = wf.config
    sel = Selection(wf)
    assert set(sel.grids) == set(cfg["selection"]["grids"]) and sel.points
    for grid in grids(cfg):
        for task in grid.tasks:
            base = _flat(default_run(wf, grid, task)[0]["spec"])
            runs = sel.jobs[(grid.name, task)]["runs"]
            assert len(runs) == len(grid.values) - 1, "the configured value is the default's own run"
            for run in runs:
                point = _flat(run["spec"])
                diff = [k for k in set(base) | set(point) if base.get(k) != point.get(k) and k != "trajectory_points"]
                assert len(diff) == 1 and diff[0].endswith("lr"), (grid.name, diff)
                assert point[diff[0]] in grid.values and point[diff[0]] != base[diff[0]]


def test_a_grid_off_the_config_is_one_line_naming_it():
    wf = _workflow("smoke")
    cfg = wf.config
    with pytest.raises(SelectionError, match="the config has no setting finetune.lr.nope"):
        configured(cfg, "finetune.lr.nope")
    cfg["selection"]["grids"]["full"]["values"] = [1.0, 2.0]
    with pytest.raises(SelectionError) as err:
        Selection(wf)
    assert "grid full" in str(err.value) and "\n" not in str(err.value)
    assert configured(with_value(cfg, "finetune.lr.full", 0.5), "finetune.lr.full") == 0.5
    assert cfg["finetune"]["lr"]["full"] == 1.0e-3, "with_value copies the config"


def test_the_summary_picks_the_best_mean_validation_and_says_when_the_config_differs(tmp_path):
    points = []
    for value, scores in ((0.1, (0.6, 0.7)), (0.3, (0.8, 0.75)), (1.0, (0.9, 0.2))):
        for task, score in zip(("a", "b"), scores):
            path = tmp_path / f"{task}-{value}.json"
            path.write_text(json.dumps({"final": {"validation": {"accuracy": score}}, "metric": "accuracy"}))
            points.append({"grid": "g", "setting": "x.lr", "model": "m", "task": task, "seed": 0, "value": value,
                           "configured": value == 0.1, "path": str(path)})
    frame = table(points)
    picked, chosen, means = pick(frame)
    assert (picked, chosen) == (0.3, 0.1) and means[1.0] == pytest.approx(0.55)
    assert "picked 0.3, config has 0.1: DIFFERS" in line("g", frame)
    tied = frame.assign(validation=[0.7, 0.6, 0.8, 0.5, 0.8, 0.4])  # 0.1 and 0.3 tie at 0.65, above 1.0's 0.6
    assert pick(tied)[0] == 0.1 and "config has 0.1: agrees (tied with 0.3)" in line("g", tied)


def test_smoke_select_runs_every_grid(smoke_local):
    proc = run_snakemake(smoke_local, "select", "--cores", "2", "--configfile", str(REPO / "config" / "smoke.yaml"))
    assert proc.returncode == 0, proc.stdout[-3000:]
    res = smoke_local / "results" / "selection"
    cfg = _workflow("smoke").config
    lines = (res / "summary.txt").read_text().splitlines()
    assert len(lines) == len(cfg["selection"]["grids"]) and all("picked" in x for x in lines)
    for name, grid in cfg["selection"]["grids"].items():
        frame = pd.read_csv(res / f"{name}.csv")
        assert len(frame) == len(grid["values"]) * len(grid["tasks"]) and frame["validation"].between(-1, 1).all()
        assert frame.loc[frame["configured"], "source"].eq("default run").all()
    # the configured value reads the default's own record: re-probing it gives the same validation score
    probe = pd.read_csv(res / "probe.csv")
    grid = next(g for g in grids(cfg) if g.name == "probe")
    run = default_run(_workflow("smoke", str(smoke_local / "results")), grid, "digits")[0]
    again = {"spec": run["spec"], "out": str(smoke_local / "again.json")}
    from ftgeom.head_probe.stages.probe_grid import main as probe_grid

    probe_grid(["--runs", json.dumps([again]), "--features", str(smoke_local / "results/head_probe/tiny-effnet/digits"
                                                                  "/features"),
                "--model", str(smoke_local / "results/models/tiny-effnet")])
    reused = probe.loc[probe["configured"], "validation"].item()
    assert json.loads((smoke_local / "again.json").read_text())["validation"] == pytest.approx(reused, abs=1e-6)


def test_a_grid_the_config_cannot_run_stops_select_only(tmp_path):
    cfg = yaml.safe_load((REPO / "config" / "smoke.yaml").read_text())
    cfg["selection"]["grids"]["intrinsic"]["tasks"] = ["digits"]  # paper A runs no subspace on an image task
    path = tmp_path / "bad-grid.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert run_snakemake(tmp_path, "-n", "--configfile", str(path)).returncode == 0, "`all` does not need the grids"
    proc = run_snakemake(tmp_path, "-n", "select", "--configfile", str(path))
    assert proc.returncode == 1
    assert "selection grid intrinsic: no stage makes a 'intrinsic' run of tiny-bert on digits (seed 1)" in proc.stdout
