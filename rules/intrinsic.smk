# Stage intrinsic (paper A, arXiv 2305.17446): the SVD of each traced full run's trajectory per encoder layer (one
# job per subspace: a few seconds each, and a new subspace leaves the others alone), then fine-tuning in those subspaces and in random ones (one job per
# (model, task, job) running its members: see ftgeom.subspace.plan), then the report: Table 1, the dimension and
# variant ablations, outlier dimensions, transfer and the unified subspace, claim rows.


rule intrinsic_subspace:
    input:
        ia_subspace_inputs,
    output:
        directory(f"{R}/intrinsic/{{model}}/subspaces/{{subspace}}"),
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
        subspace=lambda w: json_arg(ia_subspace(w.model, w.subspace)),
    shell:
        "python -m ftgeom.stages.intrinsic_subspace --subspace {params.subspace} --out {output}"
        " --threads {threads} > {log} 2>&1"


rule intrinsic_finetune:
    input:
        data=task_data,
        model=rules.prepare_model.output[0],
        needs=ia_job_inputs,
    output:
        directory(f"{R}/intrinsic/{{model}}/{{task}}/{{job}}"),
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
        **gpu_resources("finetune"),
        mem_mb=res("finetune", "mem_mb"),
        runtime=lambda w: res("finetune", "runtime") * len(ia_group(w)),
    params:
        runs=lambda w: json_arg(ia_group(w)),
        state=f"{R}/state/intrinsic/{{model}}/{{task}}/{{job}}",
    shell:
        "python -m ftgeom.stages.finetune --runs {params.runs} --data {input.data} --model {input.model}"
        " --state-dir {params.state} --threads {threads} > {log} 2>&1"


rule intrinsic_report:
    input:
        runs=ia_run_dirs(),
        subspaces=ia_subspace_dirs(),
        baselines=[
            f"{R}/finetune/{m}/{t}/{me}/seed{s}/metrics.json"
            for m, t in ia_pairs()
            for me in ("full", "frozen")
            for s in FT["seeds"]
        ],
    output:
        claims=report(f"{R}/claims/paper_a.csv", caption="../report/paper_a_claims.rst", category="Paper A"),
        table1=report(f"{R}/tables/paper_a_table1.csv", caption="../report/paper_a_table1.rst", category="Paper A"),
        tables=[
            f"{R}/tables/paper_a_{t}.csv" for t in ("runs", "ablation", "outliers", "unified", "transfer", "cosine")
        ],
        tex=[f"{R}/tables/paper_a_{t}.tex" for t in ("table1", "ablation", "outliers", "unified", "numbers")],
        figures=report(
            directory(f"{R}/figures/paper_a"),
            patterns=["{name}.png"],
            labels={"figure": "{name}"},
            caption="../report/paper_a_figures.rst",
            category="Paper A",
        ),
    log:
        f"{R}/logs/intrinsic/report.log",
    benchmark:
        f"{R}/benchmarks/intrinsic/report.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        mem_mb=res("report", "mem_mb"),
        runtime=res("report", "runtime"),
    params:
        settings=lambda w: json_arg(IA),
        tables=lambda w, output: str(Path(output.table1).parent),
    shell:
        "python -m ftgeom.stages.intrinsic_report --runs {input.runs} --subspaces {input.subspaces}"
        " --baselines {input.baselines} --settings {params.settings} --claims {output.claims}"
        " --tables {params.tables} --figures {output.figures} > {log} 2>&1"
