"""The one mark every user-facing error carries: its message is one line that names the key, file or run and the
fix, so an entry point (ftgeom.runtime.run_stage) prints it alone, with no traceback, and exits with status 1."""
from __future__ import annotations


class OneLineError(Exception):
    """Mixed into an error class (`class DataError(ValueError, OneLineError)`): print the message, not a traceback."""
