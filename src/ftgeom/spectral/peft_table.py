"""The PEFT table (paper B's claim 4): spectral-coefficient fine-tuning against full fine-tuning, Freeze, LoRA,
VeRA and BitFit, on the same tasks, seeds and recipe; learning rates chosen on validation, the same way for all.

Trainable parameters are counted in the backbone (the task head trains in every method and is reported apart),
as a share of the backbone's parameters. Scores are test metrics x100.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ftgeom.claims import claim_row
from ftgeom.provenance import read_json
from ftgeom.spectral.analysis import SPEC, model_task_units


def _row(rec: dict, heads: dict) -> dict:
    # full and frozen runs do not count their head apart: it is the same head as the PEFT runs' on that task
    head = rec.get("head_trainable", heads.get((rec["model"], rec["task"]), 0))
    backbone = rec.get("backbone_parameters") or (rec["total_parameters"] - head)
    trainable = rec.get("backbone_trainable", rec["trainable_parameters"] - head)
    tags = rec["spec"].get("spectral", {})
    return {"model": rec["model"], "task": rec["task"], "run": tags.get("run", rec["method"]),
            "method": rec["method"], "seed": rec["seed"], "score": 100 * rec["test_score"],
            "validation": 100 * rec["final"]["validation"][rec["metric"]], "metric": rec["metric"],
            "backbone_trainable": trainable, "backbone_parameters": backbone,
            "percent": 100 * trainable / backbone, "seconds_per_step": rec["timing"]["seconds_per_step"]}


def load_runs(run_dirs: list[str], baselines: list[str]) -> pd.DataFrame:
    recs = [read_json(p) for d in run_dirs for p in sorted(Path(d).glob("*.json"))]
    recs += [read_json(p) for p in baselines]
    heads = {(r["model"], r["task"]): r["head_trainable"] for r in recs if "head_trainable" in r}
    return pd.DataFrame([_row(r, heads) for r in recs])


def table(runs: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """method | backbone trainable | % | per-task mean ± std (and seeds) | average over tasks."""
    rows = []
    for run in [r for r in order if r in set(runs["run"])]:
        part = runs[runs["run"] == run]
        row = {"run": run, "method": part["method"].iloc[0], "percent": float(part["percent"].max()),
               "backbone_trainable": int(part["backbone_trainable"].max())}
        for task, t in part.groupby("task"):
            row[f"{task}_mean"], row[f"{task}_std"], row[f"{task}_n"] = t["score"].mean(), t["score"].std(), len(t)
        row["average"] = part.groupby("task")["score"].mean().mean()
        row["seconds_per_step"] = part["seconds_per_step"].median()
        rows.append(row)
    return pd.DataFrame(rows)


def paired(runs: pd.DataFrame, run: str, other: str) -> pd.Series:
    """Per (model, task, seed): score of `run` minus that of `other`, where both ran that seed."""
    a = runs[runs["run"] == run].set_index(["model", "task", "seed"])["score"]
    b = runs[runs["run"] == other].set_index(["model", "task", "seed"])["score"]
    return (a - b).dropna()


def claim_rows(runs: pd.DataFrame, sb: dict, config: str) -> list[dict]:
    peft = sb.get("peft") or {}
    if not peft or "spectral" not in set(runs["run"]):
        return []
    entry = peft["methods"]["spectral"]
    pct = runs.loc[runs["run"] == "spectral", "percent"].max()
    tasks = ", ".join(sorted(runs.loc[runs["run"] == "spectral", "task"].unique()))
    what = (f"spectral coefficients ({entry.get('options', {}).get('variant', 'block')}, "
            f"k = {entry.get('options', {}).get('k')}, {pct:.2f} % of the backbone)")
    setting = f"{', '.join(peft['models'])}; {tasks}; {what}; {config}"
    rows = []
    for other, claim_id in (("full", "B4a"), ("lora", "B4b")):
        if other in set(runs["run"]):
            units = model_task_units(paired(runs, "spectral", other), claim_id)
            single = units.index.get_level_values("model").nunique() == 1
            rows.append(claim_row(SPEC[claim_id], setting, units.droplevel("model") if single else units))
    return rows


def latex(tab: pd.DataFrame, tasks: list[str], names: dict[str, str]) -> str:
    from ftgeom.report.latex import escape

    cols = "l" + "r" * (2 + len(tasks) + 1)
    lines = [f"\\begin{{tabular}}{{{cols}}}", "\\toprule",
             " & ".join(["method", "trainable", "\\%", *(escape(t) for t in tasks), "average"]) + " \\\\",
             "\\midrule"]
    for _, r in tab.iterrows():
        cells = [escape(names.get(r["run"], r["run"])), f"{r['backbone_trainable']:,}".replace(",", "{,}"),
                 f"{r['percent']:.3g}"]
        for t in tasks:
            mean, std = r.get(f"{t}_mean"), r.get(f"{t}_std")
            cells.append("--" if pd.isna(mean) else f"{mean:.1f}" + ("" if pd.isna(std) else f" $\\pm$ {std:.1f}"))
        cells.append(f"{r['average']:.1f}" if np.isfinite(r["average"]) else "--")
        lines.append(" & ".join(cells) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(lines) + "\n"
