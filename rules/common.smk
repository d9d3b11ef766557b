# Config validation and the helpers every rule file uses. Paper stages keep their helpers in their own rule file.
import json
import os
import shlex
from pathlib import Path
from types import SimpleNamespace

from snakemake.exceptions import WorkflowError
from snakemake.io import report as reported  # `report` starts a directive in a rule file
from snakemake.utils import validate

from ftgeom import registry
from ftgeom.assets.modality import task_modality
from ftgeom.config import ConfigError, finetune_pairs, validate as check_config
from ftgeom.train.settings import OPERATIONAL
from ftgeom.workflow import Workflow

# ftgeom.config checks the schema first so that any problem is reported as ONE line naming the key (Snakemake's
# own message dumps the schema), then cross-references (the shared ones, then each paper stage's: the registry);
# Snakemake's validate runs on the same schema after it and fills the defaults.
SCHEMA = workflow.source_path("../config/schema.yaml")
try:
    check_config(config, SCHEMA, checks=registry.checks())
    validate(config, "../config/schema.yaml")
except (WorkflowError, ConfigError) as err:
    sys.stderr.write(str(err).splitlines()[0] + "\n")
    sys.exit(1)

R = "results"
FT = config["finetune"]
FT_PAIRS = finetune_pairs(config)
PAPERS = registry.active(config)  # the paper stages this config runs, in the paper's order
# Paths and run specs (ftgeom.workflow); the paper stages add to the shared runs' specs through the registry.
WF = Workflow(config, R, shared_run_spec=registry.shared_run_spec)
metrics_path, final_weights_dir, stage_runs, producers = (
    WF.metrics_path,
    WF.final_weights_dir,
    WF.stage_runs,
    WF.producers,
)
train_spec = lambda w, points=None: WF.train_spec(w.model, w.task, w.method, w.seed, points)


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


def one_of(values):
    """A wildcard constraint matching exactly these values (none: matches nothing)."""
    return "|".join(str(v) for v in values) if values else "(?!)"


def task_data(w):
    """Text: the task tokenised for this model; images: the prepared task (preprocessed in the job)."""
    if task_modality(config["tasks"][w.task]) == "image":
        return rules.prepare_task.output[0].format(task=w.task)
    return rules.encode_task.output[0].format(model=w.model, task=w.task)


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
