"""Stage `finetune`: one (model, task, method, seed) run, optionally keeping its trajectory.

python -m ftgeom.finetune --spec JSON --data ENCODED_DIR --model MODEL_DIR --out metrics.json --state-dir DIR
                          [--trajectory-out DIR] [--threads N]
"""
from __future__ import annotations

import argparse
import json
import shutil
from dataclasses import fields
from pathlib import Path

from ftgeom import runtime
from ftgeom.provenance import stamp, write_json


def load_classifier(model_dir: Path, info: dict, seed: int):
    """The pretrained encoder with a fresh task head; the head's initialisation depends on the seed only."""
    import torch
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(seed)
    problem = "regression" if info["kind"] == "regression" else "single_label_classification"
    return AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=info["num_labels"],
                                                              problem_type=problem)


def run(spec: dict, data_dir: Path, model_dir: Path, out: Path, state_dir: Path,
        trajectory_out: Path | None = None, progress: bool = True) -> dict:
    from transformers import AutoTokenizer

    from ftgeom.methods import make_method
    from ftgeom.train.data import load_task
    from ftgeom.train.loop import TrainConfig, fit

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    data = load_task(data_dir, tokenizer.pad_token_id)
    cfg = TrainConfig(**{f.name: spec[f.name] for f in fields(TrainConfig) if f.name in spec})
    model = load_classifier(model_dir, data.info, cfg.seed)
    method = make_method(spec["method"])
    points = spec.get("trajectory_points", 0) if trajectory_out else 0
    result = fit(model, method, data, cfg, state_dir, trajectory_points=points, progress=progress)
    recorder = result.pop("recorder")
    provenance = stamp(spec, cfg.seed)
    if recorder:
        meta = recorder.finalize(trajectory_out, provenance)
        result["trajectory"] = {"path": str(trajectory_out), "points": len(meta["steps"])}
    metric = data.info["metric"]
    record = {"task": data.info["task"], "model": spec.get("model"), "method": method.name, "seed": cfg.seed,
              "kind": data.kind, "metric": metric, "test_score": result["final"]["test"][metric],
              **result, "sizes": data.info["sizes"], "spec": spec, "provenance": provenance}
    write_json(out, record)
    shutil.rmtree(state_dir, ignore_errors=True)  # the run is complete: its resume state is no longer needed
    return record


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec", required=True, help="run settings as JSON (see rules/finetune.smk)")
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--state-dir", required=True, type=Path)
    ap.add_argument("--trajectory-out", type=Path)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    spec = json.loads(args.spec)
    runtime.setup(args.threads, spec["seed"])
    rec = run(spec, args.data, args.model, args.out, args.state_dir, args.trajectory_out)
    print(f"{rec['task']} {rec['method']} seed {rec['seed']}: test {rec['metric']} = {rec['test_score']:.4f} "
          f"({rec['timing']['seconds_per_step']:.3f} s/step)")


if __name__ == "__main__":
    main()
