"""Paper C's registry entry: preparing the task head (arXiv 2302.05779)."""
from __future__ import annotations

from ftgeom.entry import PaperEntry
from ftgeom.report.latex import listing


def _check(config: dict) -> None:
    from ftgeom.head_probe.checks import check

    check(config)


def macro_settings(hp: dict) -> dict:
    """The config of paper C that its section's prose cites (\\ftHeadProbe... macros)."""
    taus = hp["taus"] if isinstance(hp["taus"], dict) else {m: hp["taus"] for m in hp["models"]}
    return {
        "seeds": len(hp["seeds"]),
        "variant seeds": len(hp.get("variant_seeds", hp["seeds"])),
        "taus": "; ".join(f"{m}: {listing(t)}" for m, t in taus.items()),
        "converged epochs": ("; ".join(f"{m}: {e}" for m, e in hp["converged_epochs"].items())
                             if isinstance(hp["converged_epochs"], dict) else hp["converged_epochs"]),
        "label smoothing": hp.get("label_smoothing", 0.1),
        "models": listing(f"{m} ({listing(t)})" for m, t in hp["models"].items()),
        "linear problems": hp.get("linear_model", {}).get("seeds", "--"),
    }


def shared_run_spec(config: dict, model: str, task: str, method: str, seed: int) -> dict:
    """τ = 0 of paper C is the shared full run of its (model, task) unless the stage has its own fine-tuning rate: it
    tracks the features' drift, each epoch, and on a `weight_geometry` seed records how far its weights moved."""
    from ftgeom.head_probe.plan import own_recipe, settings_for

    hp = config.get("head_probe") or {}
    if method != "full" or task not in hp.get("models", {}).get(model, []):
        return {}
    geometry = hp.get("weight_geometry") or {}
    if int(seed) in geometry.get("seeds", []) and not own_recipe(settings_for(hp, model)):
        return {"track_features": True, "weight_geometry": {"k": geometry.get("k", 16)}}
    return {"track_features": True}


def run_hooks(spec: dict) -> list:
    from ftgeom.head_probe.runs import run_hooks as hooks

    return hooks(spec)


def run_head(spec: dict) -> dict | None:
    """A selection grid's fine-tuning run starts from the probed head its spec names (`head_probe.heads`)."""
    start = (spec.get("head_probe") or {}).get("heads")
    if not start:
        return None
    import torch

    return torch.load(start["file"], weights_only=True)[start["key"]]


def grid_run(wf, run: str, model: str, task: str, seed: int):
    """Paper C's runs a selection grid varies: `probe`, the base variant's converged head of one task and seed,
    probed with the settings the model's probing job uses (its validation score is the default's probe record's);
    `finetune`, full fine-tuning from that converged head, as the stage's own run of that seed makes it."""
    from ftgeom.head_probe.plan import head_key, probe_settings, run_name, settings_for
    from ftgeom.head_probe.probe import CONVERGED
    from ftgeom.head_probe.runs import probe_run_spec
    from ftgeom.head_probe.workflow import HeadProbeWorkflow

    hp = wf.config.get("head_probe")
    if run not in ("probe", "finetune") or not hp or task not in hp["models"].get(model, []):
        return None
    head = wf.config["models"][model].get("head", "linear")
    settings = probe_settings(settings_for(hp, model), head, wf.FT["batch_size"])["base"]
    spec = {k: v for k, v in settings.items() if k not in ("taus", "seeds", "keep_every_epoch")}
    where = f"{wf.R}/head_probe/{model}/{task}"
    if run == "probe":
        return ({"spec": {**spec, "seed": seed, "model": model, "task": task}, "out": f"{where}/probe.json",
                 "trajectory": None}, [f"{where}/features"])
    base = probe_run_spec(HeadProbeWorkflow(wf).full_spec(model, task, seed), "base", CONVERGED, spec)
    start = {"file": f"{where}/heads.pt", "key": head_key("base", seed, CONVERGED)}
    job = f"{where}/finetune/seed{seed}"
    return ({"spec": {**base, "head_probe": {**base["head_probe"], "heads": start}},
             "out": f"{job}/{run_name('base', CONVERGED)}.json", "producer": job, "trajectory": None},
            [f"{where}/heads.pt", f"{where}/probe.json"])


def claim_specs() -> tuple:
    from ftgeom.head_probe.claim_specs import SPECS

    return SPECS


ENTRY = PaperEntry(
    name="head_probe", letter="C", title="Preparing the task head (arXiv 2302.05779)",
    tables_csv=("runs", "summary"), tables_tex=("summary",), captioned=("summary",),
    check=_check, macro_settings=macro_settings, shared_run_spec=shared_run_spec, run_hooks=run_hooks,
    claim_specs=claim_specs, run_head=run_head,
    grid_run=grid_run,
)
