"""S3, head energy drives weight geometry: across paper C's τ sweep (the base variant of the seed that records
`weight_geometry`), the energy at the start of fine-tuning against how far the encoder weights moved: ‖ΔW‖/‖W0‖, the
top-k rotation 1 − overlap (paper B's stability), that rotation over a same-spectrum null's, and the effective rank of
ΔW, each averaged over the encoder's weight matrices. Unit: (model, task); its value is the Spearman correlation
over its τ grid.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ftgeom.provenance import read_json

MEASURES = {"relative_update": "‖ΔW‖ / ‖W0‖", "rotation": "top-k rotation (1 − overlap)",
            "rotation_vs_null": "rotation / same-spectrum null's", "effective_rank": "effective rank of ΔW"}


def load(records: list[str | Path], runs_table: str | Path | None) -> pd.DataFrame:
    """One row per base-variant run that recorded its weight geometry: model, task, seed, τ, start energy (paper C's
    runs table), the measures. `records`: paper C's fine-tuning jobs (their base-tau*.json) and, where τ = 0 is the
    shared stage's full run, its metrics.json."""
    rows = []
    for path in records:
        path = Path(path)
        for p in sorted(path.glob("base-tau*.json")) if path.is_dir() else [path]:
            rec = read_json(p)
            geometry = rec.get("weight_geometry")
            if not geometry:
                continue
            m = pd.DataFrame(geometry["matrices"])
            rows.append({"model": rec["model"], "task": rec["task"], "seed": int(rec["seed"]),
                         "tau": str((rec["spec"].get("head_probe") or {}).get("tau", 0)),
                         "score": 100 * rec["test_score"],
                         "k": geometry["k"], "matrices": len(m), "relative_update": m["relative_update"].mean(),
                         "rotation": m["rotation"].mean(),
                         "rotation_vs_null": (m["rotation"] / m["null_rotation"]).mean(),
                         "effective_rank": m["effective_rank"].mean()})
    frame = pd.DataFrame(rows)
    if not len(frame):
        return frame
    runs = pd.read_csv(runs_table, dtype={"tau": str})
    energy = runs[runs["variant"] == "base"][["model", "task", "seed", "tau", "energy"]]
    out = frame.merge(energy, on=["model", "task", "seed", "tau"], how="left", validate="one_to_one")
    missing = out[out["energy"].isna()]
    if len(missing):
        r = missing.iloc[0]
        raise ValueError(f"{runs_table}: no start energy for {r['model']}/{r['task']} seed {r['seed']} τ {r['tau']}")
    return out[["model", "task", "seed", "tau", "energy", *[c for c in frame if c not in
                                                            ("model", "task", "seed", "tau")]]]


def spearman(x, y) -> float:
    """Spearman's ρ; NaN when either side is constant (no ranking to correlate)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(stats.spearmanr(x, y).statistic)


def units(runs: pd.DataFrame, measure: str) -> pd.Series:
    """Per (model, task): Spearman over τ of energy against `measure` (seeds, if several record it, averaged per τ
    first)."""
    out = {}
    for (model, task), g in runs.groupby(["model", "task"]):
        per_tau = g.groupby("tau")[["energy", measure]].mean()
        out[(model, task)] = spearman(per_tau["energy"], per_tau[measure])
    return pd.Series(out, dtype=float)
