"""Thin command-line entry points, one per Snakemake rule: `python -m ftgeom.stages.<rule> ...`.

Each parses its arguments, sets up the process (threads, seed) and calls the library; an asset or config problem
ends the job with one line naming it (exit status 1), not a traceback.
"""
from __future__ import annotations

import os
import resource
import sys
from typing import Callable

# The one-line errors, by module: a stage can only raise those of modules it imported, so they are looked up in
# sys.modules rather than imported here (ftgeom.paper.verdicts alone would cost every job 0.3 s of pandas).
ONE_LINE_ERRORS = {"ftgeom.config": "ConfigError", "ftgeom.assets.hub": "AssetUnavailable",
                   "ftgeom.paper.build": "PaperError", "ftgeom.paper.verdicts": "ClaimsError"}


def one_line_errors() -> tuple[type[BaseException], ...]:
    return (FileNotFoundError, *(getattr(sys.modules[m], name) for m, name in ONE_LINE_ERRORS.items()
                                 if m in sys.modules))


def run_stage(main: Callable[[], None]) -> None:
    from ftgeom.runtime import use_fast_allocator

    use_fast_allocator()  # may re-execute this very command with tcmalloc preloaded (same numbers, faster steps)
    try:
        main()
    except Exception as err:
        if not isinstance(err, one_line_errors()):
            raise
        sys.stderr.write(f"error: {err}\n")
        sys.exit(1)
    # The job's exact CPU time, for bench/dag.py: Snakemake's benchmark files sample it every 30 s and miss the rest.
    from ftgeom.train.timing import process_seconds

    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(u.ru_utime + u.ru_stime for u in usage)
    sys.stderr.write(f"ftgeom: job done, {cpu:.2f} CPU-s in {process_seconds():.2f} s\n")
    # Every output is written (atomically) and closed by now. Tearing down the interpreter (torch, transformers)
    # would cost ~1 s per job for nothing, so the process ends here.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
