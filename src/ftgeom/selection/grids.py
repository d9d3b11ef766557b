"""The selection grids of a config (its `selection` section) as runs the workflow can make.

A grid names one setting by its dotted config path (`finetune.lr.full`, `spectral.peft.methods.lora.lr`), the values
to try, what trains (a shared method `full`/`frozen`, a paper's run such as `intrinsic` or `lora`, or `probe` for
paper C's head probing), the model, tasks and seed. Each grid point is the run the default workflow would make with
the config's setting replaced by that value: the same spec code builds it (the shared `Workflow` of that config, or
the stage's planning class on it: its `grid_run`). The point equal to the configured value is the default's own run, read
from where the default keeps it; the others run under results/selection/.
"""
from __future__ import annotations

import copy
import sys
from dataclasses import dataclass

from ftgeom.errors import OneLineError
from ftgeom.workflow import Workflow

SHARED = ("full", "frozen")


class SelectionError(KeyError, OneLineError):
    """A selection grid the config cannot run (one line, names the grid or the setting)."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Grid:
    name: str
    setting: str           # dotted config path of the chosen value
    values: tuple
    run: str               # what trains: full | frozen | probe | a paper stage's run name
    model: str
    tasks: tuple
    seed: int

    @property
    def owner(self) -> str:
        """The config section the setting lives in: `finetune`/`models` (shared) or a paper stage's name."""
        return self.setting.split(".")[0]


def grids(config: dict) -> list[Grid]:
    section = config.get("selection") or {}
    return [Grid(name, g["setting"], tuple(g["values"]), g["run"], g["model"], tuple(g["tasks"]), int(g["seed"]))
            for name, g in section.get("grids", {}).items()]


def configured(config: dict, setting: str):
    """The value the config holds at a dotted path (KeyError naming the path when it has none)."""
    node = config
    for key in setting.split("."):
        if not isinstance(node, dict) or key not in node:
            raise SelectionError(f"selection: the config has no setting {setting}")
        node = node[key]
    return node


def with_value(config: dict, setting: str, value) -> dict:
    out = copy.deepcopy(config)
    keys = setting.split(".")
    node = out
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = value
    return out


def label(value) -> str:
    """A grid value as a file name part: its shortest exact form (0.0003, 1e-05), so two values never share one."""
    return repr(value) if isinstance(value, float) else str(value)


def default_run(wf: Workflow, grid: Grid, task: str) -> tuple[dict, list[str]]:
    """The run (spec, out) the workflow `wf` makes for this grid's run on `task`, and the inputs it needs besides
    the task's data and the model (a subspace, say)."""
    if grid.run in SHARED and grid.owner in ("finetune", "models"):
        return {"spec": wf.train_spec(grid.model, task, grid.run, grid.seed),
                "out": wf.metrics_path(grid.model, task, grid.run, grid.seed), "trajectory": None}, []
    stage = wf.stages.get(grid.owner)
    found = stage.grid_run(grid.run, grid.model, task, grid.seed) if hasattr(stage, "grid_run") else None
    if found is not None:
        return found
    raise SelectionError(f"selection grid {grid.name}: no stage makes a '{grid.run}' run of {grid.model} on {task} "
                         f"(seed {grid.seed})")


def grid_runs(wf: Workflow, grid: Grid, task: str) -> tuple[list[dict], list[str], tuple[str, str]]:
    """(the runs to make, the inputs they need, the default's record of the configured value and what makes it: the
    record itself, or the folder of the job it lies in)."""
    chosen, root = configured(wf.config, grid.setting), wf.R
    reused, inputs = default_run(wf, grid, task)
    runs = []
    for value in grid.values:
        if value == chosen:
            continue
        run, _ = default_run(wf.with_config(with_value(wf.config, grid.setting, value)), grid, task)
        spec = {k: v for k, v in run["spec"].items() if k != "trajectory_points"}  # a grid point keeps no weights
        runs.append({"spec": spec, "out": point_path(root, grid, task, value), "trajectory": None,
                     "name": label(value)})
    return runs, inputs, (reused["out"], reused.get("producer", reused["out"]))


def job_dir(root: str, grid: str, model: str, task: str) -> str:
    """The folder of one grid's points on one task (takes wildcard placeholders: the rules' pattern)."""
    return f"{root}/selection/{grid}/{model}/{task}"


def point_path(root: str, grid: Grid, task: str, value) -> str:
    return f"{job_dir(root, grid.name, grid.model, task)}/{label(value)}.json"


class Selection:
    """Every grid's jobs (one per grid and task: the grid's values not configured) and points, for the rules."""

    error: str | None = None  # why the config's grids cannot run (Selection.of): `select` stops with it

    @classmethod
    def of(cls, wf: Workflow) -> "Selection":
        """The config's selection, or an empty one that remembers why the grids cannot run: only the `select`
        target needs them, so only it stops (job_dirs)."""
        try:
            return cls(wf)
        except SelectionError as err:
            empty = cls(wf, empty=True)
            empty.error = str(err)
            return empty

    def __init__(self, wf: Workflow, empty: bool = False):
        """The grids of the workflow's config (`empty`: none)."""
        config = {} if empty else wf.config
        self.R, self.grids = wf.R, {g.name: g for g in grids(config)}
        self.jobs, self.points = {}, []
        for g in self.grids.values():
            chosen = configured(config, g.setting)
            if len({label(v) for v in g.values}) != len(g.values):
                raise SelectionError(f"selection grid {g.name}: a value is listed twice in {list(g.values)}")
            if chosen not in g.values:
                raise SelectionError(f"selection grid {g.name}: the configured {g.setting} = {chosen} is not one of "
                                     f"its values {list(g.values)}")
            for task in g.tasks:
                runs, inputs, (reused, producer) = grid_runs(wf, g, task)
                self.jobs[(g.name, task)] = {"runs": runs, "inputs": inputs, "dir": self.job_dir(g.name, g.model, task),
                                             "producer": producer}
                for value in g.values:
                    self.points.append({"grid": g.name, "setting": g.setting, "model": g.model, "task": task,
                                        "seed": g.seed, "value": value, "configured": value == chosen,
                                        "path": reused if value == chosen else point_path(self.R, g, task, value)})

    def job_dir(self, grid: str, model: str, task: str) -> str:
        return job_dir(self.R, grid, model, task)

    def table(self, grid: str) -> str:
        return f"{self.R}/selection/{grid}.csv"

    def summary(self) -> str:
        return f"{self.R}/selection/summary.txt"

    def names(self, probe: bool) -> list[str]:
        """Grid names whose runs are probes (paper C's rule) or fine-tuning runs (the shared rule)."""
        return [n for n, g in self.grids.items() if (g.run == "probe") == probe]

    def job_dirs(self) -> list[str]:
        if self.error:  # the `select` target asks: one line, then stop (Snakemake would print a traceback)
            sys.stderr.write(f"{self.error}\n")
            raise SystemExit(1)
        return [j["dir"] for j in self.jobs.values() if j["runs"]]

    def reused(self) -> list[str]:
        """What makes the default's records the configured values read (the `select` target makes them when
        missing): the record, or its job's folder."""
        return sorted({j["producer"] for j in self.jobs.values()})
