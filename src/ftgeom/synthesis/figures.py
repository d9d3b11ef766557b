"""The synthesis's five figures (PDF + PNG via ftgeom.report.style), one per analysis."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ftgeom.report import style
from ftgeom.synthesis import frontier as fr
from ftgeom.synthesis.geometry import MEASURES

MARKERS = "osDv^<>pXP*h"


def _log_scale(ax, values) -> None:
    """Log y; symmetric log, linear below the smallest positive value, when some value is zero (no outlier of a
    layer hit, or a tiny run's zero), which log cannot show."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    positive = values[values > 0]
    if len(values) and len(positive) == len(values):
        ax.set_yscale("log")
    elif len(positive):
        ax.set_yscale("symlog", linthresh=float(positive.min()))


def frontier(table: pd.DataFrame, out: Path) -> None:
    """S1: per task, mean test score (± t interval over seeds) against trained encoder-layer parameters."""
    if not len(table):
        return
    panels = list(dict.fromkeys(zip(table["model"], table["task"])))
    methods = [m for m in fr.ORDER if m in set(table["method"])] + \
        sorted(set(table["method"]) - set(fr.ORDER))
    colors = dict(zip(methods, style.colors(len(methods))))
    fig, axes = style.subplots(len(panels), panel_height=2.4)
    for ax, (model, task) in zip(axes, panels):
        g = table[(table["model"] == model) & (table["task"] == task)]
        for i, method in enumerate(methods):
            m = g[g["method"] == method].sort_values("parameters")
            if not len(m):
                continue
            err = np.vstack([m["score"] - m["ci_low"], m["ci_high"] - m["score"]])
            ax.errorbar(m["parameters"], m["score"], yerr=np.nan_to_num(err), color=colors[method],
                        marker=MARKERS[i % len(MARKERS)], ms=4, lw=0.8, capsize=2,
                        label=fr.LABELS.get(method, method))
            for _, r in m.iterrows():
                if pd.notna(r["d"]):
                    ax.annotate(f"d={int(r['d'])}", (r["parameters"], r["score"]), fontsize=5,
                                xytext=(2, -7), textcoords="offset points", color=colors[method])
        ax.set_xscale("symlog", linthresh=1)
        ax.set(title=f"{model}: {task}", xlabel="trained encoder-layer parameters", ylabel="test score (x100)")
    fig.tight_layout()
    handles, labels = axes[0].get_legend_handles_labels()
    for ax in axes[1:]:  # a method missing on the first task still gets its entry
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    columns = style.MAX_COLUMNS
    if len(panels) % columns:  # the grid's empty slot holds the legend
        slot = axes[-1].get_position()
        fig.legend(handles, labels, loc="center left", bbox_to_anchor=(slot.x1 + 0.08, (slot.y0 + slot.y1) / 2),
                   fontsize=6, ncol=2, frameon=False)
    else:
        fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), fontsize=6, ncol=5, frameon=False)
    style.save(fig, out / "frontier")


def block_share(table: pd.DataFrame, out: Path) -> None:
    """S2: per layer, the share of energy inside W0's top-k block (log), mean over tasks with the task range."""
    if not len(table):
        return
    series = {"top_direction": "top trajectory direction", "top_directions": "top directions (mean)",
              "update": "whole update ΔW", "random": "random: k²/(mn)"}
    fig, axes = style.subplots(1, panel_height=2.6)
    ax = axes[0]
    for (col, name), color in zip(series.items(), style.colors(len(series))):
        per_task = table.pivot_table(index="layer", columns=["model", "task"], values=col)
        ax.plot(per_task.index, per_task.mean(axis=1), marker="o", ms=3, color=color, label=name)
        ax.fill_between(per_task.index, per_task.min(axis=1), per_task.max(axis=1), color=color, alpha=0.15)
    _log_scale(ax, table[list(series)].to_numpy())
    ax.set(xlabel="encoder layer", ylabel="share of energy in W0's top-k block")
    ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    style.save(fig, out / "block_share")


def geometry(sweeps: pd.DataFrame, out: Path) -> None:
    """S3: each measure against start energy, one line per (model, task) over its τ grid."""
    if not len(sweeps):
        return
    fig, axes = style.subplots(len(MEASURES), panel_height=2.2)
    units = list(dict.fromkeys(zip(sweeps["model"], sweeps["task"])))
    colors = dict(zip(units, style.colors(len(units))))
    for ax, (col, name) in zip(axes, MEASURES.items()):
        for i, unit in enumerate(units):
            g = sweeps[(sweeps["model"] == unit[0]) & (sweeps["task"] == unit[1])].groupby("tau")[
                ["energy", col]].mean().sort_values("energy")
            ax.plot(g["energy"], g[col], marker=MARKERS[i % len(MARKERS)], ms=3, lw=0.8, color=colors[unit],
                    label=f"{unit[0]}: {unit[1]}")
        ax.set(xlabel="start energy", ylabel=name)
        if col in ("relative_update", "rotation"):
            _log_scale(ax, sweeps[col])
    axes[0].legend(fontsize=5)
    fig.tight_layout()
    style.save(fig, out / "geometry")


def outliers(table: pd.DataFrame, out: Path) -> None:
    """S4: per layer, the fraction of outlier positions among the largest |W0| and |rank-k| entries, and chance."""
    if not len(table):
        return
    fig, axes = style.subplots(1, panel_height=2.6)
    ax = axes[0]
    lines = {"w0": "largest |W0|", "low_rank": "largest |U_k Σ_k V_kᵀ|", "chance": "chance: N/(mn)",
             "w0_perp": "largest |W0|, update less θ0", "chance_perp": "chance, update less θ0"}
    for (col, name), color in zip(lines.items(), style.colors(len(lines))):
        per_task = table.pivot_table(index="layer", columns=["model", "task"], values=col)
        ax.plot(per_task.index, per_task.mean(axis=1), marker="o", ms=3, color=color, label=name)
        ax.fill_between(per_task.index, per_task.min(axis=1), per_task.max(axis=1), color=color, alpha=0.15)
    _log_scale(ax, table.groupby("layer")[list(lines)].mean().to_numpy())
    ax.set(xlabel="encoder layer", ylabel="outlier positions among the N largest")
    ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False,
              title="entries of", title_fontsize=6)
    fig.tight_layout()
    style.save(fig, out / "outliers")


def transfer(pairs: pd.DataFrame, test: dict, out: Path) -> None:
    """S5: relative transfer against the two tasks' overlap, one point per ordered pair."""
    if not len(pairs):
        return
    fig, axes = style.subplots(1, panel_height=2.8)
    ax = axes[0]
    ax.scatter(pairs["overlap"], pairs["relative"], s=14)
    for _, r in pairs.iterrows():
        ax.annotate(f"{r['source']}→{r['target']}", (r["overlap"], r["relative"]), fontsize=4.5,
                    xytext=(2, 2), textcoords="offset points")
    ax.axhline(1.0, color="grey", lw=0.6, ls=":")
    ax.set(xlabel="mean top-k overlap of the two tasks' updates", ylabel="score in source's subspace / own",
           title=f"Spearman ρ = {test['rho']:.2f}, permutation p = {test['p']:.3f} ({test['pairs']} pairs)")
    fig.tight_layout()
    style.save(fig, out / "transfer")
