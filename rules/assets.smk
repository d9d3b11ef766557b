# Stage assets: models (package | hub | random) and task data (package | hub | synthetic), tokenised once per model.
# Models of source `pretrain` are pretrained inside the workflow by the stage that needs them (rules/spectral.smk).

# Keys of a model's / task's entry that only the fine-tuning runs read: changing one must not rebuild the asset.
MODEL_TRAINING_KEYS = ("lr", "head", "max_length", "image_size", "precision")
TASK_TRAINING_KEYS = ("epochs", "trajectory_points", "image_size", "description")
without = lambda entry, keys: {k: v for k, v in entry.items() if k not in keys}


rule prepare_model:
    output:
        directory(WF.model_dir("{model}")),
    log:
        f"{R}/logs/prepare_model/{{model}}.log",
    benchmark:
        f"{R}/benchmarks/prepare_model/{{model}}.tsv"
    wildcard_constraints:
        model=one_of([m for m in config["models"] if m not in WF.pretrained_here]),
    conda:
        "../envs/ftgeom.yaml"
    threads: res("assets", "threads")
    resources:
        **job_resources("assets"),
    params:
        spec=lambda w: json_arg(without(config["models"][w.model], MODEL_TRAINING_KEYS)),
    shell:
        "python -m ftgeom.stages.prepare_model --spec {params.spec} --out {output} --threads {threads} > {log} 2>&1"


rule prepare_task:
    output:
        directory(WF.data_dir("{task}")),
    log:
        f"{R}/logs/prepare_task/{{task}}.log",
    benchmark:
        f"{R}/benchmarks/prepare_task/{{task}}.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("assets", "threads")
    resources:
        **job_resources("assets"),
    params:
        spec=lambda w: json_arg(without(config["tasks"][w.task], TASK_TRAINING_KEYS)),
        seed=config["data_seed"],
    shell:
        "python -m ftgeom.stages.prepare_task --name {wildcards.task} --spec {params.spec} --seed {params.seed}"
        " --out {output} --threads {threads} > {log} 2>&1"


rule encode_task:
    input:
        data=rules.prepare_task.output[0],
        model=rules.prepare_model.output[0],
    output:
        directory(WF.encoded_dir("{model}", "{task}")),
    log:
        f"{R}/logs/encode_task/{{model}}/{{task}}.log",
    benchmark:
        f"{R}/benchmarks/encode_task/{{model}}/{{task}}.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("assets", "threads")
    resources:
        **job_resources("assets"),
    params:
        max_length=lambda w: config["models"][w.model]["max_length"],
    shell:
        "python -m ftgeom.stages.encode_task --data {input.data} --model {input.model}"
        " --max-length {params.max_length} --out {output} --threads {threads} > {log} 2>&1"
