"""Paper B's registry entry: a reusable spectral basis (arXiv 2605.07302)."""
from __future__ import annotations

from ftgeom.entry import PaperEntry


def _check(config: dict) -> None:
    from ftgeom.spectral.checks import check

    check(config)


def claim_specs() -> tuple:
    from ftgeom.spectral.claim_specs import SPECS

    return SPECS


ENTRY = PaperEntry(
    name="spectral", letter="B", title="A reusable spectral basis (arXiv 2605.07302)",
    tables_csv=("stability", "layers", "peft", "peft_runs", "scale", "cross", "energy", "steps", "pretraining"),
    tables_tex=("stability", "peft", "scale", "cross", "numbers"),
    check=_check,
    claim_specs=claim_specs,
)
