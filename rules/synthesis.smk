# Stage synthesis (across papers A, B and C): one job per traced (model, task) of paper A measures its trajectory
# against the pretrained spectrum (S2, S4, S5's subspaces); the results read those, paper A's and B's runs on the
# shared tasks (S1), paper C's sweeps that record weight geometry (S3) and paper A's transfer table (S5).
# It trains nothing.
SYNTHESIS = registry.by_name("synthesis")
SYNTHESIS_PLAN = WF.stages["synthesis"]


rule synthesis_task:
    input:
        unpack(lambda w: SYNTHESIS_PLAN.task_inputs(w.model, w.task)),
    output:
        directory(SYNTHESIS_PLAN.task_dir("{model}", "{task}")),
    log:
        f"{R}/logs/synthesis/{{model}}/{{task}}.log",
    benchmark:
        f"{R}/benchmarks/synthesis/{{model}}/{{task}}.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        mem_mb=res("finetune", "mem_mb"),
        runtime=res("report", "runtime"),
    params:
        settings=lambda w: json_arg(SYNTHESIS_PLAN.settings()),
        outliers=lambda w: SYNTHESIS_PLAN.outliers_arg(w.model, w.task),
    shell:
        "python -m ftgeom.synthesis.stages.task --trajectory {input.trajectory} {params.outliers}"
        " --settings {params.settings} --out {output} --threads {threads} > {log} 2>&1"


rule synthesis_results:
    input:
        tasks=SYNTHESIS_PLAN.task_dirs(),
        frontier_dirs=SYNTHESIS_PLAN.frontier_dirs(),
        frontier_records=SYNTHESIS_PLAN.frontier_records(),
        geometry=SYNTHESIS_PLAN.geometry_inputs(),
        head_probe_runs=SYNTHESIS_PLAN.head_probe_runs(),
        transfer=SYNTHESIS_PLAN.transfer_table(),
    output:
        **stage_outputs(SYNTHESIS),
    log:
        f"{R}/logs/synthesis/results.log",
    benchmark:
        f"{R}/benchmarks/synthesis/results.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        **job_resources("report"),
    params:
        root=results_root,
        settings=lambda w: json_arg(
            {"synthesis": SYNTHESIS_PLAN.section, "d": config["intrinsic"]["d"], "parts": SYNTHESIS_PLAN.parts()}
        ),
    shell:
        "python -m ftgeom.synthesis.stages.results --tasks {input.tasks} --frontier-dirs {input.frontier_dirs}"
        " --frontier-records {input.frontier_records} --geometry {input.geometry}"
        " --head-probe-runs {input.head_probe_runs} --transfer {input.transfer} --settings {params.settings}"
        " --root {params.root} > {log} 2>&1"
