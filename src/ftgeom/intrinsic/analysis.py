"""Paper A's numbers: runs as one table, the Table 1 analogue, recovered-gain fractions, the ablations, claim rows.

Scores are test metrics x100 (the paper's points). Full and Freeze are the shared stage's runs (seeds of
`finetune.seeds`, the traced seed among them); the subspace runs use their own seeds (`intrinsic.seeds`), none of
them the traced one.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ftgeom.claims import claim_row, unit_means
from ftgeom.intrinsic.claim_specs import GAP_SIGMAS, MIN_D, PAPER_D, SPECS
from ftgeom.provenance import read_json

TABLE1 = ("full", "frozen", "random", "intrinsic")
SPEC = {s.claim_id: s for s in SPECS}


def _row(rec: dict, run: str) -> dict:
    options = rec["spec"].get("method_options", {})
    tags = rec["spec"].get("intrinsic", {})
    return {"model": rec["model"], "task": rec["task"], "run": tags.get("run", run), "source": tags.get("source"),
            "method": rec["method"], "seed": rec["seed"], "d": options.get("d"), "score": 100 * rec["test_score"],
            "validation": 100 * rec["final"]["validation"][rec["metric"]], "metric": rec["metric"],
            "seconds_per_step": rec["timing"]["seconds_per_step"], "trainable": rec["trainable_parameters"],
            "trainable_fraction": rec["trainable_fraction"]}


def load_records(run_dirs: list[str]) -> list[dict]:
    return [read_json(p) for d in run_dirs for p in sorted(Path(d).glob("*.json"))]


def load_runs(records: list[dict], baselines: list[str]) -> pd.DataFrame:
    rows = [_row(rec, rec["method"]) for rec in records]
    rows += [_row(read_json(p), read_json(p)["method"]) for p in baselines]
    return pd.DataFrame(rows)


def table1(runs: pd.DataFrame) -> pd.DataFrame:
    """Per task (and the average over tasks): mean and std over seeds of Full, Freeze, Random, Intrinsic."""
    sub = runs[runs["run"].isin(TABLE1)]
    per = sub.groupby(["model", "task", "run"])["score"].agg(["mean", "std", "count"]).reset_index()
    avg = (sub.groupby(["model", "run", "seed"])["score"].mean().groupby(["model", "run"])
           .agg(["mean", "std", "count"]).reset_index().assign(task="average"))
    out = pd.concat([per, avg], ignore_index=True)
    out["run"] = pd.Categorical(out["run"], TABLE1)
    out["last"] = out["task"] == "average"
    return out.sort_values(["model", "last", "task", "run"]).drop(columns="last").reset_index(drop=True)


def gaps(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (model, task): Full − Freeze on test (what the recovered fraction divides by) and on validation with its
    standard error over seeds; a task is counted when the validation gap exceeds the noise (the test gap is then
    not selected on)."""
    rows = []
    for (model, task), sub in runs.groupby(["model", "task"]):
        full, frozen = (sub[sub["run"] == m] for m in ("full", "frozen"))
        gap = full["score"].mean() - frozen["score"].mean()
        val_gap = full["validation"].mean() - frozen["validation"].mean()
        se = np.sqrt(full["validation"].var(ddof=1) / len(full) + frozen["validation"].var(ddof=1) / len(frozen))
        rows.append({"model": model, "task": task, "full": full["score"].mean(), "frozen": frozen["score"].mean(),
                     "gap": gap, "validation_gap": val_gap, "se": se,
                     "counted": bool(val_gap > GAP_SIGMAS * se and gap > 0)})
    return pd.DataFrame(rows)


def recovered(runs: pd.DataFrame, run: str) -> pd.DataFrame:
    """(run − Freeze) / (Full − Freeze) on test per (task, seed) of `run`, over the tasks whose gap is counted."""
    g = gaps(runs).set_index(["model", "task"])
    sub = runs[runs["run"] == run].copy()
    keys = list(zip(sub["model"], sub["task"]))
    sub["counted"] = [bool(g.loc[k, "counted"]) for k in keys]
    sub = sub[sub["counted"]].copy()
    sub["recovered"] = [(s - g.loc[k, "frozen"]) / g.loc[k, "gap"]
                        for s, k in zip(sub["score"], zip(sub["model"], sub["task"]))]
    return sub


def paired(runs: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """a − b per (model, task, seed) where both ran that seed."""
    left = runs[runs["run"] == a].set_index(["model", "task", "seed"])["score"]
    right = runs[runs["run"] == b].set_index(["model", "task", "seed"])["score"]
    both = left.index.intersection(right.index)
    return (left[both] - right[both]).rename("difference").reset_index()


def d_curve(runs: pd.DataFrame, headline_d: int) -> pd.DataFrame:
    """Intrinsic runs by dimension (the headline run is d = headline_d) on the tasks of the d-ablation."""
    sub = runs[runs["run"].str.fullmatch(r"intrinsic(-d\d+)?")].copy()
    sub["d"] = sub["d"].fillna(headline_d).astype(int)
    ablated = set(sub.loc[sub["run"] != "intrinsic", "task"])
    return sub[sub["task"].isin(ablated)]


def d_slopes(curve: pd.DataFrame) -> pd.DataFrame:
    """Least-squares slope of score on log2(d) per (model, task, seed) with at least three dimensions."""
    rows = []
    for key, sub in curve.groupby(["model", "task", "seed"]):
        if sub["d"].nunique() >= 3:
            rows.append(dict(zip(("model", "task", "seed"), key),
                             slope=float(np.polyfit(np.log2(sub["d"]), sub["score"], 1)[0])))
    return pd.DataFrame(rows, columns=["model", "task", "seed", "slope"])


def ablation(runs: pd.DataFrame, headline: dict) -> pd.DataFrame:
    """Every intrinsic run against the headline one, on the ablation tasks: mean ± std and the paired difference."""
    sub = runs[runs["run"].str.startswith("intrinsic")]
    tasks = set(sub.loc[sub["run"] != "intrinsic", "task"])
    rows = []
    for (model, task, run), r in sub[sub["task"].isin(tasks)].groupby(["model", "task", "run"]):
        diff = paired(runs[runs["task"] == task], run, "intrinsic")["difference"] if run != "intrinsic" else []
        rows.append({"model": model, "task": task, "run": run, "label": label(run, headline), "mean": r["score"].mean(),
                     "std": r["score"].std(), "seeds": len(r),
                     "vs_headline": float(np.mean(diff)) if len(diff) else 0.0})
    out = pd.DataFrame(rows, columns=["model", "task", "run", "label", "mean", "std", "seeds", "vs_headline"])
    return out.sort_values(["model", "task", "run"], key=lambda c: c.map(_ablation_order) if c.name == "run" else c,
                           ignore_index=True)


def _ablation_order(run: str) -> tuple:
    """The headline first, then d ascending, then the other ablations by name."""
    what = run[len("intrinsic-"):]
    if run == "intrinsic":
        return (0, 0, "")
    if what.startswith("d") and what[1:].isdigit():
        return (1, int(what[1:]), "")
    return (2, 0, what)


def label(run: str, headline: dict) -> str:
    """What a run changes against the headline (d, trajectory matrix, basis scaling)."""
    base = f"d={headline['d']}, {headline['variant']}, {'scaled' if headline['scaled'] else 'plain'}"
    if run == "intrinsic":
        return f"headline ({base})"
    what = run[len("intrinsic-"):]
    if what.startswith("d") and what[1:].isdigit():
        return f"d={what[1:]}"
    return {"scaled": "basis scaled by Σ", "plain": "plain basis",
            "long": "subspace of a longer traced run"}.get(what, f"trajectory: {what}")


def claim_rows(runs: pd.DataFrame, headline: dict, config: str) -> list[dict]:
    models = ", ".join(sorted(runs["model"].unique()))
    diff = paired(runs, "intrinsic", "random")
    curve = d_curve(runs, headline["d"])
    slopes = d_slopes(curve)
    n_tasks = runs["task"].nunique()
    rows = []
    paper_d = "intrinsic" if headline["d"] == PAPER_D else f"intrinsic-d{PAPER_D}"
    for claim_id, run, d in (("A1a", paper_d, PAPER_D), ("A1b", "intrinsic", headline["d"])):
        if claim_id == "A1a" and not (runs["run"] == run).any():
            continue
        rec = recovered(runs, run)
        counted = sorted(rec["task"].unique())
        rows.append(claim_row(SPEC[claim_id], f"{models}; d = {d}; {len(counted)} of {runs['task'].nunique()} tasks "
                              f"({', '.join(counted) or 'none'}); {config}", task_units(rec, "recovered", claim_id)))
    rows.append(claim_row(SPEC["A2"], f"{models}; d = {headline['d']}; {n_tasks} tasks; {config}",
                          task_units(diff, "difference", "A2")))
    if len(curve):
        paper_range = curve[curve["d"] >= MIN_D]
        ranged = d_slopes(paper_range)
        for claim_id, part, fitted in (("A3", paper_range, ranged), ("A3b", curve, slopes)):
            rows.append(claim_row(SPEC[claim_id], f"{models}; {fitted['task'].nunique()} tasks; d in "
                                  f"{sorted(part['d'].unique().tolist())}; {config}",
                                  task_units(fitted, "slope", claim_id)))
    return rows


def task_units(frame: pd.DataFrame, column: str, claim_id: str) -> pd.Series:
    """One value per (model, task): the mean of its seeds' (or draws') values; a single-model config labels units
    by task alone."""
    values = frame.set_index([c for c in ("model", "task", "seed") if c in frame.columns])[column]
    units = unit_means(values, ["model", "task"], claim_id)
    return units.droplevel("model") if units.index.get_level_values("model").nunique() == 1 else units