# Stage finetune: by default one job per (model, task, method) runs every seed in one process, which pays the ~5 s
# of interpreter start, imports and loading once instead of once per seed (bench/overhead.py); with
# finetune.group_seeds false, one job per seed. Each run keeps its own seed, metrics file and resume state. Full
# fine-tuning of the trajectory seeds keeps its trajectory (rule finetune_traced); runs listed in
# finetune.keep_weights keep their final weights as a one-point trajectory (finetune_kept); everything else runs
# rule finetune. Same code, same numbers. Then the table of every run and the learning curves.


# finetune.group_seeds: one job runs every seed of a (model, task, method) (the default: a run's fixed cost of
# imports and loading is paid once per job), or one job per seed (a cluster, where a run takes hours).
GROUP_SEEDS = FT["group_seeds"]
FINETUNE_JOB = "{model}/{task}/{method}" if GROUP_SEEDS else "{model}/{task}/{method}/seed{seed}"


def finetune_runs():
    """Every (model, task, method, seed) the config asks for: models x tasks where modalities match."""
    return [
        dict(model=m, task=t, method=me, seed=s) for m, t in FT_PAIRS for me in FT["methods"] for s in FT["seeds"]
    ]


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
                "spec": shared_run_spec(one, points),
                "out": metrics_path(w.model, w.task, w.method, s),
                "trajectory": keep and final_weights_dir(w.model, w.task, w.method, s),
            }
        )
    return runs


rule finetune:
    input:
        data=task_data,
        model=rules.prepare_model.output[0],
    output:
        metrics=[f"{p}/metrics.json" for p in run_paths("finetune", FT["seeds"])],
    log:
        f"{R}/logs/finetune/{FINETUNE_JOB}.log",
    benchmark:
        f"{R}/benchmarks/finetune/{FINETUNE_JOB}.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("finetune", "threads")
    resources:
        **gpu_resources("finetune"),
        mem_mb=res("finetune", "mem_mb"),
        runtime=res("finetune", "runtime") * (len(FT["seeds"]) if GROUP_SEEDS else 1),
    params:
        runs=lambda w: json_arg(finetune_group(w)),
        # Resume state lives outside the outputs: Snakemake deletes a failed job's outputs, not this folder.
        state=f"{R}/state/finetune/{FINETUNE_JOB}",
    shell:
        "python -m ftgeom.stages.finetune --runs {params.runs} --data {input.data} --model {input.model}"
        " --state-dir {params.state} --threads {threads} > {log} 2>&1"


use rule finetune as finetune_traced with:
    output:
        metrics=[f"{p}/metrics.json" for p in run_paths("finetune", FT["seeds"])],
        trajectories=[directory(p) for p in run_paths("trajectories", traced_seeds())],
        weights=[directory(p) for p in run_paths("weights", kept_seeds("full") if GROUP_SEEDS else [])],
    wildcard_constraints:
        **seed_constraint(traced_seeds()),
        method="full",


use rule finetune as finetune_kept with:
    output:
        metrics=[f"{p}/metrics.json" for p in run_paths("finetune", FT["seeds"])],
        weights=[directory(p) for p in run_paths("weights", kept_seeds())],
    wildcard_constraints:
        **seed_constraint(FT["keep_weights"]["seeds"]),
        # grouped: full's kept seeds are in its finetune_traced job
        method=one_of([m for m in FT["keep_weights"]["methods"] if m != "full" or not GROUP_SEEDS]),


ruleorder: finetune_traced > finetune_kept > finetune


rule finetune_table:
    input:
        [metrics_path(**r) for r in finetune_runs()],
    output:
        csv=report(f"{R}/tables/finetune.csv", caption="../captions/finetune_table.rst", category="Shared runs"),
        tex=f"{R}/tables/finetune.tex",
        runs=f"{R}/tables/finetune_runs.csv",
    log:
        f"{R}/logs/finetune/finetune_table.log",
    benchmark:
        f"{R}/benchmarks/finetune/finetune_table.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        mem_mb=res("report", "mem_mb"),
        runtime=res("report", "runtime"),
    shell:
        "python -m ftgeom.stages.finetune_table --csv {output.csv} --tex {output.tex} --runs {output.runs}"
        " {input} > {log} 2>&1"


rule learning_curves:
    input:
        rules.finetune_table.input,
    output:
        png=report(f"{R}/figures/learning_curves.png", caption="../captions/learning_curves.rst", category="Shared runs"),
        pdf=f"{R}/figures/learning_curves.pdf",
    log:
        f"{R}/logs/finetune/learning_curves.log",
    benchmark:
        f"{R}/benchmarks/finetune/learning_curves.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        mem_mb=res("report", "mem_mb"),
        runtime=res("report", "runtime"),
    shell:
        "python -m ftgeom.stages.learning_curves --out {output.png} {input} > {log} 2>&1"
