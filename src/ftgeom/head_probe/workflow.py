"""Paper C's paths and run lists for the rules (rules/head_probe.smk binds one `HeadProbeWorkflow`)."""
from __future__ import annotations

from ftgeom.head_probe.plan import (CONVERGED, finetune_runs, head_key, own_recipe, probe_settings, run_name,
                                   settings_for)
from ftgeom.workflow import Workflow


class HeadProbeWorkflow:
    def __init__(self, wf: Workflow):
        self.wf, self.R = wf, wf.R
        self.section = wf.config.get("head_probe")  # the config section (None: this stage does not run)

    def pairs(self) -> list[tuple[str, str]]:
        return [(m, t) for m, tasks in (self.section or {}).get("models", {}).items() for t in tasks]

    def settings(self, model: str) -> dict:
        return settings_for(self.section, model)

    def probe_settings(self, model: str) -> dict:
        """What the probing job reads: the model's settings without the fine-tuning rate (it cannot change a probe)."""
        return {k: v for k, v in self.settings(model).items() if k != "finetune_lr"}

    def full_spec(self, model: str, task: str, seed) -> dict:
        """The full fine-tuning spec the probed-head runs of (model, task, seed) share: the shared stage's, at this
        stage's own learning rate when `finetune_lr` sets one."""
        spec = self.wf.train_spec(model, task, "full", seed)
        lr = self.settings(model)["finetune_lr"]
        return spec if lr is None else {**spec, "lr": lr}

    def image_size_arg(self, model: str, task: str) -> str:
        """--image-size of the (model, task)'s fine-tuning runs, for the cached features (image tasks only)."""
        spec = self.full_spec(model, task, 0)
        return f"--image-size {spec['image_size']}" if "image_size" in spec else ""

    def linear_model_file(self) -> str:
        """Our linear-model simulation (rule head_probe_linear_model)."""
        return f"{self.R}/head_probe/linear_model.csv"

    def features_dir(self, model: str, task: str) -> str:
        return f"{self.R}/head_probe/{model}/{task}/features"

    def probe_file(self, model: str, task: str) -> str:
        return f"{self.R}/head_probe/{model}/{task}/probe.json"

    def heads_file(self, model: str, task: str) -> str:
        return f"{self.R}/head_probe/{model}/{task}/heads.pt"

    def variant_probe(self, model: str, variant: str) -> dict:
        """The settings a variant's head was probed with (the early head is the base probe's), as its probe record
        keeps them: part of every run's spec that starts from such a head."""
        head = self.wf.config["models"][model]["head"]
        source = "base" if variant == "early" else variant
        settings = probe_settings(self.settings(model), head, self.wf.FT["batch_size"])[source]
        return {k: v for k, v in settings.items() if k not in ("taus", "seeds", "keep_every_epoch")}

    def run_spec(self, model: str, task: str, seed, variant: str, tau) -> dict:
        """One fine-tuning run from a probed head: full_spec with the head it starts from (heads.pt and its key),
        the variant, τ and the probing settings; the base variant of a `weight_geometry` seed also records how far
        the weights moved."""
        spec = self.full_spec(model, task, seed)
        spec.update(head="mlp" if variant == "mlp" else spec["head"], track_features=True,
                    head_probe={"variant": variant, "tau": tau, "probe": self.variant_probe(model, variant),
                                "heads": {"file": self.heads_file(model, task),
                                          "key": head_key(variant, int(seed), tau)}})
        if variant == "base" and int(seed) in self.geometry_seeds():
            spec["weight_geometry"] = {"k": self.section["weight_geometry"]["k"]}
        return spec

    def group(self, model: str, task: str, seed) -> list[dict]:
        """The runs of one fine-tuning job: every (variant, τ) of one seed (as ftgeom.stages.finetune takes them)."""
        members = [{"name": run_name(v, t), "variant": v, "tau": t}
                   for v, t in finetune_runs(self.settings(model), int(seed))]
        return self.wf.stage_runs(members, self.finetune_dir(model, task, seed),
                                  lambda m: self.run_spec(model, task, seed, m["variant"], m["tau"]))

    def probes(self) -> list[str]:
        return [self.probe_file(m, t) for m, t in self.pairs()]

    def finetune_dir(self, model: str, task: str, seed) -> str:
        return f"{self.R}/head_probe/{model}/{task}/finetune/seed{seed}"

    def finetune_dirs(self, seeds: list | None = None) -> list[str]:
        """The fine-tuning jobs of every pair, for `seeds` (default: every seed of the stage)."""
        if not self.section:
            return []
        return [self.finetune_dir(m, t, s) for m, t in self.pairs() for s in self.section["seeds"]
                if seeds is None or s in seeds]

    def geometry_seeds(self) -> list:
        """The stage's seeds whose base τ sweep records weight geometry (`head_probe.weight_geometry.seeds`)."""
        if not self.section:
            return []
        return [s for s in self.section["weight_geometry"]["seeds"] if s in self.section["seeds"]]

    def starts(self, seeds: list | None = None) -> list[str]:
        """τ = 0 where it is the shared stage's full run (no `finetune_lr` of the model's own): every pair, for `seeds`
        (default: every seed of the stage)."""
        if not self.section:
            return []
        return [self.wf.metrics_path(m, t, "full", s) for m, t in self.pairs() for s in self.section["seeds"]
                if (seeds is None or s in seeds) and not own_recipe(self.settings(m))]

    def taus(self) -> dict[str, list[str]]:
        """Each model's τ grid (the results stage reads each model's trend over its own grid)."""
        return {m: [str(t) for t in self.settings(m)["taus"]] for m in self.section["models"]}

    def grid_run(self, run: str, model: str, task: str, seed: int):
        """The run a selection grid varies (ftgeom.selection): `probe`, the base variant's converged head of one
        task and seed, probed with the settings the model's probing job uses (its validation score is the probe
        record's); `finetune`, full fine-tuning from that converged head, as the stage's own job of that seed makes
        it. None when this stage makes no such run."""
        if run not in ("probe", "finetune") or not self.section or (model, task) not in self.pairs():
            return None
        if run == "probe":
            spec = {**self.variant_probe(model, "base"), "seed": seed, "model": model, "task": task}
            return ({"spec": spec, "out": self.probe_file(model, task), "trajectory": None},
                    [self.features_dir(model, task)])
        name = run_name("base", CONVERGED)
        found = next((r for r in self.group(model, task, seed) if r["name"] == name), None)
        if found is None:
            return None
        return {**found, "producer": self.finetune_dir(model, task, seed)}, [self.heads_file(model, task)]
