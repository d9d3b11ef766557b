"""The synthesis's registry entry: questions that connect papers A, B and C, on their own runs (kind `ours`)."""
from __future__ import annotations

from ftgeom.entry import StageEntry
from ftgeom.synthesis.checks import check
from ftgeom.synthesis.claim_specs import SPECS
from ftgeom.synthesis.workflow import SynthesisWorkflow


def macro_settings(sy: dict) -> dict:
    """The config of the synthesis that its section's prose cites (\\ftSynthesis... macros)."""
    return {key: sy[key] for key in ("k", "directions", "margin", "permutations")}


ENTRY = StageEntry(
    name="synthesis", letter="S", title="Synthesis: one geometry of fine-tuning across the three papers",
    tables_csv=("frontier", "block", "geometry", "outliers", "transfer"), tables_tex=("frontier", "summary"),
    captioned=("frontier",), check=check, claim_specs=SPECS, workflow=SynthesisWorkflow,
    macro_settings=macro_settings,
)
