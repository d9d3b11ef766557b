"""Process set-up shared by every stage: torch threads = the rule's `threads:`, quiet offline libraries."""
from __future__ import annotations

import os
import random

import numpy as np


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
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
