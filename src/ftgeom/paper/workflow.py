"""What the paper rules read, from the config and the registry (rules/paper.smk)."""
from __future__ import annotations

from pathlib import Path

from ftgeom.assets.modality import task_modality
from ftgeom.registry import PAPERS
from ftgeom.train.settings import OPERATIONAL
from ftgeom.workflow import Workflow


def results(wf: Workflow, active) -> list[str]:
    """Tables and figures the paper includes (they keep their paths under results/ in the build folder)."""
    return [f"{wf.R}/tables/finetune.tex", f"{wf.R}/figures/learning_curves.pdf",
            *(path for p in active for path in p.paper_inputs(wf.R))]


def sections(sources: str | Path) -> list[str]:
    """Every LaTeX source beside main.tex (an edit rebuilds the paper)."""
    return sorted(str(p) for p in Path(sources).rglob("*.tex") if p.name != "main.tex")


def text_models(wf: Workflow) -> list[str]:
    return list(dict.fromkeys(m for m, t in wf.pairs if task_modality(wf.config["tasks"][t]) == "text"))


def settings(wf: Workflow) -> dict:
    """The config the paper's prose cites; operational settings are left out (they cannot change a number)."""
    return {"finetune": {k: v for k, v in wf.FT.items() if k not in (*OPERATIONAL, "group_seeds")},
            "tasks": wf.config["tasks"], **{p.name: wf.config.get(p.name) for p in PAPERS}}
