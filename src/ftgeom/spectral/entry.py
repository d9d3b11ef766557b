"""Paper B's registry entry: a reusable spectral basis (arXiv 2605.07302)."""
from __future__ import annotations

from ftgeom.entry import PaperEntry


def _check(config: dict) -> None:
    from ftgeom.spectral.checks import check

    check(config)


def grid_run(wf, run: str, model: str, task: str, seed: int):
    """A PEFT table run (`spectral`, `lora`, ... or a spectral variant) of one task and seed, as its job makes it."""
    from ftgeom.spectral.workflow import SpectralWorkflow

    sw = SpectralWorkflow(wf)
    if not sw.sb:
        return None
    for r in sw.group(model, task, "peft"):
        if r["name"] == f"{run}-seed{seed}":
            return {**r, "producer": sw.job_dir(model, task, "peft")}, []
    return None


def claim_specs() -> tuple:
    from ftgeom.spectral.claim_specs import SPECS

    return SPECS


ENTRY = PaperEntry(
    name="spectral", letter="B", title="A reusable spectral basis (arXiv 2605.07302)",
    tables_csv=("stability", "layers", "peft", "peft_runs", "scale", "cross", "energy", "steps", "pretraining"),
    tables_tex=("stability", "peft", "scale", "cross", "numbers"),
    check=_check,
    claim_specs=claim_specs,
    grid_run=grid_run,
)
