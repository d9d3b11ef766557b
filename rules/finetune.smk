# Stage finetune: by default one job per (model, task, method) runs every seed in one process, which pays the ~5 s
# of interpreter start, imports and loading once instead of once per seed (bench/overhead.py); with
# finetune.group_seeds false, one job per seed. Each run keeps its own seed, metrics file and resume state. Full
# fine-tuning of the trajectory seeds keeps its trajectory (rule finetune_traced); runs listed in
# finetune.keep_weights keep their final weights as a one-point trajectory (finetune_kept); everything else runs
# rule finetune. Same code, same numbers.


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
