"""Claim specs: every claim row is declared before it is measured (../shared/CLAIMS.md v2, "Declared first").

Each paper package holds one table of `ClaimSpec`s (its `claim_specs.py`). A spec fixes what a reader needs to judge
the row before seeing a number: the paper's sentence, the measure, the independent unit, the bar and its side. The
paper stage turns each spec into one row per setting, and `check_rows` refuses a row without a spec or a spec
(that the config runs) without a row.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ftgeom.errors import OneLineError

KINDS = ("paper", "ours", "check", "exploratory")
DIRECTIONS = ("greater", "less")


class SpecError(ValueError, OneLineError):
    """A claim spec or a claim row that breaks the contract (one line, names the claim)."""


def _always(section: dict) -> bool:
    return True


@dataclass(frozen=True)
class ClaimSpec:
    claim_id: str            # A1, A4b, ... (stable; a letter suffix when one sentence has several measures)
    kind: str                # paper | ours | check | exploratory
    claim: str               # the sentence the row tests, in our words
    quote: str               # paper rows: the paper's own sentence (or the closest text we can cite)
    measure: str             # what is computed, in one sentence
    unit: str                # the independent unit and how values nested inside it are combined
    threshold: float = 0.0   # the bar; for non-inferiority, the margin
    direction: str = "greater"
    published: str = ""      # the paper's figure for the same measure at a comparable setting
    # paper rows: whether the default's scale is a likely reason should the row not reproduce, and what the
    # paper-scale config (config/paper.yaml) would test instead; the paper prints it beside such rows
    scale: str = ""
    # Whether the config runs what this row needs (the paper's config section in, a bool out): a spec the config
    # does not run expects no row; the paper's spec table still prints it.
    runs: Callable[[dict], bool] = _always

    def __post_init__(self):
        if self.kind not in KINDS:
            raise SpecError(f"claim {self.claim_id}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.direction not in DIRECTIONS:
            raise SpecError(f"claim {self.claim_id}: direction {self.direction!r} is not greater or less")
        if self.kind == "paper" and not self.quote.strip():
            raise SpecError(f"claim {self.claim_id}: a paper claim quotes the paper's sentence")


def table(specs) -> dict[str, ClaimSpec]:
    """The specs by id; a repeated id is an error."""
    out = {}
    for spec in specs:
        if spec.claim_id in out:
            raise SpecError(f"claim {spec.claim_id}: declared twice")
        out[spec.claim_id] = spec
    return out


def check_rows(specs, rows: list[dict], section: dict) -> None:
    """Every row comes from a spec, and every spec the config runs has at least one row."""
    by_id = table(specs)
    ids = [r["claim_id"] for r in rows]
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise SpecError(f"claim row {unknown[0]} has no spec in the paper's claim table")
    missing = [i for i, s in by_id.items() if s.runs(section) and i not in ids]
    if missing:
        raise SpecError(f"claim {missing[0]} is declared (and the config runs it) but the stage wrote no row for it")
