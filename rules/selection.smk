# Target `select` (not part of `all`): re-run every grid whose choice the config records (config `selection`) on
# validation data. One job per (grid, task) runs the grid's values other than the configured one (the shared
# training loop runs them, a diverging value is recorded as such; paper C's probes run in rule head_probe_select); the configured value reads the
# default's own run. Then results/selection/<grid>.csv and summary.txt: the value each grid picks against the config's.


rule select:
    input:
        jobs=lambda w: SELECTION.job_dirs(),
        reused=SELECTION.reused(),
    output:
        summary=SELECTION.summary(),
        tables=[SELECTION.table(g) for g in SELECTION.grids],
    log:
        f"{R}/logs/selection/summary.log",
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        **job_resources("report"),
    params:
        points=json_arg(SELECTION.points),
        out_dir=lambda w, output: str(Path(output.summary).parent),
    shell:
        "python -m ftgeom.stages.select_summary --points {params.points} --out-dir {params.out_dir}"
        " --summary {output.summary} > {log} 2>&1; cat {output.summary}"


rule selection_runs:
    input:
        data=task_data,
        model=rules.prepare_model.output[0],
        extra=lambda w: SELECTION.jobs[(w.grid, w.task)]["inputs"],
    output:
        directory(SELECTION.job_dir("{grid}", "{model}", "{task}")),
    log:
        f"{R}/logs/selection/{{grid}}/{{model}}/{{task}}.log",
    benchmark:
        f"{R}/benchmarks/selection/{{grid}}/{{model}}/{{task}}.tsv"
    wildcard_constraints:
        grid=one_of(SELECTION.names(probe=False)),
    conda:
        "../envs/ftgeom.yaml"
    threads: res("finetune", "threads")
    resources:
        **job_resources("finetune", runs=lambda w: len(SELECTION.jobs[(w.grid, w.task)]["runs"])),
    params:
        runs=lambda w: json_arg(SELECTION.jobs[(w.grid, w.task)]["runs"]),
        state=f"{R}/state/selection/{{grid}}/{{model}}/{{task}}",
    shell:
        "python -m ftgeom.stages.select_runs --runs {params.runs} --data {input.data} --model {input.model}"
        " --state-dir {params.state} --threads {threads} > {log} 2>&1"
