"""Paper C's paths and run lists for the rules (rules/head_probe.smk binds one `HeadProbeWorkflow`)."""
from __future__ import annotations

from ftgeom.head_probe.plan import finetune_runs, own_recipe, settings_for
from ftgeom.workflow import Workflow


class HeadProbeWorkflow:
    def __init__(self, wf: Workflow):
        self.wf, self.R = wf, wf.R
        self.hp = wf.config.get("head_probe")  # the config section (None: this stage does not run)

    def pairs(self) -> list[tuple[str, str]]:
        return [(m, t) for m, tasks in (self.hp or {}).get("models", {}).items() for t in tasks]

    def settings(self, model: str) -> dict:
        return settings_for(self.hp, model)

    def probe_settings(self, model: str) -> dict:
        """What the probing job reads: the model's settings without the fine-tuning rate (it cannot change a probe)."""
        return {k: v for k, v in self.settings(model).items() if k != "finetune_lr"}

    def full_spec(self, model: str, task: str, seed) -> dict:
        """The full fine-tuning spec the probed-head runs of (model, task, seed) share: the foundation's, at this
        stage's own learning rate when `finetune_lr` sets one."""
        spec = self.wf.train_spec(model, task, "full", seed)
        lr = self.settings(model)["finetune_lr"]
        return spec if lr is None else {**spec, "lr": lr}

    def job_spec(self, model: str, task: str, seed) -> dict:
        """What a fine-tuning job of one seed reads: full_spec, and `weight_geometry` ({k}) when the seed is one of
        `head_probe.weight_geometry.seeds` (its base τ sweep then records how far the weights moved)."""
        geometry = self.hp.get("weight_geometry") or {}
        spec = self.full_spec(model, task, seed)
        return {**spec, "weight_geometry": {"k": geometry["k"]}} if int(seed) in geometry.get("seeds", []) else spec

    def image_size_arg(self, model: str, task: str) -> str:
        """--image-size of the (model, task)'s fine-tuning runs, for the cached features (image tasks only)."""
        spec = self.full_spec(model, task, 0)
        return f"--image-size {spec['image_size']}" if "image_size" in spec else ""

    def finetune_runs(self, model: str, seed) -> list:
        return finetune_runs(self.settings(model), int(seed))

    def probes(self) -> list[str]:
        return [f"{self.R}/head_probe/{m}/{t}/probe.json" for m, t in self.pairs()]

    def finetune_dir(self, model: str, task: str, seed) -> str:
        return f"{self.R}/head_probe/{model}/{task}/finetune/seed{seed}"

    def finetune_dirs(self, seeds: list | None = None) -> list[str]:
        """The fine-tuning jobs of every pair, for `seeds` (default: every seed of the stage)."""
        if not self.hp:
            return []
        return [self.finetune_dir(m, t, s) for m, t in self.pairs() for s in self.hp["seeds"]
                if seeds is None or s in seeds]

    def geometry_seeds(self) -> list:
        """The stage's seeds whose base τ sweep records weight geometry (`head_probe.weight_geometry.seeds`)."""
        return [s for s in ((self.hp or {}).get("weight_geometry") or {}).get("seeds", []) if s in self.hp["seeds"]]

    def starts(self, seeds: list | None = None) -> list[str]:
        """τ = 0 where it is the foundation's full run (no `finetune_lr` of the model's own): every pair, for `seeds`
        (default: every seed of the stage)."""
        if not self.hp:
            return []
        return [self.wf.metrics_path(m, t, "full", s) for m, t in self.pairs() for s in self.hp["seeds"]
                if (seeds is None or s in seeds) and not own_recipe(self.settings(m))]

    def taus(self) -> dict[str, list[str]]:
        """Each model's τ grid (the results stage reads each model's trend over its own grid)."""
        return {m: [str(t) for t in self.settings(m)["taus"]] for m in self.hp["models"]}
