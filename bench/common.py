"""What every benchmark shares: the default run's assets, child-process CPU accounting, one JSON line of results."""
from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
RESULTS = REPO / "results"
OUT = RESULTS / "bench"
DATA = RESULTS / "encoded" / "minilm"
MODEL = RESULTS / "models" / "minilm"


def need(*paths: Path) -> None:
    missing = [str(p.relative_to(REPO)) for p in paths if not p.exists()]
    if missing:
        sys.exit(f"bench: missing {', '.join(missing)}: run the default workflow first (make run), or at least "
                 f"`snakemake --cores 2 {' '.join(missing)}`")


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "src"), "TOKENIZERS_PARALLELISM": "false", **extra}


def timed(cmd: list[str], **extra_env: str) -> dict[str, float]:
    """Run a command; its wall seconds and the CPU seconds (user + system) of it and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env(**extra_env), cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        sys.exit(f"bench: {' '.join(cmd[:4])} ... failed:\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "stdout": proc.stdout}


def machine() -> dict:
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    cpu = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")),
               platform.processor())
    return {"date": time.strftime("%Y-%m-%d"), "cpu": cpu, "cores": os.cpu_count(),
            "avx512_bf16": "avx512_bf16" in info, "amx": "amx_bf16" in info, "python": platform.python_version()}


def report(name: str, result: dict) -> None:
    """Print one JSON line and keep it under results/bench/<name>.json."""
    result = {"bench": name, **result, "machine": machine()}
    line = json.dumps(result, sort_keys=False)
    print(line)
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = OUT / f".{name}.json.tmp"
    tmp.write_text(json.dumps(result, indent=1) + "\n")
    tmp.replace(OUT / f"{name}.json")
