"""Where a run's wall time goes: seconds per phase (imports, loading, training steps, evaluation, checkpoint and
trajectory writes), recorded in every run's metrics so that the benchmarks and the DAG report can sum them."""
from __future__ import annotations

import time
from collections import defaultdict
from contextlib import contextmanager

from ftgeom.runtime import process_seconds


_accounted = 0.0  # process seconds already attributed to earlier runs of this process


def run_clock() -> float:
    """Seconds of this process not yet attributed to a run: for the first run of a process, its start-up."""
    return process_seconds() - _accounted


def close_run() -> float:
    """This run's wall seconds (its share of the process); later runs of the process start from here."""
    global _accounted
    now = process_seconds()
    seconds, _accounted = now - _accounted, now
    return seconds


class Phases:
    """Accumulates wall seconds per named phase; `with phases("eval"): ...`."""

    def __init__(self, **seconds: float):
        self.seconds: dict[str, float] = defaultdict(float, seconds)

    @contextmanager
    def __call__(self, name: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - t0

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in self.seconds.items()}
