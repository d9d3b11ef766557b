"""Paper A's outlier dimensions: how many, where they sit, and what zeroing them does (both ablations), as tables,
claim rows and the model's own outlier features to compare with."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ftgeom.claims import claim_row
from ftgeom.intrinsic.analysis import SPEC, task_units

SIGMA_FEATURES = 3.0  # a hidden index is one of the model's outlier features when a LayerNorm γ is this far out


def cheap(records: list[dict]) -> pd.DataFrame:
    """Per headline run with an outlier re-evaluation: counts, and its test score intact / outliers zeroed / random."""
    rows = []
    for rec in records:
        ol = rec.get("outliers")
        if not ol:
            continue
        rows.append({"model": rec["model"], "task": rec["task"], "seed": rec["seed"], "count": ol["count"],
                     "fraction": ol["fraction"], "gaussian_expectation": ol["gaussian_expectation"],
                     "intact": 100 * rec["test_score"], "outliers_zeroed": 100 * ol["test"]["outliers"],
                     "random_zeroed": 100 * float(np.mean(ol["test"]["random"]))})
    return pd.DataFrame(rows)


def where(records: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(outliers by tensor kind, outliers by hidden index) summed over each task's re-evaluated runs."""
    kinds, hidden = [], []
    for rec in records:
        ol = rec.get("outliers")
        if not ol:
            continue
        kinds += [{"task": rec["task"], "seed": rec["seed"], "kind": k, "count": n} for k, n in ol["by_kind"].items()]
        hidden += [{"task": rec["task"], "seed": rec["seed"], "hidden_index": int(i), "count": n}
                   for i, n in ol["by_hidden_index"].items()]
    return pd.DataFrame(kinds), pd.DataFrame(hidden, columns=["task", "seed", "hidden_index", "count"])


def top_indices(hidden: pd.DataFrame, k: int = 10) -> dict[str, list[int]]:
    per_task = hidden.groupby(["task", "hidden_index"])["count"].sum().reset_index()
    return {t: sub.nlargest(k, "count")["hidden_index"].tolist() for t, sub in per_task.groupby("task")}


def model_outlier_features(layernorm_weights: list[np.ndarray]) -> list[int]:
    """Hidden indices where some LayerNorm scale γ of the pretrained model lies > SIGMA_FEATURES σ from its mean
    (the signature of the outlier features Kovaleva et al. 2021 found in BERT)."""
    found = set()
    for gamma in layernorm_weights:
        found |= set(np.nonzero(np.abs(gamma - gamma.mean()) > SIGMA_FEATURES * gamma.std())[0].tolist())
    return sorted(found)


def full_space(runs: pd.DataFrame) -> pd.DataFrame:
    """Paper A's Table 3 analogue: full fine-tuning with the outliers or as many random positions held at zero."""
    sub = runs[runs["run"].isin(["full", "zeroed-outliers", "zeroed-random"])]
    tasks = set(runs.loc[runs["run"] == "zeroed-outliers", "task"])
    return (sub[sub["task"].isin(tasks)].groupby(["model", "task", "run"])["score"].agg(["mean", "std", "count"])
            .reset_index())


def _paired_draws(runs: pd.DataFrame) -> pd.DataFrame:
    """zeroed-random − zeroed-outliers per (model, task, i): the i-th outlier seed against the i-th random draw."""
    out = []
    for (model, task), sub in runs.groupby(["model", "task"]):
        a = sub.loc[sub["run"] == "zeroed-outliers"].sort_values("seed")["score"].to_numpy()
        b = sub.loc[sub["run"] == "zeroed-random"].sort_values("seed")["score"].to_numpy()
        out += [{"model": model, "task": task, "seed": i, "difference": b[i] - a[i]}
                for i in range(min(len(a), len(b)))]
    return pd.DataFrame(out, columns=["model", "task", "seed", "difference"])


def claim_rows(runs: pd.DataFrame, cheap_rows: pd.DataFrame, sigma: float, config: str) -> list[dict]:
    models = ", ".join(sorted(runs["model"].unique()))
    rows = []
    tasks = sorted(runs.loc[runs["run"] == "zeroed-outliers", "task"].unique())
    if tasks:
        rows.append(claim_row(SPEC["A4a"], f"{models}; {sigma:g}σ outliers; {', '.join(tasks)}; {config}",
                              task_units(_paired_draws(runs), "difference", "A4a")))
    if not cheap_rows.empty:
        tasks = sorted(cheap_rows["task"].unique())
        cheap = cheap_rows.assign(difference=cheap_rows["random_zeroed"] - cheap_rows["outliers_zeroed"])
        rows.append(claim_row(SPEC["A4b"], f"{models}; {sigma:g}σ outliers; {', '.join(tasks)}; {config}",
                              task_units(cheap, "difference", "A4b")))
    return rows
