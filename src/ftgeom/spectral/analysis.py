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

from ftgeom.claims import claim_row, unit_means, unit_series
from ftgeom.spectral.claim_specs import SPECS, slope_models, twin

SPEC = {s.claim_id: s for s in SPECS}

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


def rotation_units(df: pd.DataFrame, k: int, source: str = "real") -> pd.Series:
    """SpecLoRA's rotation: log10[(1 − matched |cos|)_lead / (1 − matched |cos|)_tail] of the real update (or of a
    null perturbation: `source`), mean over a run's matrices, per (model, task, seed)."""
    cut = eligible(df[(df["k"] == k) & (df["source"] == source) & (df["run"] == "full")], k)
    wide = cut.pivot_table(index=["model", "task", "seed", "name"], columns="end", values="matched_cos")
    wide = wide[(1 - wide["tail"]) > FLOOR]
    ratio = np.log10(np.maximum(1 - wide["lead"], FLOOR) / (1 - wide["tail"]))
    return ratio.groupby(["model", "task", "seed"]).mean()


def amplification_units(df: pd.DataFrame, k: int, source: str = "real") -> pd.Series:
    """Mean relative change of the leading k singular values of the real update (or of a null perturbation:
    `source`), per (model, task, seed)."""
    cut = eligible(df[(df["k"] == k) & (df["source"] == source) & (df["end"] == "lead") & (df["run"] == "full")], k)
    return cut.groupby(["model", "task", "seed"])["sv_change"].mean()


def scale_table(df: pd.DataFrame, sb: dict) -> pd.DataFrame:
    """Per scale group, model, task and seed: the log null ratio (lead, claim k), 1 − overlap of the real update,
    the relative update size and the unique pretraining examples."""
    k, null = sb["claim_k"], sb["verdict_null"]
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


def scale_units(scale: pd.DataFrame, group: int, models: list[str]) -> pd.Series:
    """Per (task, seed) of a group: the slope of the log null ratio on log10(pretraining examples) over `models`
    (those that differ only in their pretraining data; random initialisation has no place on a log axis: it is
    shown beside, not fitted)."""
    sel = scale[(scale["group"] == group) & scale["model"].isin(models) & (scale["examples"] > 0)]
    sel = sel.dropna(subset=["log_ratio"])
    out = {}
    for (task, seed), part in sel.groupby(["task", "seed"]):
        if part["examples"].nunique() >= 2:
            out[(task, seed)] = float(np.polyfit(np.log10(part["examples"]), part["log_ratio"], 1)[0])
    return unit_series(out, ["task", "seed"])


def analysed_pairs(df: pd.DataFrame, sb: dict) -> pd.DataFrame:
    """The rows of the `spectral.models` pairs (the pretraining-scale runs are B3's alone)."""
    pairs = {(m, t) for m, tasks in sb["models"].items() for t in tasks}
    return df[[pair in pairs for pair in zip(df["model"], df["task"])]]


def model_task_units(values: pd.Series, claim_id: str) -> pd.Series:
    """Values per (model, task, seed) (or per (task, seed)) averaged into one per (model, task) (or task)."""
    levels = [n for n in ("model", "task") if n in values.index.names]
    return unit_means(values, levels, claim_id)


def task_shares(units: pd.Series) -> pd.Series:
    """B2b's units: per (model, task), the mean over the unrelated pairs the task is in (and their seeds) of the
    pair's cross-task overlap over its seed pairs'."""
    _ = unit_means(units, [0, 1], "B2b")  # a non-finite pair value is an error naming the pair
    out: dict[tuple, list[float]] = {}
    for (model, pair, _seed), value in units.items():
        for task in pair.split("~"):
            out.setdefault((model, task), []).append(float(value))
    return unit_series({k: float(np.mean(v)) for k, v in sorted(out.items())}, ["model", "task"])


def stability_units(df: pd.DataFrame, k: int) -> pd.Series:
    """B1a: 1 − overlap of the real update's top-k subspaces, mean over a run's eligible matrices, per (model, task,
    seed)."""
    cut = eligible(df[(df["k"] == k) & (df["source"] == "real") & (df["end"] == "lead") & (df["run"] == "full")], k)
    return cut.groupby(["model", "task", "seed"])["one_minus"].mean()


def twin_units(values: pd.Series, sb: dict, claim_id: str) -> tuple[pd.Series, list[str]]:
    """Per (model, task) of every pretraining-scale group with a random twin: the group's most pretrained model's
    value minus its twin's (values per (model, task, seed), paired by task and seed, seeds then averaged)."""
    out, pairs = {}, []
    for group in sb.get("scale", []):
        if twin(group) is None:
            continue
        top, scratch = twin(group)
        pairs.append(f"{top} minus {scratch}")
        for task in group["tasks"]:
            for seed in group["seeds"]:
                out[(top, task, seed)] = values.get((top, task, seed), np.nan) - values.get((scratch, task, seed),
                                                                                          np.nan)
    if not pairs:
        return pd.Series(dtype=float), pairs
    return model_task_units(unit_series(out, ["model", "task", "seed"]), claim_id), pairs


def claim_rows(df: pd.DataFrame, sb: dict, cross_units: pd.Series, scale: pd.DataFrame, config: str) -> list[dict]:
    k, null = sb["claim_k"], sb["verdict_null"]
    own = analysed_pairs(df, sb)
    base = null_ratios(own, k, null)
    lead_b, tail_b = per_unit(base, "lead"), per_unit(base, "tail")
    absolute = stability_units(own, k)
    where = f"k = {k}, null '{null}'; full fine-tuning; {config}"
    rows = []
    for model, tasks in sb["models"].items():
        for claim_id, values in (("B1a", absolute), ("B1c", lead_b)):
            mine = values[values.index.get_level_values("model") == model]
            rows.append(claim_row(SPEC[claim_id], f"{model}; {len(tasks)} tasks; {where}",
                                  model_task_units(mine, claim_id).droplevel("model")))
    models = ", ".join(sb["models"])
    # a run with a leading but no trailing value is a unit without a value: an error, not a dropped unit
    rows.append(claim_row(SPEC["B1b"], f"{models}; {where}", model_task_units(lead_b - tail_b, "B1b")))
    energy = energy_units(df, k).set_index(["model", "task", "seed"])["log_gain"]
    twins, pairs = twin_units(energy, sb, "B2a")
    if pairs:
        rows.append(claim_row(SPEC["B2a"], f"{'; '.join(pairs)}; k = {k}; {config}", twins))
    own_pairs = set(zip(own["model"], own["task"]))
    own_energy = energy[[(m, t) in own_pairs for m, t, _ in energy.index]]
    rows.append(claim_row(SPEC["B2c"], f"{models}; {where}", model_task_units(own_energy, "B2c")))
    if len(cross_units):
        rows.append(claim_row(SPEC["B2b"], f"{', '.join(sb.get('unrelated', {}))}; unrelated pairs; k = "
                              f"{sb.get('cross_k', 16)}; {config}", task_shares(cross_units)))
    for g, group in enumerate(sb.get("scale", [])):
        fitted = slope_models(group)
        if len(fitted) >= 2:
            setting = f"{', '.join(fitted)}; {', '.join(group['tasks'])}; k = {k}; {config}"
            rows.append(claim_row(SPEC["B3a"], setting, model_task_units(scale_units(scale, g, fitted), "B3a")))
    ratio = scale.set_index(["model", "task", "seed"])["log_ratio"] if len(scale) else pd.Series(dtype=float)
    twins, pairs = twin_units(ratio, sb, "B3b")
    if pairs:
        rows.append(claim_row(SPEC["B3b"], f"{'; '.join(pairs)}; k = {k}; {config}", twins))
    # SpecLoRA's counter-claim against the same null as B1: what a random update with these singular values does
    source = f"null-{null}"
    for claim_id, units in (("B5a", amplification_units), ("B5b", rotation_units)):
        real, random = units(own, k), units(own, k, source)
        rows.append(claim_row(SPEC[claim_id], f"{models}; {where}", model_task_units(real - random.reindex(real.index),
                                                                                     claim_id)))
    return rows
