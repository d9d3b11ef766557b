"""Claim rows and their verdicts: one format and one rule for every paper stage (see the generated paper).

An effect is estimated from independent units (seeds, or (task, seed) pairs when it is averaged over tasks); its
95% interval is a percentile bootstrap over those units (10,000 resamples). Verdict: `reproduced` when the whole
interval lies on the claimed side of the threshold; `not reproduced` when it lies wholly on the other side (or,
for an equivalence claim, inside the stated margin); `inconclusive` otherwise, and always with fewer than 3 units.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ftgeom.provenance import atomic_path

COLUMNS = ("claim_id", "claim", "measure", "setting", "effect", "ci_low", "ci_high", "n", "threshold", "direction",
           "published", "verdict")
RESAMPLES = 10_000
MIN_UNITS = 3
LEVEL = 0.95


def bootstrap_ci(values, statistic=np.mean, resamples: int = RESAMPLES, level: float = LEVEL,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of `statistic` over the units in `values` (1-d)."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(values), size=(resamples, len(values)))
    stats = np.apply_along_axis(statistic, 1, values[draws]) if statistic is not np.mean else values[draws].mean(1)
    alpha = (1 - level) / 2
    return float(np.quantile(stats, alpha)), float(np.quantile(stats, 1 - alpha))


def verdict(ci_low: float, ci_high: float, threshold: float, direction: str, n: int) -> str:
    if direction not in ("greater", "less"):
        raise ValueError(f"direction must be 'greater' or 'less', not {direction!r}")
    if n < MIN_UNITS or not np.isfinite(ci_low) or not np.isfinite(ci_high):
        return "inconclusive"
    above, below = ci_low > threshold, ci_high < threshold
    if (direction == "greater" and above) or (direction == "less" and below):
        return "reproduced"
    if (direction == "greater" and below) or (direction == "less" and above):
        return "not reproduced"
    return "inconclusive"


def claim_row(claim_id: str, claim: str, measure: str, setting: str, values, threshold: float = 0.0,
              direction: str = "greater", published: str | float = "") -> dict:
    """One row: the mean of the per-unit `values`, its bootstrap interval and the verdict."""
    values = np.asarray([v for v in values if np.isfinite(v)], dtype=np.float64)
    effect = float(values.mean()) if len(values) else float("nan")
    low, high = bootstrap_ci(values)
    return {"claim_id": claim_id, "claim": claim, "measure": measure, "setting": setting, "effect": effect,
            "ci_low": low, "ci_high": high, "n": len(values), "threshold": threshold, "direction": direction,
            "published": published, "verdict": verdict(low, high, threshold, direction, len(values))}


def write_claims(rows: list[dict], path: str | Path) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")
    return frame
