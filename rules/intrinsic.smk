# Stage intrinsic (paper A, arXiv 2305.17446): the SVD of each traced full run's trajectory per encoder layer (one
# job per subspace: a few seconds each, and a new subspace leaves the others alone), then fine-tuning in those
# subspaces and in random ones (one job per (model, task, job) running its members: see ftgeom.intrinsic.plan), then
# the results: Table 1, the dimension and variant ablations, outlier dimensions, transfer and the unified subspace,
# claim rows. Paths and members: ftgeom.intrinsic.workflow.

INTRINSIC = registry.by_name("intrinsic")
INTRINSIC_PLAN = WF.stages["intrinsic"]


rule intrinsic_subspace:
    input:
        lambda w: INTRINSIC_PLAN.subspace_inputs(w.model, w.subspace),
    output:
        directory(INTRINSIC_PLAN.subspace_dir("{model}", "{subspace}")),
    log:
        f"{R}/logs/intrinsic/{{model}}/subspaces/{{subspace}}.log",
    benchmark:
        f"{R}/benchmarks/intrinsic/{{model}}/subspaces/{{subspace}}.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        mem_mb=res("finetune", "mem_mb"),
        runtime=res("report", "runtime"),
    params:
        subspace=lambda w: json_arg(INTRINSIC_PLAN.subspace(w.model, w.subspace)),
    shell:
        "python -m ftgeom.intrinsic.stages.subspace --subspace {params.subspace} --out {output}"
        " --threads {threads} > {log} 2>&1"


rule intrinsic_finetune:
    input:
        data=task_data,
        model=rules.prepare_model.output[0],
        needs=lambda w: INTRINSIC_PLAN.job_inputs(w.model, w.task, w.job),
    output:
        directory(INTRINSIC_PLAN.job_dir("{model}", "{task}", "{job}")),
    log:
        f"{R}/logs/intrinsic/{{model}}/{{task}}/{{job}}.log",
    benchmark:
        f"{R}/benchmarks/intrinsic/{{model}}/{{task}}/{{job}}.tsv"
    wildcard_constraints:
        job=r"(intrinsic|random|transfer|zeroed|long-trace)[a-z0-9-]*",
    conda:
        "../envs/ftgeom.yaml"
    threads: res("finetune", "threads")
    resources:
        **job_resources("finetune", runs=lambda w: len(INTRINSIC_PLAN.group(w.model, w.task, w.job))),
    params:
        runs=lambda w: json_arg(INTRINSIC_PLAN.group(w.model, w.task, w.job)),
        state=f"{R}/state/intrinsic/{{model}}/{{task}}/{{job}}",
    shell:
        "python -m ftgeom.stages.finetune --runs {params.runs} --data {input.data} --model {input.model}"
        " --state-dir {params.state} --threads {threads} > {log} 2>&1"


rule intrinsic_results:
    input:
        runs=INTRINSIC_PLAN.run_dirs(),
        subspaces=INTRINSIC_PLAN.subspace_dirs(),
        baselines=INTRINSIC_PLAN.baselines(),
    output:
        **stage_outputs(INTRINSIC),
    log:
        f"{R}/logs/intrinsic/results.log",
    benchmark:
        f"{R}/benchmarks/intrinsic/results.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        **job_resources("report"),
    params:
        root=results_root,
        settings=lambda w: json_arg(INTRINSIC_PLAN.section),
    shell:
        "python -m ftgeom.intrinsic.stages.results --runs {input.runs} --subspaces {input.subspaces}"
        " --baselines {input.baselines} --settings {params.settings} --root {params.root} > {log} 2>&1"
