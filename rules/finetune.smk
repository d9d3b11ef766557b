# Stage finetune: one job per (model, task, method, seed). Full fine-tuning for the configured trajectory seeds
# also keeps the trajectory (rule finetune_traced); everything else runs rule finetune. Same code, same numbers.


def train_spec(w):
    task = config["tasks"][w.task]
    spec = {k: v for k, v in FT.items() if k not in ("models", "tasks", "methods", "seeds", "lr", "trajectory")}
    spec.update(
        model=w.model,
        task=w.task,
        method=w.method,
        seed=int(w.seed),
        lr=FT["lr"][w.method],
        epochs=task.get("epochs", FT["epochs"]),
        trajectory_points=task.get("trajectory_points", FT["trajectory"]["points"]),
    )
    return spec


rule finetune:
    input:
        data=rules.encode_task.output[0],
        model=rules.prepare_model.output[0],
    output:
        metrics=f"{R}/finetune/{{model}}/{{task}}/{{method}}/seed{{seed}}/metrics.json",
    params:
        spec=lambda w: json_arg(train_spec(w)),
        # Resume state lives outside the outputs: Snakemake deletes a failed job's outputs, not this folder.
        state=f"{R}/state/finetune/{{model}}/{{task}}/{{method}}/seed{{seed}}",
        trajectory="",
    threads: res("finetune", "threads")
    resources:
        mem_mb=res("finetune", "mem_mb"),
        runtime=res("finetune", "runtime"),
        **gpu_resources("finetune"),
    conda:
        "../envs/ftgeom.yaml"
    log:
        f"{R}/logs/finetune/{{model}}/{{task}}/{{method}}/seed{{seed}}.log",
    benchmark:
        f"{R}/benchmarks/finetune/{{model}}/{{task}}/{{method}}/seed{{seed}}.tsv"
    shell:
        "python -m ftgeom.finetune --spec {params.spec} --data {input.data} --model {input.model}"
        " --out {output.metrics} --state-dir {params.state} {params.trajectory} --threads {threads} > {log} 2>&1"


use rule finetune as finetune_traced with:
    output:
        metrics=f"{R}/finetune/{{model}}/{{task}}/{{method}}/seed{{seed}}/metrics.json",
        trajectory=directory(f"{R}/trajectories/{{model}}/{{task}}/{{method}}/seed{{seed}}"),
    params:
        spec=lambda w: json_arg(train_spec(w)),
        state=f"{R}/state/finetune/{{model}}/{{task}}/{{method}}/seed{{seed}}",
        trajectory=lambda w, output: f"--trajectory-out {output.trajectory}",
    wildcard_constraints:
        method="full",
        seed=traced_seeds_regex(),


ruleorder: finetune_traced > finetune
