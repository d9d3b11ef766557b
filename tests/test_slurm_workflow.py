"""The smoke DAG through profiles/slurm on a real single-node SLURM, against the local run's outputs.

Brings up munged + slurmctld + slurmd on loopback (tests/slurm_cluster.py), runs config/smoke.yaml with
`snakemake --workflow-profile profiles/slurm`, cancels one running fine-tuning job with `scancel` and checks that
the profile's `retries: 1` resubmits it, the DAG completes, and every number equals the local run's.

Skipped (with the reason) where a local SLURM cannot be started: not root, or the Debian packages
`slurmctld slurmd slurm-client munge` are missing (`envs/system-packages.sh test` installs them as root; see
envs/apt-packages.txt).  Takes about three minutes on 2 cores (each SLURM job starts a fresh snakemake, ~7 s here).
"""

from __future__ import annotations

import os
import subprocess
import sys
import json
import time
from pathlib import Path

import pandas as pd
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SLURM_PROFILE = REPO / "profiles" / "slurm"
sys.path.insert(0, str(HERE))

from slurm_cluster import LocalSlurm, SlurmUnavailable  # noqa: E402
from workflow_runs import SMOKE, snakemake_env  # noqa: E402

RUN_TIMEOUT_S = 300  # hard cap per snakemake run (timeout -s KILL)


@pytest.fixture(scope="module")
def slurm():
    try:
        cluster = LocalSlurm(cpus=2, mem_mb=4000)
        cluster.__enter__()
    except SlurmUnavailable as exc:
        pytest.skip(f"local SLURM unavailable: {exc.reason}")
    try:
        yield cluster
    finally:
        cluster.__exit__(None, None, None)  # stops the daemons even on failure


@pytest.fixture(scope="module")
def snakemake_exe():
    # snakemake is a pinned dependency installed beside this interpreter; its absence is a set-up bug, not a skip.
    exe = Path(sys.executable).parent / "snakemake"
    assert exe.is_file(), f"no snakemake beside {sys.executable}: run make setup"
    return str(exe)


def _env(slurm: LocalSlurm, snakemake_exe: str) -> dict[str, str]:
    env = snakemake_env(slurm.env)
    env.pop("SNAKEMAKE_PROFILE", None)
    # jobs re-run snakemake (and python -m ftgeom...) from the same environment
    bindir = str(Path(snakemake_exe).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return env


def _cmd(snakemake_exe: str, workdir: Path, *extra: str) -> list[str]:
    return [
        "timeout", "-s", "KILL", str(RUN_TIMEOUT_S),
        snakemake_exe,
        "--workflow-profile", str(SLURM_PROFILE),
        "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(workdir),
        # first squeue status check after 2 s instead of 40 s (test speed only)
        "--slurm-init-seconds-before-status-checks", "2",
        "--jobs", "4",
        *extra,
    ]


def _fail_msg(proc_out: str, slurm: LocalSlurm, workdir: Path) -> str:
    logs = []
    for p in sorted((workdir / ".snakemake" / "slurm_logs").rglob("*.log")):
        logs.append(f"--- {p}\n{p.read_text(errors='replace')[-3000:]}")
    return f"{proc_out[-6000:]}\n{''.join(logs)}\n{slurm.logs()}"


def _job_states(slurm: LocalSlurm) -> dict[str, str]:
    out = slurm.run("squeue", "--states=all", "-h", "-o", "%i %T")
    return dict(line.split() for line in out.splitlines() if line.strip())


def _running_job_of_rule(slurm: LocalSlurm, rules: tuple[str, ...]) -> str | None:
    # the plugin puts "rule_<name>[_wildcards_...]" into the job comment
    out = slurm.run("squeue", "-h", "-t", "RUNNING", "-o", "%i|%k", check=False)
    for line in out.splitlines():
        job_id, _, comment = line.strip().partition("|")
        if any(comment == f"rule_{r}" or comment.startswith(f"rule_{r}_wildcards") for r in rules):
            return job_id
    return None


def test_smoke_dag_on_slurm_matches_local_and_survives_scancel(slurm, snakemake_exe, smoke_local, tmp_path):
    out_path = tmp_path / "snakemake.out"
    t0 = time.monotonic()
    with open(out_path, "w") as log:
        proc = subprocess.Popen(_cmd(snakemake_exe, tmp_path, "--configfile", str(SMOKE)), cwd=tmp_path,
                                env=_env(slurm, snakemake_exe), stdout=log, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 240
            cancelled = None
            while cancelled is None:
                assert proc.poll() is None, "snakemake ended before a fine-tuning job ran:\n" + out_path.read_text()
                assert time.monotonic() < deadline, _fail_msg(out_path.read_text(), slurm, tmp_path)
                cancelled = _running_job_of_rule(slurm, ("finetune", "finetune_traced"))
                time.sleep(0.3)
            slurm.run("scancel", cancelled)
            rc = proc.wait(timeout=RUN_TIMEOUT_S + 10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    elapsed = time.monotonic() - t0
    assert rc == 0, _fail_msg(out_path.read_text(), slurm, tmp_path)
    assert _job_states(slurm).get(cancelled) == "CANCELLED"
    print(f"smoke DAG on SLURM (with one scancel + retry): {elapsed:.1f} s")

    ours, local = tmp_path / "results", smoke_local / "results"
    cols = ["model", "task", "metric", "method", "mean", "std", "n"]
    assert pd.read_csv(ours / "tables/finetune.csv")[cols].equals(pd.read_csv(local / "tables/finetune.csv")[cols])
    records = sorted((ours / "finetune").rglob("metrics.json"))
    assert len(records) == len(list((local / "finetune").rglob("metrics.json"))) > 0
    for path in records:
        rec = json.loads(path.read_text())
        ref = json.loads((local / path.relative_to(ours)).read_text())
        assert rec["final"] == ref["final"] and rec["history"][-1]["train_loss"] == ref["history"][-1]["train_loss"]
        slurm_info = rec["provenance"]["slurm"]
        assert slurm_info["job_id"].isdigit(), "the job did not run under SLURM"
        assert int(slurm_info["cpus_per_task"]) == rec["timing"]["threads"]
    for traj in (ours / "trajectories").rglob("layer*.safetensors"):
        assert traj.read_bytes() == (local / traj.relative_to(ours)).read_bytes()
