# Config validation and the small helpers every rule file uses.
import json
import shlex

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from ftgeom.config import ConfigError, validate as explain


# Snakemake's validate fills the schema defaults; on failure, ftgeom.config re-checks to print ONE line naming the
# key instead of the schema dump, and also checks cross-references (tasks/models named in `finetune`).
try:
    validate(config, "../config/schema.yaml")
    explain(config, workflow.source_path("../config/schema.yaml"))
except (WorkflowError, ConfigError) as err:
    try:
        explain(config, workflow.source_path("../config/schema.yaml"))
        message = str(err).splitlines()[0]
    except ConfigError as one_line:
        message = str(one_line)
    sys.stderr.write(message + "\n")
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
