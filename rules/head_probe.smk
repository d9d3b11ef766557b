# Stage head_probe (paper C, arXiv 2302.05779): cache the frozen backbone's features once per (model, task), probe
# the head on them for every τ (one probing run per seed and variant), fine-tune from each probed head (one job per
# seed; τ = 0 of the base variant is the foundation's full run), our linear-model simulation, then the results.

from ftgeom.head_probe.workflow import HeadProbeWorkflow

HEAD_PROBE = registry.by_name("head_probe")
HP = config.get("head_probe")  # the config section (None: this stage does not run)
HW = HeadProbeWorkflow(WF)


rule head_probe_features:
    input:
        data=task_data,
        model=rules.prepare_model.output[0],
    output:
        directory(f"{R}/head_probe/{{model}}/{{task}}/features"),
    log:
        f"{R}/logs/head_probe/{{model}}/{{task}}/features.log",
    benchmark:
        f"{R}/benchmarks/head_probe/{{model}}/{{task}}/features.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("finetune", "threads")
    resources:
        **gpu_resources("finetune"),
        mem_mb=res("finetune", "mem_mb"),
        runtime=res("finetune", "runtime"),
    params:
        image_size=lambda w: HW.image_size_arg(w.model, w.task),
        eval_batch_size=FT["eval_batch_size"],
    shell:
        "python -m ftgeom.head_probe.stages.features --data {input.data} --model {input.model} --out {output}"
        " {params.image_size} --eval-batch-size {params.eval_batch_size} --threads {threads} > {log} 2>&1"


rule head_probe_heads:
    input:
        features=rules.head_probe_features.output[0],
        model=rules.prepare_model.output[0],
    output:
        heads=f"{R}/head_probe/{{model}}/{{task}}/heads.pt",
        probe=f"{R}/head_probe/{{model}}/{{task}}/probe.json",
    log:
        f"{R}/logs/head_probe/{{model}}/{{task}}/probe.log",
    benchmark:
        f"{R}/benchmarks/head_probe/{{model}}/{{task}}/probe.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        mem_mb=res("report", "mem_mb"),
        runtime=res("report", "runtime"),
    params:
        config=lambda w: json_arg(
            {
                "head_probe": HW.probe_settings(w.model),
                "model": w.model,
                "head": config["models"][w.model].get("head", "linear"),
                "batch_size": FT["batch_size"],
            }
        ),
    shell:
        "python -m ftgeom.head_probe.stages.probe --features {input.features} --model {input.model}"
        " --config {params.config} --heads {output.heads} --out {output.probe} --threads {threads} > {log} 2>&1"


rule head_probe_finetune:
    input:
        data=task_data,
        model=rules.prepare_model.output[0],
        heads=rules.head_probe_heads.output.heads,
        probe=rules.head_probe_heads.output.probe,
    output:
        directory(f"{R}/head_probe/{{model}}/{{task}}/finetune/seed{{seed}}"),
    log:
        f"{R}/logs/head_probe/{{model}}/{{task}}/finetune_seed{{seed}}.log",
    benchmark:
        f"{R}/benchmarks/head_probe/{{model}}/{{task}}/finetune_seed{{seed}}.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("finetune", "threads")
    resources:
        **gpu_resources("finetune"),
        mem_mb=res("finetune", "mem_mb"),
        runtime=lambda w: res("finetune", "runtime") * len(HW.finetune_runs(w.model, w.seed)),
    params:
        spec=lambda w: json_arg(HW.job_spec(w.model, w.task, w.seed)),
        runs=lambda w: json_arg(HW.finetune_runs(w.model, w.seed)),
        state=f"{R}/state/head_probe/{{model}}/{{task}}/seed{{seed}}",
    shell:
        "python -m ftgeom.head_probe.stages.finetune --spec {params.spec} --runs {params.runs} --heads {input.heads}"
        " --probe {input.probe} --data {input.data} --model {input.model} --out-dir {output}"
        " --state-dir {params.state} --threads {threads} > {log} 2>&1"


rule head_probe_linear_model:
    output:
        f"{R}/head_probe/linear_model.csv",
    log:
        f"{R}/logs/head_probe/linear_model.log",
    benchmark:
        f"{R}/benchmarks/head_probe/linear_model.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        mem_mb=res("report", "mem_mb"),
        runtime=res("report", "runtime"),
    params:
        config=lambda w: json_arg(HP["linear_model"]),
    shell:
        "python -m ftgeom.head_probe.stages.linear_model --config {params.config} --out {output} --threads {threads} > {log} 2>&1"


rule head_probe_results:
    input:
        probes=HW.probes(),
        runs=HW.finetune_dirs(),
        start=HW.starts(),
        linear=rules.head_probe_linear_model.output[0],
    output:
        **stage_outputs(HEAD_PROBE),
    log:
        f"{R}/logs/head_probe/results.log",
    benchmark:
        f"{R}/benchmarks/head_probe/results.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        mem_mb=res("report", "mem_mb"),
        runtime=res("report", "runtime"),
    params:
        taus=lambda w: json_arg(HW.taus()),
        settings=lambda w: json_arg(HP),
    shell:
        "python -m ftgeom.head_probe.stages.results --probes {input.probes} --runs {input.runs} --start {input.start}"
        " --linear {input.linear} --taus {params.taus} --settings {params.settings} --claims {output.claims}"
        " --runs-csv {output.tables[0]} --summary {output.tables[1]} --tex {output.tex} --figures {output.figures} > {log} 2>&1"


# Target `select` (rules/selection.smk): a selection grid over paper C's probing settings; the configured value is
# read from rule head_probe_heads' record.
rule head_probe_select:
    input:
        features=rules.head_probe_features.output[0],
        model=rules.prepare_model.output[0],
    output:
        directory(f"{R}/selection/{{grid}}/{{model}}/{{task}}"),
    log:
        f"{R}/logs/selection/{{grid}}/{{model}}/{{task}}.log",
    benchmark:
        f"{R}/benchmarks/selection/{{grid}}/{{model}}/{{task}}.tsv"
    wildcard_constraints:
        grid=one_of(SELECT.names(probe=True)),
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        mem_mb=res("report", "mem_mb"),
        runtime=res("report", "runtime"),
    params:
        runs=lambda w: json_arg(SELECT.jobs[(w.grid, w.task)]["runs"]),
    shell:
        "python -m ftgeom.head_probe.stages.probe_grid --runs {params.runs} --features {input.features}"
        " --model {input.model} --threads {threads} > {log} 2>&1"
