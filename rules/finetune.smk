# Stage finetune: one job per (model, task, method, seed). Full fine-tuning of the configured trajectory seeds keeps
# its trajectory (rule finetune_traced); runs listed in finetune.keep_weights keep their final weights as a one-point
# trajectory (finetune_kept); everything else runs rule finetune. Same code, same numbers.


def task_data(w):
    """Text: the task tokenised for this model; images: the prepared task (preprocessed in the job)."""
    if task_modality(config["tasks"][w.task]) == "image":
        return rules.prepare_task.output[0].format(task=w.task)
    return rules.encode_task.output[0].format(model=w.model, task=w.task)


def train_spec(w, points=None):
    """Every setting that changes this run's numbers (a change re-runs it); operational ones travel in OPS."""
    task, model = config["tasks"][w.task], config["models"][w.model]
    skip = ("models", "tasks", "methods", "seeds", "lr", "trajectory", "keep_weights", *OPERATIONAL)
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


def traced_points(w):
    return config["tasks"][w.task].get("trajectory_points", FT["trajectory"]["points"])


rule finetune:
    input:
        data=task_data,
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
        "python -m ftgeom.stages.finetune --spec {params.spec} --ops {OPS} --data {input.data}"
        " --model {input.model} --out {output.metrics} --state-dir {params.state} {params.trajectory}"
        " --threads {threads} > {log} 2>&1"


use rule finetune as finetune_traced with:
    output:
        metrics=f"{R}/finetune/{{model}}/{{task}}/{{method}}/seed{{seed}}/metrics.json",
        trajectory=directory(f"{R}/trajectories/{{model}}/{{task}}/{{method}}/seed{{seed}}"),
    params:
        spec=lambda w: json_arg(train_spec(w, traced_points(w))),
        state=f"{R}/state/finetune/{{model}}/{{task}}/{{method}}/seed{{seed}}",
        trajectory=lambda w, output: f"--trajectory-out {output.trajectory}",
    wildcard_constraints:
        method="full",
        seed=one_of(FT["trajectory"]["seeds"]),


use rule finetune as finetune_kept with:
    output:
        metrics=f"{R}/finetune/{{model}}/{{task}}/{{method}}/seed{{seed}}/metrics.json",
        weights=directory(f"{R}/weights/{{model}}/{{task}}/{{method}}/seed{{seed}}"),
    params:
        spec=lambda w: json_arg(train_spec(w, 1)),
        state=f"{R}/state/finetune/{{model}}/{{task}}/{{method}}/seed{{seed}}",
        trajectory=lambda w, output: f"--trajectory-out {output.weights}",
    wildcard_constraints:
        method=one_of(FT["keep_weights"]["methods"]),
        seed=one_of(FT["keep_weights"]["seeds"]),


ruleorder: finetune_traced > finetune_kept > finetune
