# Stage synthesis (across papers A, B and C): one job per traced (model, task) of paper A measures its trajectory
# against the pretrained spectrum (S2, S4, S5's subspaces); the results read those, paper A's and B's runs on the
# shared tasks (S1), paper C's sweeps that record weight geometry (S3) and paper A's transfer table (S5).
# It trains nothing.

from ftgeom.synthesis.workflow import SynthesisWorkflow

SYNTHESIS = registry.by_name("synthesis")
SY = config.get("synthesis")  # the config section (None: this stage does not run)
YW = SynthesisWorkflow(WF)


rule synthesis_task:
    input:
        unpack(lambda w: YW.task_inputs(w.model, w.task)),
    output:
        directory(f"{R}/synthesis/{{model}}/{{task}}"),
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
        settings=lambda w: json_arg(YW.settings()),
        outliers=lambda w: YW.outliers_arg(w.model, w.task),
    shell:
        "python -m ftgeom.synthesis.stages.task --trajectory {input.trajectory} {params.outliers}"
        " --settings {params.settings} --out {output} --threads {threads} > {log} 2>&1"


rule synthesis_results:
    input:
        tasks=YW.task_dirs(),
        frontier_dirs=YW.frontier_dirs(),
        frontier_records=YW.frontier_records(),
        geometry=YW.geometry_inputs(),
        head_probe_runs=YW.head_probe_runs(),
        transfer=YW.transfer_table(),
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
        mem_mb=res("report", "mem_mb"),
        runtime=res("report", "runtime"),
    params:
        settings=lambda w: json_arg({"synthesis": SY, "d": config["intrinsic"]["d"], "parts": YW.parts()}),
        tables=lambda w, output: str(Path(output.tables[0]).parent),
    shell:
        "python -m ftgeom.synthesis.stages.results --tasks {input.tasks} --frontier-dirs {input.frontier_dirs}"
        " --frontier-records {input.frontier_records} --geometry {input.geometry} --head-probe-runs {input.head_probe_runs} --transfer {input.transfer}"
        " --settings {params.settings} --claims {output.claims} --tables {params.tables} --figures {output.figures}"
        " > {log} 2>&1"
