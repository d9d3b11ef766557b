"""Paper A's figures (PDF + PNG via ftgeom.report.style) and LaTeX tables."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ftgeom.report import style
from ftgeom.report.latex import escape, mean_std, signed
from ftgeom.subspace.analysis import TABLE1

LABELS = {"full": "Full", "frozen": "Freeze", "random": "Random", "intrinsic": "Intrinsic"}


def spectrum(spectra: pd.DataFrame, out: Path) -> None:
    """Energy outside the top-k directions (1 − explained variance, log scale) against k, per trajectory matrix."""
    import seaborn as sns

    variants = list(dict.fromkeys(spectra["variant"]))
    fig, axes = style.subplots(len(variants))
    for ax, variant in zip(axes, variants):
        sub = spectra[(spectra["variant"] == variant) & (spectra["outside"] > 0)]
        sns.lineplot(sub, x="k", y="outside", hue="task", units="layer", estimator=None, lw=0.8, alpha=0.7, ax=ax,
                     legend=ax is axes[0])
        ax.set(yscale="log", xlabel="directions k", ylabel="energy outside top k", title=f"trajectory: {variant}")
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
               "Freeze within the seed noise, so the task is left out of the recovered-gain fraction (claim A1).")
    header = "task & " + " & ".join(LABELS[m] for m in TABLE1)
    return _table("lrrrr", header, lines, caption, "tab:paper-a-ours")


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
    return _table("llrrr", "task & subspace & score & seeds & $\\Delta$", lines[:-1], caption, "tab:paper-a-ablation")


def _table(columns: str, header: str, lines: list[str], caption: str, label: str) -> str:
    body = "\n".join(lines)
    return (f"\\begin{{table}}[t]\\centering\\small\n\\begin{{tabular}}{{{columns}}}\n\\toprule\n{header} \\\\\n"
            f"\\midrule\n{body}\n\\bottomrule\n\\end{{tabular}}\n\\caption{{{caption}}}\\label{{{label}}}\n"
            "\\end{table}\n")
