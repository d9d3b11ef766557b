# Config validation and the helpers every rule file uses. Paper stages keep their helpers in their own rule file.
import json
import os
import shlex
from pathlib import Path
from types import SimpleNamespace

from snakemake.io import report as reported  # `report` starts a directive in a rule file

from ftgeom import registry
from ftgeom.assets.modality import task_modality
from ftgeom.config import ConfigError, validate
from ftgeom.selection.grids import Selection
from ftgeom.train.settings import OPERATIONAL
from ftgeom.workflow import Workflow

# ftgeom.config checks the schema first so that any problem is reported as ONE line naming the key (Snakemake's
# own message dumps the schema), fills the schema's defaults (the one place they are written), then checks the
# cross-references (the shared ones, then each stage's: the registry).
try:
    validate(config, workflow.source_path("../config/schema.yaml"), checks=registry.checks())
except ConfigError as err:
    sys.stderr.write(str(err).splitlines()[0] + "\n")
    sys.exit(1)

R = "results"
FT = config["finetune"]
ACTIVE = registry.active(config)  # the stages this config runs, in the document's order
# Paths and run specs (ftgeom.workflow), with each active stage's planning class: WF.stages[name].
WF = Workflow(config, R, stages=registry.STAGES)
# The selection grids (target `select`, rules/selection.smk; paper C's probing grids run in its own rule).
SELECTION = Selection.of(WF)


wildcard_constraints:
    model=r"[a-z0-9][a-z0-9-]*",
    task=r"[a-z0-9][a-z0-9-]*",
    method=r"[a-z]+",
    seed=r"\d+",


def json_arg(obj):
    """A config slice as one shell-quoted JSON argument (Snakemake also reruns a job when it changes)."""
    return shlex.quote(json.dumps(obj, sort_keys=True))


# Settings that cannot change a number reach the jobs through the environment, not through params: Snakemake re-runs
# a job when its params change. Every job (local or on a cluster node) re-reads this file, so each one sees them;
# the run's metrics record them under "operational".
os.environ.update(FTGEOM_OPS=json.dumps({k: FT[k] for k in OPERATIONAL if k in FT}, sort_keys=True))
# The config's name labels claim rows (`setting`); a label, not a number: it must not re-run the report.
os.environ.update(
    FTGEOM_CONFIG_NAME=(
        Path(workflow.config_settings.configfiles[0]).stem if workflow.config_settings.configfiles else "default"
    )
)


def res(stage, key):
    defaults = {"threads": 1, "mem_mb": 4000, "runtime": 60, "gpu": 0}
    return config.get("resources", {}).get(stage, {}).get(key, defaults[key])


def gpu_resources(stage):
    """GPU requests in the form the SLURM executor plugin reads; empty for CPU-only configs."""
    n = res(stage, "gpu")
    if not n:
        return {}
    out = {"gpu": n}
    model = config.get("resources", {}).get(stage, {}).get("gpu_model")
    if model:
        out["gpu_model"] = model
    return out


def job_resources(stage, runs=1):
    """A rule's resources from the config's `resources.<stage>` block: memory, runtime (per run: times the job's
    `runs`, a number or a function of the wildcards) and GPUs."""
    runtime = res(stage, "runtime")
    return {
        **gpu_resources(stage),
        "mem_mb": res(stage, "mem_mb"),
        "runtime": (lambda w: runtime * runs(w)) if callable(runs) else runtime * runs,
    }


def one_of(values):
    """A wildcard constraint matching exactly these values (none: matches nothing)."""
    return "|".join(str(v) for v in values) if values else "(?!)"


def task_data(w):
    """Text: the task tokenised for this model; images: the prepared task (preprocessed in the job)."""
    if task_modality(config["tasks"][w.task]) == "image":
        return rules.prepare_task.output[0].format(task=w.task)
    return rules.encode_task.output[0].format(model=w.model, task=w.task)


def results_root(wildcards, output):
    """A results job's --root, read off its claims file (<root>/claims/<stage>.csv): Snakemake's lint wants a path
    prefix to follow the outputs (a job without a shared filesystem); the job writes every output under it."""
    return str(Path(output.claims).parents[1])


def stage_outputs(entry):
    """A paper stage's results rule outputs (declared once, by its registry entry), with its report captions."""
    caption = lambda what: f"../captions/{entry.name}_{what}.rst"
    figures = directory(entry.figures(R))
    return dict(
        claims=reported(entry.claims(R), caption=caption("claims"), category=entry.name),
        tables=[
            reported(path, caption=caption(t), category=entry.name) if t in entry.captioned else path
            for t, path in zip(entry.tables_csv, entry.tables(R, "csv"))
        ],
        tex=entry.tables(R, "tex"),
        figures=reported(
            figures,
            patterns=["{name}.png"],
            labels={"figure": "{name}"},
            caption=caption("figures"),
            category=entry.name,
        ),
    )
