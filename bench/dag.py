"""Benchmark `dag`: how well a finished workflow run used the machine, from Snakemake's `benchmark:` files.

    python bench/dag.py [--results results] [--cores 2]

The run is the last complete `snakemake` run of that folder (.snakemake/log/: its file name is the start, its
modification time the end); only jobs that ended inside it count. Per job: wall seconds (`s`) and CPU seconds: the
job's own count at its end (the last line of its log, written by every ftgeom stage), else Snakemake's sampled
`cpu_time`, a lower bound (`cpu_from` says which). For the run: wall = its log's span (Snakemake's own DAG
building included: what a user waits); CPU = the sum over jobs; utilisation = CPU / (wall x cores) (goal >= 0.85);
busy = summed job wall time / (wall x cores) (how much of the time the cores had a job); jobs whose CPU exceeds
their wall time by more than 10% (more threads than the rule's `threads: 1`: oversubscribed). Per stage (the
benchmark folder): jobs, summed wall and CPU. For the fine-tuning jobs: the share of their wall time spent in
training steps (the runs' train_seconds, from their metrics files).
"""
from __future__ import annotations

import argparse
import json
import re
from datetime import datetime
from pathlib import Path

import pandas as pd
from common import REPO, report

DONE = re.compile(r"ftgeom: job done, ([0-9.]+) CPU-s in ([0-9.]+) s")


def job_cpu(results: Path, key: Path, sampled: float) -> tuple[float, str]:
    """The job's CPU seconds from the line every stage ends its log with (ftgeom.runtime.run_stage), else
    Snakemake's sampled cpu_time: it polls every second for 30 s, then every 30 s, and misses what the job
    used after the last poll (a lower bound)."""
    log = results / "logs" / key.with_suffix(".log")
    found = DONE.findall(log.read_text(errors="replace")) if log.exists() else []
    return (float(found[-1][0]), "log") if found else (sampled, "sampled")


def jobs(results: Path) -> pd.DataFrame:
    rows = []
    for tsv in sorted((results / "benchmarks").rglob("*.tsv")):
        row = pd.read_csv(tsv, sep="\t").iloc[-1]
        key = tsv.relative_to(results / "benchmarks").with_suffix("")
        end = tsv.stat().st_mtime
        cpu, source = job_cpu(results, key, float(row["cpu_time"]))
        rows.append({"job": str(key), "stage": key.parts[0], "wall": float(row["s"]), "cpu": cpu,
                     "cpu_source": source, "max_rss_mb": float(row["max_rss"]), "end": end,
                     "start": end - float(row["s"])})
    if not rows:
        raise SystemExit(f"bench: no benchmark files under {results / 'benchmarks'}: run the workflow first")
    return pd.DataFrame(rows)


def last_run(workdir: Path, name: str | None = None) -> tuple[float, float, str]:
    """(start, end, log name) of the last snakemake run in workdir that finished all its steps and fine-tuned
    (a rebuild of the paper alone is not a run of the DAG), or of the run logged in `name`."""
    for log in sorted((workdir / ".snakemake" / "log").glob("*.snakemake.log"), reverse=True):
        text = log.read_text(errors="replace")
        if (log.name == name) if name else ("steps (100%) done" in text and "rule finetune" in text):
            start = datetime.strptime(log.name.split(".snakemake")[0], "%Y-%m-%dT%H%M%S.%f").timestamp()
            return start, log.stat().st_mtime, log.name
    raise SystemExit(f"bench: no finished snakemake run logged in {workdir / '.snakemake' / 'log'}")


def train_seconds(results: Path, job: str) -> float:
    """The optimiser-step seconds of the runs a finetune job made (one run per job, or every seed of one)."""
    base = results / job
    paths = [base / "metrics.json"] if (base / "metrics.json").exists() else sorted(base.glob("seed*/metrics.json"))
    return sum(json.loads(p.read_text())["timing"]["train_seconds"] for p in paths)


def idle_tail(df: pd.DataFrame, start: float, end: float, cores: int) -> dict:
    """Core-seconds without a job, and the run's tail: the seconds at its end in which fewer jobs ran than cores."""
    events = sorted([(t, +1) for t in df["start"]] + [(t, -1) for t in df["end"]])
    running, last, idle, tail_from = 0, start, 0.0, start
    for t, step in events:
        idle += max(0, cores - running) * max(0.0, t - last)
        running, last = running + step, t
        if running >= cores:
            tail_from = t
    idle += cores * max(0.0, end - last)
    return {"idle_core_seconds": round(idle, 1), "tail_seconds": round(end - tail_from, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", type=Path, default=REPO / "results")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--log", help="the .snakemake/log file of the run to measure (default: the last full run)")
    a = ap.parse_args()
    start, end, log = last_run(a.results.resolve().parent, a.log)
    df = jobs(a.results)
    df = df[(df["end"] >= start) & (df["end"] <= end + 1)]
    wall = end - start
    ft = df[df["stage"] == "finetune"]
    train = sum(train_seconds(a.results, j) for j in ft["job"])
    stages = df.groupby("stage").agg(jobs=("job", "size"), wall=("wall", "sum"), cpu=("cpu", "sum")).round(1)
    over = df[df["cpu"] > 1.1 * df["wall"]]
    report("dag", {
        "results": str(a.results), "log": log, "jobs": len(df), "wall_seconds": round(wall, 1), "cores": a.cores,
        "cpu_seconds": round(df["cpu"].sum(), 1), "job_wall_seconds": round(df["wall"].sum(), 1),
        "utilisation": round(df["cpu"].sum() / (wall * a.cores), 3),
        "cpu_from": df["cpu_source"].value_counts().to_dict(),
        "busy": round(df["wall"].sum() / (wall * a.cores), 3),
        **idle_tail(df, start, end, a.cores),
        "finetune": {"jobs": len(ft), "wall_seconds": round(ft["wall"].sum(), 1), "train_seconds": round(train, 1),
                     "train_share": round(train / ft["wall"].sum(), 3) if len(ft) else None},
        "oversubscribed_jobs": over["job"].tolist(),
        "longest_jobs": df.nlargest(5, "wall")[["job", "wall"]].round(1).to_dict("records"),
        "stages": stages.to_dict("index"),
    })


if __name__ == "__main__":
    main()
