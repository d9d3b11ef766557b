"""The head-probe stage's probing job (every seed and variant of one (model, task), on cached features), where a
fine-tuning run's start energy is read from, and the hooks of its fine-tuning runs (which are the shared stage's:
ftgeom.stages.finetune, from the probed head each spec names)."""
from __future__ import annotations

from pathlib import Path

import torch

from ftgeom.head_probe.plan import head_key, probe_settings
from ftgeom.provenance import atomic_path, read_json, stamp, write_json


def probe_all(cache_dir: Path, model_info: dict, hp: dict, model: str, head: str, batch_size: int,
              heads_out: Path, record_out: Path) -> dict:
    """Probe every variant and seed of one (model, task); `hp` is `plan.settings_for(config, model)`."""
    from ftgeom.head_probe.probe import probe_heads

    heads, records = {}, []
    for variant, settings in probe_settings(hp, head, batch_size).items():
        keep = settings.pop("keep_every_epoch", False)
        taus, seeds = settings.pop("taus"), settings.pop("seeds")
        for seed in seeds:
            found, record = probe_heads(cache_dir, model_info, seed, settings, taus, keep_every_epoch=keep)
            heads.update({head_key(variant, seed, t): h for t, h in found.items()})
            records.append({"variant": variant, **record})
            print(f"probed {variant} seed {seed}: energy " + ", ".join(
                f"τ={t} {e['energy']:.3f}" for t, e in record["energy"].items()), flush=True)
    with atomic_path(heads_out) as tmp:
        torch.save(heads, tmp)
    out = {"model": model, "task": read_json(Path(cache_dir) / "features.json")["task"]["task"], "probes": records,
           "provenance": stamp({"head_probe": hp, "head": head, "batch_size": batch_size})}
    write_json(record_out, out)
    return out


def probe_energy(probe_record: dict, variant: str, seed: int, tau) -> dict:
    """The start of a fine-tuning run from a probed head: the head's energy, loss and accuracy (the early head's also
    its epoch), from the probing job's record."""
    source = "base" if variant == "early" else variant
    for r in probe_record["probes"]:
        if r["variant"] == source and r["seed"] == seed:
            out = dict(r["energy"][str(tau)])
            if variant == "early":
                out["tau_epochs"] = r["early_stop_epoch"]
            return out
    raise KeyError(f"no probe for {variant} seed {seed}")


def run_hooks(spec: dict) -> list:
    """The hooks of a paper-C run: feature drift always (when tracked), weight geometry when its spec asks."""
    from ftgeom.head_probe.feature_drift import FeatureDrift
    from ftgeom.head_probe.weight_geometry import WeightGeometry

    hooks = [FeatureDrift()] if spec.get("track_features") else []
    if spec.get("weight_geometry"):
        hooks.append(WeightGeometry(spec["weight_geometry"]["k"], spec["seed"]))
    return hooks
