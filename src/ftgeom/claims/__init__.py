"""The claims contract (../shared/CLAIMS.md v2): specs declared first (`spec`), intervals that keep their coverage
(`intervals`), rows, verdicts and robustness (`rows`)."""
from ftgeom.claims.intervals import LEVEL, RESAMPLES
from ftgeom.claims.rows import (COLUMNS, MIN_UNITS, NO_VERDICT, REPEATS, UnitError, claim_row, counted, unit_means,
                                unit_series, verdict, write_claims)
from ftgeom.claims.spec import KINDS, ClaimSpec, SpecError, check_rows

__all__ = ["COLUMNS", "KINDS", "LEVEL", "MIN_UNITS", "NO_VERDICT", "REPEATS", "RESAMPLES", "ClaimSpec", "SpecError",
           "UnitError", "check_rows", "claim_row", "counted", "unit_means", "unit_series", "verdict",
           "write_claims"]
