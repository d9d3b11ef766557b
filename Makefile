# Two commands for a fresh Debian/Ubuntu machine with Python >= 3.11:  make run  |  make test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ftgeom-setup
CORES  ?= 2
# Jobs run `python -m ftgeom...`: put the venv first on PATH so they use its interpreter.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup run test smoke dag document report readme bench clean

setup: $(STAMP)

$(STAMP): envs/requirements.txt envs/data-packages.txt envs/apt-packages.txt pyproject.toml envs/setup.sh
	envs/setup.sh "$(PYTHON)" "$(VENV)"
	touch $@

run: setup
	snakemake --cores $(CORES)

smoke: setup
	snakemake --cores $(CORES) --configfile config/smoke.yaml --directory results/smoke-run

test: setup
	@if [ "$$(id -u)" -eq 0 ]; then echo "make test (root): installs the Debian SLURM packages if missing (envs/apt-packages.txt) and starts a throw-away single-node SLURM (munged, slurmctld, slurmd on loopback) for tests/test_slurm_workflow.py; it is stopped when the tests end"; fi
	envs/system-packages.sh test
	python -m pytest -q --durations=10

# Rebuild only the generated document (and what it needs that is missing or stale) from existing results.
document: setup
	snakemake --cores $(CORES) document

report: setup
	snakemake --report results/report.html

# README's Results block, regenerated from results/claims.csv of a default run.
readme: setup
	python -m ftgeom.document.readme results/claims.csv README.md

# Benchmarks (never part of the tests), seven of them: each prints one JSON line and keeps it in results/bench/. They
# read the default run's prepared MiniLM assets (and, for dag, its benchmark files): run `make run` first. ~21 min
# (controller runs the smoke DAG once per scheduler).
bench: setup
	cd bench && python overhead.py && python step.py && python scaling.py && python subspace.py && python spectral.py \
		&& python dag.py && python controller.py

dag: setup
	envs/system-packages.sh dag
	snakemake --dag | dot -Tsvg > dag.svg

clean:
	rm -rf results .snakemake
