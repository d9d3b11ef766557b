"""Published numbers beside ours: paper A's Table 1 (and, when our tasks are GLUE, per task), paper B's PEFT
reference points. Published values live in published.csv (from ../shared/PAPERS.md), never in the LaTeX."""
from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

from ftgeom.report.latex import escape

METHODS_A = ("full", "frozen", "random", "intrinsic")
LABEL = {"full": "Full", "frozen": "Freeze", "random": "Random", "intrinsic": "Intrinsic"}


def published(paper: str | None = None, table: str | None = None) -> pd.DataFrame:
    with resources.files("ftgeom.document").joinpath("published.csv").open() as f:
        frame = pd.read_csv(f, dtype={"table": str}, keep_default_na=False)
    if paper:
        frame = frame[frame["paper"] == paper]
    if table:
        frame = frame[frame["table"] == table]
    return frame.reset_index(drop=True)


def _cell(value: float) -> str:
    return "--" if value is None or not np.isfinite(value) else f"{value:.1f}"


def _recovered(row: dict) -> str:
    full, frozen, intrinsic = (row.get(m, np.nan) for m in ("full", "frozen", "intrinsic"))
    gap = full - frozen
    return "--" if not np.isfinite(intrinsic) or not np.isfinite(gap) or gap <= 0 else \
        f"{100 * (intrinsic - frozen) / gap:.0f}\\%"


def _table(columns: str, header: str, rows: list[str], caption: str, label: str) -> str:
    """A booktabs float; `rows` are body lines (each ends in \\\\ or is a rule)."""
    return "\n".join(["\\begin{table}[t]\\centering\\small", f"\\begin{{tabular}}{{{columns}}}", "\\toprule",
                      header + " \\\\", "\\midrule", *rows, "\\bottomrule", "\\end{tabular}",
                      f"\\caption{{{caption}}}", f"\\label{{{label}}}", "\\end{table}"]) + "\n"


def ours_text(summary: pd.DataFrame, text_models) -> pd.DataFrame:
    """Our runs as (model, task, method, value ×100) for the text models; `summary` is tables/finetune.csv (or a
    later stage's table in the same long form)."""
    ours = summary[summary["model"].isin(list(text_models))]
    return ours.assign(value=100 * ours["mean"])[["model", "task", "method", "value"]]


def table_a1(ours: pd.DataFrame, config_name: str) -> str:
    """Averages: the published GLUE rows of paper A's Table 1, then ours (the methods this build has run)."""
    pub = published("A", "1")
    rows = []
    n_glue = pub.loc[pub["task"] != "average", "task"].nunique()
    for model, sub in pub[pub["task"] == "average"].groupby("model", sort=False):
        rows.append(("published", model, f"GLUE ({n_glue})", dict(zip(sub["method"], sub["value"].astype(float)))))
    for model, sub in ours.groupby("model", sort=False):
        tasks = sub["task"].nunique()
        means = sub.groupby("method")["value"].mean()
        rows.append((f"ours ({config_name})", model, f"{tasks} task{'s' * (tasks != 1)}", means.to_dict()))
    lines = []
    for source, model, tasks, values in rows:
        cells = [_cell(values.get(m, np.nan)) for m in METHODS_A]
        lines.append(" & ".join([escape(source), escape(model), escape(tasks), *cells, _recovered(values)]) + " \\\\")
    return _table("lllrrrrr", "source & model & tasks & " + " & ".join(LABEL[m] for m in METHODS_A)
                  + " & Intr. recovers", lines,
                  "Paper A's Table~1 (average test score $\\times$100): published on GLUE, and ours on this build's "
                  "tasks (a different setting unless the tasks are GLUE; -- = not run in this build). "
                  "``Intr. recovers'': (Intrinsic $-$ Freeze) / (Full $-$ Freeze).", "tab:intrinsic-table1")


def table_a1_per_task(ours: pd.DataFrame) -> str:
    """Per GLUE task, published beside ours, for the (model, method)s run on GLUE tasks; empty when none were."""
    pub = published("A", "1")
    pub = pub[pub["task"] != "average"]
    tasks = [t for t in dict.fromkeys(pub["task"]) if t in set(ours["task"])]
    models = [m for m in dict.fromkeys(pub["model"]) if m in set(ours["model"])]
    if not tasks or not models:
        return ""
    lines = []
    for model in models:
        for method in METHODS_A:
            ours_m = ours[(ours["model"] == model) & (ours["method"] == method)].set_index("task")["value"]
            pub_m = pub[(pub["model"] == model) & (pub["method"] == method)].set_index("task")["value"].astype(float)
            if ours_m.empty and pub_m.empty:
                continue
            for source, values in (("published", pub_m), ("ours", ours_m)):
                lines.append(" & ".join([escape(f"{model}, {LABEL[method]}") if source == "published" else "",
                                         source, *(_cell(values.get(t, np.nan)) for t in tasks)]) + " \\\\")
        lines.append("\\midrule")
    return _table(f"ll{'r' * len(tasks)}", "model, method & source & " + " & ".join(escape(t) for t in tasks),
                  lines[:-1], "Paper A's Table~1 per GLUE task: published beside ours (test score $\\times$100; our "
                  "test split is GLUE's validation set, as in the paper).", "tab:intrinsic-table1-tasks")


def table_b_reference(ours: pd.DataFrame | None = None) -> str:
    """Paper B's PEFT reference points (published), with ours once the spectral stage has run."""
    pub = published("B")
    lines = []
    for _, r in pub.iterrows():
        source = f"{'VeRA' if r['table'].startswith('VeRA') else 'SVFT'} paper, Table {r['table'].split('-')[1]}"
        lines.append(" & ".join([escape(source), escape(r["model"]), escape(r["method"]), escape(r["parameters"]),
                                 f"{float(r['value']):.2f}"]) + " \\\\")
    lines.append("\\midrule")
    if ours is None or ours.empty:
        lines.append("ours & \\multicolumn{4}{l}{not run in this build (the paper-B stage has not landed)} \\\\")
    else:
        for _, r in ours.iterrows():
            lines.append(" & ".join(["ours", escape(r["model"]), escape(r["method"]), escape(r["parameters"]),
                                     f"{float(r['value']):.2f}"]) + " \\\\")
    return _table("llllr", "source & model & method & trainable & GLUE avg.", lines,
                  "Reference points for parameter-efficient fine-tuning (published; different models and settings "
                  "from ours, for orientation).", "tab:spectral-reference")
