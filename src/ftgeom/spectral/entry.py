"""Paper B's registry entry: a reusable spectral basis (arXiv 2605.07302)."""
from __future__ import annotations

from ftgeom.entry import StageEntry
from ftgeom.spectral.checks import check
from ftgeom.spectral.claim_specs import SPECS
from ftgeom.spectral.workflow import SpectralWorkflow

ENTRY = StageEntry(
    name="spectral", letter="B", title="A reusable spectral basis (arXiv 2605.07302)",
    tables_csv=("stability", "layers", "peft", "peft_runs", "scale", "cross", "energy", "steps", "pretraining"),
    tables_tex=("stability", "peft", "scale", "cross", "numbers"),
    check=check, claim_specs=SPECS, workflow=SpectralWorkflow,
)
