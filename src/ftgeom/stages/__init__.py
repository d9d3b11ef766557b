"""The shared stages' command-line entry points, one per Snakemake rule: `python -m ftgeom.stages.<rule> ...`.

Each parses its arguments, sets up the process (threads, seed) and calls the library through
ftgeom.runtime.run_stage. The paper stages' entry points live in their packages (`ftgeom.<paper>.stages`).
"""
