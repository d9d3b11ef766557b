# Config validation and the small helpers every rule file uses.
import json
import shlex

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from ftgeom.assets.prepare import task_modality
from ftgeom.config import ConfigError, finetune_pairs, validate as check_config
from ftgeom.train.settings import OPERATIONAL


# ftgeom.config checks the schema first so that any problem is reported as ONE line naming the key (Snakemake's
# own message dumps the schema), then cross-references (tasks/models named in `finetune`); Snakemake's validate
# runs on the same schema after it.
SCHEMA = workflow.source_path("../config/schema.yaml")
try:
    check_config(config, SCHEMA)
    validate(config, "../config/schema.yaml")
except (WorkflowError, ConfigError) as err:
    sys.stderr.write(str(err).splitlines()[0] + "\n")
    sys.exit(1)

R = "results"
FT = config["finetune"]


wildcard_constraints:
    model=r"[a-z0-9][a-z0-9-]*",
    task=r"[a-z0-9][a-z0-9-]*",
    method=r"[a-z]+",
    seed=r"\d+",


def json_arg(obj):
    """A config slice as one shell-quoted JSON argument (Snakemake also reruns a job when it changes)."""
    return shlex.quote(json.dumps(obj, sort_keys=True))


# Settings that cannot change a number reach the jobs through this global, not through params: Snakemake re-runs a
# job when its params change, but not when a global in its shell command does.
OPS = json_arg({k: FT[k] for k in OPERATIONAL if k in FT})


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


def finetune_runs():
    """Every (model, task, method, seed) the config asks for: models x tasks where modalities match."""
    return [
        dict(model=m, task=t, method=me, seed=s)
        for m, t in finetune_pairs(config)
        for me in FT["methods"]
        for s in FT["seeds"]
    ]


def one_of(values):
    """A wildcard constraint matching exactly these values (none: matches nothing)."""
    return "|".join(str(v) for v in values) if values else "(?!)"


def is_traced(method, seed):
    return method == "full" and int(seed) in FT["trajectory"]["seeds"]


def final_weights_dir(model, task, method, seed):
    """Where a run's final weights are: its trajectory when traced, else results/weights (finetune.keep_weights)."""
    kind = "trajectories" if is_traced(method, seed) else "weights"
    return f"{R}/{kind}/{model}/{task}/{method}/seed{seed}"
