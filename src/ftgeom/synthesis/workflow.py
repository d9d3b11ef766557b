"""The synthesis's paths for the rules (rules/synthesis.smk binds one `SynthesisWorkflow`): what it reads of the
three papers' outputs. It adds no training run."""
from __future__ import annotations

from ftgeom.head_probe.entry import ENTRY as HEAD_PROBE
from ftgeom.head_probe.workflow import HeadProbeWorkflow
from ftgeom.intrinsic import plan as intrinsic_plan
from ftgeom.intrinsic.entry import ENTRY as INTRINSIC
from ftgeom.intrinsic.workflow import IntrinsicWorkflow
from ftgeom.spectral.workflow import SpectralWorkflow
from ftgeom.workflow import Workflow


class SynthesisWorkflow:
    def __init__(self, wf: Workflow):
        self.wf, self.R = wf, wf.R
        self.sy = wf.config.get("synthesis")  # the config section (None: this stage does not run)
        self.iw, self.hw, self.sw = IntrinsicWorkflow(wf), HeadProbeWorkflow(wf), SpectralWorkflow(wf)

    # --- S2, S4, S5: paper A's traced runs
    def task_dirs(self) -> list[str]:
        return [self.task_dir(m, t) for m, t in self.iw.pairs()] if self.sy else []

    def task_dir(self, model: str, task: str) -> str:
        return f"{self.R}/synthesis/{model}/{task}"

    def outlier_tasks(self, model: str) -> list[str]:
        """Paper A's outlier tasks of one model (its outlier runs are on every model's listed tasks)."""
        return [t for m, t in self.iw.pairs() if m == model and t in
                ((self.iw.ia or {}).get("outliers") or {}).get("tasks", [])]

    def task_inputs(self, model: str, task: str) -> dict:
        """The traced run's trajectory and, on an outlier task, the intrinsic job holding its outlier record."""
        out = {"trajectory": self.iw.trajectory(model, task)}
        if task in self.outlier_tasks(model):
            out["outliers"] = self.iw.job_dir(model, task, "intrinsic")
        return out

    def outliers_arg(self, model: str, task: str) -> str:
        return f"--outliers {self.iw.outlier_record(model, task)}" if task in self.outlier_tasks(model) else ""

    def settings(self) -> dict:
        return {"k": self.sy["k"], "directions": self.sy["directions"]}

    # --- S1: every run of both papers on the (model, task)s paper B's PEFT table and paper A share
    def frontier_pairs(self) -> list[tuple[str, str]]:
        if not self.sy:
            return []
        peft = ((self.wf.config.get("spectral") or {}).get("peft") or {}).get("models", {})
        return [(m, t) for m, t in self.iw.pairs() if t in peft.get(m, [])]

    def frontier_dirs(self) -> list[str]:
        """Paper A's subspace jobs (headline and the d ablation) and paper B's PEFT job of each frontier pair."""
        out = []
        for m, t in self.frontier_pairs():
            jobs = intrinsic_plan.jobs(self.iw.ia, m, t)
            out += [self.iw.job_dir(m, t, j) for j in jobs
                    if j in intrinsic_plan.HEADLINE or j.startswith("intrinsic-d")]
            out.append(self.sw.job_dir(m, t, "peft"))
        return out

    def frontier_records(self) -> list[str]:
        """The foundation's Full and Freeze runs of the frontier pairs."""
        return [self.wf.metrics_path(m, t, me, s) for m, t in self.frontier_pairs() for me in ("full", "frozen")
                for s in self.wf.FT["seeds"]]

    # --- S3: paper C's sweeps that record their weight geometry
    def geometry_inputs(self) -> list[str]:
        """Paper C's fine-tuning jobs of the seeds that record weight geometry and, where τ = 0 is the foundation's
        full run (no `finetune_lr` of the model's own), that run's metrics."""
        if not self.sy:
            return []
        seeds = self.hw.geometry_seeds()
        return self.hw.finetune_dirs(seeds) + self.hw.starts(seeds)

    def head_probe_runs(self) -> str:
        return HEAD_PROBE.table(self.R, "runs")

    def parts(self) -> dict[str, bool]:
        """Which analyses the config's papers give data for (a claim spec without its part expects no row)."""
        ia = self.iw.ia or {}
        return {"frontier": bool(self.frontier_pairs()), "trajectory": bool(self.task_dirs()),
                "geometry": bool(self.geometry_inputs()),
                "outliers": any(t in self.outlier_tasks(m) for m, t in self.iw.pairs()),
                "transfer": bool(ia.get("transfer")) and any(
                    len([p for p in self.iw.pairs() if p[0] == m]) > 1 for m, _ in self.iw.pairs())}

    def transfer_table(self) -> str:
        return INTRINSIC.table(self.R, "transfer")
