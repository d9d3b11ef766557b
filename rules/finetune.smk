# Stage finetune: by default one job per (model, task, method) runs every seed in one process, which pays the ~5 s
# of interpreter start, imports and loading once instead of once per seed (bench/overhead.py); with
# finetune.group_seeds false, one job per seed. Each run keeps its own seed, metrics file and resume state. Full
# fine-tuning of the trajectory seeds keeps its trajectory (rule finetune_traced); runs listed in
# finetune.keep_weights keep their final weights as a one-point trajectory (finetune_kept); everything else runs
# rule finetune. Same code, same numbers. Then the table of every run and the learning curves.


GROUP_SEEDS = WF.group_seeds  # ftgeom.workflow.Workflow.group_seeds
FINETUNE_JOB = "{model}/{task}/{method}" if GROUP_SEEDS else "{model}/{task}/{method}/seed{seed}"
# The metrics records of one job (a pattern over its wildcards): the same list for the three rules below.
FINETUNE_METRICS = [f"{p}/metrics.json" for p in WF.run_paths("finetune", FT["seeds"])]
SEED_IN = lambda seeds: {} if GROUP_SEEDS else {"seed": one_of(seeds)}  # grouped jobs have no {seed}


rule finetune:
    input:
        data=task_data,
        model=rules.prepare_model.output[0],
    output:
        metrics=FINETUNE_METRICS,
    log:
        f"{R}/logs/finetune/{FINETUNE_JOB}.log",
    benchmark:
        f"{R}/benchmarks/finetune/{FINETUNE_JOB}.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("finetune", "threads")
    resources:
        **job_resources("finetune", runs=(len(FT["seeds"]) if GROUP_SEEDS else 1)),
    params:
        runs=lambda w: json_arg(WF.finetune_group(w.model, w.task, w.method, None if GROUP_SEEDS else w.seed)),
        # Resume state lives outside the outputs: Snakemake deletes a failed job's outputs, not this folder.
        state=f"{R}/state/finetune/{FINETUNE_JOB}",
    shell:
        "python -m ftgeom.stages.finetune --runs {params.runs} --data {input.data} --model {input.model}"
        " --state-dir {params.state} --threads {threads} > {log} 2>&1"


use rule finetune as finetune_traced with:
    output:
        metrics=FINETUNE_METRICS,
        trajectories=[directory(p) for p in WF.run_paths("trajectories", WF.traced_seeds())],
        weights=[directory(p) for p in WF.run_paths("weights", WF.kept_seeds("full") if GROUP_SEEDS else [])],
    wildcard_constraints:
        **SEED_IN(WF.traced_seeds()),
        method="full",


use rule finetune as finetune_kept with:
    output:
        metrics=FINETUNE_METRICS,
        weights=[directory(p) for p in WF.run_paths("weights", WF.kept_seeds())],
    wildcard_constraints:
        **SEED_IN(FT["keep_weights"]["seeds"]),
        # grouped: full's kept seeds are in its finetune_traced job
        method=one_of([m for m in FT["keep_weights"]["methods"] if m != "full" or not GROUP_SEEDS]),


ruleorder: finetune_traced > finetune_kept > finetune


rule finetune_table:
    input:
        [WF.metrics_path(**r) for r in WF.runs()],
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
        **job_resources("report"),
    shell:
        "python -m ftgeom.stages.finetune_table --csv {output.csv} --tex {output.tex} --runs {output.runs}"
        " {input} > {log} 2>&1"


rule learning_curves:
    input:
        rules.finetune_table.input,
    output:
        png=report(
            f"{R}/figures/learning_curves.png", caption="../captions/learning_curves.rst", category="Shared runs"
        ),
        pdf=f"{R}/figures/learning_curves.pdf",
    log:
        f"{R}/logs/finetune/learning_curves.log",
    benchmark:
        f"{R}/benchmarks/finetune/learning_curves.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        **job_resources("report"),
    shell:
        "python -m ftgeom.stages.learning_curves --out {output.png} {input} > {log} 2>&1"
