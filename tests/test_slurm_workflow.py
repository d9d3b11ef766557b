"""The smoke config's shared runs through profiles/slurm on a real single-node SLURM, against the local run's outputs.

Brings up munged + slurmctld + slurmd on loopback (tests/slurm_cluster.py), runs config/smoke.yaml's shared stage
(target results/tables/finetune.csv: its assets, fine-tuning jobs and table, a fraction of the smoke DAG, whose every
stage the local smoke DAG already covers) with `snakemake --workflow-profile profiles/slurm`, cancels one running fine-tuning job with `scancel` once its resume
checkpoint (last.pt) exists, and checks that the profile's `retries: 1` resubmits it, that the retry RESUMED from that
checkpoint (its log says `resumed from ... at step N/TOTAL`, N > 0), that the DAG completes, and that every number
equals the local run's (same config/smoke.yaml: resuming must not change a number).

The tiny smoke runs train for 1-3 s after their first checkpoint, so the job is frozen with `scontrol suspend`
before the cancel: the test checks, with every process of the job stopped, that last.pt is there and metrics.json
is not yet, and only then cancels; a job that got past that point first is resumed and the next one is tried.

Skipped (with the reason) where a local SLURM cannot be started: not root, or the Debian packages
`slurmctld slurmd slurm-client munge` are missing (`envs/system-packages.sh test` installs them as root; see
envs/apt-packages.txt). Each SLURM job starts a fresh snakemake (~7 s here).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SLURM_PROFILE = REPO / "profiles" / "slurm"
sys.path.insert(0, str(HERE))

from slurm_cluster import LocalSlurm, SlurmUnavailable  # noqa: E402
from workflow_runs import SMOKE, snakemake_env  # noqa: E402

SEEDS = yaml.safe_load(SMOKE.read_text())["finetune"]["seeds"]

# Hard cap per snakemake run (timeout -s KILL), against hangs; the test's DAG is the shared stage's alone (the whole
# smoke DAG, 38 jobs, took 7.6 min on 2 shared cores and was once killed by this very cap on the slower machines).
RUN_TIMEOUT_S = 900
TARGET = "results/tables/finetune.csv"
FINETUNE_RULES = ("finetune", "finetune_traced", "finetune_kept")
# rules/finetune.smk, relative to the workflow's --directory: one job per (model, task, method) runs every seed
RUN = "{model}/{task}/{method}/seed{seed}"
STATE_DIR = "results/state/finetune/" + RUN
METRICS = "results/finetune/" + RUN + "/metrics.json"
LOG = "results/logs/finetune/{model}/{task}/{method}.log"
# ftgeom.train.loop prints this to stderr (the rule sends it to the log); no anchors: tqdm bars share the log
RESUMED = re.compile(r"resumed from (?P<path>\S+) at step (?P<step>\d+)/(?P<total>\d+)")


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


def _running_finetune_jobs(slurm: LocalSlurm) -> dict[str, tuple[str, dict[str, str]]]:
    """{job id: (comment, wildcards)} of the RUNNING fine-tuning jobs.

    The plugin puts "rule_<name>_wildcards_<values joined by '_'>" into the job comment; the values come in the
    order of the output pattern (model, task, method) and none contains '_' (rules/common.smk)."""
    out = slurm.run("squeue", "-h", "-t", "RUNNING", "-o", "%i|%k", check=False)
    jobs = {}
    for line in out.splitlines():
        job_id, _, comment = line.strip().partition("|")
        for rule in FINETUNE_RULES:
            prefix = f"rule_{rule}_wildcards_"
            if comment.startswith(prefix):
                values = comment[len(prefix):].split("_")
                assert len(values) == 3, f"unexpected job comment {comment!r}"
                jobs[job_id] = (comment, dict(zip(("model", "task", "method"), values)))
    return jobs


def _job_state(slurm: LocalSlurm, job_id: str) -> str:
    return slurm.run("squeue", "--states=all", "-h", "-j", job_id, "-o", "%T", check=False).strip()


def _frozen(slurm: LocalSlurm, job_id: str, timeout: float = 15.0) -> bool:
    """Wait until `scontrol suspend` has stopped every process of the job; False if the job is not SUSPENDED.

    scontrol returns once slurmctld took the request, before slurmd has sent SIGSTOP: until every process of the
    job (`scontrol listpids`, same host) is in state T, the training could still finish and remove its state."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _job_state(slurm, job_id) != "SUSPENDED":
            return False
        out = slurm.run("scontrol", "listpids", job_id, check=False)
        pids = [row.split()[0] for row in out.splitlines() if row.split() and row.split()[0].isdigit()]
        states = []
        for pid in pids:
            try:
                states.append(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0])
            except OSError:
                pass  # already gone
        if pids and all(st in "TtZX" for st in states):
            return True
        time.sleep(0.05)
    return False


def _cancel_after_checkpoint(slurm: LocalSlurm, workdir: Path, proc: subprocess.Popen, out_path: Path,
                             deadline: float) -> dict:
    """scancel a running fine-tuning job whose resume checkpoint exists; return what the test checks later."""
    passed = set()  # jobs that got past their last checkpoint before they were frozen
    while True:
        assert proc.poll() is None, "snakemake ended before a fine-tuning job could be cancelled:\n" + \
            out_path.read_text() + f"\n(jobs that finished before they were frozen: {sorted(passed)})"
        assert time.monotonic() < deadline, _fail_msg(out_path.read_text(), slurm, workdir)
        jobs = {j: v for j, v in _running_finetune_jobs(slurm).items() if j not in passed}
        for _ in range(15):  # poll the checkpoints every 20 ms, squeue every ~0.3 s
            for job_id, (comment, job_wc) in jobs.items():
                # the job's runs go seed after seed: the one in progress is the one with a checkpoint
                at = [{**job_wc, "seed": s} for s in SEEDS if (workdir / STATE_DIR.format(**job_wc, seed=s)
                                                                / "last.pt").exists()]
                if not at:
                    continue
                wc = at[0]
                state_dir = workdir / STATE_DIR.format(**wc)
                slurm.run("scontrol", "suspend", job_id, check=False)
                metrics, log = workdir / METRICS.format(**wc), workdir / LOG.format(**wc)
                if _frozen(slurm, job_id) and (state_dir / "last.pt").exists() and not metrics.exists():
                    step = torch.load(state_dir / "last.pt", map_location="cpu", weights_only=False)["step"]
                    first_log = log.read_text(errors="replace")
                    slurm.run("scancel", job_id)
                    return {"job_id": job_id, "comment": comment, "wildcards": wc, "step": step,
                            "first_log": first_log}
                slurm.run("scontrol", "resume", job_id, check=False)  # it finished first: let it be
                passed.add(job_id)
            jobs = {j: v for j, v in jobs.items() if j not in passed}
            time.sleep(0.02)


def test_shared_runs_on_slurm_match_local_and_survive_scancel(slurm, snakemake_exe, smoke_local, tmp_path):
    out_path = tmp_path / "snakemake.out"
    t0 = time.monotonic()
    with open(out_path, "w") as log:
        proc = subprocess.Popen(_cmd(snakemake_exe, tmp_path, TARGET, "--configfile", str(SMOKE)), cwd=tmp_path,
                                env=_env(slurm, snakemake_exe), stdout=log, stderr=subprocess.STDOUT, text=True)
        try:
            cancelled = _cancel_after_checkpoint(slurm, tmp_path, proc, out_path, deadline=time.monotonic() + 240)
            rc = proc.wait(timeout=RUN_TIMEOUT_S + 10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    elapsed = time.monotonic() - t0
    assert rc == 0, _fail_msg(out_path.read_text(), slurm, tmp_path)
    print(f"smoke shared runs on SLURM (with one scancel + retry): {elapsed:.1f} s of a {RUN_TIMEOUT_S} s cap")

    # The cancelled job and its one retry (same comment); the retry wrote the run's metrics.
    out = slurm.run("squeue", "--states=all", "-h", "-o", "%i|%k|%T")
    attempts = {job_id: st for job_id, comment, st in (row.split("|") for row in out.splitlines())
                if comment == cancelled["comment"]}
    assert attempts.pop(cancelled["job_id"]) == "CANCELLED"
    assert list(attempts.values()) == ["COMPLETED"], f"expected one retry of {cancelled['comment']}: {attempts}"
    retry_id = next(iter(attempts))
    wc = cancelled["wildcards"]
    rec = json.loads((tmp_path / METRICS.format(**wc)).read_text())
    assert rec["provenance"]["slurm"]["job_id"] == retry_id
    # The retry resumed from the checkpoint the cancelled job left, not from step 0: the first try started fresh,
    # the retry's log (the rule rewrites it) names that last.pt and a step at least the one it held at the cancel.
    assert cancelled["step"] > 0
    assert not RESUMED.search(cancelled["first_log"]), cancelled["first_log"]
    retry_log = (tmp_path / LOG.format(**wc)).read_text(errors="replace")
    resumed = RESUMED.search(retry_log)
    assert resumed, f"the retried job did not resume from its checkpoint:\n{retry_log}"
    assert Path(resumed["path"]) == Path(STATE_DIR.format(**wc)) / "last.pt"
    assert cancelled["step"] <= int(resumed["step"]) <= int(resumed["total"]) == rec["timing"]["steps"]
    print(f"cancelled job {cancelled['job_id']} ({cancelled['comment']}) with last.pt at step {cancelled['step']}; "
          f"retry {retry_id}: {resumed[0]}")
    # sbatch writes slurm-<id>.out into its working directory unless told --output (the plugin tells it)
    assert not list(tmp_path.glob("slurm-*.out"))

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
