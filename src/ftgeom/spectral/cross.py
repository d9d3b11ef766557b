"""Cross-task sharing (paper B's claim 2): overlaps of the top-k left singular subspaces of two runs' updates ΔW
(and of their fine-tuned W1), for every pair of full runs of a model: task pairs under one seed, and seed pairs of
one task, the baseline that says how much of the shared structure is task-specific at all. Nulls: the same for
two same-spectrum random perturbations (their update subspaces are random: k/m on average)."""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ftgeom.provenance import safetensors_file
from ftgeom.spectral.measures import overlap


def load_subspaces(stability_dir: str | Path) -> dict[tuple, dict[str, torch.Tensor]]:
    """{(task, seed, source, what): {matrix name: m x k}} of one model's full runs."""
    out: dict[tuple, dict[str, torch.Tensor]] = {}
    with safetensors_file(Path(stability_dir) / "subspaces.safetensors") as f:
        for key in f.keys():
            task, run, seed, source, what, name = key.split("/", 5)
            out.setdefault((task, int(seed[len("seed"):]), source, what), {})[name] = f.get_tensor(key)
    return out


def _overlap(a: torch.Tensor, b: torch.Tensor) -> float:
    """Overlap of the leading min(k_a, k_b) columns (a matrix of rank below k keeps fewer)."""
    k = min(a.shape[1], b.shape[1])
    return overlap(a[:, :k], b[:, :k])


def pair_overlaps(subspaces: dict, model: str, unrelated: list[list[str]]) -> pd.DataFrame:
    """One row per pair of full runs and (source, what): mean overlap over the matrices both have, the random
    expectation k/m, and the pair's kind (seed pair | unrelated tasks | related tasks)."""
    runs = sorted({(t, s) for t, s, _, _ in subspaces})
    unrelated_pairs = {frozenset(p) for p in unrelated}
    rows = []
    for (ta, sa), (tb, sb) in itertools.combinations(runs, 2):
        if ta == tb:
            kind = "seed pair"
        elif sa != sb:
            continue  # task pairs are compared under one seed
        else:
            kind = "unrelated tasks" if frozenset((ta, tb)) in unrelated_pairs else "related tasks"
        for source, what in itertools.product(("real", "null"), ("dw", "w1")):
            a, b = subspaces.get((ta, sa, source, what)), subspaces.get((tb, sb, source, what))
            if not a or not b:
                continue
            names = sorted(set(a) & set(b))
            values = [_overlap(a[n], b[n]) for n in names]
            rand = [min(a[n].shape[1], b[n].shape[1]) / a[n].shape[0] for n in names]
            rows.append({"model": model, "task_a": ta, "seed_a": sa, "task_b": tb, "seed_b": sb, "kind": kind,
                         "source": source, "what": what, "overlap": float(np.mean(values)),
                         "one_minus": float(np.mean([1 - v for v in values])), "random": float(np.mean(rand)),
                         "matrices": len(names)})
    return pd.DataFrame(rows)


def cross_units(pairs: pd.DataFrame) -> pd.Series:
    """Per (model, unrelated pair, seed): the pair's update overlap over the mean seed-pair overlap of its tasks."""
    real = pairs[(pairs["source"] == "real") & (pairs["what"] == "dw")]
    seeds = real[real["kind"] == "seed pair"].groupby(["model", "task_a"])["overlap"].mean()
    out = {}
    for _, r in real[real["kind"] == "unrelated tasks"].iterrows():
        base = [seeds.get((r["model"], t)) for t in (r["task_a"], r["task_b"])]
        if all(b is not None and b > 0 for b in base):
            out[(r["model"], f"{r['task_a']}~{r['task_b']}", r["seed_a"])] = r["overlap"] / float(np.mean(base))
    return pd.Series(out, dtype=float)
