# The generated document: every claim row in one table (results/claims.csv), the generated LaTeX the document
# inputs, and the compiled document (results/document/ftgeom.pdf) from the LaTeX sources in paper/. `snakemake
# document` rebuilds only the document from existing results.


from ftgeom.document import workflow as document_plan

PAPER_SOURCES = str(Path(workflow.basedir) / "paper")


rule document_inputs:
    input:
        claims=[p.claims(R) for p in ACTIVE],
        finetune=rules.finetune_table.output.csv,
        stage_tables=[p.table(R, t) for p in ACTIVE for t in p.assembly_csv],
    output:
        claims=report(f"{R}/claims.csv", caption="../captions/claims.rst", category="Verdicts"),
        generated=directory(f"{R}/document/generated"),
        readme=f"{R}/document/results.md",
    log:
        f"{R}/logs/document/document_inputs.log",
    benchmark:
        f"{R}/benchmarks/document/document_inputs.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        **job_resources("report"),
    params:
        config=json_arg(document_plan.settings(WF)),
        text_models=json_arg(document_plan.text_models(WF)),
        readme=str(Path(workflow.basedir) / "README.md"),
    shell:
        "python -m ftgeom.stages.document_inputs --claims-files {input.claims} --finetune {input.finetune}"
        " --stage-tables {input.stage_tables} --config {params.config} --text-models {params.text_models} --claims {output.claims}"
        " --generated {output.generated} --readme-block {output.readme} --readme {params.readme} > {log} 2>&1"


rule document:
    input:
        main=f"{PAPER_SOURCES}/main.tex",
        sections=document_plan.sections(PAPER_SOURCES),
        generated=rules.document_inputs.output.generated,
        results=[rules.finetune_table.output.tex, rules.learning_curves.output.pdf, *document_plan.results(WF, ACTIVE)],
    output:
        report(f"{R}/document/ftgeom.pdf", caption="../captions/document.rst", category="Document"),
    log:
        f"{R}/logs/document/document.log",
    benchmark:
        f"{R}/benchmarks/document/document.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        **job_resources("report"),
    params:
        results=lambda w, output: str(Path(output[0]).parents[1]),  # the results root: inputs keep their paths
        latex_log=f"{R}/logs/document/latex.log",
    shell:
        "python -m ftgeom.stages.document --main {input.main} --generated {input.generated} --results {params.results}"
        " --out {output} --latex-log {params.latex_log} {input.results} > {log} 2>&1"
