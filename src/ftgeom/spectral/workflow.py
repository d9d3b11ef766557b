"""Paper B's paths and job members for the rules (rules/spectral.smk binds one `SpectralWorkflow`)."""
from __future__ import annotations

from ftgeom.spectral import plan
from ftgeom.workflow import Workflow


class SpectralWorkflow:
    def __init__(self, wf: Workflow):
        self.wf, self.R, self.config = wf, wf.R, wf.config
        self.section = wf.config.get("spectral")  # the config section (None: this stage does not run)

    def pretrain_spec(self, model: str) -> dict:
        """What a pretrain-source model's job reads: its pretraining settings, the image size and precision."""
        entry = self.config["models"][model]
        return {"init": entry["init"], **entry["pretrain"], "image_size": entry.get("image_size"),
                "precision": entry.get("precision", "fp32")}

    def from_shared_stage(self, model: str, task: str, seed) -> bool:
        """Whether the shared stage's full run of (model, task, seed) keeps its final weights (trajectory or kept)."""
        return (model, task) in self.wf.pairs and (self.wf.is_traced("full", seed) or self.wf.is_kept("full", seed))

    def job_dir(self, model: str, task: str, job: str) -> str:
        return f"{self.R}/spectral/{model}/{task}/{job}"

    def scale_seeds(self, model: str, task: str) -> list[int]:
        """Seeds of a pretraining-scale (model, task) that this stage fine-tunes itself (the shared stage has not)."""
        return [s for m, t, s in plan.scale_runs(self.section)
                if (m, t) == (model, task) and not self.from_shared_stage(m, t, s)]

    def jobs(self) -> list[tuple[str, str, str]]:
        """(model, task, job) of every paper-B fine-tuning job."""
        if not self.section:
            return []
        out = [(m, t, "scale") for m, t, _ in plan.scale_runs(self.section) if self.scale_seeds(m, t)]
        out += [(m, t, "peft") for m, tasks in (self.section.get("peft") or {}).get("models", {}).items() for t in tasks]
        return list(dict.fromkeys(out))

    def group(self, model: str, task: str, job: str) -> list[dict]:
        """The members of one job as runs: the missing full runs of a pretraining-scale pair, or every PEFT
        method's runs (the shared stage's full spec: method and lr replaced)."""
        if job == "scale":
            members = [{"name": f"full-seed{s}", "method": "full", "seed": s, "keep": True}
                       for s in self.scale_seeds(model, task)]
        else:
            members = plan.peft_members(self.section, model, task)

        def spec_of(m: dict) -> dict:
            spec = self.wf.train_spec(model, task, "full", m["seed"], 1 if m["keep"] else None)
            if job == "peft":
                spec.update(method=m["method"], lr=m["lr"], spectral={"run": m["run"]})
                if m["options"]:
                    spec["method_options"] = m["options"]
            return spec

        return self.wf.stage_runs(members, self.job_dir(model, task, job), spec_of)

    def weights(self, model: str, task: str, run: str, seed) -> str:
        """The folder of a run's final weights (a trajectory: its θ0 is the pretrained W0)."""
        if run == "full" and self.from_shared_stage(model, task, seed):
            return self.wf.final_weights_dir(model, task, "full", seed)
        return f"{self.job_dir(model, task, 'scale' if run == 'full' else 'peft')}/{run}-seed{seed}.trajectory"

    def stability_runs(self, model: str, task: str) -> list[dict]:
        return [dict(r, weights=self.weights(model, task, r["run"], r["seed"]))
                for r in plan.analysed(self.section, model, task)]

    def stability_settings(self, task: str) -> dict:
        return plan.stability_settings(self.section, task)

    def stability_inputs(self, model: str, task: str) -> list[str]:
        return self.wf.producers([r["weights"] for r in self.stability_runs(model, task)])

    def stability_dirs(self) -> list[str]:
        return [self.job_dir(m, t, "stability") for m, t in plan.stability_pairs(self.section)] if self.section else []

    def peft_dirs(self) -> list[str]:
        return [self.job_dir(m, t, "peft") for m, t, j in self.jobs() if j == "peft"]

    def pretrained_models(self) -> list[str]:
        """Model folders of the pretraining-scale groups that were pretrained in the workflow (their records)."""
        models = [m for g in (self.section or {}).get("scale", []) for m in g["models"] if m in self.wf.pretrained_here]
        return [f"{self.R}/models/{m}" for m in dict.fromkeys(models)]

    def peft_baselines(self) -> list[str]:
        """The shared stage's full and frozen runs of the PEFT table's pairs."""
        peft = (self.section or {}).get("peft") or {}
        return [self.wf.metrics_path(m, t, me, s) for m, tasks in peft.get("models", {}).items() for t in tasks
                for me in ("full", "frozen") for s in peft["seeds"] if s in self.wf.FT["seeds"]]

    def grid_run(self, run: str, model: str, task: str, seed: int):
        """A PEFT table run (`spectral`, `lora`, ... or a spectral variant) of one task and seed that a selection
        grid varies, as its job makes it; None when no job makes it."""
        if not self.section:
            return None
        for r in self.group(model, task, "peft"):
            if r["name"] == f"{run}-seed{seed}":
                return {**r, "producer": self.job_dir(model, task, "peft")}, []
        return None
