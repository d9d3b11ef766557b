"""The synthesis's registry entry: questions that connect papers A, B and C, on their own runs (kind `ours`)."""
from __future__ import annotations

from ftgeom.entry import PaperEntry


def _check(config: dict) -> None:
    from ftgeom.synthesis.checks import check

    check(config)


def macro_settings(sy: dict) -> dict:
    """The config of the synthesis that its section's prose cites (\\ftSynthesis... macros)."""
    return {"k": sy.get("k", 16), "directions": sy.get("directions", 8), "margin": sy.get("margin", 2.0),
            "permutations": sy.get("permutations", 10000)}


def claim_specs() -> tuple:
    from ftgeom.synthesis.claim_specs import SPECS

    return SPECS


ENTRY = PaperEntry(
    name="synthesis", letter="S", title="Synthesis: one geometry of fine-tuning across the three papers",
    tables_csv=("frontier", "block", "geometry", "outliers", "transfer"), tables_tex=("frontier", "summary"),
    captioned=("frontier",), check=_check, macro_settings=macro_settings, claim_specs=claim_specs,
)
