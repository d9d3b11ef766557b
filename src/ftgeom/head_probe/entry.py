"""Paper C's registry entry: preparing the task head (arXiv 2302.05779)."""
from __future__ import annotations

import functools
import os

from ftgeom.entry import StageEntry
from ftgeom.head_probe.checks import check
from ftgeom.head_probe.claim_specs import SPECS
from ftgeom.head_probe.plan import own_recipe, settings_for
from ftgeom.head_probe.workflow import HeadProbeWorkflow
from ftgeom.report.latex import listing


def macro_settings(hp: dict) -> dict:
    """The config of paper C that its section's prose cites (\\ftHeadProbe... macros)."""
    taus = hp["taus"] if isinstance(hp["taus"], dict) else {m: hp["taus"] for m in hp["models"]}
    return {
        "seeds": len(hp["seeds"]),
        "variant seeds": len(hp.get("variant_seeds", hp["seeds"])),
        "taus": "; ".join(f"{m}: {listing(t)}" for m, t in taus.items()),
        "converged epochs": ("; ".join(f"{m}: {e}" for m, e in hp["converged_epochs"].items())
                             if isinstance(hp["converged_epochs"], dict) else hp["converged_epochs"]),
        "label smoothing": hp["label_smoothing"],
        "models": listing(f"{m} ({listing(t)})" for m, t in hp["models"].items()),
        "linear problems": hp["linear_model"]["seeds"],
    }


def shared_run_extras(config: dict, model: str, task: str, method: str, seed: int) -> dict:
    """τ = 0 of paper C is the shared full run of its (model, task) unless the stage has its own fine-tuning rate: it
    tracks the features' drift, each epoch, and on a `weight_geometry` seed records how far its weights moved."""
    hp = config.get("head_probe") or {}
    if method != "full" or task not in hp.get("models", {}).get(model, []):
        return {}
    geometry = hp["weight_geometry"]
    if int(seed) in geometry["seeds"] and not own_recipe(settings_for(hp, model)):
        return {"track_features": True, "weight_geometry": {"k": geometry["k"]}}
    return {"track_features": True}


def run_hooks(spec: dict) -> list:
    from ftgeom.head_probe.runs import run_hooks as hooks

    return hooks(spec)


def run_head(spec: dict) -> dict | None:
    """A run from a probed head (the stage's fine-tuning runs, a selection grid's) starts from the head its spec
    names (`head_probe.heads`: file and key)."""
    start = (spec.get("head_probe") or {}).get("heads")
    if not start:
        return None
    stat = os.stat(start["file"])
    return _heads(start["file"], stat.st_mtime_ns, stat.st_size)[start["key"]]


@functools.lru_cache(maxsize=2)
def _heads(path: str, mtime_ns: int, size: int) -> dict:
    """Every head of one probing job (14 MB for Lite0), read once per fine-tuning job rather than once per run; the
    file's mtime and size in the key, so a rewritten file is read again."""
    import torch

    return torch.load(path, weights_only=True)


ENTRY = StageEntry(
    name="head_probe", letter="C", title="Preparing the task head (arXiv 2302.05779)",
    tables_csv=("runs", "summary"), tables_tex=("summary",), captioned=("summary",),
    check=check, claim_specs=SPECS, workflow=HeadProbeWorkflow, macro_settings=macro_settings,
    shared_run_extras=shared_run_extras, run_hooks=run_hooks, run_head=run_head,
)
