"""The synthesis's claim rows S1-S5 and the tables behind them, from what the stages measured."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ftgeom.claims import MIN_UNITS, claim_row, verdict
from ftgeom.claims.spec import ClaimSpec
from ftgeom.synthesis import frontier, geometry, transfer


def _setting(config: str, model_tasks) -> str:
    by_model: dict[str, list[str]] = {}
    for model, task in model_tasks:
        by_model.setdefault(model, []).append(task)
    where = "; ".join(f"{m} on {', '.join(sorted(t))}" for m, t in sorted(by_model.items()))
    return f"{where or 'no unit has data'} ({config})"


def _row(spec: ClaimSpec, config: str, units: pd.Series) -> dict:
    return claim_row(spec, _setting(config, units.index), units)


def block_units(measures: pd.DataFrame) -> pd.Series:
    """S2 per (model, task): mean over matrices of top-direction share − whole-update share."""
    diff = measures.assign(diff=measures["top_direction"] - measures["update"])
    return diff.groupby(["model", "task"])["diff"].mean()


def block_table(measures: pd.DataFrame) -> pd.DataFrame:
    cols = ["top_direction", "top_directions", "update", "random"]
    return measures.groupby(["model", "task", "layer"], as_index=False)[cols].mean()


def outlier_table(measures: pd.DataFrame) -> pd.DataFrame:
    """Per (model, task, layer): outliers, the fractions among the largest |W0| and |rank-k| entries, chance; `_perp`:
    the same for the outliers of the update less its component along θ0."""
    m = measures.dropna(subset=["outliers"])
    parts = []
    for tag in ("", "_perp"):
        m = m.assign(**{f"expected{tag}": m[f"chance{tag}"] * m[f"outliers{tag}"]})
        parts += [f"outliers{tag}", f"hits_w0{tag}", f"hits_low_rank{tag}", f"expected{tag}"]
    g = m.groupby(["model", "task", "layer"], as_index=False)[parts].sum()
    out = g[["model", "task", "layer"]].copy()
    for tag in ("", "_perp"):
        total = g[f"outliers{tag}"].where(g[f"outliers{tag}"] > 0)
        out[f"outliers{tag}"] = g[f"outliers{tag}"]
        out[f"w0{tag}"] = g[f"hits_w0{tag}"] / total
        out[f"low_rank{tag}"] = g[f"hits_low_rank{tag}"] / total
        out[f"chance{tag}"] = g[f"expected{tag}"] / total
    return out


def outlier_units(measures: pd.DataFrame, hits: str, tag: str = "") -> pd.Series:
    """S4 per (model, task), pooled over matrices: Σ hits / Σ N − Σ (N · N/(mn)) / Σ N (`tag` "_perp": the outliers
    of the update less its component along θ0)."""
    m = measures.dropna(subset=[f"outliers{tag}"])
    g = m.assign(expected=m[f"chance{tag}"] * m[f"outliers{tag}"]).groupby(["model", "task"])[
        [f"outliers{tag}", f"{hits}{tag}", "expected"]].sum()
    g = g[g[f"outliers{tag}"] > 0]
    return (g[f"{hits}{tag}"] - g["expected"]) / g[f"outliers{tag}"]


def statistic_row(spec: ClaimSpec, setting: str, effect: float, low: float, high: float, n: int,
                  interval: str, robust: str) -> dict:
    """A row whose statistic is not a mean of unit values (its interval computed by the caller)."""
    found = verdict(low, high, spec.threshold, spec.direction, n)
    return {"claim_id": spec.claim_id, "kind": spec.kind, "claim": spec.claim, "measure": spec.measure,
            "unit": spec.unit, "setting": setting, "effect": effect, "ci_low": low, "ci_high": high, "n": n,
            "interval": interval, "threshold": spec.threshold, "direction": spec.direction,
            "published": spec.published, "verdict": found, "robust": robust}


def transfer_row(spec: ClaimSpec, config: str, table: pd.DataFrame, overlaps: pd.DataFrame,
                 permutations: int) -> tuple[dict, dict]:
    """S5's row of one model (`table`: its ordered pairs) and its permutation test {rho, p, permutations, ...}."""
    tasks = sorted(set(table["target"]) | set(table["source"]))
    rho, p = transfer.permutation_p(table["target"], table["source"], table["relative"],
                                    overlaps.loc[tasks, tasks], permutations)
    low, high = transfer.cluster_interval(table["target"], table["source"], table["overlap"], table["relative"])
    found = verdict(low, high, spec.threshold, spec.direction, len(tasks))
    reasons = []
    if len(tasks) >= MIN_UNITS:
        for task in tasks:
            rest = table[(table["target"] != task) & (table["source"] != task)]
            v = verdict(*transfer.cluster_interval(rest["target"], rest["source"], rest["overlap"],
                                                   rest["relative"], resamples=2000),
                        spec.threshold, spec.direction, len(tasks) - 1)
            if v != found:
                reasons.append(f"without {task}: {v}")
        by_permutation = "reproduced" if p < 0.05 else "inconclusive"
        if (found == "reproduced") != (by_permutation == "reproduced"):
            reasons.append(f"permutation p = {p:.3f}: {by_permutation}")
        robust = "yes" if not reasons else "no: " + "; ".join(reasons)
    else:
        robust = f"yes (n < {MIN_UNITS}: inconclusive by the unit rule)"
    model = table["model"].iloc[0] if len(table) else ""
    setting = f"{model}; {len(table)} ordered pairs over {len(tasks)} tasks ({config})"
    row = statistic_row(spec, setting, rho, low, high, len(tasks), "cluster-percentile", robust)
    return row, {"rho": rho, "p": p, "permutations": permutations, "pairs": len(table), "tasks": len(tasks)}


def claim_rows(specs, config: str, runs: pd.DataFrame, d: int, measures: pd.DataFrame, sweeps: pd.DataFrame,
               pairs: pd.DataFrame, overlaps: dict[str, pd.DataFrame], permutations: int
               ) -> tuple[list[dict], dict[str, dict]]:
    """Every row the data allow, and S5's permutation test per model."""
    by_id = {s.claim_id: s for s in specs}
    rows = []
    if len(runs):
        rows.append(_row(by_id["S1"], config, frontier.units(runs, d)))
    if len(measures):
        rows.append(_row(by_id["S2"], config, block_units(measures)))
    if len(sweeps):
        for claim, measure in (("S3a", "relative_update"), ("S3b", "rotation"), ("S3c", "rotation_vs_null")):
            rows.append(_row(by_id[claim], config, geometry.units(sweeps, measure)))
    if len(measures) and "outliers" in measures and measures["outliers"].notna().any():
        rows.append(_row(by_id["S4a"], config, outlier_units(measures, "hits_w0")))
        rows.append(_row(by_id["S4b"], config, outlier_units(measures, "hits_low_rank")))
        rows.append(_row(by_id["S4c"], config, outlier_units(measures, "hits_w0", "_perp")))
    tests = {}
    for model, table in (pairs.groupby("model") if len(pairs) else []):
        row, tests[model] = transfer_row(by_id["S5"], config, table.reset_index(drop=True), overlaps[model],
                                         permutations)
        rows.append(row)
    return rows, tests
