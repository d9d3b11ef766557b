"""Paper B's report: the stability jobs' measures gathered, summarised and turned into claim rows B1-B3 and B5.

Stability is read as 1 − overlap of the leading k singular vectors, always next to the same measure for a null
perturbation of the same size as the real update. The claims use the log ratio
    log10[(1 − overlap)_null / (1 − overlap)_real]
per matrix (> 0: fine-tuning moved the subspace less than the null did), averaged over a run's matrices: one unit
per (model, task, seed). Matrices with fewer than 4k singular values are left out of the claim rows (their leading
and trailing k would overlap or fill the space).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ftgeom.claims import claim_row

FLOOR = 1e-12  # 1 − overlap below this is rounding: a matrix the run did not move (left out of ratios)


def load_measures(stability_dirs: list[str], name: str = "measures.csv") -> pd.DataFrame:
    """Every stability job's rows, with the model (results/spectral/{model}/{task}/stability)."""
    frames = []
    for d in stability_dirs:
        path = Path(d) / name
        if path.stat().st_size > 1:
            frame = pd.read_csv(path)
            if not frame.empty:
                frames.append(frame.assign(model=Path(d).parent.parent.name))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def eligible(df: pd.DataFrame, k: int) -> pd.DataFrame:
    return df[np.minimum(df["m"], df["n"]) >= 4 * k]


def null_ratios(df: pd.DataFrame, k: int, null: str, measure: str = "one_minus") -> pd.DataFrame:
    """Per (model, task, run, seed, matrix, end): log10 of the null's `measure` over the real one's."""
    cut = eligible(df[df["k"] == k], k)
    keys = ["model", "task", "run", "seed", "name", "layer", "label", "kind", "end"]
    real = cut[cut["source"] == "real"].set_index(keys)[measure]
    other = cut[cut["source"] == f"null-{null}"].set_index(keys)[measure]
    both = pd.concat({"real": real, "null": other}, axis=1).dropna()
    both = both[both["real"] > FLOOR]
    both["log_ratio"] = np.log10(np.maximum(both["null"], FLOOR) / both["real"])
    return both.reset_index()


def per_unit(ratios: pd.DataFrame, end: str = "lead") -> pd.Series:
    """The mean log ratio of one end over a run's matrices: one value per (model, task, seed)."""
    sel = ratios[(ratios["end"] == end) & (ratios["run"] == "full")]
    return sel.groupby(["model", "task", "seed"])["log_ratio"].mean()


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per (model, run, source, k, end): the measures' medians and means over matrices and runs (the overlap-vs-k
    figure and the stability table)."""
    cols = ["one_minus", "overlap", "max_angle", "random", "matched_cos", "sv_change", "energy_share", "energy_random",
            "intruders", "rel_update", "stable_rank"]
    cols = [c for c in cols if c in df]
    grouped = df.groupby(["model", "run", "source", "k", "end"])
    out = grouped[cols].mean().add_prefix("mean_")
    out["median_one_minus"] = grouped["one_minus"].median()
    out["matrices"] = grouped.size()
    return out.reset_index()


def energy_units(df: pd.DataFrame, k: int) -> pd.DataFrame:
    """Per (model, task, seed): the share of the real update's energy in the pretrained top-k block, over its
    random expectation (log10), mean over matrices."""
    cut = eligible(df[(df["k"] == k) & (df["source"] == "real") & (df["end"] == "lead") & (df["run"] == "full")], k)
    cut = cut.assign(log_gain=np.log10(np.maximum(cut["energy_share"], FLOOR) / cut["energy_random"]))
    return cut.groupby(["model", "task", "seed"]).agg(energy_share=("energy_share", "mean"),
                                                       energy_random=("energy_random", "mean"),
                                                       log_gain=("log_gain", "mean")).reset_index()


def rotation_units(df: pd.DataFrame, k: int) -> pd.Series:
    """SpecLoRA's rotation: log10[(1 − matched |cos|)_lead / (1 − matched |cos|)_tail] of the real update, mean over
    a run's matrices, per (model, task, seed)."""
    cut = eligible(df[(df["k"] == k) & (df["source"] == "real") & (df["run"] == "full")], k)
    wide = cut.pivot_table(index=["model", "task", "seed", "name"], columns="end", values="matched_cos")
    wide = wide[(1 - wide["tail"]) > FLOOR]
    ratio = np.log10(np.maximum(1 - wide["lead"], FLOOR) / (1 - wide["tail"]))
    return ratio.groupby(["model", "task", "seed"]).mean()


def amplification_units(df: pd.DataFrame, k: int) -> pd.Series:
    """Mean relative change of the leading k singular values of the real update, per (model, task, seed)."""
    cut = eligible(df[(df["k"] == k) & (df["source"] == "real") & (df["end"] == "lead") & (df["run"] == "full")], k)
    return cut.groupby(["model", "task", "seed"])["sv_change"].mean()


def scale_table(df: pd.DataFrame, sb: dict) -> pd.DataFrame:
    """Per scale group, model, task and seed: the log null ratio (lead, claim k), 1 − overlap of the real update,
    the relative update size and the unique pretraining examples."""
    k, null = sb.get("claim_k", 16), sb.get("verdict_null", "spectrum")
    keys = ["model", "task", "seed"]
    ratios = null_ratios(df, k, null)
    ratio = ratios[(ratios["run"] == "full") & (ratios["end"] == "lead")].groupby(keys)["log_ratio"].mean()
    real = df[(df["run"] == "full") & (df["source"] == "real") & (df["k"] == k) & (df["end"] == "lead")]
    one_minus = eligible(real, k).groupby(keys)["one_minus"].mean()
    rel_update = real.groupby(keys)["rel_update"].median()
    rows = []
    for g, group in enumerate(sb.get("scale", [])):
        for model in group["models"]:
            for task in group["tasks"]:
                for seed in group["seeds"]:
                    key = (model, task, seed)
                    rows.append({"group": g, "model": model, "task": task, "seed": seed,
                                 "examples": group["examples"][model], "log_ratio": ratio.get(key, np.nan),
                                 "one_minus": one_minus.get(key, np.nan), "rel_update": rel_update.get(key, np.nan)})
    return pd.DataFrame(rows)


def scale_units(scale: pd.DataFrame, group: int) -> pd.Series:
    """Per (task, seed) of a group: the slope of the log null ratio on log10(pretraining examples) over the models
    with any pretraining (random initialisation has no place on a log axis: it is shown beside, not fitted)."""
    sel = scale[(scale["group"] == group) & (scale["examples"] > 0)].dropna(subset=["log_ratio"])
    out = {}
    for (task, seed), part in sel.groupby(["task", "seed"]):
        if part["examples"].nunique() >= 2:
            out[(task, seed)] = float(np.polyfit(np.log10(part["examples"]), part["log_ratio"], 1)[0])
    return pd.Series(out, dtype=float)


def foundation(df: pd.DataFrame, sb: dict) -> pd.DataFrame:
    """The rows of the `spectral.models` pairs (the pretraining-scale runs are B3's alone)."""
    pairs = {(m, t) for m, tasks in sb["models"].items() for t in tasks}
    return df[[pair in pairs for pair in zip(df["model"], df["task"])]]


def claim_rows(df: pd.DataFrame, sb: dict, cross_units: pd.Series, scale: pd.DataFrame, config: str) -> list[dict]:
    k, null = sb.get("claim_k", 16), sb.get("verdict_null", "spectrum")
    own = foundation(df, sb)
    base = null_ratios(own, k, null)
    lead_b, tail_b = per_unit(base, "lead"), per_unit(base, "tail")
    rows = []
    measure = (f"log10[(1 − overlap)_null / (1 − overlap)_real] of the top-{k} left and right singular subspaces "
               f"(mean of the two), null = W0 + a random perturbation with the update's singular values "
               f"('{null}'), mean over a run's matrices with ≥ {4 * k} singular values; unit (task, seed)")
    for model, tasks in sb["models"].items():
        values = lead_b[lead_b.index.get_level_values("model") == model]
        rows.append(claim_row("B1", "The leading singular vectors of pretrained weights stay stable under fine-tuning.",
                              measure, f"{model}; {len(tasks)} tasks; full fine-tuning; {config}", values.values,
                              published="highly stable (abstract)"))
    diff = (lead_b - tail_b).dropna()
    rows.append(claim_row(
        "B1", "Fine-tuning protects the leading singular vectors more than the trailing ones.",
        f"the B1 log ratio of the top-{k} minus that of the bottom-{k} singular subspaces; unit (model, task, seed)",
        f"{', '.join(sb['models'])}; full fine-tuning; {config}", diff.values))
    energy = energy_units(own, k)
    rows.append(claim_row(
        "B2", "Fine-tuning reuses the pretrained leading spectral basis, across unrelated tasks.",
        f"log10 of the share of the update's energy in the pretrained top-{k} block ‖U_kᵀ ΔW V_k‖² / ‖ΔW‖² over "
        "its expectation k²/(mn) for an update independent of the basis; unit (model, task, seed)",
        f"{', '.join(sb['models'])}; full fine-tuning; {config}", energy["log_gain"].values,
        published="shared across tasks (abstract)"))
    if len(cross_units):
        rows.append(claim_row(
            "B2", "Unrelated tasks share their update directions as much as two seeds of one task do.",
            f"overlap of the top-{sb.get('cross_k', 16)} left singular subspaces of two unrelated tasks' updates over "
            "the mean overlap of each task's two seeds, mean over matrices; unit (pair, seed); bar 0.8",
            f"{', '.join(sb.get('unrelated', {}))}; unrelated pairs; {config}", cross_units.values, threshold=0.8))
    for g, group in enumerate(sb.get("scale", [])):
        pretrained = [m for m in group["models"] if group["examples"][m] > 0]
        if len(pretrained) >= 2:
            values = scale_units(scale, g)
            measure_s = ("slope of the B1 log ratio on log10(unique pretraining examples) over the models with "
                         "pretraining; unit (task, seed)")
        else:
            sel = scale[scale["group"] == g].set_index(["task", "seed", "model"])["log_ratio"]
            scratch = [m for m in group["models"] if group["examples"][m] == 0]
            if not pretrained or not scratch:
                continue
            values = (sel.xs(pretrained[0], level="model") - sel.xs(scratch[0], level="model")).dropna()
            measure_s = f"B1 log ratio of {pretrained[0]} minus that of {scratch[0]}; unit (task, seed)"
        rows.append(claim_row("B3", "Models pretrained on more data are spectrally more stable under fine-tuning.",
                              measure_s, f"{', '.join(group['models'])}; {', '.join(group['tasks'])}; {config}",
                              values.values, published="more stable (abstract)"))
    amp = amplification_units(own, k)
    rows.append(claim_row(
        "B5", "(SpecLoRA) Fine-tuning amplifies the top singular values.",
        f"mean relative change (σ1 − σ0) / σ0 of the top-{k} singular values; unit (model, task, seed)",
        f"{', '.join(sb['models'])}; full fine-tuning; {config}", amp.values,
        published="amplified (SpecLoRA)"))
    rot = rotation_units(own, k)
    rows.append(claim_row(
        "B5", "(SpecLoRA) Fine-tuning rotates the dominant singular vectors more than the tail.",
        f"log10[(1 − matched |cos|)_top-{k} / (1 − matched |cos|)_bottom-{k}], matched within a window of ‖ΔW‖₂ "
        "in singular value; unit (model, task, seed)", f"{', '.join(sb['models'])}; full fine-tuning; {config}",
        rot.values, published="re-oriented (SpecLoRA)"))
    return rows
