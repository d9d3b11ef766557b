"""Process set-up shared by every stage: torch threads = the rule's `threads:`, quiet offline libraries, and
`run_stage`, the wrapper of every `python -m ftgeom....` entry point (one-line errors, CPU time, fast exit)."""
from __future__ import annotations

import argparse
import ctypes.util
import os
import random
import resource
import sys
from typing import Callable

import numpy as np

from ftgeom.errors import OneLineError

# tcmalloc instead of glibc's malloc: measured 7% faster training steps and evaluation for a default MiniLM run
# (bench/overhead.py), with identical numbers: the allocator changes where tensors live, not what is computed.
# PyTorch's CPU performance guide recommends it. FTGEOM_MALLOC=system keeps glibc's.
FAST_ALLOCATOR = "tcmalloc_minimal"


def setup(threads: int, seed: int | None = None) -> None:
    import torch

    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set once in this process
        pass
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # Set through the environment so that jobs which never use transformers (vision) do not pay its import.
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    if seed is not None:
        seed_everything(seed)


def seed_everything(seed: int) -> None:
    """Python's, numpy's and torch's global RNGs (a run in a job of several starts as it would alone)."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def use_fast_allocator() -> None:
    """Re-execute this process's command line with tcmalloc preloaded, once, when the system has it (Debian:
    libtcmalloc-minimal4, `envs/apt-packages.txt`). Must run before anything heavy is imported: exec replaces the
    process (same PID, so Snakemake, SLURM and benchmarks see one job)."""
    preload = os.environ.get("LD_PRELOAD", "")
    if os.environ.get("FTGEOM_MALLOC", "tcmalloc") == "system" or "tcmalloc" in preload:
        return
    lib = ctypes.util.find_library(FAST_ALLOCATOR)
    if lib is None:
        return
    os.environ.update(LD_PRELOAD=" ".join(p for p in (lib, preload) if p),
                      # tcmalloc reports every allocation over 1 GB on stderr (a trajectory's consolidation makes them)
                      TCMALLOC_LARGE_ALLOC_REPORT_THRESHOLD=str(1 << 40))
    sys.stdout.flush()
    sys.stderr.flush()
    # argv[0] is the interpreter's full path: Python finds its venv from it, not from a bare `python` on PATH
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])


def process_seconds() -> float:
    """Wall seconds since this process started (interpreter start-up included), from /proc where there is one."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def job_parser(doc: str) -> argparse.ArgumentParser:
    """A job's argument parser: its module doc as the help, and --threads (torch's threads: the rule's `threads:`)."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (the rule's threads:)")
    return ap


def run_stage(main: Callable[[], None]) -> None:
    use_fast_allocator()  # may re-execute this very command with tcmalloc preloaded (same numbers, faster steps)
    try:
        main()
    except Exception as err:
        if not isinstance(err, (FileNotFoundError, OneLineError)):
            raise
        sys.stderr.write(f"error: {err}\n")
        sys.exit(1)
    # The job's exact CPU time, for bench/dag.py: Snakemake's benchmark files sample it every 30 s and miss the rest.
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(u.ru_utime + u.ru_stime for u in usage)
    sys.stderr.write(f"ftgeom: job done, {cpu:.2f} CPU-s in {process_seconds():.2f} s\n")
    # Every output is written (atomically) and closed by now. Tearing down the interpreter (torch, transformers)
    # would cost ~1 s per job for nothing, so the process ends here.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
