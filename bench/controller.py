"""Benchmark `controller`: what the Snakemake controller itself costs, per scheduler setting, side by side.

    python bench/controller.py [--config config/smoke.yaml] [--cores 2] [--settings "" "--scheduler greedy"]

Runs the config's whole DAG from an empty folder once per setting (the same jobs each time) and samples the
controller process's own CPU time (/proc/<pid>/stat utime + stime: its jobs are other processes and do not count)
until it exits. Prints one JSON line: per setting the controller's CPU seconds, the run's wall seconds and the
controller's share of one core; and the ratios against the first setting. The jobs' numbers do not depend on the
scheduler (each job is deterministic); only the order in which they start does.
"""
from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, report

TICKS = os.sysconf("SC_CLK_TCK")


def own_cpu(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15 of stat)


def run(config: str, cores: int, setting: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="ftgeom-controller-") as work:
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", work,
               "--cores", str(cores), "--configfile", str(REPO / config), *shlex.split(setting)]
        log = Path(work) / "controller.log"  # a file, not a pipe: a full pipe would stall the controller
        t0 = time.perf_counter()
        with open(log, "w") as out:
            proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
            cpu = 0.0
            while proc.poll() is None:
                cpu = own_cpu(proc.pid) or cpu
                time.sleep(0.2)
        wall = time.perf_counter() - t0
        if proc.returncode:
            sys.exit(f"bench controller: `{' '.join(cmd)}` failed:\n{log.read_text()[-2000:]}")
    return {"setting": setting or "(Snakemake's defaults)", "controller_cpu_s": round(cpu, 2),
            "wall_s": round(wall, 1), "controller_share_of_a_core": round(cpu / wall, 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="config/smoke.yaml")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--settings", nargs="+", default=["", "--scheduler greedy"])
    args = ap.parse_args()
    rows = [run(args.config, args.cores, s) for s in args.settings]
    first = rows[0]
    for r in rows[1:]:
        r["controller_cpu_ratio"] = round(r["controller_cpu_s"] / first["controller_cpu_s"], 3)
        r["wall_ratio"] = round(r["wall_s"] / first["wall_s"], 3)
    report("controller", {"config": args.config, "cores": args.cores, "runs": rows})


if __name__ == "__main__":
    main()
