"""The claims contract (../shared/CLAIMS.md v2): specs declared first (`spec`), intervals that keep their coverage
(`intervals`), rows, verdicts and robustness (`rows`).

Names are loaded on first use: every stage's registry entry holds its claim specs, and a training job that imports
the registry must not pay for pandas and scipy (which rows and intervals need) to read them."""
from __future__ import annotations

import importlib

_HOMES = {
    "intervals": ("LEVEL", "RESAMPLES"),
    "rows": ("COLUMNS", "MIN_UNITS", "NO_VERDICT", "REPEATS", "UnitError", "claim_row", "counted", "unit_means",
             "unit_series", "verdict", "write_claims"),
    "spec": ("KINDS", "ClaimSpec", "SpecError", "check_rows"),
}
_WHERE = {name: module for module, names in _HOMES.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'ftgeom.claims' has no attribute '{name}'")
    value = getattr(importlib.import_module(f"ftgeom.claims.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
