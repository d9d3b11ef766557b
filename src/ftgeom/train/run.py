"""One fine-tuning run: load the task and the model, train with the shared loop, write metrics (and the
trajectory or final weights when asked), then drop the resume state."""
from __future__ import annotations

import shutil
from dataclasses import fields
from pathlib import Path

from ftgeom.provenance import read_json, stamp, write_json


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
             extensions=None) -> dict:
    """`extensions` (ftgeom.train.hooks.Extensions): what the stages above this layer add for this spec (hooks,
    method inputs, a head to start from instead of the seed's fresh one). The record's timing.phases says where the wall time went: `start` (the
    process up to this call: interpreter, torch; 0 for later runs of a process), `imports`, `load`, `train`,
    `eval`, `checkpoint`, `trajectory`; timing.wall is the run's share of its process."""
    from ftgeom.train.timing import Phases, close_run, run_clock

    phases = Phases(start=run_clock())
    with phases("imports"):
        from ftgeom.methods import make_method
        from ftgeom.models import load_task_model, model_info
        from ftgeom.train.data import load_task
        from ftgeom.train.hooks import Extensions
        from ftgeom.train.loop import fit

    extensions = extensions or Extensions()
    cfg = train_config(spec, ops)
    with phases("load"):
        data = load_task(data_dir, model_info(model_dir), spec.get("image_size"))
        task_model = load_task_model(model_dir, data.info, cfg.seed, head=spec.get("head", "linear"))
        head_state = extensions.head_state(spec)
        if head_state is not None:
            task_model.head.load_state_dict(head_state)
        inputs = extensions.method_inputs(spec)
    method = make_method(spec["method"], seed=cfg.seed, **spec.get("method_options", {}), **inputs)
    points = spec.get("trajectory_points", 0) if trajectory_out else 0
    result = fit(task_model, method, data, cfg, state_dir, trajectory_points=points, progress=progress, phases=phases,
                 hooks=extensions.hooks(spec))
    recorder = result.pop("recorder")
    result.pop("model")
    provenance = stamp(spec, cfg.seed)
    if recorder:
        with phases("trajectory"):
            meta = recorder.finalize(trajectory_out, provenance)
        result["trajectory"] = {"path": str(trajectory_out), "points": len(meta["steps"])}
    result["timing"]["phases"] = phases.as_dict()
    result["timing"]["wall"] = round(close_run(), 4)
    metric = data.info["metric"]
    record = {"task": data.info["task"], "model": spec.get("model"), "method": method.name, "seed": cfg.seed,
              "kind": data.kind, "modality": data.modality, "metric": metric,
              "test_score": result["final"]["test"][metric], **result, "sizes": data.info["sizes"],
              "spec": spec, "operational": ops or {}, "provenance": provenance}
    write_json(out, record)
    shutil.rmtree(state_dir, ignore_errors=True)  # the run is complete: its resume state is no longer needed
    return record


def earlier_record(done: Path, spec: dict) -> dict | None:
    """The record an earlier attempt of a job of several runs left for this run, if it ran these very settings."""
    if not Path(done).exists():
        return None
    record = read_json(done)
    return record if record["spec"] == spec else None


def finetune_runs(runs: list[dict], data_dir: Path, model_dir: Path, state_root: Path, ops: dict | None = None,
                  progress: bool = True, extensions=None) -> list[dict]:
    """Several runs on one (model, task) in one process: the imports and the interpreter are paid once.

    runs: [{"spec", "out" (metrics.json), "trajectory" (folder or None), "name" (optional, default seed<N>: unique
    within the job)}]. Each run has its own seed (every RNG is re-seeded from it, so a run's numbers do not depend
    on the runs before it), resume state (state_root/<name>) and outputs. A finished run's record and trajectory
    wait under state_root until every run of the job is done, then move into place: a killed job resumes after
    its last finished run, and a failed one leaves no partial outputs."""
    from ftgeom import runtime

    state_root = Path(state_root)
    records, waiting = [], []
    for run in runs:
        spec = run["spec"]
        name = run.get("name") or f"seed{spec['seed']}"
        trajectory = state_root / f"{name}.trajectory" if run.get("trajectory") else None
        record = earlier_record(state_root / f"{name}.json", spec)
        if record is not None and (trajectory is None or trajectory.exists()):
            print(f"{name}: finished by an earlier attempt of this job", flush=True)
        else:
            runtime.seed_everything(spec["seed"])
            record = finetune(spec, data_dir, model_dir, state_root / f"{name}.json", state_root / name, trajectory,
                              ops, progress, extensions=extensions)
        records.append(record)
        waiting.append(trajectory)
    for run, record, trajectory in zip(runs, records, waiting):
        if trajectory is not None:
            target = Path(run["trajectory"])
            shutil.rmtree(target, ignore_errors=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            trajectory.rename(target)
            record["trajectory"]["path"] = str(target)
        write_json(Path(run["out"]), record)
    shutil.rmtree(state_root, ignore_errors=True)  # every run is complete: no resume state is needed any more
    return records
