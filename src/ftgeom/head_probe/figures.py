"""Paper C's figures (PDF for the paper, PNG for a quick look) and its LaTeX table fragment."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import seaborn as sns

from ftgeom.head_probe.plan import CONVERGED
from ftgeom.provenance import git_commit
from ftgeom.report import style
from ftgeom.report.latex import escape, mean_std

# scale-free measures (divided by the held-out mean ‖z_0‖), so that backbones share an axis
MEASURES = [("rel_distance", "||z_T − z_0|| / ||z_0||"), ("cosine", "cos(z_T, z_0)"),
            ("rel_dot", "<z_T, z_0> / ||z_0||²"), ("rel_norm", "||z_T|| / ||z_0||")]
VARIANT_ORDER = ["base", "early", "smooth", "mlp"]


def _save(fig, out_dir: Path, name: str) -> None:
    style.save(fig, out_dir / name)


def _panel(frame: pd.DataFrame) -> pd.Series:
    return frame["model"] + ": " + frame["task"]


def energy_vs_tau(curves: pd.DataFrame, out_dir: Path) -> None:
    data = curves.assign(panel=_panel(curves), tau=curves["epoch"])
    style.theme()
    g = sns.relplot(data=data, x="tau", y="energy", hue="variant", col="panel", kind="line", errorbar=("pi", 100),
                    facet_kws={"sharey": False}, **style.grid(data["panel"].nunique(), panel_height=1.7))
    g.set(xscale="symlog", xlim=(0, None))
    g.set_titles("{col_name}")
    g.set_axis_labels("head-probing epochs τ", "energy: mean ||e_y − p||")
    style.legend_on_top(g)
    _save(g.figure, out_dir, "energy_vs_tau")


def features_vs_energy(runs: pd.DataFrame, out_dir: Path) -> None:
    base = runs[runs["variant"] == "base"].assign(panel=_panel(runs))
    style.theme()
    fig, axes = style.subplots(len(MEASURES), panel_height=2.0)
    for ax, (col, label) in zip(axes, MEASURES):
        sns.lineplot(data=base, x="energy", y=col, hue="panel", style="backbone", marker="o", errorbar=None, ax=ax,
                     estimator=None, units="seed", alpha=0.35, legend=False)
        means = base.groupby(["panel", "backbone", "tau"], as_index=False)[["energy", col]].mean()
        sns.lineplot(data=means.sort_values("energy"), x="energy", y=col, hue="panel", style="backbone",
                     marker="o", ax=ax, legend=col == MEASURES[-1][0], sort=False)
        ax.set(xlabel="start energy (mean ||e_y − p||)", ylabel=label)
    handles, labels = ax.get_legend_handles_labels()
    ax.get_legend().remove()
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, frameon=False)
    fig.tight_layout()
    _save(fig, out_dir, "features_vs_energy")


def metric_vs_tau(runs: pd.DataFrame, best: pd.DataFrame, out_dir: Path) -> None:
    base = runs[runs["variant"] == "base"].assign(panel=_panel(runs) + "\n(test " + runs["metric"] + ")")
    panels = list(dict.fromkeys(base["panel"]))
    style.theme()
    fig, axes = style.subplots(len(panels), panel_height=2.0)
    for ax, panel in zip(axes, panels):
        sub = base[base["panel"] == panel]
        order = sub.sort_values("tau_epochs")["tau"].drop_duplicates().tolist()
        sns.pointplot(data=sub, x="tau", y="test", order=order, errorbar="sd", ax=ax, color="C0", capsize=0.15)
        model, task = sub["model"].iloc[0], sub["task"].iloc[0]
        chosen = best[(best["model"] == model) & (best["task"] == task)]["tau"]
        if not chosen.empty:
            i = order.index(chosen.iloc[0])
            ax.plot(i, sub[sub["tau"] == chosen.iloc[0]]["test"].mean(), marker="*", ms=14, color="C3",
                    label="best intermediate τ (validation)")
        ax.set_title(panel)
        ax.set(xlabel="τ (head-probing epochs)", ylabel="test metric")
        ax.set_xticks(range(len(order)), [("conv." if t == CONVERGED else t) for t in order])
    axes[-1].legend(loc="lower right")
    fig.tight_layout()
    _save(fig, out_dir, "metric_vs_tau")


def variants(runs: pd.DataFrame, out_dir: Path) -> None:
    data = runs.assign(panel=_panel(runs), run=runs["variant"] + " τ=" + runs["tau"].str.replace(CONVERGED, "conv."),
                       order=runs["variant"].map(VARIANT_ORDER.index) * 10**4 + runs["tau_epochs"])
    data = data.sort_values(["order", "panel"])
    style.theme()
    fig, axes = style.subplots(2, panel_height=0.6 + 0.12 * data["run"].nunique() * data["panel"].nunique(),
                               sharey=True)
    sns.barplot(data=data, y="run", x="energy", hue="panel", errorbar="sd", ax=axes[0], legend=False)
    # the metric as points: differences of a few points would vanish on bars drawn from zero
    sns.pointplot(data=data, y="run", x="test", hue="panel", errorbar="sd", ax=axes[1], dodge=0.6,
                  linestyle="none", markersize=4, capsize=0.1)
    axes[0].set(xlabel="energy at the start (mean ||e_y − p||)", ylabel="")
    axes[1].set(xlabel="test metric (mean ± sd over seeds)", ylabel="")
    handles, labels = axes[1].get_legend_handles_labels()
    axes[1].get_legend().remove()
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, frameon=False)
    fig.tight_layout()
    _save(fig, out_dir, "variants")


def drift_vs_epoch(epochs: pd.DataFrame, out_dir: Path) -> None:
    """Median distance over fine-tuning epochs per τ, with the held-out examples' interquartile range as a band."""
    data = epochs[epochs["variant"] == "base"].assign(panel=_panel(epochs))
    panels = list(dict.fromkeys(data["panel"]))
    style.theme()
    fig, axes = style.subplots(len(panels), panel_height=2.0)
    taus = sorted(data["tau"].unique(), key=lambda t: (t == CONVERGED, t.zfill(6)))
    palette = dict(zip(taus, style.colors(len(taus))))
    for ax, panel in zip(axes, panels):
        sub = data[data["panel"] == panel].groupby(["tau", "epoch"], as_index=False).mean(numeric_only=True)
        for tau, g in sub.groupby("tau"):
            ax.plot(g["epoch"], g["distance_q50"], marker="o", color=palette[tau], label=f"τ={tau}")
            ax.fill_between(g["epoch"], g["distance_q25"], g["distance_q75"], color=palette[tau], alpha=0.2)
        ax.set(xlabel="fine-tuning epoch", ylabel="||z_t − z_0|| (median, IQR)")
        ax.set_title(panel)
        ax.legend()
    fig.tight_layout()
    _save(fig, out_dir, "drift_vs_epoch")


def linear_model(linear: pd.DataFrame, out_dir: Path) -> None:
    data = linear.assign(rel_distance=linear["distance"] / linear["norm0"], rel_dot=linear["dot"] / linear["norm0"] ** 2,
                         rel_norm=linear["norm"] / linear["norm0"],
                         head=linear["head_init"].map("fresh head scale {:g}".format))
    means = data.groupby(["head", "tau"], as_index=False).mean(numeric_only=True)
    style.theme()
    fig, axes = style.subplots(len(MEASURES), panel_height=1.9)
    for ax, (col, label) in zip(axes, MEASURES):
        sns.lineplot(data=means.sort_values("energy"), x="energy", y=col, hue="head", marker="o", ax=ax, sort=False,
                     legend=ax is axes[-1])
        ax.set(xlabel="start energy (mean ||y − ŷ||)", ylabel=label)
    axes[-1].legend()
    fig.suptitle("overparameterised linear model (our design): τ sweep, mean over problems")
    fig.tight_layout()
    _save(fig, out_dir, "linear_model")


def summary_latex(summary: pd.DataFrame, n_seeds: str) -> str:
    lines = [f"% generated by ftgeom.head_probe.figures (git {git_commit()})", "\\begin{table}[t]\\centering\\small",
             "\\begin{tabular}{llrrrrr}", "\\toprule",
             "model: task & head, $\\tau$ & energy & start acc. & test & $\\|z_T-z_0\\|/\\|z_0\\|$ & $1-\\cos$ \\\\",
             "\\midrule"]
    previous = None
    for _, r in summary.iterrows():
        panel = f"{r['model']}: {r['task']}"
        if previous is not None and panel != previous:
            lines.append("\\midrule")
        tau = "conv." if r["tau"] == CONVERGED else r["tau"]
        lines.append(" & ".join([escape(panel) if panel != previous else "", escape(f"{r['variant']}, {tau}"),
                                 f"{r['energy_mean']:.3f}", f"{100 * r['start_accuracy_mean']:.1f}",
                                 mean_std(r["test_mean"], r["test_std"], 100), f"{r['rel_distance_mean']:.3f}",
                                 f"{r['cosine_distance_mean']:.4f}"]) + " \\\\")
        previous = panel
    lines += ["\\bottomrule", "\\end{tabular}",
              (f"\\caption{{Head probing, then full fine-tuning: energy (mean $\\|e_y-p\\|$ on the training set) and "
              f"training accuracy at the start of fine-tuning, test metric ($\\times$100, mean $\\pm$ std over "
              f"{n_seeds}) and feature movement on held-out data after fine-tuning.}}"),
              "\\label{tab:head-probe}", "\\end{table}"]
    return "\n".join(lines) + "\n"
