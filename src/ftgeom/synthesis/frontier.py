"""S1, one efficiency frontier: test score against trainable encoder-layer parameters for every method papers A and B
train on the same (model, task): Freeze, Full (the shared stage's runs), paper A's random and intrinsic subspaces
(every d), paper B's spectral coefficients, LoRA, VeRA and BitFit. Every run already exists; none is added.

The x axis counts parameters trained inside the encoder layers, where the methods differ. Besides them, paper A's
methods (and Freeze, Full) train the embeddings and the head, paper B's PEFT methods the head only: the frontier
states it, and the claim row's measure says so.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ftgeom.provenance import read_json

# the frontier's methods in plotting order; labels as the paper prints them
ORDER = ["frozen", "intrinsic", "random", "spectral", "spectral-diag-topk", "spectral-diag-all", "lora", "vera",
         "bitfit", "full"]
LABELS = {"frozen": "Freeze", "full": "Full", "intrinsic": "intrinsic", "random": "random subspace",
          "spectral": "spectral (block)", "spectral-diag-topk": "spectral (diag, top k)",
          "spectral-diag-all": "spectral (diag, all)", "lora": "LoRA", "vera": "VeRA", "bitfit": "BitFit"}


def _encoder_parameters(rec: dict, frozen_trainable: int) -> int:
    if "backbone_trainable" in rec:          # paper B's PEFT runs count their backbone part
        return int(rec["backbone_trainable"])
    if rec.get("coordinates"):               # paper A's subspace runs: d coordinates per layer
        return sum(len(v) for v in rec["coordinates"].values())
    return int(rec["trainable_parameters"]) - frozen_trainable  # Full: all encoder layers; Freeze: 0


def _run(rec: dict) -> str:
    return (rec["spec"].get("spectral") or {}).get("run", rec["method"])


def load(records: list[str | Path]) -> pd.DataFrame:
    """One row per run: model, task, method, d (subspace runs), seed, encoder parameters, score (x100)."""
    recs = [read_json(p) for p in records]
    frozen = {(r["model"], r["task"]): int(r["trainable_parameters"]) for r in recs if r["method"] == "frozen"}
    rows = []
    for r in recs:
        key = (r["model"], r["task"])
        if key not in frozen:
            raise ValueError(f"the frontier of {key[0]}/{key[1]} has no Freeze run to count encoder parameters from")
        d = len(next(iter(r["coordinates"].values()))) if r.get("coordinates") else None
        rows.append({"model": r["model"], "task": r["task"], "method": _run(r), "d": d, "seed": int(r["seed"]),
                     "parameters": _encoder_parameters(r, frozen[key]), "score": 100 * float(r["test_score"]),
                     "metric": r["metric"]})
    return pd.DataFrame(rows)


def label(method: str, d) -> str:
    return f"{LABELS.get(method, method)} d={int(d)}" if pd.notna(d) else LABELS.get(method, method)


def table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (model, task, method, d): encoder parameters, mean score over seeds, its t interval (NaN for one seed)."""
    out = []
    for (model, task, method, d), g in runs.groupby(["model", "task", "method", "d"], dropna=False, sort=False):
        s = g["score"].to_numpy()
        half = stats.t.ppf(0.975, len(s) - 1) * s.std(ddof=1) / np.sqrt(len(s)) if len(s) > 1 else np.nan
        out.append({"model": model, "task": task, "method": method, "d": d, "label": label(method, d),
                    "parameters": int(g["parameters"].iloc[0]), "seeds": len(s), "score": s.mean(),
                    "ci_low": s.mean() - half, "ci_high": s.mean() + half})
    frame = pd.DataFrame(out)
    rank = {m: i for i, m in enumerate(ORDER)}
    return frame.assign(_o=frame["method"].map(lambda m: rank.get(m, len(rank)))).sort_values(
        ["model", "task", "_o", "d"]).drop(columns="_o").reset_index(drop=True)


def units(runs: pd.DataFrame, d: int) -> pd.Series:
    """S1's unit values: per (model, task), intrinsic at d (mean over its seeds) − spectral (block; mean over its
    seeds), on the tasks that have both."""
    out = {}
    for (model, task), g in runs.groupby(["model", "task"]):
        intrinsic = g[(g["method"] == "intrinsic") & (g["d"] == d)]
        spectral = g[g["method"] == "spectral"]
        if len(intrinsic) and len(spectral):
            out[(model, task)] = intrinsic["score"].mean() - spectral["score"].mean()
    return pd.Series(out, dtype=float)
