"""One fine-tuning run: load the task and the model, train with the shared loop, write metrics (and the
trajectory or final weights when asked), then drop the resume state."""
from __future__ import annotations

import shutil
from dataclasses import fields
from pathlib import Path

from ftgeom.provenance import stamp, write_json


def train_config(spec: dict, ops: dict | None = None):
    """TrainConfig from the run's spec (settings that change numbers) and operational settings (that cannot)."""
    from ftgeom.train.loop import TrainConfig
    from ftgeom.train.settings import OPERATIONAL

    ops = ops or {}
    unknown = set(ops) - set(OPERATIONAL)
    if unknown:
        raise ValueError(f"not operational settings: {sorted(unknown)} (operational: {', '.join(OPERATIONAL)})")
    merged = {**spec, **ops}
    return TrainConfig(**{f.name: merged[f.name] for f in fields(TrainConfig) if f.name in merged})


def finetune(spec: dict, data_dir: Path, model_dir: Path, out: Path, state_dir: Path,
             trajectory_out: Path | None = None, ops: dict | None = None, progress: bool = True,
             head_state: dict | None = None, extra: dict | None = None) -> dict:
    """`head_state`: start from this head instead of the seed's fresh one (paper C: a probed head); `extra`:
    more fields for the metrics record."""
    from ftgeom.methods import make_method
    from ftgeom.models import load_task_model, model_info
    from ftgeom.train.data import load_task
    from ftgeom.train.loop import fit

    cfg = train_config(spec, ops)
    data = load_task(data_dir, model_info(model_dir), spec.get("image_size"))
    task_model = load_task_model(model_dir, data.info, cfg.seed, head=spec.get("head", "linear"))
    if head_state is not None:
        task_model.head.load_state_dict(head_state)
    method = make_method(spec["method"])
    points = spec.get("trajectory_points", 0) if trajectory_out else 0
    result = fit(task_model, method, data, cfg, state_dir, trajectory_points=points, progress=progress)
    recorder = result.pop("recorder")
    result.pop("model")
    provenance = stamp(spec, cfg.seed)
    if recorder:
        meta = recorder.finalize(trajectory_out, provenance)
        result["trajectory"] = {"path": str(trajectory_out), "points": len(meta["steps"])}
    metric = data.info["metric"]
    record = {"task": data.info["task"], "model": spec.get("model"), "method": method.name, "seed": cfg.seed,
              "kind": data.kind, "modality": data.modality, "metric": metric,
              "test_score": result["final"]["test"][metric], **result, "sizes": data.info["sizes"],
              "spec": spec, "operational": ops or {}, **(extra or {}), "provenance": provenance}
    write_json(out, record)
    shutil.rmtree(state_dir, ignore_errors=True)  # the run is complete: its resume state is no longer needed
    return record
