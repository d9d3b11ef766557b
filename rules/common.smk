# Config validation and the small helpers every rule file uses.
import json
import shlex

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from ftgeom.config import ConfigError, validate as check_config


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
    """Every (model, task, method, seed) the config asks for."""
    return [
        dict(model=m, task=t, method=me, seed=s)
        for m in FT["models"]
        for t in FT["tasks"]
        for me in FT["methods"]
        for s in FT["seeds"]
    ]


def traced_seeds_regex():
    seeds = FT["trajectory"]["seeds"]
    return "|".join(str(s) for s in seeds) if seeds else "(?!)"
