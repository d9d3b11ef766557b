"""Paper A's figures (PDF + PNG via ftgeom.report.style) and LaTeX tables."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ftgeom.report import style
from ftgeom.report.latex import escape, mean_std, signed
from ftgeom.intrinsic.analysis import TABLE1

LABELS = {"full": "Full", "frozen": "Freeze", "random": "Random", "intrinsic": "Intrinsic"}


def spectrum(spectra: pd.DataFrame, out: Path) -> None:
    """Energy outside the top-k directions (1 − explained variance, log scale) against k, per trajectory matrix;
    one line per (task, layer); the tasks' own subspaces (and the longer traced run), not the stacked ones."""
    import seaborn as sns

    own = spectra[~spectra["task"].str.startswith("unified") & (spectra["outside"] > 0)]
    variants = list(dict.fromkeys(own["variant"]))
    tasks = list(dict.fromkeys(own["task"]))
    palette = dict(zip(tasks, style.colors(len(tasks))))
    fig, axes = style.subplots(len(variants), panel_height=2.6)
    fig.subplots_adjust(hspace=0.45)
    for ax, variant in zip(axes, variants):
        sns.lineplot(own[own["variant"] == variant], x="k", y="outside", hue="task", palette=palette, units="layer",
                     estimator=None, lw=0.8, alpha=0.7, ax=ax, legend=False)
        ax.set(yscale="log", xlabel="directions k", ylabel="energy outside top k", title=f"trajectory: {variant}")
    handles = [plt.Line2D([], [], color=palette[t], label=t) for t in tasks]
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=min(4, len(tasks)),
               frameon=False, fontsize=7)
    style.save(fig, out / "spectrum")


def table1_bars(runs: pd.DataFrame, out: Path) -> None:
    import seaborn as sns

    sub = runs[runs["run"].isin(TABLE1)].assign(method=lambda f: f["run"].map(LABELS))
    fig, (ax,) = style.subplots(1, panel_height=2.6)
    order = [LABELS[m] for m in TABLE1]
    sns.barplot(sub, x="task", y="score", hue="method", hue_order=order, errorbar=None, alpha=0.6, ax=ax)
    sns.stripplot(sub, x="task", y="score", hue="method", hue_order=order, dodge=True, size=2.5, legend=False, ax=ax)
    ax.set(xlabel="", ylabel="test score ×100")
    ax.tick_params(axis="x", rotation=20)
    style.save(fig, out / "table1")


def d_ablation(curve: pd.DataFrame, runs: pd.DataFrame, out: Path) -> None:
    import seaborn as sns

    tasks = list(dict.fromkeys(curve["task"]))
    fig, axes = style.subplots(len(tasks))
    for ax, task in zip(axes, tasks):
        sns.lineplot(curve[curve["task"] == task], x="d", y="score", marker="o", errorbar="sd", ax=ax)
        for method, ls in (("full", "--"), ("frozen", ":")):
            ref = runs.loc[(runs["task"] == task) & (runs["run"] == method), "score"].mean()
            ax.axhline(ref, ls=ls, color="grey", lw=1, label=LABELS[method])
        ax.set(xscale="log", xlabel="subspace dimension d", ylabel="test score ×100", title=task)
        ax.set_xticks(sorted(curve["d"].unique()), labels=[str(d) for d in sorted(curve["d"].unique())])
        ax.legend(fontsize=7)
    fig.tight_layout()  # more tasks, more rows: keep each row's axis labels clear of the titles below
    style.save(fig, out / "d_ablation")


def table1_latex(table: pd.DataFrame, gaps: pd.DataFrame, seeds: dict[str, int]) -> str:
    counted = set(gaps.loc[gaps["counted"], "task"])
    lines = []
    for task, sub in table.groupby("task", sort=False):
        cells = {r["run"]: mean_std(r["mean"], r["std"]) for _, r in sub.iterrows()}
        mark = "" if task == "average" or task in counted else "$^\\dagger$"
        if task == "average":
            lines.append("\\midrule")
        lines.append(" & ".join([escape(task) + mark, *(cells.get(m, "--") for m in TABLE1)]) + " \\\\")
    n = ", ".join(f"{LABELS[m]} {seeds[m]}" for m in TABLE1 if m in seeds)
    caption = ("Paper A's Table~1 on this build: test score $\\times$100, mean $\\pm$ std over seeds (" + n + "). "
               "Full and Freeze are the shared runs; Random and Intrinsic train $d=\\ftAD$ coordinates per encoder "
               "layer with the embeddings and the head, on seeds other than the traced one. $^\\dagger$: Full $-$ "
               "Freeze on validation within the seed noise, so the task is left out of the recovered-gain fraction "
               "(claims A1a, A1b).")
    header = "task & " + " & ".join(LABELS[m] for m in TABLE1)
    return _table("lrrrr", header, lines, caption, "tab:intrinsic-ours")


def ablation_latex(abl: pd.DataFrame) -> str:
    lines = []
    for task, sub in abl.groupby("task", sort=False):
        for _, r in sub.iterrows():
            delta = "--" if r["run"] == "intrinsic" else signed(f"{r['vs_headline']:+.1f}")
            lines.append(" & ".join([escape(task), escape(r["label"]), mean_std(r["mean"], r["std"]),
                                     str(r["seeds"]), delta]) + " \\\\")
        lines.append("\\midrule")
    caption = ("Paper A's ablations on this build: the subspace dimension $d$ (the paper's Tables~5/6), the "
               "trajectory matrix the subspace is taken from, and the basis scaling. Test score $\\times$100, mean "
               "$\\pm$ std over seeds; $\\Delta$: paired difference to the headline run, seed by seed.")
    return _table("llrrr", "task & subspace & score & seeds & $\\Delta$", lines[:-1], caption, "tab:intrinsic-ablation")


def _table(columns: str, header: str, lines: list[str], caption: str, label: str) -> str:
    body = "\n".join(lines)
    return (f"\\begin{{table}}[t]\\centering\\small\n\\begin{{tabular}}{{{columns}}}\n\\toprule\n{header} \\\\\n"
            f"\\midrule\n{body}\n\\bottomrule\n\\end{{tabular}}\n\\caption{{{caption}}}\\label{{{label}}}\n"
            "\\end{table}\n")


def transfer_heatmaps(transfer: pd.DataFrame, out: Path) -> None:
    """Rows: the task whose subspace is used; columns: the task trained. Left: drop against the target's own
    subspace; right: gain over a random subspace (points ×100, mean over seeds)."""
    import seaborn as sns

    fig, axes = style.subplots(2, panel_height=2.8)
    for ax, column, title, cmap in ((axes[0], "drop_vs_own", "drop vs own subspace", "rocket_r"),
                                    (axes[1], "gain_vs_random", "gain vs random subspace", "vlag")):
        grid = transfer.pivot_table(index="source", columns="target", values=column, aggfunc="mean")
        sns.heatmap(grid, annot=True, fmt=".1f", cmap=cmap, center=0 if cmap == "vlag" else None, cbar=False,
                    annot_kws={"size": 6}, ax=ax)
        ax.set(title=title, xlabel="trained on (target)", ylabel="subspace of (source)" if ax is axes[0] else "")
        ax.tick_params(axis="x", rotation=30)
    axes[1].set_yticklabels([])  # the same rows as on the left
    fig.subplots_adjust(wspace=0.08)
    style.save(fig, out / "transfer")


def cosine_matrix(matrix: pd.DataFrame, out: Path) -> None:
    import seaborn as sns

    fig, (ax,) = style.subplots(1, panel_height=2.8)
    sns.heatmap(matrix, annot=True, fmt=".2f", cmap="vlag", center=0, vmin=-1, vmax=1, annot_kws={"size": 6}, ax=ax,
                square=True)
    ax.set(title="cosine of the learned coordinates (unified subspace)")
    ax.tick_params(axis="x", rotation=30)
    style.save(fig, out / "coordinate_cosine")


def outlier_spikes(hidden: pd.DataFrame, features: list[int], hidden_size: int, out: Path) -> None:
    """Outlier entries per hidden index (summed over layers and seeds), per task; ticks: the model's own outlier
    features (LayerNorm scales)."""
    tasks = list(dict.fromkeys(hidden["task"]))
    fig, axes = style.subplots(len(tasks), panel_height=1.8)
    for ax, task in zip(axes, tasks):
        counts = hidden[hidden["task"] == task].groupby("hidden_index")["count"].sum()
        full = np.zeros(hidden_size)
        full[counts.index.to_numpy()] = counts.to_numpy()
        ax.vlines(np.arange(hidden_size), 0, full, color=style.colors(1)[0], lw=0.9)
        for f in features:
            ax.axvline(f, color="red", lw=0.6, ls=":", alpha=0.7)
        ax.set(title=task, xlabel="hidden dimension", ylabel="outlier entries", xlim=(0, hidden_size))
    style.save(fig, out / "outlier_spikes")


def outlier_bars(full_space: pd.DataFrame, cheap: pd.DataFrame, out: Path) -> None:
    import seaborn as sns

    fig, axes = style.subplots(2, panel_height=2.4)
    labels = {"full": "Full", "zeroed-outliers": "outliers zeroed", "zeroed-random": "random zeroed"}
    sns.barplot(full_space.assign(run=full_space["run"].map(labels)), x="task", y="mean", hue="run", ax=axes[0])
    axes[0].set(title="zeroed, then full fine-tuning (Table 3)", ylabel="test score ×100", xlabel="")
    long = cheap.melt(id_vars=["task", "seed"], value_vars=["intact", "outliers_zeroed", "random_zeroed"],
                      var_name="update", value_name="score")
    sns.barplot(long, x="task", y="score", hue="update", errorbar="sd", ax=axes[1])
    axes[1].set(title="zeroed in the learned update only", ylabel="test score ×100", xlabel="")
    for ax in axes:
        ax.legend(fontsize=6)
    style.save(fig, out / "outliers")


def outliers_latex(full_space: pd.DataFrame, cheap: pd.DataFrame) -> str:
    lines = []
    for task in sorted(set(full_space["task"]) | set(cheap["task"])):
        fs = full_space[full_space["task"] == task].set_index("run")
        ch = cheap[cheap["task"] == task]
        cell = (lambda run: mean_std(fs.loc[run, "mean"], fs.loc[run, "std"]) if run in fs.index else "--")
        lines.append(" & ".join([
            escape(task), f"{ch['count'].mean():,.0f}" if len(ch) else "--",
            f"{100 * ch['fraction'].mean():.2f}\\%" if len(ch) else "--",
            f"{ch['gaussian_expectation'].mean():,.0f}" if len(ch) else "--",
            cell("full"), cell("zeroed-outliers"), cell("zeroed-random"),
            mean_std(ch["intact"].mean(), ch["intact"].std()) if len(ch) else "--",
            mean_std(ch["outliers_zeroed"].mean(), ch["outliers_zeroed"].std()) if len(ch) else "--",
            mean_std(ch["random_zeroed"].mean(), ch["random_zeroed"].std()) if len(ch) else "--"]) + " \\\\")
    caption = ("Paper A's outlier dimensions on this build (its Tables~3/4): entries of the learned update "
               "$V\\theta^t$ more than \\ftASigma$\\sigma$ from its mean, their share of the encoder's parameters, "
               "and how many a Gaussian update of the same size would have beyond that bar. Middle: full "
               "fine-tuning with those positions of the pretrained model held at zero, against as many random "
               "positions. Right: the trained subspace model itself with the outliers, or as many random "
               "entries, zeroed in its update only. Test score $\\times$100, mean $\\pm$ std.")
    header = ("task & outliers & share & Gaussian & Full & outl.\\ zeroed & rand.\\ zeroed & intact & "
              "outl.\\ zeroed & rand.\\ zeroed")
    return _table("lrrrrrrrrr", header, lines, caption, "tab:intrinsic-outliers").replace(
        "\\begin{tabular}", "\\resizebox{\\linewidth}{!}{\\begin{tabular}").replace(
        "\\end{tabular}", "\\end{tabular}}")


def unified_latex(uni: pd.DataFrame) -> str:
    lines = []
    cols = [c for c in ("own", "unified", "zeroshot", "random") if c in uni]
    for task, sub in uni.groupby("task"):
        lines.append(" & ".join([escape(task), *(f"{sub[c].mean():.1f}" for c in cols)]) + " \\\\")
    lines.append("\\midrule")
    lines.append(" & ".join(["average", *(f"{uni.groupby('task')[c].mean().mean():.1f}" for c in cols)]) + " \\\\")
    names = {"own": "own", "unified": "unified", "zeroshot": "zero-shot", "random": "random"}
    caption = ("Paper A's Table~2 on this build: the task's own subspace, the unified subspace of every task's "
               "trajectory, the unified one without the task's own trajectory (zero-shot) and a random one, all "
               "of dimension \\ftATransferD; test score $\\times$100, mean over \\ftATransferSeeds{} seed(s).")
    return _table("l" + "r" * len(cols), "task & " + " & ".join(names[c] for c in cols), lines, caption,
                  "tab:intrinsic-unified")
