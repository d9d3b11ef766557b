"""The layering (pyproject.toml [tool.importlinter]): shared layers know no paper, paper stages know no other paper,
and no package has import cycles. Checked by import-linter on the real tree, and shown to fail on a violation."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from workflow_runs import REPO

LINT = Path(sys.executable).parent / "lint-imports"


def _lint(src: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}  # ahead of the editable install: this very tree is analysed
    return subprocess.run([str(LINT), "--config", str(REPO / "pyproject.toml"), "--no-cache", "--no-logo"],
                          cwd=src.parent, env=env, capture_output=True, text=True)


def test_the_tree_keeps_every_contract():
    proc = _lint(REPO / "src")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "Contracts: 2 kept, 0 broken." in proc.stdout, proc.stdout[-3000:]


def _copy_with(tmp_path: Path, module: str, line: str) -> Path:
    src = tmp_path / "src"
    shutil.copytree(REPO / "src" / "ftgeom", src / "ftgeom", ignore=shutil.ignore_patterns("__pycache__"))
    path = src / "ftgeom" / module
    path.write_text(path.read_text() + f"\n{line}\n")
    return src


def test_a_shared_layer_importing_a_paper_breaks_the_contract(tmp_path):
    proc = _lint(_copy_with(tmp_path, "train/loop.py", "from ftgeom.intrinsic import outliers  # noqa"))
    assert proc.returncode != 0 and "ftgeom.train.loop -> ftgeom.intrinsic.outliers" in proc.stdout, proc.stdout


def test_one_paper_importing_another_breaks_the_contract(tmp_path):
    proc = _lint(_copy_with(tmp_path, "spectral/measures.py", "import ftgeom.head_probe.energy  # noqa"))
    assert proc.returncode != 0 and "ftgeom.spectral.measures -> ftgeom.head_probe.energy" in proc.stdout, \
        proc.stdout


def test_a_cycle_breaks_the_contract(tmp_path):
    proc = _lint(_copy_with(tmp_path, "train/splits.py", "from ftgeom.train import data  # noqa"))
    assert proc.returncode != 0 and "No cycles are allowed in ftgeom.train" in proc.stdout, proc.stdout
