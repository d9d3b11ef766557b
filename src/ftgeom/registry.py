"""The paper stages, in the paper's order: the one place that lists them (see ftgeom.entry.PaperEntry).

Adding a paper stage: its package `ftgeom/<name>/` with `entry.py` (ENTRY), its rule file `rules/<name>.smk`, its
section `paper/sections/<name>.tex`, and one line below. README "Adding a paper stage" lists every step.
"""
from __future__ import annotations

from ftgeom.entry import PaperEntry
from ftgeom.head_probe.entry import ENTRY as HEAD_PROBE
from ftgeom.intrinsic.entry import ENTRY as INTRINSIC
from ftgeom.spectral.entry import ENTRY as SPECTRAL
from ftgeom.synthesis.entry import ENTRY as SYNTHESIS
from ftgeom.train.hooks import Extensions

# The synthesis comes last: it reads the three papers' outputs (its claims are `ours`, listed apart).
PAPERS: tuple[PaperEntry, ...] = (INTRINSIC, SPECTRAL, HEAD_PROBE, SYNTHESIS)


def by_name(name: str) -> PaperEntry:
    for entry in PAPERS:
        if entry.name == name:
            return entry
    raise KeyError(f"no paper stage '{name}' (known: {', '.join(p.name for p in PAPERS)})")


def active(config: dict) -> list[PaperEntry]:
    """The paper stages this config runs (its section is present and not empty)."""
    return [p for p in PAPERS if p.active(config)]


def checks() -> list:
    return [p.check for p in PAPERS]


def shared_run_spec(config: dict, model: str, task: str, method: str, seed: int) -> dict:
    """What the paper stages add to the spec of a shared fine-tuning run."""
    out = {}
    for p in PAPERS:
        out.update(p.shared_run_spec(config, model, task, method, seed))
    return out


def extensions() -> Extensions:
    """Every paper's hooks, method inputs and start heads, as the training layer takes them (each decides from the
    spec)."""
    def head_state(spec: dict) -> dict | None:
        return next((h for h in (p.run_head(spec) for p in PAPERS) if h is not None), None)
    return Extensions(hooks=lambda spec: [h for p in PAPERS for h in p.run_hooks(spec)],
                      method_inputs=lambda spec: {k: v for p in PAPERS for k, v in p.method_inputs(spec).items()},
                      head_state=head_state)
