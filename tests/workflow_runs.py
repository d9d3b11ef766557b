"""Run the workflow as a user does (`snakemake ...` in a fresh working directory) from tests."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SMOKE = REPO / "config" / "smoke.yaml"


def snakemake_env(base: dict | None = None) -> dict:
    env = dict(os.environ if base is None else base)
    # Jobs call `python -m ftgeom...`: the interpreter running the tests must be the one they find first.
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    return env


def snakemake_cmd(workdir: Path, *args: str, timeout_s: int = 900) -> list[str]:
    return ["timeout", "-s", "KILL", str(timeout_s), sys.executable, "-m", "snakemake",
            "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir), *args]


def run_snakemake(workdir: Path, *args: str, env: dict | None = None, timeout_s: int = 900):
    return subprocess.run(snakemake_cmd(workdir, *args, timeout_s=timeout_s), env=snakemake_env(env),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
