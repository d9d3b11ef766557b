"""Paper B's figures (PDF + PNG via ftgeom.report.style): stability heat maps, 1 − overlap against k with the
random and null baselines, overlap along training, pretraining scale, cross-task overlaps, the PEFT table as bars."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ftgeom.report import style

SOURCES = {"real": "fine-tuning", "null-frobenius": "null: same Frobenius norm",
           "null-spectrum": "null: same singular values"}


def heatmaps(ratios: pd.DataFrame, out: Path, k: int, null: str) -> None:
    """Per model: layer x matrix kind, the mean log10 null ratio of the leading k (> 0: more stable than the null)."""
    import seaborn as sns

    sel = ratios[(ratios["end"] == "lead") & (ratios["run"] == "full")]
    models = list(dict.fromkeys(sel["model"]))
    if not models:
        return
    fig, axes = style.subplots(len(models), panel_height=2.8)
    for ax, model in zip(axes, models):
        grid = sel[sel["model"] == model].pivot_table(index="layer", columns="kind", values="log_ratio", aggfunc="mean")
        sns.heatmap(grid, ax=ax, cmap="RdBu", center=0, annot=grid.shape[1] <= 8 and grid.shape[0] <= 8, fmt=".1f",
                    annot_kws={"fontsize": 6}, cbar_kws={"label": f"log10 null / real (top {k})"})
        ax.set(title=f"{model}: null '{null}'", xlabel="", ylabel="layer")
        ax.set_xticks(ax.get_xticks(), ax.get_xticklabels(), rotation=40, ha="right")
    fig.subplots_adjust(wspace=0.6)
    style.save(fig, out / "stability_heatmap")


def overlap_vs_k(df: pd.DataFrame, out: Path) -> None:
    """1 − overlap (log) against k for the real update and both nulls, leading and trailing, one panel per model;
    the dotted line is 1 − k/n, the distance of a random k-subspace."""
    sel = df[df["run"] == "full"]
    models = list(dict.fromkeys(sel["model"]))
    if not models:
        return
    fig, axes = style.subplots(len(models), panel_height=2.6)
    palette = dict(zip(SOURCES, style.colors(len(SOURCES))))
    for ax, model in zip(axes, models):
        part = sel[sel["model"] == model]
        for (source, end), g in part.groupby(["source", "end"]):
            med = g.groupby("k")["one_minus"].median()
            ax.plot(med.index, np.maximum(med.values, 1e-12), marker="o", ms=3, color=palette.get(source),
                    ls="-" if end == "lead" else "--", label=f"{SOURCES.get(source, source)} ({end})")
        rand = part.groupby("k")["random"].median()
        ax.plot(rand.index, 1 - rand.values, ls=":", color="grey", label="random k-subspace")
        ax.set(xscale="log", yscale="log", xlabel="k", ylabel="1 − overlap (median over matrices)", title=model)
    axes[0].legend(loc="lower center", bbox_to_anchor=(0.5 if len(axes) == 1 else 1.15, 1.08), ncol=3,
                   frameon=False, fontsize=6)
    fig.subplots_adjust(wspace=0.35)
    style.save(fig, out / "overlap_vs_k")


def steps(df: pd.DataFrame, out: Path, k: int) -> None:
    """1 − overlap of the leading k against the training step, median over a run's matrices."""
    if df.empty:
        return
    sel = df[df["end"] == "lead"]
    fig, axes = style.subplots(1, panel_height=2.4)
    for (model, task), g in sel.groupby(["model", "task"]):
        med = g.groupby("step")["one_minus"].median()
        axes[0].plot(med.index, np.maximum(med.values, 1e-12), marker="o", ms=3, label=f"{model} {task}")
    axes[0].set(yscale="log", xlabel="optimiser step", ylabel=f"1 − overlap, top {k}", title="along the trajectory")
    axes[0].legend(frameon=False, fontsize=6)
    style.save(fig, out / "overlap_vs_step")


def scale(table: pd.DataFrame, out: Path) -> None:
    """Per scale group: the log null ratio (and the relative update size) against unique pretraining examples;
    random initialisation is drawn at the left edge."""
    if table.empty:
        return
    groups = sorted(table["group"].unique())
    fig, axes = style.subplots(2 * len(groups), panel_height=2.4)
    for i, g in enumerate(groups):
        part = table[table["group"] == g].copy()
        floor = part.loc[part["examples"] > 0, "examples"].min() / 10
        part["x"] = part["examples"].where(part["examples"] > 0, floor)
        for j, (col, label) in enumerate((("log_ratio", "log10 null / real"), ("rel_update", "‖ΔW‖ / ‖W0‖"))):
            ax = axes[2 * i + j]
            for task, t in part.groupby("task"):
                mean = t.groupby("x")[col].mean()
                ax.plot(mean.index, mean.values, marker="o", ms=3, label=task)
            ax.set(xscale="log", xlabel="unique pretraining examples (left edge: none)", ylabel=label,
                   title=", ".join(dict.fromkeys(part["model"])) if j == 0 else "")
            ax.legend(frameon=False, fontsize=6)
    fig.subplots_adjust(hspace=0.7)
    style.save(fig, out / "scale")


def cross(pairs: pd.DataFrame, out: Path) -> None:
    """Per model: the update-subspace overlap of every task pair (seed 0) with the seed pairs on the diagonal."""
    import seaborn as sns

    real = pairs[(pairs["source"] == "real") & (pairs["what"] == "dw")]
    models = list(dict.fromkeys(real["model"]))
    if not models:
        return
    fig, axes = style.subplots(len(models), panel_height=2.8)
    for ax, model in zip(axes, models):
        part = real[real["model"] == model]
        seed = part["seed_a"].min()
        tasks = sorted(set(part["task_a"]) | set(part["task_b"]))
        grid = pd.DataFrame(np.nan, index=tasks, columns=tasks)
        for _, r in part.iterrows():
            if r["kind"] == "seed pair":
                grid.loc[r["task_a"], r["task_a"]] = r["overlap"]
            elif r["seed_a"] == seed:
                grid.loc[r["task_a"], r["task_b"]] = grid.loc[r["task_b"], r["task_a"]] = r["overlap"]
        sns.heatmap(grid, ax=ax, annot=True, fmt=".2f", cmap="viridis", annot_kws={"fontsize": 6},
                    vmin=part["random"].mean(), cbar_kws={"label": "update overlap"})
        ax.set(title=f"{model}: diagonal = two seeds\n(random k-subspaces: {part['random'].mean():.3f})")
        ax.set_xticks(ax.get_xticks(), ax.get_xticklabels(), rotation=40, ha="right")
    fig.subplots_adjust(wspace=0.7)
    style.save(fig, out / "cross_task")


def peft_bars(runs: pd.DataFrame, order: list[str], out: Path) -> None:
    import seaborn as sns

    if runs.empty:
        return
    present = [r for r in order if r in set(runs["run"])]
    g = sns.catplot(runs, x="run", y="score", col="task", kind="bar", order=present, errorbar="sd", sharey=False,
                    **style.grid(runs["task"].nunique(), 2.4))
    g.map_dataframe(sns.stripplot, x="run", y="score", order=present, color="black", size=2)
    g.set_axis_labels("", "test score ×100")
    for ax in g.axes.flat:
        ax.tick_params(axis="x", labelrotation=60)
    style.save(g.figure, out / "peft")
    plt.close("all")
