"""The synthesis's LaTeX tables: the frontier (score per method and task) and one line per analysis."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ftgeom.report.latex import escape


def _tabular(header: list[str], rows: list[list[str]], align: str) -> str:
    lines = ["\\begin{tabular}{" + align + "}", "\\toprule", " & ".join(header) + " \\\\", "\\midrule"]
    lines += [" & ".join(r) + " \\\\" for r in rows]
    return "\n".join(lines + ["\\bottomrule", "\\end{tabular}"]) + "\n"


def _count(n: int) -> str:
    return f"{n / 1e6:.1f}\\,M" if n >= 1e6 else f"{n / 1e3:.1f}\\,k" if n >= 1e4 else f"{n:,}".replace(",", "\\,")


def frontier(table: pd.DataFrame) -> str:
    """Method x task: mean test score over seeds (seeds in the last column), with encoder-layer parameters."""
    if not len(table):
        return ""
    tasks = list(dict.fromkeys(table["task"]))
    rows = []
    for lab, g in table.groupby("label", sort=False):
        by_task = dict(zip(g["task"], g["score"]))
        rows.append([escape(lab), _count(int(g["parameters"].iloc[0]))]
                    + [f"{by_task[t]:.1f}" if t in by_task else "--" for t in tasks]
                    + [str(int(g["seeds"].max()))])
    header = ["method", "params"] + [escape(t) for t in tasks] + ["seeds"]
    return _tabular(header, rows, "l" + "r" * (len(tasks) + 2))


def summary(block: pd.DataFrame, outliers: pd.DataFrame, sweeps: pd.DataFrame, test: dict) -> str:
    """The numbers behind S2-S5 that the claim rows summarise, one line each."""
    def mean(frame, col):
        return frame[col].mean() if len(frame) and col in frame else np.nan

    rows = []
    if len(block):
        rows.append(["S2", "energy share in W0's top-k block",
                     f"top direction {mean(block, 'top_direction'):.2e}; update {mean(block, 'update'):.2e}; "
                     f"random {mean(block, 'random'):.2e}"])
    if len(outliers):
        rows.append(["S4", "outlier positions among the largest entries",
                     f"|W0| {mean(outliers, 'w0'):.3f}; rank-k {mean(outliers, 'low_rank'):.3f}; "
                     f"chance {mean(outliers, 'chance'):.4f}; update less θ0: |W0| {mean(outliers, 'w0_perp'):.3f}, "
                     f"chance {mean(outliers, 'chance_perp'):.4f}"])
    if len(sweeps):
        lo, hi = sweeps["energy"].min(), sweeps["energy"].max()
        rows.append(["S3", "start energy across the τ sweeps",
                     f"{lo:.3f} to {hi:.3f}; ‖ΔW‖/‖W0‖ {sweeps['relative_update'].min():.2e} to "
                     f"{sweeps['relative_update'].max():.2e}"])
    if test:
        rows.append(["S5", "transfer against update overlap",
                     f"Spearman {test['rho']:.2f}, permutation p = {test['p']:.3f} ({test['pairs']} pairs, "
                     f"{test['tasks']} tasks)"])
    return _tabular(["claim", "what", "measured"], [[escape(c) for c in r] for r in rows], "llp{0.5\\linewidth}") \
        if rows else ""
