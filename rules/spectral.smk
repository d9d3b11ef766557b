# Stage spectral (paper B, arXiv 2605.07302): models pretrained inside the workflow (the pretraining-scale groups),
# the fine-tuning runs the shared stage does not make (one job per (model, task, job): `scale`, the missing full runs
# of a scale group; `peft`, every PEFT method and seed in one process), the SVD measures of every analysed weight
# matrix against null perturbations (one job per (model, task)), then the results: claims B1-B5, tables, figures.

SPECTRAL = registry.by_name("spectral")
SPECTRAL_PLAN = WF.stages["spectral"]


rule spectral_pretrain:
    input:
        init=lambda w: WF.model_dir(config["models"][w.model]["init"]),
        data=lambda w: WF.data_dir(config["models"][w.model]["pretrain"]["task"]),
    output:
        directory(WF.model_dir("{model}")),
    log:
        f"{R}/logs/spectral/pretrain/{{model}}.log",
    benchmark:
        f"{R}/benchmarks/spectral/pretrain/{{model}}.tsv"
    wildcard_constraints:
        model=one_of(WF.pretrained_here),
    conda:
        "../envs/ftgeom.yaml"
    threads: res("finetune", "threads")
    resources:
        **job_resources("finetune"),
    params:
        spec=lambda w: json_arg(SPECTRAL_PLAN.pretrain_spec(w.model)),
    shell:
        "python -m ftgeom.spectral.stages.pretrain --spec {params.spec} --init {input.init} --data {input.data}"
        " --out {output} --threads {threads} > {log} 2>&1"


rule spectral_finetune:
    input:
        data=task_data,
        model=rules.prepare_model.output[0],
    output:
        directory(SPECTRAL_PLAN.job_dir("{model}", "{task}", "{job}")),
    log:
        f"{R}/logs/spectral/{{model}}/{{task}}/{{job}}.log",
    benchmark:
        f"{R}/benchmarks/spectral/{{model}}/{{task}}/{{job}}.tsv"
    wildcard_constraints:
        job="scale|peft",
    conda:
        "../envs/ftgeom.yaml"
    threads: res("finetune", "threads")
    resources:
        **job_resources("finetune", runs=lambda w: len(SPECTRAL_PLAN.group(w.model, w.task, w.job))),
    params:
        runs=lambda w: json_arg(SPECTRAL_PLAN.group(w.model, w.task, w.job)),
        state=f"{R}/state/spectral/{{model}}/{{task}}/{{job}}",
    shell:
        "python -m ftgeom.stages.finetune --runs {params.runs} --data {input.data} --model {input.model}"
        " --state-dir {params.state} --threads {threads} > {log} 2>&1"


rule spectral_stability:
    input:
        lambda w: SPECTRAL_PLAN.stability_inputs(w.model, w.task),
    output:
        directory(SPECTRAL_PLAN.job_dir("{model}", "{task}", "stability")),
    log:
        f"{R}/logs/spectral/{{model}}/{{task}}/stability.log",
    benchmark:
        f"{R}/benchmarks/spectral/{{model}}/{{task}}/stability.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        mem_mb=res("finetune", "mem_mb"),  # a CPU job (SVDs) with the fine-tuning jobs' memory and time
        runtime=res("finetune", "runtime"),
    params:
        runs=lambda w: json_arg(SPECTRAL_PLAN.stability_runs(w.model, w.task)),
        settings=lambda w: json_arg(SPECTRAL_PLAN.stability_settings(w.task)),
    shell:
        "python -m ftgeom.spectral.stages.stability --runs {params.runs} --settings {params.settings}"
        " --out {output} --threads {threads} > {log} 2>&1"


rule spectral_results:
    input:
        stability=SPECTRAL_PLAN.stability_dirs(),
        runs=SPECTRAL_PLAN.peft_dirs(),
        baselines=SPECTRAL_PLAN.peft_baselines(),
        pretrained=SPECTRAL_PLAN.pretrained_models(),
    output:
        **stage_outputs(SPECTRAL),
    log:
        f"{R}/logs/spectral/results.log",
    benchmark:
        f"{R}/benchmarks/spectral/results.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        **job_resources("report"),
    params:
        root=results_root,
        settings=lambda w: json_arg(SPECTRAL_PLAN.section),
    shell:
        "python -m ftgeom.spectral.stages.results --stability {input.stability} --runs {input.runs}"
        " --baselines {input.baselines} --pretrained {input.pretrained} --settings {params.settings} --root {params.root}"
        " > {log} 2>&1"
