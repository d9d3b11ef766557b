"""Thin command-line entry points, one per Snakemake rule: `python -m ftgeom.stages.<rule> ...`.

Each parses its arguments, sets up the process (threads, seed) and calls the library; an asset or config problem
ends the job with one line naming it (exit status 1), not a traceback.
"""
from __future__ import annotations

import sys
from typing import Callable


def run_stage(main: Callable[[], None]) -> None:
    from ftgeom.assets.hub import AssetUnavailable
    from ftgeom.config import ConfigError
    from ftgeom.paper.build import PaperError
    from ftgeom.paper.verdicts import ClaimsError

    try:
        main()
    except (AssetUnavailable, ConfigError, FileNotFoundError, PaperError, ClaimsError) as err:
        sys.stderr.write(f"error: {err}\n")
        sys.exit(1)
