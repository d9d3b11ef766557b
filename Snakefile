# ftgeom: the geometry of fine-tuning, reproduced. This file is the table of contents: config, validation, rules.
import os
import sys
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")

# Jobs run `python -m ftgeom.<stage>`; make the library importable for them (locally and on SLURM nodes,
# which inherit this environment) even when it is not pip-installed.
SRC = str(Path(workflow.basedir) / "src")
sys.path.insert(0, SRC)
os.environ.update(PYTHONPATH=os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH")) if p))


# The embedded default applies only when no --configfile is given: a user's config replaces it rather than
# being merged into it (--config key=value overrides still apply on top of either).
if not workflow.config_settings.configfiles:

    configfile: Path(workflow.basedir) / "config" / "default.yaml"


report: "captions/workflow.rst"


include: "rules/common.smk"
include: "rules/assets.smk"
include: "rules/finetune.smk"
include: "rules/selection.smk"


# One rule file per stage, named as its registry entry (ftgeom.registry), in the document's order.
for _stage in registry.STAGES:

    include: f"rules/{_stage.name}.smk"


include: "rules/document.smk"


rule all:
    default_target: True
    input:
        rules.finetune_table.output,
        rules.learning_curves.output,
        [p.outputs(R) for p in ACTIVE],
        rules.document.output,
