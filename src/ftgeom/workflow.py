"""The workflow's shared paths and run specs, from the config alone (rules/common.smk binds one `Workflow`).

Every path a rule reads or writes for the shared fine-tuning runs is formed here once (metrics records, final
weights, trajectories); each stage's planning class (`ftgeom.<stage>.workflow`, its registry entry's `workflow`)
is built here once, on these (`Workflow.stages`). Plain Python, so the rule files hold rules only and the helpers
are tested like the rest of the library. A path helper takes wildcard placeholders too: `job_dir("{model}", ...)`
is the rule's pattern.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ftgeom.assets.modality import task_modality
from ftgeom.config import finetune_pairs
from ftgeom.train.settings import OPERATIONAL


class Workflow:
    def __init__(self, config: dict, root: str = "results", stages: tuple = ()):
        """`stages`: the registry's entries (ftgeom.registry.STAGES; this layer does not know them): what each adds
        to a shared run's spec (`shared_run_extras`), and its planning class, built here in the registry's order (a
        later stage's may read an earlier one's; a stage the config does not run plans nothing)."""
        self.config, self.R, self.FT = config, root, config["finetune"]
        self.pairs = finetune_pairs(config)
        self.entries = tuple(stages)
        self.stages = {}
        for entry in self.entries:
            if entry.workflow is not None:
                self.stages[entry.name] = entry.workflow(self)

    def with_config(self, config: dict) -> "Workflow":
        """The same stages on another config (a selection grid's point)."""
        return Workflow(config, self.R, self.entries)

    @property
    def pretrained_here(self) -> list[str]:
        """Models the workflow pretrains itself (source `pretrain`: paper B's scale groups)."""
        return [m for m, e in self.config["models"].items() if e["source"] == "pretrain"]

    # --- the assets
    def model_dir(self, model: str) -> str:
        return f"{self.R}/models/{model}"

    def data_dir(self, task: str) -> str:
        """A prepared task (images are preprocessed in the jobs that read it)."""
        return f"{self.R}/data/{task}"

    def encoded_dir(self, model: str, task: str) -> str:
        """A text task tokenised for one model."""
        return f"{self.R}/encoded/{model}/{task}"

    # --- the shared fine-tuning runs
    def is_traced(self, method: str | None, seed) -> bool:
        return method == "full" and int(seed) in self.FT["trajectory"]["seeds"]

    def is_kept(self, method: str, seed) -> bool:
        keep = self.FT["keep_weights"]
        return method in keep["methods"] and int(seed) in keep["seeds"]

    def metrics_path(self, model: str, task: str, method: str, seed) -> str:
        """The metrics record of one shared fine-tuning run (rule finetune)."""
        return f"{self.R}/finetune/{model}/{task}/{method}/seed{seed}/metrics.json"

    def final_weights_dir(self, model: str, task: str, method: str, seed) -> str:
        """Where a run's final weights are: its trajectory when traced, else results/weights (keep_weights)."""
        kind = "trajectories" if self.is_traced(method, seed) else "weights"
        return f"{self.R}/{kind}/{model}/{task}/{method}/seed{seed}"

    def runs(self) -> list[dict]:
        """Every (model, task, method, seed) the config asks for: models x tasks where modalities match."""
        return [dict(model=m, task=t, method=me, seed=s)
                for m, t in self.pairs for me in self.FT["methods"] for s in self.FT["seeds"]]

    @property
    def group_seeds(self) -> bool:
        """finetune.group_seeds: one job runs every seed of a (model, task, method) (the default: a run's fixed cost
        of imports and loading is paid once per job), or one job per seed (a cluster, where a run takes hours)."""
        return self.FT["group_seeds"]

    def run_paths(self, kind: str, seeds: list) -> list[str]:
        """Per-run output folders of one finetune job (a pattern over {model}, {task}, {method}): those of these
        seeds (grouped jobs), or the job's own {seed}; none when no seed of the job has such an output."""
        if not seeds:
            return []
        return [f"{self.R}/{kind}/{{model}}/{{task}}/{{method}}/seed{s}"
                for s in (seeds if self.group_seeds else ["{seed}"])]

    def traced_seeds(self) -> list[int]:
        return [s for s in self.FT["seeds"] if self.is_traced("full", s)]

    def kept_seeds(self, method: str | None = None) -> list[int]:
        """Seeds whose final weights a method keeps (any kept method: they all keep the same seeds)."""
        keep = self.FT["keep_weights"]
        return [s for s in self.FT["seeds"] if s in keep["seeds"] and not self.is_traced(method, s)
                and (method is None or method in keep["methods"])]

    def traced_points(self, task: str) -> int:
        return self.config["tasks"][task].get("trajectory_points", self.FT["trajectory"]["points"])

    def train_spec(self, model: str, task: str, method: str, seed, points: int | None = None) -> dict:
        """Every setting that changes this run's numbers (a change re-runs it); operational ones reach the jobs
        through the environment (rules/common.smk)."""
        entry, spec_model = self.config["tasks"][task], self.config["models"][model]
        skip = ("models", "tasks", "methods", "seeds", "lr", "trajectory", "keep_weights", "group_seeds",
                *OPERATIONAL)
        spec = {k: v for k, v in self.FT.items() if k not in skip}
        spec.update(model=model, task=task, method=method, seed=int(seed),
                    lr=spec_model.get("lr", {}).get(method, self.FT["lr"][method]),
                    epochs=entry.get("epochs", self.FT["epochs"]), head=spec_model["head"],
                    precision=spec_model.get("precision", self.FT["precision"]))
        if task_modality(entry) == "image":
            spec["image_size"] = entry.get("image_size", spec_model.get("image_size"))
        if points is not None:
            spec["trajectory_points"] = points
        return spec

    def shared_run_spec(self, model: str, task: str, method: str, seed, points: int | None = None) -> dict:
        """A run of the shared stage: train_spec and what the stages add to it (paper C tracks features)."""
        spec = self.train_spec(model, task, method, seed, points)
        for entry in self.entries:
            spec.update(entry.shared_run_extras(self.config, model, task, method, int(seed)))
        return spec

    def finetune_group(self, model: str, task: str, method: str, seed=None) -> list[dict]:
        """The runs of one finetune job: every seed of (model, task, method) (`seed` None: finetune.group_seeds)
        or the job's one seed, each with its metrics file and, when traced or kept, the folder of its trajectory or
        final weights (a one-point trajectory)."""
        runs = []
        for s in self.FT["seeds"] if seed is None else [int(seed)]:
            keep = "trajectories" if self.is_traced(method, s) else "weights" if self.is_kept(method, s) else None
            points = self.traced_points(task) if keep == "trajectories" else 1 if keep else None
            runs.append({"spec": self.shared_run_spec(model, task, method, s, points),
                         "out": self.metrics_path(model, task, method, s),
                         "trajectory": keep and self.final_weights_dir(model, task, method, s)})
        return runs

    # --- the paper stages' fine-tuning jobs
    @staticmethod
    def stage_runs(members: list[dict], job_dir: str, spec_of: Callable[[dict], dict]) -> list[dict]:
        """The runs of a paper stage's fine-tuning job (as ftgeom.train.run.finetune_runs takes them): each
        member's spec, its record `<job_dir>/<name>.json` and, when it keeps weights, `<name>.trajectory`."""
        return [{"spec": spec_of(m), "out": f"{job_dir}/{m['name']}.json",
                 "trajectory": m.get("keep") and f"{job_dir}/{m['name']}.trajectory", "name": m["name"]}
                for m in members]

    @staticmethod
    def producers(paths: list[str]) -> list[str]:
        """What produces these weights: a trajectory folder itself, or the job folder a `.trajectory` lies in."""
        return sorted({str(Path(p).parent) if p.endswith(".trajectory") else p for p in paths})
