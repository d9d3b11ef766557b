"""Load finetune metrics files into tidy pandas frames."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ftgeom.provenance import read_json


def load_runs(paths: list[str | Path]) -> pd.DataFrame:
    """One row per run: model, task, method, seed, headline metric, test/validation scores, cost."""
    rows = []
    for p in paths:
        r = read_json(p)
        rows.append({
            "model": r["model"], "task": r["task"], "method": r["method"], "seed": r["seed"], "metric": r["metric"],
            "test": r["final"]["test"][r["metric"]], "validation": r["final"]["validation"][r["metric"]],
            "trainable_parameters": r["trainable_parameters"], "seconds_per_step": r["timing"]["seconds_per_step"],
            "train_seconds": r["timing"]["train_seconds"], "config_hash": r["provenance"]["config_hash"],
            "git_commit": r["provenance"]["git_commit"],
        })
    if not rows:
        raise ValueError("no runs to summarise")
    return pd.DataFrame(rows)


def load_curves(paths: list[str | Path]) -> pd.DataFrame:
    """One row per (run, epoch): validation headline metric and training loss."""
    rows = []
    for p in paths:
        r = read_json(p)
        for h in r["history"]:
            rows.append({"model": r["model"], "task": r["task"], "method": r["method"], "seed": r["seed"],
                         "epoch": h["epoch"], "train_loss": h["train_loss"],
                         "validation": h["validation"][r["metric"]], "metric": r["metric"]})
    return pd.DataFrame(rows)
