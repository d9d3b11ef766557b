"""End-to-end check of profiles/slurm against a real single-node SLURM.

Brings up munged + slurmctld + slurmd on loopback (tests/slurm_cluster.py),
runs toy workflows with `snakemake --workflow-profile profiles/slurm` and
checks that the jobs really ran as SLURM jobs, and that a job killed with
`scancel` is resubmitted thanks to the profile's `retries: 1`.

Skipped (with the reason) where a local SLURM cannot be started: not root,
or the Debian packages `slurmctld slurmd slurm-client munge` are missing
(`python -c 'import slurm_cluster; slurm_cluster.install_packages()'` from
tests/ installs them as root).  Takes about two minutes on 2 cores
(each SLURM job starts a fresh snakemake, ~7 s here).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SLURM_PROFILE = REPO / "profiles" / "slurm"
sys.path.insert(0, str(HERE))

from slurm_cluster import LocalSlurm, SlurmUnavailable  # noqa: E402

RUN_TIMEOUT_S = 300  # hard cap per snakemake run (timeout -s KILL)


def _snakemake_exe() -> str | None:
    for cand in (REPO / ".venv" / "bin" / "snakemake", Path(sys.executable).parent / "snakemake"):
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    return shutil.which("snakemake")


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
    exe = _snakemake_exe()
    if exe is None:
        pytest.skip("snakemake not installed")
    return exe


def _env(slurm: LocalSlurm, snakemake_exe: str) -> dict[str, str]:
    env = dict(slurm.env)
    env.pop("SNAKEMAKE_PROFILE", None)
    # jobs re-run snakemake from the same environment
    bindir = str(Path(snakemake_exe).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return env


def _cmd(snakemake_exe: str, workdir: Path, *extra: str) -> list[str]:
    return [
        "timeout", "-s", "KILL", str(RUN_TIMEOUT_S),
        snakemake_exe,
        "--workflow-profile", str(SLURM_PROFILE),
        "--snakefile", str(workdir / "Snakefile"),
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


TOY_SNAKEFILE = """
rule all:
    input: "summary.txt"

rule part:
    output: "parts/{i}.txt"
    threads: 1
    resources: mem_mb=200, runtime=5
    shell: 'echo "$SLURM_JOB_ID $SLURM_CPUS_PER_TASK {threads}" > {output}'

rule pair:
    output: "pair.txt"
    threads: 2
    resources: mem_mb=200, runtime=5
    shell: 'echo "$SLURM_JOB_ID $SLURM_CPUS_PER_TASK {threads}" > {output}'

rule summary:
    input: expand("parts/{i}.txt", i=[1, 2]), "pair.txt"
    output: "summary.txt"
    threads: 1
    resources: mem_mb=200, runtime=5
    shell: 'cat {input} > {output}; echo "$SLURM_JOB_ID $SLURM_CPUS_PER_TASK {threads}" >> {output}'
"""


def test_toy_dag_runs_as_slurm_jobs(slurm, snakemake_exe, tmp_path):
    (tmp_path / "Snakefile").write_text(textwrap.dedent(TOY_SNAKEFILE))
    t0 = time.monotonic()
    proc = subprocess.run(
        _cmd(snakemake_exe, tmp_path),
        cwd=tmp_path, env=_env(slurm, snakemake_exe),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    elapsed = time.monotonic() - t0
    assert proc.returncode == 0, _fail_msg(proc.stdout, slurm, tmp_path)

    lines = (tmp_path / "summary.txt").read_text().split("\n")
    records = [line.split() for line in lines if line.strip()]
    assert len(records) == 4, records  # 2 x part, pair, summary
    job_ids = [r[0] for r in records]
    assert all(j.isdigit() for j in job_ids), f"not run under SLURM: {records}"
    assert len(set(job_ids)) == 4, f"jobs should be separate SLURM jobs: {records}"
    for job_id, cpus, threads in records:
        assert cpus == threads, f"job {job_id}: SLURM_CPUS_PER_TASK={cpus}, threads={threads}"
    states = _job_states(slurm)
    for job_id in job_ids:
        assert states.get(job_id) == "COMPLETED", (job_id, states)
    print(f"toy DAG on SLURM: {elapsed:.1f} s")


RETRY_SNAKEFILE = """
rule all:
    input: "slow.txt"

rule slow:
    output: "slow.txt"
    threads: 1
    resources: mem_mb=200, runtime=5
    # attempts.log is deliberately not an output: it survives the failed try
    shell: 'echo "$SLURM_JOB_ID" >> attempts.log; sleep 20; echo done > {output}'
"""


def _running_job_of_rule(slurm: LocalSlurm, rule: str) -> str | None:
    # the plugin puts "rule_<name>[_wildcards_...]" into the job comment
    out = slurm.run("squeue", "-h", "-t", "RUNNING", "-o", "%i|%k", check=False)
    for line in out.splitlines():
        job_id, _, comment = line.strip().partition("|")
        if comment == f"rule_{rule}" or comment.startswith(f"rule_{rule}_wildcards"):
            return job_id
    return None


def test_cancelled_job_is_retried(slurm, snakemake_exe, tmp_path):
    (tmp_path / "Snakefile").write_text(textwrap.dedent(RETRY_SNAKEFILE))
    attempts = tmp_path / "attempts.log"
    log = open(tmp_path / "snakemake.out", "w+")
    proc = subprocess.Popen(
        _cmd(snakemake_exe, tmp_path),
        cwd=tmp_path, env=_env(slurm, snakemake_exe),
        stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    try:
        # wait until the job is running and its shell command has started
        deadline = time.monotonic() + 120
        first = None
        while first is None:
            assert proc.poll() is None, "snakemake ended before the job ran:\n" + (
                tmp_path / "snakemake.out").read_text()
            assert time.monotonic() < deadline, "slow job never started:\n" + _fail_msg(
                (tmp_path / "snakemake.out").read_text(), slurm, tmp_path)
            job_id = _running_job_of_rule(slurm, "slow")
            if job_id and attempts.exists() and attempts.read_text().split() == [job_id]:
                first = job_id
            else:
                time.sleep(0.5)
        slurm.run("scancel", first)

        rc = proc.wait(timeout=RUN_TIMEOUT_S + 10)
        out = (tmp_path / "snakemake.out").read_text()
        assert rc == 0, _fail_msg(out, slurm, tmp_path)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()

    assert (tmp_path / "slow.txt").read_text().strip() == "done"
    tries = attempts.read_text().split()
    assert len(tries) == 2, f"expected one cancelled + one retried attempt: {tries}"
    assert tries[0] == first and tries[1] != first and tries[1].isdigit(), tries
    states = _job_states(slurm)
    assert states.get(first) == "CANCELLED", states
    assert states.get(tries[1]) == "COMPLETED", states
