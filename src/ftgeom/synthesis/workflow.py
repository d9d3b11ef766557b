"""The synthesis's paths for the rules (rules/synthesis.smk binds one `SynthesisWorkflow`): what it reads of the
three papers' outputs. It adds no training run."""
from __future__ import annotations

from ftgeom.head_probe.entry import ENTRY as HEAD_PROBE
from ftgeom.intrinsic import plan as intrinsic_plan
from ftgeom.intrinsic.entry import ENTRY as INTRINSIC
from ftgeom.workflow import Workflow


class SynthesisWorkflow:
    def __init__(self, wf: Workflow):
        self.wf, self.R = wf, wf.R
        self.section = wf.config.get("synthesis")  # the config section (None: this stage does not run)
        # the papers' planning classes, built before this one (ftgeom.workflow.Workflow.stages)
        self.intrinsic, self.head_probe, self.spectral = (wf.stages[n] for n in ("intrinsic", "head_probe", "spectral"))

    # --- S2, S4, S5: paper A's traced runs
    def task_dirs(self) -> list[str]:
        return [self.task_dir(m, t) for m, t in self.intrinsic.pairs()] if self.section else []

    def task_dir(self, model: str, task: str) -> str:
        return f"{self.R}/synthesis/{model}/{task}"

    def outlier_tasks(self, model: str) -> list[str]:
        """Paper A's outlier tasks of one model (its outlier runs are on every model's listed tasks)."""
        return [t for m, t in self.intrinsic.pairs() if m == model and t in
                ((self.intrinsic.section or {}).get("outliers") or {}).get("tasks", [])]

    def task_inputs(self, model: str, task: str) -> dict:
        """The traced run's trajectory and, on an outlier task, the intrinsic job holding its outlier record."""
        out = {"trajectory": self.intrinsic.trajectory(model, task)}
        if task in self.outlier_tasks(model):
            out["outliers"] = self.intrinsic.job_dir(model, task, "intrinsic")
        return out

    def outliers_arg(self, model: str, task: str) -> str:
        return f"--outliers {self.intrinsic.outlier_record(model, task)}" if task in self.outlier_tasks(model) else ""

    def settings(self) -> dict:
        return {"k": self.section["k"], "directions": self.section["directions"]}

    # --- S1: every run of both papers on the (model, task)s paper B's PEFT table and paper A share
    def frontier_pairs(self) -> list[tuple[str, str]]:
        if not self.section:
            return []
        peft = ((self.wf.config.get("spectral") or {}).get("peft") or {}).get("models", {})
        return [(m, t) for m, t in self.intrinsic.pairs() if t in peft.get(m, [])]

    def frontier_dirs(self) -> list[str]:
        """Paper A's subspace jobs (headline and the d ablation) and paper B's PEFT job of each frontier pair."""
        out = []
        for m, t in self.frontier_pairs():
            jobs = intrinsic_plan.jobs(self.intrinsic.section, m, t)
            out += [self.intrinsic.job_dir(m, t, j) for j in jobs
                    if j in intrinsic_plan.HEADLINE or j.startswith("intrinsic-d")]
            out.append(self.spectral.job_dir(m, t, "peft"))
        return out

    def frontier_records(self) -> list[str]:
        """The shared stage's Full and Freeze runs of the frontier pairs."""
        return [self.wf.metrics_path(m, t, me, s) for m, t in self.frontier_pairs() for me in ("full", "frozen")
                for s in self.wf.FT["seeds"]]

    # --- S3: paper C's sweeps that record their weight geometry
    def geometry_inputs(self) -> list[str]:
        """Paper C's fine-tuning jobs of the seeds that record weight geometry and, where τ = 0 is the shared stage's
        full run (no `finetune_lr` of the model's own), that run's metrics."""
        if not self.section:
            return []
        seeds = self.head_probe.geometry_seeds()
        return self.head_probe.finetune_dirs(seeds) + self.head_probe.starts(seeds)

    def head_probe_runs(self) -> str:
        return HEAD_PROBE.table(self.R, "runs")

    def parts(self) -> dict[str, bool]:
        """Which analyses the config's papers give data for (a claim spec without its part expects no row)."""
        ia = self.intrinsic.section or {}
        return {"frontier": bool(self.frontier_pairs()), "trajectory": bool(self.task_dirs()),
                "geometry": bool(self.geometry_inputs()),
                "outliers": any(t in self.outlier_tasks(m) for m, t in self.intrinsic.pairs()),
                "transfer": bool(ia.get("transfer")) and any(
                    len([p for p in self.intrinsic.pairs() if p[0] == m]) > 1 for m, _ in self.intrinsic.pairs())}

    def transfer_table(self) -> str:
        return INTRINSIC.table(self.R, "transfer")
