"""What every stage's results job shares: its common arguments and writing what its registry entry declares.

A results job (`python -m ftgeom.<stage>.stages.results`) takes its own inputs, then `--settings` (its config
section as JSON), `--root` (the results root) and `--config` (the config's name, for the claims' `setting`
column). Its outputs are not arguments: they go where the stage's entry declares them under the root
(ftgeom.entry.StageEntry: claims, CSV and LaTeX tables, the figures folder), the same paths the rule declares.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from ftgeom.provenance import write_text

NO_PART = "% no such part in this config\n"


def parser(doc: str) -> argparse.ArgumentParser:
    """The job's parser with the common arguments; the stage adds its inputs."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--settings", default="{}", help="the stage's config section as JSON")
    ap.add_argument("--root", required=True, type=Path,
                    help="the results root: every output goes where the stage's registry entry declares it")
    ap.add_argument("--config", default=os.environ.get("FTGEOM_CONFIG_NAME", "default"),
                    help="config name for the claims' setting column (the workflow sets $FTGEOM_CONFIG_NAME)")
    return ap


class StageOutputs:
    """Where a stage's results go (its registry entry's paths under the results root), written atomically."""

    def __init__(self, entry, root: str | Path):
        self.entry, self.root = entry, str(root)

    def claims(self, rows: list[dict], specs, settings: dict):
        """Check the rows against the stage's specs (every row declared, every declared row that the config runs
        present), then write them; returns the claims table."""
        from ftgeom.claims import check_rows, write_claims

        check_rows(specs, rows, settings)
        return write_claims(rows, self.entry.claims(self.root))

    def tables(self, csv: dict, tex: dict, float_format: str | None = None) -> None:
        """Every table the entry declares: CSV from the frames, LaTeX from the texts (an empty text: the config
        runs no such part)."""
        for name in self.entry.tables_csv:
            write_text(self.entry.table(self.root, name), csv[name].to_csv(index=False, float_format=float_format))
        for name in self.entry.tables_tex:
            write_text(self.entry.table(self.root, name, "tex"), tex[name] or NO_PART)

    def figures(self) -> Path:
        """The figures folder, created, with the project's plot theme set."""
        from ftgeom.report.style import theme

        theme()
        path = Path(self.entry.figures(self.root))
        path.mkdir(parents=True, exist_ok=True)
        return path
