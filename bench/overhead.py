"""Benchmark `overhead`: where the wall time of a default MiniLM fine-tuning run goes, and its cost end to end.

    python bench/overhead.py [--task tweet-sentiment] [--seeds 1 2 3] [--reference 352c83e | --reference none]

Side by side in one invocation, the same runs (full fine-tuning of one default text task, 32 steps, 1 thread):
  reference         the stage as it was at --reference (a git worktree of that commit): one process per run
  per_process_glibc today's stage, one process per run, glibc malloc (FTGEOM_MALLOC=system)
  per_process       today's stage, one process per run, tcmalloc
  one_job           today's stage, every seed in one process, tcmalloc: what rule finetune runs
For each: core-seconds and wall seconds per run (CPU of the processes / runs) and, from the runs' own metrics,
seconds per phase (start: interpreter + torch; imports; load; train: the optimiser steps; eval; checkpoint) and the
share of the wall time spent in training steps. Plus each package's import time in a fresh interpreter. Every
variant must give the same metrics to the last digit (`same_numbers`).
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import DATA, MODEL, REPO, need, report, timed

PACKAGES = ["torch", "transformers.models.bert.modeling_bert", "datasets", "sklearn.metrics", "scipy.stats",
            "timm", "pandas", "ftgeom.train.loop"]


def import_seconds() -> dict[str, float]:
    out = {"interpreter": round(timed([sys.executable, "-c", "pass"])["wall"], 3)}
    for pkg in PACKAGES:
        code = f"import time; t = time.perf_counter(); import {pkg}; print(time.perf_counter() - t)"
        out[pkg] = round(float(timed([sys.executable, "-c", code])["stdout"].split()[-1]), 3)
    return out


def spec_for(task: str, seed: int) -> dict:
    """The default config's spec of this run (the workflow computes the same one: rules/common.smk train_spec)."""
    return {"batch_size": 32, "epochs": 2, "eval_batch_size": 64, "head": "linear", "length_buckets": True,
            "lr": 3.0e-4, "max_grad_norm": 1.0, "method": "full", "model": "minilm", "precision": "auto",
            "seed": seed, "task": task, "warmup_ratio": 0.06, "weight_decay": 0.01}


def run_variant(name: str, task: str, seeds: list[int], tmp: Path, src: Path | None = None) -> dict:
    ops = json.dumps({"checkpoint_every": 50, "device": "auto"})
    common = ["--data", str(DATA / task), "--model", str(MODEL), "--threads", "1", "--ops", ops]
    out = tmp / name
    extra = {"PYTHONPATH": str(src)} if src else {}
    if name == "per_process_glibc":
        extra["FTGEOM_MALLOC"] = "system"
    if name == "reference":   # that commit's command line: one run per process, --spec/--out
        cmds = [[sys.executable, "-m", "ftgeom.stages.finetune", "--spec",
                 json.dumps({k: v for k, v in spec_for(task, s).items() if k != "eval_batch_size"}),
                 "--out", str(out / f"seed{s}" / "metrics.json"), "--state-dir", str(out / "state" / f"seed{s}"),
                 *common[:-2]] for s in seeds]
    else:
        runs = [{"spec": spec_for(task, s), "out": str(out / f"seed{s}" / "metrics.json"), "trajectory": None}
                for s in seeds]
        stage = [sys.executable, "-m", "ftgeom.stages.finetune", "--state-dir", str(out / "state"), *common]
        cmds = [stage + ["--runs", json.dumps(runs)]] if name == "one_job" else \
            [stage + ["--runs", json.dumps([r])] for r in runs]
    wall = cpu = 0.0
    for cmd in cmds:
        t = timed(cmd, **extra)
        wall, cpu = wall + t["wall"], cpu + t["cpu"]
    recs = [json.loads((out / f"seed{s}" / "metrics.json").read_text()) for s in seeds]
    phases: dict[str, float] = {}
    for rec in recs:
        for k, v in rec["timing"].get("phases", {}).items():
            phases[k] = phases.get(k, 0.0) + v / len(recs)
    train = sum(r["timing"]["train_seconds"] for r in recs)
    return {"runs": len(recs), "core_seconds_per_run": round(cpu / len(recs), 2),
            "wall_per_run": round(wall / len(recs), 2), "train_share": round(train / wall, 3),
            "phases_per_run": {k: round(v, 2) for k, v in phases.items()},
            "train_seconds_by_run": [round(r["timing"]["train_seconds"], 2) for r in recs],
            "finals": [r["final"] for r in recs]}


def reference_tree(rev: str, tmp: Path) -> Path | None:
    if rev == "none" or shutil.which("git") is None:
        return None
    tree = tmp / "reference"
    proc = subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), rev],
                          capture_output=True, text=True)
    if proc.returncode:
        print(f"bench: no reference ({rev}): {proc.stderr.strip()}", file=sys.stderr)
        return None
    return tree


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", default="tweet-sentiment")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--reference", default="352c83e", help="the commit to compare with (before issue 11), or none")
    a = ap.parse_args()
    need(DATA / a.task, MODEL)
    imports = import_seconds()
    with tempfile.TemporaryDirectory(prefix="ftgeom-bench-") as tmp_name:
        tmp = Path(tmp_name)
        tree = reference_tree(a.reference, tmp)
        variants = {}
        try:
            if tree is not None:
                variants["reference"] = run_variant("reference", a.task, a.seeds, tmp, tree / "src")
        finally:
            if tree is not None:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False)
        for name in ("per_process_glibc", "per_process", "one_job"):
            variants[name] = run_variant(name, a.task, a.seeds, tmp)
    finals = [v.pop("finals") for v in variants.values()]
    base = variants.get("reference", variants["per_process_glibc"])["core_seconds_per_run"]
    ratios = {f"{name}_vs_{'reference' if 'reference' in variants else 'per_process_glibc'}":
              round(v["core_seconds_per_run"] / base, 3) for name, v in variants.items()}
    ratios["tcmalloc_vs_glibc"] = round(variants["per_process"]["core_seconds_per_run"]
                                        / variants["per_process_glibc"]["core_seconds_per_run"], 3)
    ratios["one_job_vs_per_process"] = round(variants["one_job"]["core_seconds_per_run"]
                                             / variants["per_process"]["core_seconds_per_run"], 3)
    report("overhead", {"task": a.task, "seeds": a.seeds, "reference": a.reference,
                        "same_numbers": all(f == finals[0] for f in finals), "ratios": ratios,
                        "variants": variants, "import_seconds": imports})


if __name__ == "__main__":
    main()
