"""What each selection grid picks: every value's validation score per task, the value with the best mean over the
grid's tasks, and that value against the config's (results/selection/<grid>.csv and summary.txt)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ftgeom.provenance import atomic_path, read_json, write_text

COLUMNS = ("grid", "setting", "model", "task", "seed", "value", "configured", "validation", "source")


def validation_score(path: str, seed: int) -> float:
    """The validation score a point's record holds: a fine-tuning record's final one, a probe point's, or the
    converged base head's in the default's probe record."""
    rec = read_json(path)
    if "diverged" in rec:  # the training loss stopped being finite: that value ranks last
        return float("-inf")
    if "final" in rec:
        return float(rec["final"]["validation"][rec["metric"]])
    if "probes" in rec:
        for probe in rec["probes"]:
            if probe["variant"] == "base" and probe["seed"] == seed:
                return float(probe["energy"]["converged"]["validation"])
        raise KeyError(f"{path}: no base probe of seed {seed}")
    return float(rec["validation"])


def table(points: list[dict]) -> pd.DataFrame:
    rows = [{**{k: p[k] for k in ("grid", "setting", "model", "task", "seed", "value", "configured")},
             "validation": validation_score(p["path"], p["seed"]),
             "source": "default run" if p["configured"] else "selection run"} for p in points]
    return pd.DataFrame(rows, columns=list(COLUMNS))


TIE = 1e-9  # validation accuracies on a few hundred examples tie exactly; a tie with the configured value agrees


def pick(frame: pd.DataFrame) -> tuple[object, object, pd.Series]:
    """(picked value, configured value, mean validation per value in grid order): the best mean; among exact ties
    the configured value, else the first in grid order."""
    means = frame.groupby("value", sort=False)["validation"].mean()
    configured = frame.loc[frame["configured"], "value"].iloc[0] if frame["configured"].any() else None
    best = [v for v, m in means.items() if m >= means.max() - TIE]
    return (configured if configured in best else best[0]), configured, means


def line(grid: str, frame: pd.DataFrame) -> str:
    picked, configured, means = pick(frame)
    ties = [v for v, m in means.items() if m >= means.max() - TIE and v != picked]
    verdict = ("agrees" if picked == configured else "DIFFERS") + (f" (tied with {', '.join(f'{v:g}' for v in ties)})"
                                                                   if ties else "")
    tasks = ", ".join(dict.fromkeys(frame["task"]))
    scores = ", ".join(f"{v:g} {s:.3f}" if s > float("-inf") else f"{v:g} diverged" for v, s in means.items())
    return (f"{grid} ({frame['setting'].iloc[0]}, {frame['model'].iloc[0]} on {tasks}, seed {frame['seed'].iloc[0]}):"
            f" picked {picked:g}, config has {configured:g}: {verdict} (mean validation: {scores})")


def write(points: list[dict], out_dir: Path, summary: Path) -> list[str]:
    frame = table(points)
    lines = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for grid, part in frame.groupby("grid", sort=False):
        with atomic_path(out_dir / f"{grid}.csv") as tmp:
            part.to_csv(tmp, index=False, float_format="%.6g")
        lines.append(line(grid, part))
    write_text(summary, "\n".join(lines) + "\n")
    return lines
