# Stage paper: every claim row in one table (results/claims.csv), the generated LaTeX the paper inputs, and the
# compiled paper (results/paper/ftgeom.pdf). `snakemake paper` rebuilds only the paper from existing results.


from ftgeom.paper import workflow as paper_plan

PAPER_SOURCES = str(Path(workflow.basedir) / "paper")


rule paper_inputs:
    input:
        claims=[p.claims(R) for p in ACTIVE],
        finetune=rules.finetune_table.output.csv,
        stage_tables=[p.table(R, t) for p in ACTIVE for t in p.assembly_csv],
    output:
        claims=report(f"{R}/claims.csv", caption="../captions/claims.rst", category="Verdicts"),
        generated=directory(f"{R}/paper/generated"),
        readme=f"{R}/paper/results.md",
    log:
        f"{R}/logs/paper/paper_inputs.log",
    benchmark:
        f"{R}/benchmarks/paper/paper_inputs.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        mem_mb=res("report", "mem_mb"),
        runtime=res("report", "runtime"),
    params:
        config=json_arg(paper_plan.settings(WF)),
        text_models=json_arg(paper_plan.text_models(WF)),
        readme=str(Path(workflow.basedir) / "README.md"),
    shell:
        "python -m ftgeom.stages.paper_inputs --claims-files {input.claims} --finetune {input.finetune}"
        " --stage-tables {input.stage_tables} --config {params.config} --text-models {params.text_models} --claims {output.claims}"
        " --generated {output.generated} --readme-block {output.readme} --readme {params.readme} > {log} 2>&1"


rule paper:
    input:
        main=f"{PAPER_SOURCES}/main.tex",
        sections=paper_plan.sections(PAPER_SOURCES),
        generated=rules.paper_inputs.output.generated,
        results=[rules.finetune_table.output.tex, rules.learning_curves.output.pdf, *paper_plan.results(WF, ACTIVE)],
    output:
        report(f"{R}/paper/ftgeom.pdf", caption="../captions/paper.rst", category="Paper"),
    log:
        f"{R}/logs/paper/paper.log",
    benchmark:
        f"{R}/benchmarks/paper/paper.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        mem_mb=res("report", "mem_mb"),
        runtime=res("report", "runtime"),
    params:
        results=lambda w, output: str(Path(output[0]).parents[1]),  # the results root: inputs keep their paths
        latex_log=f"{R}/logs/paper/latex.log",
    shell:
        "python -m ftgeom.stages.paper --main {input.main} --generated {input.generated} --results {params.results}"
        " --out {output} --latex-log {params.latex_log} {input.results} > {log} 2>&1"
