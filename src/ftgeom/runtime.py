"""Process set-up shared by every stage: torch threads = the rule's `threads:`, quiet offline libraries."""
from __future__ import annotations

import ctypes.util
import os
import random
import sys

import numpy as np

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
