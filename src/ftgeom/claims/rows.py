"""Claim rows and their verdicts: one format and one rule for every paper stage (../shared/CLAIMS.md v2).

A row is its spec (ftgeom.claims.spec) measured on one setting: the mean of the independent units' values, its
Student-t 95% interval, the verdict, and whether that verdict is robust — it survives leaving out any one unit and
computing the interval with the BCa bootstrap instead. Verdict: `reproduced` when the whole interval lies on the
predicted side of the threshold, `not reproduced` when it lies wholly on the other side, `inconclusive` when it
straddles the threshold or fewer than MIN_UNITS independent units exist; `check` rows get numbers and no verdict.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ftgeom.claims.intervals import LEVEL, OTHER, RESAMPLES, interval
from ftgeom.claims.spec import ClaimSpec
from ftgeom.errors import OneLineError
from ftgeom.provenance import atomic_path

__all__ = ["COLUMNS", "LEVEL", "MIN_UNITS", "RESAMPLES", "NO_VERDICT", "REPEATS", "UnitError", "claim_row", "counted",
           "unit_means", "unit_series", "verdict", "write_claims"]

COLUMNS = ("claim_id", "kind", "claim", "measure", "unit", "setting", "effect", "ci_low", "ci_high", "n", "interval",
           "threshold", "direction", "published", "verdict", "robust")
MIN_UNITS = 5
NO_VERDICT = "—"        # a check row's verdict
LABELS = {"t": "t", "bca": "BCa"}
# A setting that starts with one of these repeats units of another row of its claim (the pooled union of several
# rows, or one part of a counted row): shown, never counted.
REPEATS = ("pooled", "part")


class UnitError(ValueError, OneLineError):
    """A unit value that is not finite (one line, names the claim and the unit)."""


def _side(low: float, high: float, threshold: float, direction: str) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return "inconclusive"
    above, below = low > threshold, high < threshold
    if (direction == "greater" and above) or (direction == "less" and below):
        return "reproduced"
    if (direction == "greater" and below) or (direction == "less" and above):
        return "not reproduced"
    return "inconclusive"


def verdict(ci_low: float, ci_high: float, threshold: float, direction: str, n: int) -> str:
    if direction not in ("greater", "less"):
        raise ValueError(f"direction must be 'greater' or 'less', not {direction!r}")
    return "inconclusive" if n < MIN_UNITS else _side(ci_low, ci_high, threshold, direction)


def _label(unit) -> str:
    return ", ".join(map(str, unit)) if isinstance(unit, tuple) else str(unit)


def unit_series(values: dict, names: list[str]) -> pd.Series:
    """Values keyed by tuples (e.g. (model, task, seed)) as a Series whose index levels carry these names (also
    when there are none), ready for unit_means."""
    index = pd.MultiIndex.from_tuples(list(values), names=names) if values else \
        pd.MultiIndex.from_arrays([[]] * len(names), names=names)
    return pd.Series(list(values.values()), index=index, dtype=np.float64)


def unit_means(values: pd.Series, levels, claim_id: str = "") -> pd.Series:
    """Values nested inside units (e.g. seeds) averaged per unit (the index `levels`); a non-finite value is an
    error naming where it sits."""
    _finite(values, claim_id)
    return values.groupby(level=levels, sort=True).mean()


def _finite(values: pd.Series, claim_id: str) -> None:
    bad = ~np.isfinite(values.to_numpy(dtype=np.float64))
    if bad.any():
        unit = values.index[np.argmax(bad)]
        raise UnitError(f"claim {claim_id}: the value of unit ({_label(unit)}) is {values.iloc[np.argmax(bad)]}; a "
                        "unit is never dropped silently (fix the run or the measure)")


def robustness(values: np.ndarray, labels: list[str], spec: ClaimSpec, reported: str) -> str:
    """'yes', or 'no: <why>' when the interval's verdict changes without one unit or with the other method."""
    if spec.kind == "check":
        return NO_VERDICT
    if len(values) < MIN_UNITS:
        return f"yes (n < {MIN_UNITS}: inconclusive by the unit rule)"
    reasons = []
    for i, label in enumerate(labels):
        v = _side(*interval(np.delete(values, i), "t"), spec.threshold, spec.direction)
        if v != reported:
            reasons.append(f"without {label}: {v}")
    other = OTHER["t"]
    v = _side(*interval(values, other), spec.threshold, spec.direction)
    if v != reported:
        reasons.append(f"{LABELS[other]}: {v}")
    return "yes" if not reasons else "no: " + "; ".join(reasons)


def claim_row(spec: ClaimSpec, setting: str, units: pd.Series) -> dict:
    """One row of `spec` on `setting`: `units` holds one value per independent unit (index: the unit's label)."""
    units = pd.Series(units, dtype=np.float64)
    _finite(units, spec.claim_id)
    values, labels = units.to_numpy(), [_label(u) for u in units.index]
    n = len(values)
    effect = float(values.mean()) if n else float("nan")
    low, high = interval(values, "t") if n >= 2 else (float("nan"), float("nan"))
    found = verdict(low, high, spec.threshold, spec.direction, n)
    return {"claim_id": spec.claim_id, "kind": spec.kind, "claim": spec.claim, "measure": spec.measure,
            "unit": spec.unit, "setting": setting, "effect": effect, "ci_low": low, "ci_high": high, "n": n,
            "interval": "t", "threshold": spec.threshold, "direction": spec.direction, "published": spec.published,
            "verdict": NO_VERDICT if spec.kind == "check" else found,
            "robust": robustness(values, labels, spec, found)}


def counted(claims: pd.DataFrame) -> pd.Series:
    """The rows the totals count: `paper` rows, once per setting (pooled rows and parts repeat their units)."""
    return (claims["kind"] == "paper") & ~claims["setting"].astype(str).str.startswith(REPEATS)


def write_claims(rows: list[dict], path: str | Path) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")
    return frame
