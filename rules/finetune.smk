# Stage finetune: one job per (model, task, method, seed). Full fine-tuning of the configured trajectory seeds keeps
# its trajectory (rule finetune_traced); runs listed in finetune.keep_weights keep their final weights as a one-point
# trajectory (finetune_kept); everything else runs rule finetune. Same code, same numbers.


rule finetune:
    input:
        data=task_data,
        model=rules.prepare_model.output[0],
    output:
        metrics=f"{R}/finetune/{{model}}/{{task}}/{{method}}/seed{{seed}}/metrics.json",
    log:
        f"{R}/logs/finetune/{{model}}/{{task}}/{{method}}/seed{{seed}}.log",
    benchmark:
        f"{R}/benchmarks/finetune/{{model}}/{{task}}/{{method}}/seed{{seed}}.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("finetune", "threads")
    resources:
        **gpu_resources("finetune"),
        mem_mb=res("finetune", "mem_mb"),
        runtime=res("finetune", "runtime"),
    params:
        spec=lambda w: json_arg(train_spec(w)),
        # Resume state lives outside the outputs: Snakemake deletes a failed job's outputs, not this folder.
        state=f"{R}/state/finetune/{{model}}/{{task}}/{{method}}/seed{{seed}}",
        trajectory="",
    shell:
        "python -m ftgeom.stages.finetune --spec {params.spec} --data {input.data}"
        " --model {input.model} --out {output.metrics} --state-dir {params.state} {params.trajectory}"
        " --threads {threads} > {log} 2>&1"


use rule finetune as finetune_traced with:
    output:
        metrics=f"{R}/finetune/{{model}}/{{task}}/{{method}}/seed{{seed}}/metrics.json",
        trajectory=directory(f"{R}/trajectories/{{model}}/{{task}}/{{method}}/seed{{seed}}"),
    wildcard_constraints:
        method="full",
        seed=one_of(FT["trajectory"]["seeds"]),
    params:
        spec=lambda w: json_arg(train_spec(w, traced_points(w))),
        state=f"{R}/state/finetune/{{model}}/{{task}}/{{method}}/seed{{seed}}",
        trajectory=lambda w, output: f"--trajectory-out {output.trajectory}",


use rule finetune as finetune_kept with:
    output:
        metrics=f"{R}/finetune/{{model}}/{{task}}/{{method}}/seed{{seed}}/metrics.json",
        weights=directory(f"{R}/weights/{{model}}/{{task}}/{{method}}/seed{{seed}}"),
    wildcard_constraints:
        method=one_of(FT["keep_weights"]["methods"]),
        seed=one_of(FT["keep_weights"]["seeds"]),
    params:
        spec=lambda w: json_arg(train_spec(w, 1)),
        state=f"{R}/state/finetune/{{model}}/{{task}}/{{method}}/seed{{seed}}",
        trajectory=lambda w, output: f"--trajectory-out {output.weights}",


ruleorder: finetune_traced > finetune_kept > finetune
