"""What paper A's prose cites: the trajectories' spectra as a table, and every number as a LaTeX macro."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ftgeom.paper.macros import define
from ftgeom.provenance import read_json


def spectra(subspace_roots: list[str]) -> pd.DataFrame:
    """One row per (subspace, layer, k): the share of the trajectory matrix's energy outside its top k directions."""
    rows = []
    for root in map(Path, subspace_roots):
        for meta_file in sorted(root.glob("*/spectrum.json")):
            meta = read_json(meta_file)
            task = meta_file.parent.name.rsplit("-", 1)[0]
            for layer, spec in meta["layers"].items():
                for k, share in enumerate(spec["explained"], start=1):
                    rows.append({"model": root.parent.name, "task": task, "variant": meta["variant"],
                                 "layer": int(layer), "k": k, "explained": share, "outside": max(0.0, 1 - share)})
    return pd.DataFrame(rows)


def _listing(items) -> str:
    items = list(items)
    return ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + items[-1] if items else "none"


def macros(settings: dict, runs: pd.DataFrame, gaps: pd.DataFrame, ablation: pd.DataFrame, spec: pd.DataFrame) -> str:
    avg = runs.groupby(["run", "seed"])["score"].mean().groupby("run").mean()
    step = runs.groupby("run")["seconds_per_step"].median()
    values = {
        "a d": settings["d"], "a variant": settings["variant"],
        "a basis": "scaled by $\\Sigma$" if settings["scaled"] else "orthonormal (plain)",
        "a seeds": len(settings["seeds"]), "a lr intrinsic": f"{settings['lr']['intrinsic']:g}",
        "a lr random": f"{settings['lr']['random']:g}", "a init scale": f"{settings['init_scale']:g}",
        "a copies": settings["copies"], "a form": settings["form"],
        "a counted tasks": _listing(gaps.loc[gaps["counted"], "task"]),
        "a excluded tasks": _listing(gaps.loc[~gaps["counted"], "task"]),
        "a step ratio": f"{step.get('intrinsic', float('nan')) / step.get('full', float('nan')):.2f}",
        "a trainable": f"{100 * runs.loc[runs['run'] == 'intrinsic', 'trainable_fraction'].median():.1f}",
    }
    for run in ("full", "frozen", "random", "intrinsic"):
        values[f"a avg {run}"] = f"{avg.get(run, float('nan')):.1f}"
    for variant, sub in spec[spec["k"] == 1].groupby("variant"):
        values[f"a top share {variant}"] = f"{100 * sub['explained'].mean():.1f}\\%"
        values[f"a top share min {variant}"] = f"{100 * sub['explained'].min():.1f}\\%"
    if not ablation.empty:
        means = ablation.groupby("label")["vs_headline"].mean()
        values["a ablation rows"] = _listing(f"{k}: {v:+.1f}" for k, v in means.items() if not k.startswith("headline"))
    return define(values)
