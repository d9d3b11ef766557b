"""The head-probe stage's jobs: probe every seed and variant of one (model, task) on cached features; fine-tune
from every probed head of one seed with the shared loop (the runs of a seed share one job, which saves the ~10 s
of imports per run; each run still has its own metrics file, resume state and seed)."""
from __future__ import annotations

from pathlib import Path

import torch

from ftgeom.head_probe.plan import head_key, probe_settings, run_name
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
    source = "base" if variant == "early" else variant
    for r in probe_record["probes"]:
        if r["variant"] == source and r["seed"] == seed:
            out = dict(r["energy"][str(tau)])
            if variant == "early":
                out["tau_epochs"] = r["early_stop_epoch"]
            return out
    raise KeyError(f"no probe for {variant} seed {seed}")


def probe_run_spec(base_spec: dict, variant: str, tau, probe_settings: dict) -> dict:
    """The spec of the fine-tuning run from one probed head (the probing settings it started from are part of it)."""
    head = "mlp" if variant == "mlp" else base_spec.get("head", "linear")
    return {**base_spec, "head": head, "track_features": True,
            "head_probe": {"variant": variant, "tau": tau, "probe": probe_settings}}


def finetune_from_heads(base_spec: dict, runs: list[tuple[str, object]], heads_file: Path, probe_file: Path,
                        data_dir: Path, model_dir: Path, out_dir: Path, state_root: Path, ops: dict) -> list[dict]:
    """Fine-tune (full, the foundation's recipe, feature drift tracked) from each (variant, τ) head of one seed.

    A finished run's record is kept under state_root until the whole job is done, so a killed job resumes after
    its last finished run (and inside the unfinished one, from its checkpoint)."""
    from ftgeom.train.hooks import Extensions
    from ftgeom.train.run import earlier_record, finetune

    heads = torch.load(heads_file, weights_only=True)
    probe_record = read_json(probe_file)
    seed = base_spec["seed"]
    geometry = base_spec.pop("weight_geometry", None)  # the base variant's τ sweep records it (head_probe.weight_geometry)
    records = []
    for variant, tau in runs:
        name = run_name(variant, tau)
        settings = next(r["settings"] for r in probe_record["probes"]
                        if r["variant"] == ("base" if variant == "early" else variant))
        spec = probe_run_spec(base_spec, variant, tau, settings)
        if geometry and variant == "base":
            spec["weight_geometry"] = geometry
        done = state_root / f"{name}.json"
        record = earlier_record(done, spec)
        if record is None:
            extra = {"head_probe": {"variant": variant, "tau": tau,
                                    "start": probe_energy(probe_record, variant, seed, tau)}}
            record = finetune(spec, data_dir, model_dir, done, state_root / name, ops=ops,
                              head_state=heads[head_key(variant, seed, tau)], extra=extra,
                              extensions=Extensions(hooks=run_hooks))
        write_json(out_dir / f"{name}.json", record)
        print(f"{name} seed {seed}: energy {record['head_probe']['start']['energy']:.3f} "
              f"test {record['metric']} {record['test_score']:.4f}", flush=True)
        records.append(record)
    return records


def run_hooks(spec: dict) -> list:
    """The hooks of a paper-C run: feature drift always (when tracked), weight geometry when its spec asks."""
    from ftgeom.head_probe.feature_drift import FeatureDrift
    from ftgeom.head_probe.weight_geometry import WeightGeometry

    hooks = [FeatureDrift()] if spec.get("track_features") else []
    if spec.get("weight_geometry"):
        hooks.append(WeightGeometry(spec["weight_geometry"]["k"], spec["seed"]))
    return hooks
