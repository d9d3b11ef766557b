"""What the paper rules read, from the config and the registry (rules/document.smk)."""
from __future__ import annotations

from pathlib import Path

from ftgeom.assets.modality import task_modality
from ftgeom.registry import STAGES
from ftgeom.train.settings import OPERATIONAL
from ftgeom.workflow import Workflow


def results(wf: Workflow, active) -> list[str]:
    """The stages' tables and figures the document includes (they keep their paths under results/ in the build
    folder; the shared stage's come from its rules)."""
    return [path for p in active for path in p.document_inputs(wf.R)]


def sections(sources: str | Path) -> list[str]:
    """Every LaTeX source beside main.tex (an edit rebuilds the paper)."""
    return sorted(str(p) for p in Path(sources).rglob("*.tex") if p.name != "main.tex")


def text_models(wf: Workflow) -> list[str]:
    return list(dict.fromkeys(m for m, t in wf.pairs if task_modality(wf.config["tasks"][t]) == "text"))


def settings(wf: Workflow) -> dict:
    """The config the paper's prose cites; operational settings are left out (they cannot change a number)."""
    return {"finetune": {k: v for k, v in wf.FT.items() if k not in (*OPERATIONAL, "group_seeds")},
            "tasks": wf.config["tasks"], **{p.name: wf.config.get(p.name) for p in STAGES}}
