"""Paper A's transfer (Fig. 2, Fig. 3, Table 2): another task's subspace, the unified subspace of every task's
trajectory and its zero-shot form (without the target's own trajectory), against the target's own subspace and a
random one; and the learned coordinates compared across tasks in the one subspace they share (the unified one)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ftgeom.claims import claim_row
from ftgeom.intrinsic.analysis import SPEC, task_units



def _reference(runs: pd.DataFrame, run: str) -> pd.Series:
    return runs[runs["run"] == run].set_index(["model", "task", "seed"])["score"]


def _random_baseline(runs: pd.DataFrame) -> pd.Series:
    """Per (model, task): the mean of the headline random runs over their seeds. Each seed draws its own basis
    (`basis_seed: run`), so the mean replicates the baseline over as many bases as the headline has seeds, rather
    than pairing every transfer run with the one random run of its seed."""
    return runs[runs["run"] == "random"].groupby(["model", "task"])["score"].mean()


def transfer_pairs(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, target, source, seed): the transfer score, the target's own subspace (same seed) and the
    random baseline (the target's random runs, mean over seeds)."""
    sub = runs[runs["run"] == "transfer"].copy()
    own, rand = _reference(runs, "intrinsic"), _random_baseline(runs)
    keys = list(zip(sub["model"], sub["task"], sub["seed"]))
    sub["own"] = [own.get(k, np.nan) for k in keys]
    sub["random"] = [rand.get(k[:2], np.nan) for k in keys]
    sub["drop_vs_own"] = sub["own"] - sub["score"]
    sub["gain_vs_random"] = sub["score"] - sub["random"]
    return sub.rename(columns={"task": "target"})[["model", "target", "source", "seed", "score", "own", "random",
                                                   "drop_vs_own", "gain_vs_random"]]


def unified(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (model, task, seed): the unified and zero-shot subspaces against the task's own subspace at the same d."""
    own_runs = "own-transfer-d" if (runs["run"] == "own-transfer-d").any() else "intrinsic"
    own, rand = _reference(runs, own_runs), _random_baseline(runs)
    rows = []
    for (model, task, seed), sub in runs[runs["run"].isin(["unified", "zeroshot"])].groupby(["model", "task", "seed"]):
        row = {"model": model, "task": task, "seed": seed, "own": own.get((model, task, seed), np.nan),
               "random": rand.get((model, task), np.nan)}
        row.update(dict(zip(sub["run"], sub["score"])))
        rows.append(row)
    return pd.DataFrame(rows)


def coordinate_cosines(records: list[dict]) -> pd.DataFrame:
    """Cosine similarity of the coordinates θ^t (every layer's, concatenated) that tasks learned in the unified
    subspace, averaged over the seeds both ran (a task x task matrix)."""
    coords = {}
    for rec in records:
        if rec["spec"].get("intrinsic", {}).get("run") == "unified":
            layers = sorted(rec["coordinates"], key=int)
            z = np.concatenate([np.asarray(rec["coordinates"][k]) for k in layers])
            coords.setdefault(rec["seed"], {})[rec["task"]] = z
    tasks = sorted({t for by_task in coords.values() for t in by_task})
    matrix = pd.DataFrame(np.nan, index=tasks, columns=tasks)
    for a in tasks:
        for b in tasks:
            cos = [float(c[a] @ c[b] / (np.linalg.norm(c[a]) * np.linalg.norm(c[b]) + 1e-30))
                   for c in coords.values() if a in c and b in c]
            matrix.loc[a, b] = np.mean(cos) if cos else np.nan
    return matrix


def claim_rows(transfer: pd.DataFrame, uni: pd.DataFrame, config: str) -> list[dict]:
    if transfer.empty:
        return []
    models = ", ".join(sorted(transfer["model"].unique()))
    n_tasks = transfer["target"].nunique()
    rows = [claim_row(SPEC["A5"], f"{models}; {n_tasks} target tasks, {len(transfer)} (ordered pair, seed) runs; "
                      f"{config}", task_units(transfer.rename(columns={"target": "task"}), "gain_vs_random", "A5"))]
    setting = f"{models}; {uni['task'].nunique()} tasks; {config}"
    if "unified" in uni:
        rows.append(claim_row(SPEC["A6a"], setting,
                              task_units(uni.assign(difference=uni["unified"] - uni["own"]), "difference", "A6a")))
    if "zeroshot" in uni:
        for claim_id, diff in (("A6b", uni["zeroshot"] - uni["random"]), ("A6c", uni["own"] - uni["zeroshot"])):
            rows.append(claim_row(SPEC[claim_id], setting, task_units(uni.assign(difference=diff), "difference",
                                                                      claim_id)))
    return rows
