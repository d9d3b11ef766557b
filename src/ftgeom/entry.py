"""What a stage above the shared runs (a paper's, or the synthesis) declares once for the rest of the workflow:
its registry entry (see ftgeom.registry).

The entry's `name` is the stage's one word: its package (`ftgeom.<name>`), rule file (`rules/<name>.smk`), rule
prefix, config key, results folder (`results/<name>/`), outputs (`claims/<name>.csv`, `tables/<name>_*`,
`figures/<name>/`), tests (`tests/test_<name>*.py`), document section (`paper/sections/<name>.tex`) and report
captions (`captions/<name>_*.rst`). Nothing here knows a paper: the entries live in the stages' packages.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


def _nothing(*_args) -> dict:
    return {}


def _none(*_args) -> list:
    return []


@dataclass(frozen=True)
class StageEntry:
    name: str
    letter: str                     # the label of its claims (A1, B2, ...) in the verdict table
    title: str                      # what it reproduces, as the generated document names it
    tables_csv: tuple[str, ...]     # results/tables/<name>_<t>.csv
    tables_tex: tuple[str, ...]     # results/tables/<name>_<t>.tex: the document inputs each
    captioned: tuple[str, ...] = ()  # of tables_csv: those the HTML report shows (captions/<name>_<t>.rst)
    # config (defaults filled) -> None; raises ftgeom.config.ConfigError (one line) on a cross-reference the schema
    # cannot check
    check: Callable[[dict], None] = _nothing
    claim_specs: tuple = ()         # its claim table (ftgeom.claims.ClaimSpec, from `<name>/claim_specs.py`)
    # its planning class (`<name>/workflow.py`): built once per workflow from the shared ftgeom.workflow.Workflow
    # (`Workflow.stages[name]`); its paths and job members for the rules, and `grid_run(run, model, task, seed)`:
    # ({"spec", "out", "trajectory", "producer"}, inputs) of the run a selection grid varies, or None
    workflow: Callable[[Any], Any] | None = None
    # the stage's section of the config -> {macro key: value} for the prose (\ft<Key> macros)
    macro_settings: Callable[[dict], dict] = _nothing
    # (config, model, task, method, seed) -> settings this stage adds to a shared fine-tuning run's spec
    shared_run_extras: Callable[..., dict] = _nothing
    # spec -> training hooks (ftgeom.train.hooks) that this stage's runs ask for
    run_hooks: Callable[[dict], list] = _none
    # spec -> data a method receives besides its options (a basis, positions)
    method_inputs: Callable[[dict], dict] = _nothing
    # spec -> a head state a run starts from instead of the seed's fresh one (a probed head), or None
    run_head: Callable[[dict], dict | None] = lambda spec: None
    assembly_csv: tuple[str, ...] = field(default=())  # of tables_csv: those the document assembly also reads

    def active(self, config: dict) -> bool:
        return bool(config.get(self.name))

    def claims(self, root: str) -> str:
        return f"{root}/claims/{self.name}.csv"

    def table(self, root: str, table: str, ext: str = "csv") -> str:
        return f"{root}/tables/{self.name}_{table}.{ext}"

    def figures(self, root: str) -> str:
        return f"{root}/figures/{self.name}"

    def tables(self, root: str, ext: str = "csv") -> list[str]:
        return [self.table(root, t, ext) for t in (self.tables_csv if ext == "csv" else self.tables_tex)]

    def outputs(self, root: str) -> list[str]:
        """Every file and folder its results rule writes."""
        return [self.claims(root), *self.tables(root, "csv"), *self.tables(root, "tex"), self.figures(root)]

    def document_inputs(self, root: str) -> list[str]:
        """What the compiled document includes of it: its LaTeX tables and its figures."""
        return [*self.tables(root, "tex"), self.figures(root)]

    @property
    def section(self) -> str:
        return f"sections/{self.name}.tex"
