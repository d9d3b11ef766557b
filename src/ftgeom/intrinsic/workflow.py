"""Paper A's paths and job members for the rules (rules/intrinsic.smk binds one `IntrinsicWorkflow`)."""
from __future__ import annotations

from ftgeom.intrinsic import plan
from ftgeom.workflow import Workflow


class IntrinsicWorkflow:
    def __init__(self, wf: Workflow):
        self.wf, self.R = wf, wf.R
        self.section = wf.config.get("intrinsic")  # the config section (None: this stage does not run)

    def pairs(self) -> list[tuple[str, str]]:
        return plan.pairs(self.section) if self.section else []

    def job_dir(self, model: str, task: str, job: str) -> str:
        return f"{self.R}/intrinsic/{model}/{task}/{job}"

    def subspace_dir(self, model: str, name: str) -> str:
        return f"{self.R}/intrinsic/{model}/subspaces/{name}"

    def trajectory(self, model: str, task: str, long: bool = False) -> str:
        """The traced full run whose trajectory spans the task's subspace (the first traced seed), or the longer
        traced run of `intrinsic.long_trace` (its trajectory sits in that job's folder)."""
        if long:
            return f"{self.job_dir(model, task, 'long-trace')}/seed{self.section['long_trace']['seed']}.trajectory"
        return self.wf.final_weights_dir(model, task, "full", self.wf.FT["trajectory"]["seeds"][0])

    def subspace(self, model: str, name: str) -> dict:
        """{"trajectories", "variant"} of one subspace."""
        s = plan.subspaces(self.section, model)[name]
        return {"trajectories": [self.trajectory(model, t, s["long"]) for t in s["tasks"]], "variant": s["variant"]}

    def outlier_record(self, model: str, task: str) -> str:
        """The headline intrinsic run whose outliers the zeroed job zeroes."""
        return f"{self.job_dir(model, task, 'intrinsic')}/seed{plan.outlier_source(self.section, model, task)}.json"

    def group(self, model: str, task: str, job: str) -> list[dict]:
        """The members of one job as runs. Subspace members take the frozen method's spec (embeddings, pooler and
        head train as in Freeze); zeroed and long-trace members full fine-tuning's."""

        def spec_of(m: dict) -> dict:
            base = "full" if m["method"] in ("zeroed", "full") else "frozen"
            points = self.wf.traced_points(task) if m.get("keep") else None
            spec = self.wf.train_spec(model, task, base, m["seed"], points)
            options = dict(m["options"])
            if options.get("subspace"):
                options["subspace"] = self.subspace_dir(model, options["subspace"])
            if m["method"] == "zeroed":
                options["source"] = self.outlier_record(model, task)
            spec.update(method=m["method"], intrinsic={"run": m["run"], "source": m.get("source")})
            if options:
                spec["method_options"] = options
            if m.get("epochs"):
                spec["epochs"] = m["epochs"]
            if m.get("outliers"):
                spec["outliers"] = m["outliers"]
            return spec

        members = [dict(m, keep=m.get("trajectory")) for m in plan.jobs(self.section, model, task)[job]]
        return self.wf.stage_runs(members, self.job_dir(model, task, job), spec_of)

    def job_inputs(self, model: str, task: str, job: str) -> list[str]:
        """The subspaces a job's members train in; a zeroed job also needs the headline job whose run's outliers
        it zeroes (its folder: that job's output)."""
        members = plan.jobs(self.section, model, task)[job]
        out = sorted({self.subspace_dir(model, m["subspace"]["name"]) for m in members if m.get("subspace")})
        return out + ([self.job_dir(model, task, "intrinsic")] if job == "zeroed" else [])

    def subspace_inputs(self, model: str, name: str) -> list[str]:
        return self.wf.producers(self.subspace(model, name)["trajectories"])

    def run_dirs(self) -> list[str]:
        return [self.job_dir(m, t, job) for m, t in self.pairs() for job in plan.jobs(self.section, m, t)]

    def subspace_dirs(self) -> list[str]:
        return [self.subspace_dir(m, name) for m in (self.section or {}).get("models", {})
                for name in plan.subspaces(self.section, m)]

    def baselines(self) -> list[str]:
        """The shared stage's full and frozen runs of every pair (Table 1's Full and Freeze rows)."""
        return [self.wf.metrics_path(m, t, me, s) for m, t in self.pairs() for me in ("full", "frozen")
                for s in self.wf.FT["seeds"]]

    def grid_run(self, run: str, model: str, task: str, seed: int):
        """The subspace run (`intrinsic`, `random`, ...) of one task and seed that a selection grid varies, as its
        job makes it (its record lies in the job's folder, the rule's output); None when no job makes it."""
        if not self.section or (model, task) not in self.pairs():
            return None
        for job in plan.jobs(self.section, model, task):
            for r in self.group(model, task, job):
                if r["spec"].get("intrinsic", {}).get("run") == run and r["spec"]["seed"] == seed:
                    return {**r, "producer": self.job_dir(model, task, job)}, self.job_inputs(model, task, job)
        return None
