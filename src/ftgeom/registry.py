"""The stages above the shared fine-tuning runs, in the document's order: the one place that lists them (see
ftgeom.entry.StageEntry). Three reproduce a paper each; the synthesis reads all three.

Adding a stage: its package `ftgeom/<name>/` with `entry.py` (ENTRY), its rule file `rules/<name>.smk`, its
section `paper/sections/<name>.tex`, and one line below. README "Adding a paper stage" lists every step.
"""
from __future__ import annotations

from ftgeom.entry import StageEntry
from ftgeom.head_probe.entry import ENTRY as HEAD_PROBE
from ftgeom.intrinsic.entry import ENTRY as INTRINSIC
from ftgeom.spectral.entry import ENTRY as SPECTRAL
from ftgeom.synthesis.entry import ENTRY as SYNTHESIS
from ftgeom.train.hooks import Extensions

# The synthesis comes last: it reads the three papers' outputs (its claims are `ours`, listed apart).
STAGES: tuple[StageEntry, ...] = (INTRINSIC, SPECTRAL, HEAD_PROBE, SYNTHESIS)


def by_name(name: str) -> StageEntry:
    for entry in STAGES:
        if entry.name == name:
            return entry
    raise KeyError(f"no stage '{name}' (known: {', '.join(p.name for p in STAGES)})")


def active(config: dict) -> list[StageEntry]:
    """The stages this config runs (its section is present and not empty)."""
    return [p for p in STAGES if p.active(config)]


def checks() -> list:
    return [p.check for p in STAGES]


def extensions() -> Extensions:
    """Every stage's hooks, method inputs and start heads, as the training layer takes them (each decides from the
    spec)."""
    def head_state(spec: dict) -> dict | None:
        return next((h for h in (p.run_head(spec) for p in STAGES) if h is not None), None)
    return Extensions(hooks=lambda spec: [h for p in STAGES for h in p.run_hooks(spec)],
                      method_inputs=lambda spec: {k: v for p in STAGES for k, v in p.method_inputs(spec).items()},
                      head_state=head_state)
