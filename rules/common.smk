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


def is_traced(method, seed):
    return method == "full" and int(seed) in FT["trajectory"]["seeds"]


def is_kept(method, seed):
    return method in FT["keep_weights"]["methods"] and int(seed) in FT["keep_weights"]["seeds"]


def metrics_path(model, task, method, seed):
    """The metrics record of one shared fine-tuning run (rule finetune)."""
    return f"{R}/finetune/{model}/{task}/{method}/seed{seed}/metrics.json"


def final_weights_dir(model, task, method, seed):
    """Where a run's final weights are: its trajectory when traced, else results/weights (finetune.keep_weights)."""
    kind = "trajectories" if is_traced(method, seed) else "weights"
    return f"{R}/{kind}/{model}/{task}/{method}/seed{seed}"


def task_data(w):
    """Text: the task tokenised for this model; images: the prepared task (preprocessed in the job)."""
    if task_modality(config["tasks"][w.task]) == "image":
        return rules.prepare_task.output[0].format(task=w.task)
    return rules.encode_task.output[0].format(model=w.model, task=w.task)


def train_spec(w, points=None):
    """Every setting that changes this run's numbers (a change re-runs it); operational ones: see common.smk. The
    paper stages add what they need of a shared run (registry.shared_run_spec: paper C tracks its features)."""
    task, model = config["tasks"][w.task], config["models"][w.model]
    skip = ("models", "tasks", "methods", "seeds", "lr", "trajectory", "keep_weights", "group_seeds", *OPERATIONAL)
    spec = {k: v for k, v in FT.items() if k not in skip}
    spec.update(
        model=w.model,
        task=w.task,
        method=w.method,
        seed=int(w.seed),
        lr=model.get("lr", {}).get(w.method, FT["lr"][w.method]),
        epochs=task.get("epochs", FT["epochs"]),
        head=model.get("head", "linear"),
        precision=model.get("precision", FT["precision"]),
    )
    if task_modality(task) == "image":
        spec["image_size"] = task.get("image_size", model.get("image_size"))
    if points is not None:
        spec["trajectory_points"] = points
    return spec


def shared_run_spec(w, points=None):
    """The spec of a run of the shared stage (rule finetune): train_spec and what the paper stages add to it."""
    return {**train_spec(w, points), **registry.shared_run_spec(config, w.model, w.task, w.method, int(w.seed))}


def traced_points(w):
    return config["tasks"][w.task].get("trajectory_points", FT["trajectory"]["points"])


def stage_runs(members, job_dir, spec_of):
    """The runs of a paper stage's fine-tuning job (as ftgeom.train.run.finetune_runs takes them): each member's
    spec, its record `<job_dir>/<name>.json` and, when it keeps weights, its `<name>.trajectory` folder."""
    return [
        {
            "spec": spec_of(m),
            "out": f"{job_dir}/{m['name']}.json",
            "trajectory": m.get("keep") and f"{job_dir}/{m['name']}.trajectory",
            "name": m["name"],
        }
        for m in members
    ]


def producers(paths):
    """What produces these weights: a trajectory folder itself, or the job folder a `.trajectory` lies in."""
    return sorted({str(Path(p).parent) if p.endswith(".trajectory") else p for p in paths})


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
            figures, patterns=["{name}.png"], labels={"figure": "{name}"}, caption=caption("figures"), category=entry.name
        ),
    )
