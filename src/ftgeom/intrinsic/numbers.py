"""What paper A's prose cites: the trajectories' spectra as a table, and every number as a LaTeX macro."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ftgeom.report.latex import define, listing
from ftgeom.provenance import read_json


def spectra(subspace_dirs: list[str]) -> pd.DataFrame:
    """One row per (subspace, layer, k): the share of the trajectory matrix's energy outside its top k directions.
    `source`: what the subspace stacks (a task, `<task>-long`, `unified`, `unified-minus-<task>`)."""
    rows = []
    for path in map(Path, subspace_dirs):
        meta = read_json(path / "spectrum.json")
        source = path.name.rsplit("-", 1)[0]
        for layer, spec in meta["layers"].items():
            for k, share in enumerate(spec["explained"], start=1):
                rows.append({"model": path.parent.parent.name, "task": source, "variant": meta["variant"],
                             "layer": int(layer), "k": k, "explained": share, "outside": max(0.0, 1 - share)})
    return pd.DataFrame(rows)


def layernorm_scales(subspace_dirs: list[str]) -> list:
    """The pretrained model's LayerNorm scales γ per encoder layer, read from the start θ₀ of one trajectory."""
    from ftgeom.train.trajectory import layer_start, unflatten

    if not subspace_dirs:
        return []
    meta = read_json(Path(subspace_dirs[0]) / "spectrum.json")
    trajectory = meta["trajectories"][0]
    out = []
    for layer in sorted(int(k) for k in meta["layers"]):
        weights = unflatten(trajectory, layer, layer_start(trajectory, layer))
        out += [w.numpy() for n, w in weights.items() if n.endswith("LayerNorm.weight")]
    return out


# The macros paper/sections/intrinsic*.tex cites (\\ftA<Key>).
PROSE = ("ablation rows", "avg frozen", "avg full", "avg intrinsic", "avg random", "basis", "copies", "cosine mean",
         "counted tasks", "d", "excluded tasks", "form", "init scale", "long epochs", "long task",
         "long top share updates", "lr intrinsic", "lr random", "model features", "outlier common", "outlier excess",
         "outlier features hit", "outlier kinds", "outlier share", "outlier top", "seeds", "short top share updates",
         "sigma", "step ratio", "top share raw", "top share updates", "trainable", "transfer d", "transfer drop",
         "transfer gain", "unified own", "unified random", "unified unified", "unified zeroshot", "variant")


def macros(settings: dict, runs: pd.DataFrame, gaps: pd.DataFrame, ablation: pd.DataFrame, spec: pd.DataFrame,
           cheap: pd.DataFrame, kinds: pd.DataFrame, top: dict, features: list[int], transfer: pd.DataFrame,
           uni: pd.DataFrame, cosines: pd.DataFrame) -> str:
    avg = runs.groupby(["run", "seed"])["score"].mean().groupby("run").mean()
    step = runs.groupby("run")["seconds_per_step"].median()
    values = {
        "a d": settings["d"], "a variant": settings["variant"],
        "a basis": "scaled by its singular values" if settings["scaled"] else "orthonormal (plain)",
        "a seeds": len(settings["seeds"]), "a lr intrinsic": f"{settings['lr']['intrinsic']:g}",
        "a lr random": f"{settings['lr']['random']:g}", "a init scale": f"{settings['init_scale']:g}",
        "a copies": settings["copies"], "a form": settings["form"],
        "a counted tasks": listing(gaps.loc[gaps["counted"], "task"]),
        "a excluded tasks": listing(gaps.loc[~gaps["counted"], "task"]),
        "a step ratio": f"{step.get('intrinsic', float('nan')) / step.get('full', float('nan')):.2f}",
        "a trainable": f"{100 * runs.loc[runs['run'] == 'intrinsic', 'trainable_fraction'].median():.1f}",
    }
    for run in ("full", "frozen", "random", "intrinsic"):
        values[f"a avg {run}"] = f"{avg.get(run, float('nan')):.1f}"
    first = spec[spec["k"] == 1]
    own = first[~first["task"].str.contains("unified") & ~first["task"].str.endswith("-long")]
    for variant, sub in own.groupby("variant"):
        digits = 4 if variant == "raw" else 1  # the raw matrix's top direction (θ₀) holds all but ~1e-5 of it
        values[f"a top share {variant}"] = f"{100 * sub['explained'].mean():.{digits}f}%"
        values[f"a top share min {variant}"] = f"{100 * sub['explained'].min():.1f}%"
    long = first[first["task"].str.endswith("-long")]
    if len(long) and settings.get("long_trace"):
        task = long["task"].iloc[0][:-len("-long")]
        values.update({"a long task": task, "a long epochs": settings["long_trace"]["epochs"]})
        for variant, sub in long.groupby("variant"):
            short = own[(own["task"] == task) & (own["variant"] == variant)]["explained"]
            digits = 4 if variant == "raw" else 1
            values[f"a long top share {variant}"] = f"{100 * sub['explained'].mean():.{digits}f}%"
            values[f"a short top share {variant}"] = f"{100 * short.mean():.{digits}f}%"
    if not ablation.empty:
        means = ablation.groupby("label")["vs_headline"].mean()
        values["a ablation rows"] = listing(f"{k}: {v:+.1f}" for k, v in means.items() if not k.startswith("headline"))
    ol, tr = settings.get("outliers") or {}, settings.get("transfer") or {}
    values.update({"a sigma": f"{ol.get('sigma', 3.0):g}", "a transfer d": tr.get("d") or settings["d"],
                   "a transfer seeds": len(tr.get("seeds", [])), "a model features": listing(map(str, features))})
    if len(cheap):
        values["a outlier share"] = f"{100 * cheap['fraction'].mean():.2f}%"
        values["a outlier excess"] = f"{(cheap['count'] / cheap['gaussian_expectation']).mean():.2f}"
    if len(kinds):
        share = kinds.groupby("kind")["count"].sum()
        share = (100 * share / share.sum()).sort_values(ascending=False)
        values["a outlier kinds"] = listing(f"{k} {v:.0f}%" for k, v in share.head(4).items())
    if top:
        sets = [set(v) for v in top.values()]
        common = set.intersection(*sets) if sets else set()
        values["a outlier top"] = "; ".join(f"{t}: {', '.join(map(str, v[:5]))}" for t, v in top.items())
        values["a outlier common"] = listing(map(str, sorted(common))) if common else "none"
        values["a outlier features hit"] = listing(map(str, sorted(set().union(*sets) & set(features)))) \
            if features and sets else "none"
    if len(transfer):
        values["a transfer drop"] = f"{transfer['drop_vs_own'].mean():.1f}"
        values["a transfer gain"] = f"{transfer['gain_vs_random'].mean():.1f}"
    if len(uni):
        for run in ("own", "unified", "zeroshot", "random"):
            if run in uni:
                values[f"a unified {run}"] = f"{uni[run].mean():.1f}"
    if cosines.notna().any().any():
        off = cosines.to_numpy()[~np.eye(len(cosines), dtype=bool)]
        values["a cosine mean"] = f"{np.nanmean(off):.2f}"
    for key in PROSE:  # every number the section cites exists, "--" where this config ran no such part
        values.setdefault(f"a {key}", "--")
    return define(values)
