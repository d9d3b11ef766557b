"""Interrupted everything: the Snakemake controller and its jobs killed (SIGKILL) at random moments of the smoke DAG,
three times, each followed by the recovery docs/workflow.md gives (`snakemake --unlock`, then the same command with
`--rerun-incomplete`), end in a results/claims.csv byte-identical to an uninterrupted run's."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import time

from workflow_runs import SMOKE, run_snakemake, snakemake_cmd, snakemake_env


def test_three_kills_of_the_controller_change_no_claim(smoke_local, tmp_path):
    seed = int(time.time())  # random moments; the seed is in every message, to replay a failure
    rng = random.Random(seed)
    run = ["--cores", "2", "--configfile", str(SMOKE), "--rerun-incomplete"]
    killed = []
    for _ in range(3):
        proc = subprocess.Popen(snakemake_cmd(tmp_path, *run), env=snakemake_env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        moment = rng.uniform(2, 45)
        deadline = time.monotonic() + moment
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the controller and every job it started
            killed.append(round(moment, 1))
        proc.wait()
        unlock = run_snakemake(tmp_path, "--unlock", "--configfile", str(SMOKE))
        assert unlock.returncode == 0, f"seed {seed}: {unlock.stdout[-2000:]}"
    assert killed, f"seed {seed}: the DAG ended before the first kill"
    final = run_snakemake(tmp_path, *run)
    assert final.returncode == 0, f"seed {seed}, kills at {killed} s: {final.stdout[-3000:]}"
    ours = (tmp_path / "results" / "claims.csv").read_bytes()
    assert ours == (smoke_local / "results" / "claims.csv").read_bytes(), f"seed {seed}, kills at {killed} s"
    assert not list((tmp_path / "results").rglob("*.tmp")), "no temp file survives"
