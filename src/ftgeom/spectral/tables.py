"""Paper B's LaTeX tables and the numbers its prose cites (as macros)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ftgeom.report.latex import define, listing
from ftgeom.report.latex import escape
from ftgeom.spectral.figures import SOURCES


def _sci(x: float) -> str:
    return "--" if not np.isfinite(x) else f"{x:.2g}" if 1e-2 <= abs(x) < 100 else f"{x:.1e}"


def _tabular(header: list[str], rows: list[list[str]], align: str) -> str:
    lines = [f"\\begin{{tabular}}{{{align}}}", "\\toprule", " & ".join(header) + " \\\\", "\\midrule"]
    lines += [" & ".join(r) + " \\\\" for r in rows]
    return "\n".join(lines + ["\\bottomrule", "\\end{tabular}"]) + "\n"


def stability(summary: pd.DataFrame, k: int) -> str:
    """Per model and source: median 1 − overlap of the top-k and bottom-k, matched |cos|, intruders, energy share."""
    sel = summary[(summary["run"] == "full") & (summary["k"] == k)]
    rows = []
    for (model, source), g in sel.groupby(["model", "source"], sort=False):
        lead, tail = g[g["end"] == "lead"].iloc[0], g[g["end"] == "tail"]
        rows.append([escape(model), escape(SOURCES.get(source, source)), _sci(lead["median_one_minus"]),
                     _sci(tail["median_one_minus"].iloc[0]) if len(tail) else "--", f"{lead['mean_max_angle']:.2f}",
                     f"{lead['mean_matched_cos']:.4f}",
                     f"{lead['mean_intruders']:.2f}", _sci(lead["mean_energy_share"]),
                     _sci(lead["mean_energy_random"])])
    return _tabular(["model", "update", f"$1-$ov. top {k}", f"$1-$ov. bottom {k}", "largest angle ($^\\circ$)",
                     "matched $|\\cos|$", "intruders", "energy in top block", "random"], rows, "llrrrrrrr")


def scale(table: pd.DataFrame) -> str:
    rows = []
    for (g, model), part in table.groupby(["group", "model"], sort=False):
        ex = part["examples"].iloc[0]
        rows.append([escape(model), "none" if ex == 0 else f"{ex:,.0f}".replace(",", "{,}"),
                     f"{part['log_ratio'].mean():+.2f}", _sci(part["one_minus"].mean()),
                     f"{part['rel_update'].mean():.3f}"])
    return _tabular(["model", "pretraining examples", "log$_{10}$ null / real", "$1-$overlap",
                     "$\\|\\Delta W\\|/\\|W_0\\|$"], rows, "lrrrr")


def cross(pairs: pd.DataFrame) -> str:
    rows = []
    dw = pairs[pairs["what"] == "dw"]
    for (model, kind), g in dw.groupby(["model", "kind"], sort=False):
        real, null = g[g["source"] == "real"], g[g["source"] == "null"]
        w1 = pairs[(pairs["what"] == "w1") & (pairs["model"] == model) & (pairs["kind"] == kind)]
        rows.append([escape(model), escape(kind), str(len(real)), f"{real['overlap'].mean():.3f}",
                     f"{null['overlap'].mean():.3f}", f"{real['random'].mean():.3f}",
                     _sci(w1.loc[w1["source"] == "real", "one_minus"].mean()),
                     _sci(w1.loc[w1["source"] == "null", "one_minus"].mean())])
    return _tabular(["model", "pairs", "n", "$\\Delta W$ overlap", "null", "random", "$W_1$: $1-$ov.", "null"], rows,
                    "llrrrrrr")


def _setup(sb: dict, pretraining: pd.DataFrame) -> dict[str, str]:
    """The runs the prose describes, from the config and the pretraining records (nothing typed in the paper)."""
    groups = []
    for group in sb.get("scale", []):
        described = []
        for m in group["models"]:
            n = group["examples"][m]
            described.append(f"{m} ({'random initialisation' if n == 0 else f'{n:,.0f} examples'})")
        models = listing(described)
        groups.append(f"{models}, each fine-tuned on {listing(group['tasks'])} (seeds "
                      f"{', '.join(map(str, group['seeds']))})")
    out = {"b scale groups": "; ".join(groups) or "none"}
    if len(pretraining):
        out["b pretraining"] = "; ".join(
            f"{r['model']}: the first {r['examples']:,} images of {r['task']}, {r['steps']} steps of batch "
            f"{r['batch_size']} ({r['epochs']:g} epochs), test accuracy {r['test_accuracy']:.2f}"
            for _, r in pretraining.iterrows())
    else:
        out["b pretraining"] = "none"
    peft = sb.get("peft") or {}
    spectral = (peft.get("methods") or {}).get("spectral", {}).get("options", {})
    lora = (peft.get("methods") or {}).get("lora", {}).get("options", {})
    out.update({"b peft k": spectral.get("k", "--"), "b peft variant": spectral.get("variant", "block"),
                "b lora r": lora.get("r", "--"), "b peft tasks": listing(sorted({t for ts in peft.get("models", {})
                                                                                 .values() for t in ts})),
                "b peft seeds": len(peft.get("seeds", []))})
    return out


LABELS = {"full": "Full", "frozen": "Freeze", "spectral": "spectral", "lora": "LoRA", "vera": "VeRA",
          "bitfit": "BitFit"}


def numbers(sb: dict, df: pd.DataFrame, summary: pd.DataFrame, claims: pd.DataFrame, peft: pd.DataFrame,
            pairs: pd.DataFrame, pretraining: pd.DataFrame) -> str:
    k = sb["claim_k"]
    real = df[(df["source"] == "real") & (df["run"] == "full") & (df["k"] == k) & (df["end"] == "lead")]
    values = {"b k": k, "b null": sb["verdict_null"], "b cross k": sb["cross_k"],
              "b ks": ", ".join(map(str, sb["ks"])), "b intruder k": sb["intruders"]["k"],
              "b intruder threshold": sb["intruders"]["threshold"],
              "b seeds": ", ".join(map(str, sb["seeds"])),
              "b rel update": f"{real['rel_update'].median():.3f}" if len(real) else "--",
              "b stable rank": f"{real['stable_rank'].median():.1f}" if len(real) else "--",
              **_setup(sb, pretraining)}
    for source in SOURCES:
        sel = summary[(summary["run"] == "full") & (summary["k"] == k) & (summary["end"] == "lead")
                      & (summary["source"] == source)]
        values[f"b one minus {source}"] = _sci(sel["median_one_minus"].median()) if len(sel) else "--"
    for i, row in claims.reset_index(drop=True).iterrows():
        tag = "".join(chr(ord("a") + int(c)) for c in str(i))  # macro names are letters only
        values[f"b claim {tag}"] = f"{row['effect']:.3g} [{row['ci_low']:.3g}, {row['ci_high']:.3g}]"
    peft_cfg = sb.get("peft") or {}
    for run, entry in {**peft_cfg.get("methods", {}), **peft_cfg.get("variants", {})}.items():
        values[f"b lr {run}"] = f"{entry['lr']:g}"
    for run in ("full", "frozen", *peft_cfg.get("methods", {}), *peft_cfg.get("variants", {})):
        values[f"b avg {run}"] = values[f"b pct {run}"] = "--"  # defined even when a run is missing
    if len(peft):
        for _, r in peft.iterrows():
            values[f"b avg {r['run']}"] = f"{r['average']:.1f}"
            values[f"b pct {r['run']}"] = f"{r['percent']:.3g}"
    # the prose lists what this config ran (a PEFT set without VeRA or BitFit compiles too)
    methods = sorted(peft_cfg.get("methods", {}), key=lambda m: (list(LABELS).index(m) if m in LABELS else 99, m))
    values["b lr list"] = ", ".join(f"{LABELS.get(m, m)} {values[f'b lr {m}']}" for m in methods) or "--"
    values["b avg list"] = ", ".join(f"{LABELS.get(r, r)} {values[f'b avg {r}']}" for r in ("full", "frozen", *methods))
    values["b pct lora"] = values.get("b pct lora", "--")
    for kind in ("seed pair", "unrelated tasks", "related tasks"):
        values[f"b overlap {kind}"] = "--"
    if len(pairs):
        dw = pairs[(pairs["source"] == "real") & (pairs["what"] == "dw")]
        for kind, g in dw.groupby("kind"):
            values[f"b overlap {kind}"] = f"{g['overlap'].mean():.3f}"
    return define(values)
