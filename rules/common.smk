# Config validation and the small helpers every rule file uses.
import json
import os
import shlex
from pathlib import Path
from types import SimpleNamespace

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from ftgeom.assets.prepare import task_modality
from ftgeom.config import ConfigError, finetune_pairs, validate as check_config
from ftgeom.headprobe.plan import finetune_runs as head_finetune_runs, settings_for
from ftgeom.spectral import plan as sb_plan
from ftgeom.subspace import plan as ia_plan
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
FT_PAIRS = finetune_pairs(config)


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


def is_kept(method, seed):
    return method in FT["keep_weights"]["methods"] and int(seed) in FT["keep_weights"]["seeds"]


# finetune.group_seeds: one job runs every seed of a (model, task, method) (the default: a run's fixed cost of
# imports and loading is paid once per job), or one job per seed (a cluster, where a run takes hours).
GROUP_SEEDS = FT["group_seeds"]
FINETUNE_JOB = "{model}/{task}/{method}" if GROUP_SEEDS else "{model}/{task}/{method}/seed{seed}"


def run_paths(kind, seeds):
    """Per-run output folders of one finetune job: those of these seeds (one job per (model, task, method)), or
    the job's own {seed} when it runs one seed; none when no seed of the job has such an output."""
    if not seeds:
        return []
    return [f"{R}/{kind}/{{model}}/{{task}}/{{method}}/seed{s}" for s in (seeds if GROUP_SEEDS else ["{seed}"])]


def seed_constraint(seeds):
    """The {seed} wildcard's constraint where jobs run one seed each (grouped jobs have no {seed})."""
    return {} if GROUP_SEEDS else {"seed": one_of(seeds)}


def traced_seeds():
    return [s for s in FT["seeds"] if is_traced("full", s)]


def kept_seeds(method=None):
    """Seeds whose final weights a method keeps (any kept method: they all keep the same seeds)."""
    keep = FT["keep_weights"]
    return [
        s
        for s in FT["seeds"]
        if s in keep["seeds"] and not is_traced(method, s) and (method is None or method in keep["methods"])
    ]


def finetune_group(w):
    """The runs of one finetune job: every seed of (model, task, method) or the job's one seed, each with its
    metrics file and, when traced or kept, the folder of its trajectory or final weights (a one-point trajectory)."""
    runs = []
    for s in FT["seeds"] if GROUP_SEEDS else [int(w.seed)]:
        one = SimpleNamespace(model=w.model, task=w.task, method=w.method, seed=s)
        keep = "trajectories" if is_traced(w.method, s) else "weights" if is_kept(w.method, s) else None
        points = traced_points(one) if keep == "trajectories" else 1 if keep else None
        runs.append(
            {
                "spec": train_spec(one, points),
                "out": f"{R}/finetune/{w.model}/{w.task}/{w.method}/seed{s}/metrics.json",
                "trajectory": keep and f"{R}/{keep}/{w.model}/{w.task}/{w.method}/seed{s}",
            }
        )
    return runs


def final_weights_dir(model, task, method, seed):
    """Where a run's final weights are: its trajectory when traced, else results/weights (finetune.keep_weights)."""
    kind = "trajectories" if is_traced(method, seed) else "weights"
    return f"{R}/{kind}/{model}/{task}/{method}/seed{seed}"


# --- assets
# Keys of a model's / task's entry that only the fine-tuning runs read: changing one must not rebuild the asset.
MODEL_TRAINING_KEYS = ("lr", "head", "max_length", "image_size", "precision")
TASK_TRAINING_KEYS = ("epochs", "trajectory_points", "image_size", "description")


def without(entry, keys):
    return {k: v for k, v in entry.items() if k not in keys}


# --- finetune
def task_data(w):
    """Text: the task tokenised for this model; images: the prepared task (preprocessed in the job)."""
    if task_modality(config["tasks"][w.task]) == "image":
        return rules.prepare_task.output[0].format(task=w.task)
    return rules.encode_task.output[0].format(model=w.model, task=w.task)


def train_spec(w, points=None):
    """Every setting that changes this run's numbers (a change re-runs it); operational ones: see common.smk."""
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
    if w.method == "full" and w.task in config.get("head_probe", {}).get("models", {}).get(w.model, []):
        spec["track_features"] = True  # paper C's τ = 0: the features' drift from the start, each epoch
    if points is not None:
        spec["trajectory_points"] = points
    return spec


def traced_points(w):
    return config["tasks"][w.task].get("trajectory_points", FT["trajectory"]["points"])


# --- head_probe (paper C)
HP = config.get("head_probe")


def head_probe_pairs():
    return [(m, t) for m, tasks in (HP or {}).get("models", {}).items() for t in tasks]


def hp_image_size(w):
    """--image-size of the (model, task)'s fine-tuning runs, for the cached features (image tasks only)."""
    spec = train_spec(SimpleNamespace(model=w.model, task=w.task, method="full", seed=0))
    return f"--image-size {spec['image_size']}" if "image_size" in spec else ""


def hp_full_spec(w):
    """The foundation's full fine-tuning spec of this (model, task, seed): what the probed-head runs start from."""
    return train_spec(SimpleNamespace(model=w.model, task=w.task, method="full", seed=w.seed))


# --- intrinsic (paper A)
IA = config.get("intrinsic")


def ia_pairs():
    return ia_plan.pairs(IA) if IA else []


def ia_trajectory(model, task, long=False):
    """The traced full run whose trajectory spans the task's subspace (the first traced seed), or the longer traced
    run of `intrinsic.long_trace` (its trajectory sits in that job's folder)."""
    if long:
        return f"{ia_job_dir(model, task, 'long-trace')}/seed{IA['long_trace']['seed']}.trajectory"
    return final_weights_dir(model, task, "full", FT["trajectory"]["seeds"][0])


def ia_subspace(model, name):
    """{"trajectories", "variant"} of one subspace."""
    s = ia_plan.subspaces(IA, model)[name]
    return {"trajectories": [ia_trajectory(model, t, s["long"]) for t in s["tasks"]], "variant": s["variant"]}


def ia_subspace_inputs(w):
    """What produces a subspace's trajectories: traced runs' folders, or the long-trace job's folder."""
    paths = ia_subspace(w.model, w.subspace)["trajectories"]
    return sorted({str(Path(p).parent) if p.endswith(".trajectory") else p for p in paths})


def ia_job_dir(model, task, job):
    return f"{R}/intrinsic/{model}/{task}/{job}"


def ia_subspace_dir(model, name):
    return f"{R}/intrinsic/{model}/subspaces/{name}"


def ia_outlier_record(model, task):
    """The headline intrinsic run whose outliers the zeroed job zeroes."""
    seed = ia_plan.outlier_source(IA, model, task)
    return f"{ia_job_dir(model, task, 'intrinsic')}/seed{seed}.json"


def ia_group(w):
    """The members of one paper-A job, as runs of ftgeom.train.run.finetune_runs. Subspace members take the frozen
    method's spec (embeddings, pooler and head train as in Freeze); zeroed and long-trace members full
    fine-tuning's."""
    runs = []
    for m in ia_plan.jobs(IA, w.model, w.task)[w.job]:
        base = "full" if m["method"] in ("zeroed", "full") else "frozen"
        points = traced_points(w) if m.get("trajectory") else None
        spec = train_spec(SimpleNamespace(model=w.model, task=w.task, method=base, seed=m["seed"]), points)
        spec.pop("track_features", None)  # paper C's feature tracking: not needed here, and it costs evaluations
        options = dict(m["options"])
        if options.get("subspace"):
            options["subspace"] = ia_subspace_dir(w.model, options["subspace"])
        if m["method"] == "zeroed":
            options["source"] = ia_outlier_record(w.model, w.task)
        spec.update(method=m["method"], paper_a={"run": m["run"], "source": m.get("source")})
        if options:
            spec["method_options"] = options
        if m.get("epochs"):
            spec["epochs"] = m["epochs"]
        if m.get("outliers"):
            spec["outliers"] = m["outliers"]
        out = f"{ia_job_dir(w.model, w.task, w.job)}/{m['name']}"
        runs.append(
            {
                "spec": spec,
                "out": f"{out}.json",
                "trajectory": m.get("trajectory") and f"{out}.trajectory",
                "name": m["name"],
            }
        )
    return runs


def ia_job_inputs(w):
    """The subspaces a job's members train in; a zeroed job also needs the headline job whose run's outliers it
    zeroes (its folder: that job's output)."""
    members = ia_plan.jobs(IA, w.model, w.task)[w.job]
    out = sorted({ia_subspace_dir(w.model, m["subspace"]["name"]) for m in members if m.get("subspace")})
    return out + ([ia_job_dir(w.model, w.task, "intrinsic")] if w.job == "zeroed" else [])


def ia_run_dirs():
    return [ia_job_dir(m, t, job) for m, t in ia_pairs() for job in ia_plan.jobs(IA, m, t)]


def ia_subspace_dirs():
    return [ia_subspace_dir(m, name) for m in (IA or {}).get("models", {}) for name in ia_plan.subspaces(IA, m)]


# --- spectral (paper B)
SB = config.get("spectral")
SB_TEX = ("stability", "peft", "scale", "cross", "numbers")
SB_CSV = ("stability", "layers", "peft", "peft_runs", "scale", "cross", "energy", "steps", "pretraining")
PRETRAINED_HERE = [m for m, e in config["models"].items() if e["source"] == "pretrain"]


def pretrain_spec(w):
    """What a pretrain-source model's job reads: its pretraining settings, the image size and precision."""
    entry = config["models"][w.model]
    return {
        "init": entry["init"],
        **entry["pretrain"],
        "image_size": entry.get("image_size"),
        "precision": entry.get("precision", "fp32"),
    }


def from_foundation(model, task, seed):
    """Whether the foundation's full run of (model, task, seed) keeps its final weights (trajectory or kept)."""
    return (model, task) in FT_PAIRS and (is_traced("full", seed) or is_kept("full", seed))


def sb_job_dir(model, task, job):
    return f"{R}/spectral/{model}/{task}/{job}"


def sb_scale_seeds(model, task):
    """Seeds of a pretraining-scale (model, task) that this stage fine-tunes itself (the foundation has not)."""
    return [s for m, t, s in sb_plan.scale_runs(SB) if (m, t) == (model, task) and not from_foundation(m, t, s)]


def sb_jobs():
    """(model, task, job) of every paper-B fine-tuning job."""
    if not SB:
        return []
    out = [(m, t, "scale") for m, t, _ in sb_plan.scale_runs(SB) if sb_scale_seeds(m, t)]
    out += [(m, t, "peft") for m, tasks in (SB.get("peft") or {}).get("models", {}).items() for t in tasks]
    return list(dict.fromkeys(out))


def sb_group(w):
    """The members of one paper-B job as runs of ftgeom.train.run.finetune_runs: the missing full runs of a
    pretraining-scale pair, or every PEFT method's runs (the foundation's frozen spec: its lr replaced)."""
    runs = []
    if w.job == "scale":
        members = [
            {"name": f"full-seed{s}", "method": "full", "seed": s, "keep": True}
            for s in sb_scale_seeds(w.model, w.task)
        ]
    else:
        members = sb_plan.peft_members(SB, w.model, w.task)
    for m in members:
        spec = train_spec(
            SimpleNamespace(model=w.model, task=w.task, method="full", seed=m["seed"]), 1 if m["keep"] else None
        )
        spec.pop("track_features", None)  # paper C's feature tracking: not needed here, and it costs evaluations
        if w.job == "peft":
            spec.update(method=m["method"], lr=m["lr"], paper_b={"run": m["run"]})
            if m["options"]:
                spec["method_options"] = m["options"]
        out = f"{sb_job_dir(w.model, w.task, w.job)}/{m['name']}"
        runs.append(
            {"spec": spec, "out": f"{out}.json", "trajectory": m["keep"] and f"{out}.trajectory", "name": m["name"]}
        )
    return runs


def sb_weights(model, task, run, seed):
    """The folder of a run's final weights (a trajectory: its θ0 is the pretrained W0)."""
    if run == "full" and from_foundation(model, task, seed):
        return final_weights_dir(model, task, "full", seed)
    job = "scale" if run == "full" else "peft"
    return f"{sb_job_dir(model, task, job)}/{run}-seed{seed}.trajectory"


def sb_stability_dir(model, task):
    return f"{R}/spectral/{model}/{task}/stability"


def sb_stability_runs(model, task):
    return [dict(r, weights=sb_weights(model, task, r["run"], r["seed"])) for r in sb_plan.analysed(SB, model, task)]


def sb_stability_inputs(w):
    """What produces the weights a stability job reads: foundation folders, or this stage's job folders."""
    paths = [r["weights"] for r in sb_stability_runs(w.model, w.task)]
    return sorted({str(Path(p).parent) if p.endswith(".trajectory") else p for p in paths})


def sb_stability_dirs():
    return [sb_stability_dir(m, t) for m, t in sb_plan.stability_pairs(SB)] if SB else []


def sb_pretrained_models():
    """Model folders of the pretraining-scale groups that were pretrained in the workflow (their records)."""
    models = [m for g in (SB or {}).get("scale", []) for m in g["models"] if m in PRETRAINED_HERE]
    return [f"{R}/models/{m}" for m in dict.fromkeys(models)]


def sb_peft_baselines():
    """The foundation's full and frozen runs of the PEFT table's pairs."""
    peft = (SB or {}).get("peft") or {}
    return [
        f"{R}/finetune/{m}/{t}/{me}/seed{s}/metrics.json"
        for m, tasks in peft.get("models", {}).items()
        for t in tasks
        for me in ("full", "frozen")
        for s in peft["seeds"]
        if s in FT["seeds"]
    ]


# --- paper
PAPER_SOURCES = str(Path(workflow.basedir) / "paper")


def paper_claim_files():
    """The claim rows of every paper stage this config runs (see ../shared CLAIMS contract: paper_<x>.csv)."""
    return [f"{R}/claims/paper_{x}.csv" for x, on in (("a", IA), ("b", SB), ("c", HP)) if on]


def paper_results():
    """Tables and figures the paper includes (they keep their paths under results/ in the build folder)."""
    out = [f"{R}/tables/finetune.tex", f"{R}/figures/learning_curves.pdf"]
    if IA:
        out += [f"{R}/tables/paper_a_{t}.tex" for t in ("table1", "ablation", "outliers", "unified", "numbers")]
        out += [f"{R}/figures/paper_a"]
    if SB:
        out += [f"{R}/tables/paper_b_{t}.tex" for t in SB_TEX] + [f"{R}/figures/paper_b"]
    if HP:
        out += [f"{R}/tables/paper_c_summary.tex", f"{R}/figures/paper_c"]
    return out


def paper_sections():
    """Every LaTeX source beside main.tex (an edit rebuilds the paper)."""
    return sorted(str(p) for p in Path(PAPER_SOURCES).rglob("*.tex") if p.name != "main.tex")


def text_models():
    return list(dict.fromkeys(m for m, t in finetune_pairs(config) if task_modality(config["tasks"][t]) == "text"))


def paper_settings():
    """The config the paper's prose cites; operational settings are left out (they cannot change a number)."""
    return {
        "finetune": {k: v for k, v in FT.items() if k not in (*OPERATIONAL, "group_seeds")},
        "tasks": config["tasks"],
        "head_probe": HP,
        "intrinsic": IA,
        "spectral": SB,
    }
