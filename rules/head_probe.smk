# Stage head_probe (paper C, arXiv 2302.05779): cache the frozen backbone's features once per (model, task), probe
# the head on them for every τ (one probing run per seed and variant), fine-tune from each probed head (one job per
# seed, run by the shared fine-tuning stage: each run's spec names its head; τ = 0 of the base variant is the shared
# full run unless the stage has its own fine-tuning rate), our linear-model simulation, then the results.
# Paths and run specs: ftgeom.head_probe.workflow.

HEAD_PROBE = registry.by_name("head_probe")
HEAD_PROBE_PLAN = WF.stages["head_probe"]


rule head_probe_features:
    input:
        data=task_data,
        model=rules.prepare_model.output[0],
    output:
        directory(HEAD_PROBE_PLAN.features_dir("{model}", "{task}")),
    log:
        f"{R}/logs/head_probe/{{model}}/{{task}}/features.log",
    benchmark:
        f"{R}/benchmarks/head_probe/{{model}}/{{task}}/features.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("finetune", "threads")
    resources:
        **job_resources("finetune"),
    params:
        image_size=lambda w: HEAD_PROBE_PLAN.image_size_arg(w.model, w.task),
        eval_batch_size=FT["eval_batch_size"],
    shell:
        "python -m ftgeom.head_probe.stages.features --data {input.data} --model {input.model} --out {output}"
        " {params.image_size} --eval-batch-size {params.eval_batch_size} --threads {threads} > {log} 2>&1"


rule head_probe_heads:
    input:
        features=rules.head_probe_features.output[0],
        model=rules.prepare_model.output[0],
    output:
        heads=HEAD_PROBE_PLAN.heads_file("{model}", "{task}"),
        probe=HEAD_PROBE_PLAN.probe_file("{model}", "{task}"),
    log:
        f"{R}/logs/head_probe/{{model}}/{{task}}/probe.log",
    benchmark:
        f"{R}/benchmarks/head_probe/{{model}}/{{task}}/probe.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        **job_resources("report"),
    params:
        config=lambda w: json_arg(
            {
                "head_probe": HEAD_PROBE_PLAN.probe_settings(w.model),
                "model": w.model,
                "head": config["models"][w.model]["head"],
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
    output:
        directory(HEAD_PROBE_PLAN.finetune_dir("{model}", "{task}", "{seed}")),
    log:
        f"{R}/logs/head_probe/{{model}}/{{task}}/finetune_seed{{seed}}.log",
    benchmark:
        f"{R}/benchmarks/head_probe/{{model}}/{{task}}/finetune_seed{{seed}}.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("finetune", "threads")
    resources:
        **job_resources("finetune", runs=lambda w: len(HEAD_PROBE_PLAN.group(w.model, w.task, w.seed))),
    params:
        runs=lambda w: json_arg(HEAD_PROBE_PLAN.group(w.model, w.task, w.seed)),
        state=f"{R}/state/head_probe/{{model}}/{{task}}/seed{{seed}}",
    shell:
        "python -m ftgeom.stages.finetune --runs {params.runs} --data {input.data} --model {input.model}"
        " --state-dir {params.state} --threads {threads} > {log} 2>&1"


rule head_probe_linear_model:
    output:
        HEAD_PROBE_PLAN.linear_model_file(),
    log:
        f"{R}/logs/head_probe/linear_model.log",
    benchmark:
        f"{R}/benchmarks/head_probe/linear_model.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        **job_resources("report"),
    params:
        config=lambda w: json_arg(HEAD_PROBE_PLAN.section["linear_model"]),
    shell:
        "python -m ftgeom.head_probe.stages.linear_model --config {params.config} --out {output} --threads {threads} > {log} 2>&1"


rule head_probe_results:
    input:
        probes=HEAD_PROBE_PLAN.probes(),
        runs=HEAD_PROBE_PLAN.finetune_dirs(),
        start=HEAD_PROBE_PLAN.starts(),
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
        **job_resources("report"),
    params:
        root=results_root,
        taus=lambda w: json_arg(HEAD_PROBE_PLAN.taus()),
        settings=lambda w: json_arg(HEAD_PROBE_PLAN.section),
    shell:
        "python -m ftgeom.head_probe.stages.results --probes {input.probes} --runs {input.runs} --start {input.start}"
        " --linear {input.linear} --taus {params.taus} --settings {params.settings} --root {params.root} > {log} 2>&1"


# Target `select` (rules/selection.smk): a selection grid over paper C's probing settings; the configured value is
# read from rule head_probe_heads' record.
rule head_probe_select:
    input:
        features=rules.head_probe_features.output[0],
        model=rules.prepare_model.output[0],
    output:
        directory(SELECTION.job_dir("{grid}", "{model}", "{task}")),
    log:
        f"{R}/logs/selection/{{grid}}/{{model}}/{{task}}.log",
    benchmark:
        f"{R}/benchmarks/selection/{{grid}}/{{model}}/{{task}}.tsv"
    wildcard_constraints:
        grid=one_of(SELECTION.names(probe=True)),
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        **job_resources("report"),
    params:
        runs=lambda w: json_arg(SELECTION.jobs[(w.grid, w.task)]["runs"]),
    shell:
        "python -m ftgeom.head_probe.stages.probe_grid --runs {params.runs} --features {input.features}"
        " --model {input.model} --threads {threads} > {log} 2>&1"
