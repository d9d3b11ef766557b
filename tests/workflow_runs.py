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


# A guard against hangs, not a speed check: the whole smoke DAG takes 173 s on the Intel machines with AMX and 315 s
# on the AMD EPYC ones (2 cores), so the cap stays above 3x the slower one's time, busy machines included.
TIMEOUT_S = 1800


def snakemake_cmd(workdir: Path, *args: str, timeout_s: int = TIMEOUT_S) -> list[str]:
    return ["timeout", "-s", "KILL", str(timeout_s), sys.executable, "-m", "snakemake",
            "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir), *args]


def run_snakemake(workdir: Path, *args: str, env: dict | None = None, timeout_s: int = TIMEOUT_S):
    return subprocess.run(snakemake_cmd(workdir, *args, timeout_s=timeout_s), env=snakemake_env(env),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def with_defaults(config: dict, at: str | None = None) -> dict:
    """A config (or its part at the dotted place `at`: `spectral`, `tasks.*`) with the schema's defaults filled in,
    as the workflow fills them: the one helper tests read defaults through (ftgeom.config.fill_defaults)."""
    from ftgeom.config import fill_defaults

    return fill_defaults(config, REPO / "config" / "schema.yaml", at=at)


def workflow_of(config: dict, root: str = "results"):
    """The workflow the rule files bind for this config (defaults filled): shared paths and each stage's plan."""
    from ftgeom import registry
    from ftgeom.workflow import Workflow

    return Workflow(with_defaults(config), root, stages=registry.STAGES)


def task_entry(entry: dict) -> dict:
    """A task's config entry with the schema's defaults filled in, as the workflow hands it to prepare_task."""
    return with_defaults(entry, at="tasks.*")


def split_sizes(sizes: dict) -> dict:
    """A task's `splits` with the schema's defaults filled in."""
    return with_defaults(sizes, at="tasks.*.splits")
