"""S5, does spectral similarity predict transfer? Paper A's transfer score of each ordered pair (the target trained in
the source's subspace, relative to the target's own subspace) against paper B's cross-task overlap of the two tasks'
update subspaces (the top-k left singular vectors of ΔW, averaged over the encoder's weight matrices).

Pairs share tasks, so they are not independent units: the test permutes the task labels of the overlap matrix (each
permutation keeps which pairs share a task) and the interval is a cluster bootstrap over tasks; n counts tasks.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import torch

from ftgeom.claims import RESAMPLES
from ftgeom.spectral.measures import overlap
from ftgeom.synthesis.geometry import spearman

SEED = 20260   # fixed draws: the same runs give the same p-value and interval


def task_overlaps(subspaces: dict[str, dict[str, torch.Tensor]]) -> pd.DataFrame:
    """{task: {matrix: U_k}} -> the symmetric task x task mean overlap over the matrices both tasks have."""
    tasks = sorted(subspaces)
    out = pd.DataFrame(np.nan, index=tasks, columns=tasks)
    for a, b in itertools.combinations_with_replacement(tasks, 2):
        names = sorted(set(subspaces[a]) & set(subspaces[b]))
        value = float(np.mean([overlap(subspaces[a][n], subspaces[b][n]) for n in names])) if names else np.nan
        out.loc[a, b] = out.loc[b, a] = value
    return out


def pairs(transfer: pd.DataFrame, overlaps: pd.DataFrame) -> pd.DataFrame:
    """Per ordered (target, source) pair: relative transfer (score / own, seeds averaged) and the tasks' overlap."""
    t = transfer.assign(relative=transfer["score"] / transfer["own"])
    t = t.groupby(["model", "target", "source"], as_index=False)[["score", "own", "relative"]].mean()
    t["overlap"] = [overlaps.loc[a, b] if a in overlaps.index and b in overlaps.index else np.nan
                    for a, b in zip(t["target"], t["source"])]
    return t.dropna(subset=["overlap"]).reset_index(drop=True)


def permutation_p(targets, sources, y, overlaps: pd.DataFrame, permutations: int, seed: int = SEED
                  ) -> tuple[float, float]:
    """(ρ, one-sided p): Spearman of y against the pairs' overlaps, and the share of task-label permutations of the
    overlap matrix whose ρ is at least as large (all permutations when there are fewer than `permutations`)."""
    tasks = list(overlaps.index)
    index = {t: i for i, t in enumerate(tasks)}
    o = overlaps.to_numpy()
    ti, si = np.array([index[t] for t in targets]), np.array([index[s] for s in sources])
    observed = spearman(o[ti, si], y)
    n = len(tasks)
    if math.factorial(n) <= permutations:
        perms = [np.array(p) for p in itertools.permutations(range(n))]
    else:
        rng = np.random.default_rng(seed)
        perms = [rng.permutation(n) for _ in range(permutations)]
    null = np.array([spearman(o[p[ti], p[si]], y) for p in perms])
    null = null[np.isfinite(null)]
    return observed, float((1 + np.sum(null >= observed - 1e-12)) / (1 + len(null)))


def cluster_interval(targets, sources, x, y, resamples: int = RESAMPLES, seed: int = SEED,
                     level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of Spearman's ρ under a bootstrap over tasks: each draw resamples the tasks with
    replacement and keeps every pair whose two tasks were drawn, as often as the product of their counts."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    tasks = sorted(set(targets) | set(sources))
    index = {t: i for i, t in enumerate(tasks)}
    ti, si = np.array([index[t] for t in targets]), np.array([index[s] for s in sources])
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        counts = np.bincount(rng.integers(0, len(tasks), len(tasks)), minlength=len(tasks))
        keep = np.repeat(np.arange(len(x)), counts[ti] * counts[si])
        rho = spearman(x[keep], y[keep])
        if np.isfinite(rho):
            values.append(rho)
    if not values:
        return float("nan"), float("nan")
    alpha = (1 - level) / 2
    return float(np.quantile(values, alpha)), float(np.quantile(values, 1 - alpha))
