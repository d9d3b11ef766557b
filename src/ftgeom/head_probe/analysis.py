"""Paper C's tidy tables and claim rows, from the probe records, the fine-tuning records and the simulation.

Units of every interval: (model, task), the per-sweep statistics of its seeds (one probing and fine-tuning sweep
over τ per seed) averaged first, or the simulation's problem seeds. Per-sweep statistics are rank correlations
(Spearman) over the τ sweep and, for the "first rise, then fall" claims, the interior-peak margin: how far the
highest interior point of the measure (ordered by energy) rises above both ends, divided by the measure's mean. It
is positive only for an interior maximum; a quadratic's curvature would not do, since a concave but monotone curve also has negative curvature.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from ftgeom.claims import claim_row, unit_means, unit_series
from ftgeom.head_probe.claim_specs import SPECS
from ftgeom.head_probe.plan import CONVERGED, EARLY
from ftgeom.head_probe.runs import probe_energy
from ftgeom.provenance import read_json

BACKBONES = {"vision": "vision", "image": "vision", "text": "language"}
KEYS = ["model", "task", "seed"]
SPEC = {s.claim_id: s for s in SPECS}


def _tau_epochs(tau, converged: int, early_epoch=None) -> int:
    if tau == CONVERGED:
        return converged
    if tau == EARLY:
        return early_epoch
    return int(tau)


def probe_curves(probe_files: list[str | Path]) -> pd.DataFrame:
    rows = []
    for f in probe_files:
        r = read_json(f)
        for p in r["probes"]:
            for c in p["curve"]:
                rows.append({"model": r["model"], "task": r["task"], "variant": p["variant"], "seed": p["seed"], **c})
    return pd.DataFrame(rows)


def _run_row(record: dict, variant: str, tau, start: dict, converged: int) -> tuple[dict, list[dict]]:
    drift = record["feature_drift"]
    last = drift[-1]
    keys = {"model": record["model"], "task": record["task"], "seed": record["seed"],
            "backbone": BACKBONES[record["modality"]], "variant": variant, "tau": str(tau),
            "tau_epochs": _tau_epochs(tau, converged, start.get("tau_epochs"))}
    row = {**keys, "energy": start["energy"], "start_loss": start["loss"], "start_accuracy": start["accuracy"],
           "metric": record["metric"], "test": record["test_score"],
           "validation": record["final"]["validation"][record["metric"]],
           **{m: last[m]["mean"] for m in ("distance", "cosine", "dot", "norm")}, "norm0": last["norm0"]["mean"],
           "config_hash": record["provenance"]["config_hash"], "git_commit": record["provenance"]["git_commit"]}
    epochs = [{**keys, "epoch": d["epoch"], **{f"{m}_{q}": v for m in ("distance", "cosine", "dot", "norm")
                                                for q, v in d[m].items()}} for d in drift]
    return row, epochs


def load_runs(probe_files, run_dirs, start_files) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per fine-tuning run, one row per run and epoch). τ = 0 of the base variant comes from the
    shared stage's full runs (start_files); every run's start (energy, loss, accuracy) from the probe record."""
    probes = {(r["model"], r["task"]): r for r in map(read_json, probe_files)}
    rows, epochs = [], []
    for f in start_files:
        record = read_json(f)
        probe = probes[(record["model"], record["task"])]
        base = next(p for p in probe["probes"] if p["variant"] == "base" and p["seed"] == record["seed"])
        if "feature_drift" not in record:
            raise ValueError(f"{f}: no feature drift recorded (the run predates head_probe; re-run it)")
        start = probe_energy(probe, "base", record["seed"], 0)
        row, ep = _run_row(record, "base", 0, start, base["settings"]["converged_epochs"])
        rows.append(row)
        epochs += ep
    for d in run_dirs:
        for f in sorted(Path(d).glob("*.json")):
            record = read_json(f)
            hp = record["spec"]["head_probe"]
            start = probe_energy(probes[(record["model"], record["task"])], hp["variant"], record["seed"], hp["tau"])
            row, ep = _run_row(record, hp["variant"], hp["tau"], start, hp["probe"]["converged_epochs"])
            rows.append(row)
            epochs += ep
    runs = pd.DataFrame(rows).sort_values(["model", "task", "variant", "tau_epochs", "seed"], ignore_index=True)
    # scale-free versions, comparable across backbones: ⟨z_T, z_0⟩/‖z_0‖², ‖z_T‖/‖z_0‖ (‖z_0‖: held-out mean)
    runs["rel_distance"] = runs["distance"] / runs["norm0"]
    runs["rel_dot"] = runs["dot"] / runs["norm0"] ** 2
    runs["rel_norm"] = runs["norm"] / runs["norm0"]
    runs["cosine_distance"] = 1 - runs["cosine"]
    return runs, pd.DataFrame(epochs)


def summary_table(runs: pd.DataFrame) -> pd.DataFrame:
    cols = ["energy", "start_accuracy", "test", "distance", "rel_distance", "cosine_distance", "rel_dot", "rel_norm",
            "tau_epochs"]
    g = runs.groupby(["backbone", "model", "task", "metric", "variant", "tau"], sort=False)
    out = g[cols].agg(["mean", "std"])
    out.columns = [f"{a}_{b}" for a, b in out.columns]
    return out.reset_index().assign(n=g.size().values)


def _spearman(x, y) -> float:
    if np.ptp(np.asarray(x, dtype=float)) == 0 or np.ptp(np.asarray(y, dtype=float)) == 0:
        return float("nan")
    return float(spearmanr(x, y).statistic)


def interior_peak(x, y) -> float:
    """How far the highest interior point (by x) rises above both ends, relative to the mean |y|: > 0 when y first
    rises, then falls as x grows (an interior maximum); <= 0 for a monotone sequence, concave or not."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 3 or np.ptp(x) == 0:
        return float("nan")
    y = y[np.argsort(x, kind="stable")] / np.mean(np.abs(y))
    return float(np.max(np.minimum(y[1:-1] - y[0], y[1:-1] - y[-1])))


def _per_unit(frame: pd.DataFrame, fn) -> pd.Series:
    return frame.groupby(KEYS).apply(fn, include_groups=False)


def _settings(runs: pd.DataFrame):
    """(label, subset): every (model, task) together, the counted row (its units are independent: a task's seeds
    are averaged inside it); with several backbones, each backbone apart as a part that is shown, not counted."""
    def describe(sub):
        return "; ".join(f"{m} on {', '.join(sorted(s['task'].unique()))}" for m, s in sub.groupby("model"))
    backbones = list(runs["backbone"].unique())
    if len(backbones) == 1:
        return [(f"{backbones[0]}: {describe(runs)}", runs)]
    out = [(f"all backbones: {describe(runs)}", runs)]
    out += [(f"part, {b}: {describe(sub)}", sub) for b, sub in runs.groupby("backbone", sort=False)]
    return out


def _units(values, claim_id: str) -> pd.Series:
    """Per-sweep values (index model, task, seed) averaged into one per (model, task)."""
    return unit_means(pd.Series(values, dtype=float), ["model", "task"], claim_id)


def epoch_measures(runs: pd.DataFrame, epochs: pd.DataFrame) -> pd.DataFrame:
    """The feature measures of every base run after each fine-tuning epoch (held-out means), with the run's start
    energy: the authors record them on the held-out split during fine-tuning, so the trend is read at every epoch,
    not only at the last."""
    keys = [*KEYS, "variant", "tau"]
    after = epochs[epochs["epoch"] >= 1].rename(columns={f"{m}_mean": m for m in ("distance", "dot", "norm")})
    after = after.assign(cosine_distance=1 - after["cosine_mean"])
    return after[[*keys, "epoch", "distance", "cosine_distance", "dot", "norm"]].merge(
        runs[[*keys, "energy"]], on=keys, how="inner")


def _over_epochs(frame: pd.DataFrame, fn) -> pd.Series:
    """A per-sweep statistic computed at each fine-tuning epoch over the τ grid, then averaged over the epochs."""
    return frame.groupby([*KEYS, "epoch"]).apply(fn, include_groups=False).groupby(KEYS).mean()


def _probe_grid(curves: pd.DataFrame, units: pd.DataFrame, taus: list) -> pd.DataFrame:
    """The probing curve's points at one model's τ grid (its own converged epochs)."""
    keys = set(map(tuple, units[KEYS].values))
    c = curves[curves["variant"] == "base"]
    c = c[[k in keys for k in map(tuple, c[KEYS].values)]]
    conv = units.loc[units["tau"] == CONVERGED, "tau_epochs"]
    return c[c["epoch"].isin([_tau_epochs(t, int(conv.max()) if len(conv) else 0) for t in taus])]


def claim_rows(runs: pd.DataFrame, curves: pd.DataFrame, taus: dict | list, linear: pd.DataFrame, config: str,
               epochs: pd.DataFrame | None = None) -> list[dict]:
    """`taus`: the τ grid, one list or one per model; `epochs`: the per-epoch feature measures (load_runs' second
    frame; without it the trend rows read the last epoch only)."""
    rows = []
    base = runs[runs["variant"] == "base"]
    grids = taus if isinstance(taus, dict) else {m: taus for m in base["model"].unique()}
    in_grid = [str(t) in {str(x) for x in grids.get(m, [])} for m, t in zip(base["model"], base["tau"])]
    base = base[in_grid]
    by_epoch = epochs is not None and len(epochs) > 0
    for label, units in _settings(base):
        setting = f"{label} ({config})"
        probe_grid = pd.concat([_probe_grid(curves, units[units["model"] == m], grids[m])
                                for m in units["model"].unique()])
        rows.append(claim_row(SPEC["C1"], setting,
                              _units(_per_unit(probe_grid, lambda g: _spearman(g["epoch"], g["energy"])), "C1")))
        trend = epoch_measures(units, epochs) if by_epoch else units
        stat = _over_epochs if by_epoch else _per_unit
        for measure, claim_id in (("distance", "C2a"), ("cosine_distance", "C2b")):
            rows.append(claim_row(SPEC[claim_id], setting, _units(
                stat(trend, lambda g, m=measure: _spearman(g["energy"], g[m])), claim_id)))
        for measure, claim_id in (("dot", "C3a"), ("norm", "C3b")):
            rows.append(claim_row(SPEC[claim_id], setting, _units(
                stat(trend, lambda g, m=measure: interior_peak(g["energy"], g[m])), claim_id)))
        for claim_id, end in (("C4a", "0"), ("C4b", CONVERGED)):  # each end on its own, not the better of the two
            rows.append(claim_row(SPEC[claim_id], setting, _units(_intermediate_gain(units, end), claim_id)))
        rows += _smoothing_rows(runs[runs["backbone"].isin(units["backbone"].unique())], setting)
    rows += linear_rows(linear)
    return rows


def best_intermediate(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (model, task): the intermediate τ (neither 0 nor converged) with the best mean validation score."""
    mid = runs[(runs["variant"] == "base") & ~runs["tau"].isin(["0", CONVERGED])]
    mean = mid.groupby(["model", "task", "tau"])["validation"].mean().reset_index()
    return mean.loc[mean.groupby(["model", "task"])["validation"].idxmax(), ["model", "task", "tau"]]


def _intermediate_gain(units: pd.DataFrame, end: str) -> pd.Series:
    """Per (model, task, seed): the test metric at the intermediate τ chosen on validation minus that at `end`."""
    best = best_intermediate(units)
    out = {}
    for (model, task, seed), g in units.groupby(KEYS):
        tau = best[(best["model"] == model) & (best["task"] == task)]["tau"]
        score = g.set_index("tau")["test"]
        if tau.empty or "0" not in score or CONVERGED not in score:
            continue
        out[(model, task, seed)] = score[tau.iloc[0]] - score[end]
    return unit_series(out, KEYS)


def _smoothing_rows(runs: pd.DataFrame, setting: str) -> list[dict]:
    pivot = runs[runs["tau"] == CONVERGED].pivot_table(index=KEYS, columns="variant", values=["energy", "test"])
    if ("energy", "smooth") not in pivot.columns:
        return []
    both = pivot.dropna(subset=[("energy", "smooth"), ("energy", "base")])
    return [  # the principle (smoothing helps) first, its mechanism (a higher start energy) second
        claim_row(SPEC["C5a"], setting, _units(both["test", "smooth"] - both["test", "base"], "C5a")),
        claim_row(SPEC["C5b"], setting, _units(both["energy", "smooth"] - both["energy", "base"], "C5b")),
    ]


def linear_rows(linear: pd.DataFrame) -> list[dict]:
    rows = []
    for head_init, sub in linear.groupby("head_init"):
        setting = f"linear model (ours), fresh head scale {head_init:g}, {sub['seed'].nunique()} problems"
        by = sub.groupby("seed")
        rows.append(claim_row(SPEC["C6a"], setting, by.apply(lambda g: _spearman(g["energy"], g["distance"]),
                                                              include_groups=False)))
        for measure, claim_id in (("dot", "C6b"), ("norm", "C6c")):
            rows.append(claim_row(SPEC[claim_id], setting,
                                  by.apply(lambda g, m=measure: interior_peak(g["energy"], g[m]),
                                           include_groups=False)))
    return rows
