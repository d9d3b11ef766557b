# Stage spectral (paper B, arXiv 2605.07302): models pretrained inside the workflow (the pretraining-scale groups),
# the fine-tuning runs the foundation does not make (one job per (model, task, job): `scale`, the missing full runs
# of a scale group; `peft`, every PEFT method and seed in one process), the SVD measures of every analysed weight
# matrix against null perturbations (one job per (model, task)), then the report: claims B1-B5, tables, figures.


rule pretrain_model:
    input:
        init=lambda w: f"{R}/models/{config['models'][w.model]['init']}",
        data=lambda w: f"{R}/data/{config['models'][w.model]['pretrain']['task']}",
    output:
        directory(f"{R}/models/{{model}}"),
    log:
        f"{R}/logs/pretrain_model/{{model}}.log",
    benchmark:
        f"{R}/benchmarks/pretrain_model/{{model}}.tsv"
    wildcard_constraints:
        model=one_of(PRETRAINED_HERE),
    conda:
        "../envs/ftgeom.yaml"
    threads: res("finetune", "threads")
    resources:
        **gpu_resources("finetune"),
        mem_mb=res("finetune", "mem_mb"),
        runtime=res("finetune", "runtime"),
    params:
        spec=lambda w: json_arg(pretrain_spec(w)),
    shell:
        "python -m ftgeom.stages.pretrain_model --spec {params.spec} --init {input.init} --data {input.data}"
        " --out {output} --threads {threads} > {log} 2>&1"


rule spectral_finetune:
    input:
        data=task_data,
        model=rules.prepare_model.output[0],
    output:
        directory(f"{R}/spectral/{{model}}/{{task}}/{{job}}"),
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
        **gpu_resources("finetune"),
        mem_mb=res("finetune", "mem_mb"),
        runtime=lambda w: res("finetune", "runtime") * len(sb_group(w)),
    params:
        runs=lambda w: json_arg(sb_group(w)),
        state=f"{R}/state/spectral/{{model}}/{{task}}/{{job}}",
    shell:
        "python -m ftgeom.stages.finetune --runs {params.runs} --data {input.data} --model {input.model}"
        " --state-dir {params.state} --threads {threads} > {log} 2>&1"


rule spectral_stability:
    input:
        sb_stability_inputs,
    output:
        directory(f"{R}/spectral/{{model}}/{{task}}/stability"),
    log:
        f"{R}/logs/spectral/{{model}}/{{task}}/stability.log",
    benchmark:
        f"{R}/benchmarks/spectral/{{model}}/{{task}}/stability.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        mem_mb=res("finetune", "mem_mb"),
        runtime=res("finetune", "runtime"),
    params:
        runs=lambda w: json_arg(sb_stability_runs(w.model, w.task)),
        settings=lambda w: json_arg({k: v for k, v in SB.items() if k not in ("peft", "scale", "unrelated")}),
    shell:
        "python -m ftgeom.stages.spectral_stability --runs {params.runs} --settings {params.settings}"
        " --out {output} --threads {threads} > {log} 2>&1"


rule spectral_report:
    input:
        stability=sb_stability_dirs(),
        runs=[sb_job_dir(m, t, "peft") for m, t, j in sb_jobs() if j == "peft"],
        baselines=sb_peft_baselines(),
        pretrained=sb_pretrained_models(),
    output:
        claims=report(f"{R}/claims/paper_b.csv", caption="../report/paper_b_claims.rst", category="Paper B"),
        tables=[f"{R}/tables/paper_b_{t}.csv" for t in SB_CSV],
        tex=[f"{R}/tables/paper_b_{t}.tex" for t in SB_TEX],
        figures=report(
            directory(f"{R}/figures/paper_b"),
            patterns=["{name}.png"],
            labels={"figure": "{name}"},
            caption="../report/paper_b_figures.rst",
            category="Paper B",
        ),
    log:
        f"{R}/logs/spectral/report.log",
    benchmark:
        f"{R}/benchmarks/spectral/report.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        mem_mb=res("report", "mem_mb"),
        runtime=res("report", "runtime"),
    params:
        settings=lambda w: json_arg(SB),
        tables=lambda w, output: str(Path(output.claims).parent.parent / "tables"),
    shell:
        "python -m ftgeom.stages.spectral_report --stability {input.stability} --runs {input.runs}"
        " --baselines {input.baselines} --pretrained {input.pretrained} --settings {params.settings}"
        " --claims {output.claims} --tables {params.tables} --figures {output.figures} > {log} 2>&1"
