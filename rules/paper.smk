# Stage paper: every claim row in one table (results/claims.csv), the generated LaTeX the paper inputs, and the
# compiled paper (results/paper/ftgeom.pdf). `snakemake paper` rebuilds only the paper from existing results.


PAPER_SOURCES = str(Path(workflow.basedir) / "paper")


def paper_results():
    """Tables and figures the paper includes (they keep their paths under results/ in the build folder)."""
    return [f"{R}/tables/finetune.tex", f"{R}/figures/learning_curves.pdf"] + [
        path for p in PAPERS for path in p.paper_inputs(R)
    ]


def paper_sections():
    """Every LaTeX source beside main.tex (an edit rebuilds the paper)."""
    return sorted(str(p) for p in Path(PAPER_SOURCES).rglob("*.tex") if p.name != "main.tex")


def text_models():
    return list(dict.fromkeys(m for m, t in FT_PAIRS if task_modality(config["tasks"][t]) == "text"))


def paper_settings():
    """The config the paper's prose cites; operational settings are left out (they cannot change a number)."""
    return {
        "finetune": {k: v for k, v in FT.items() if k not in (*OPERATIONAL, "group_seeds")},
        "tasks": config["tasks"],
        **{p.name: config.get(p.name) for p in registry.PAPERS},
    }


rule paper_inputs:
    input:
        claims=[p.claims(R) for p in PAPERS],
        finetune=rules.finetune_table.output.csv,
        stage_tables=[p.table(R, t) for p in PAPERS for t in p.assembly_csv],
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
        config=json_arg(paper_settings()),
        text_models=json_arg(text_models()),
        readme=str(Path(workflow.basedir) / "README.md"),
    shell:
        "python -m ftgeom.stages.paper_inputs --claims-files {input.claims} --finetune {input.finetune}"
        " --stage-tables {input.stage_tables} --config {params.config} --text-models {params.text_models} --claims {output.claims}"
        " --generated {output.generated} --readme-block {output.readme} --readme {params.readme} > {log} 2>&1"


rule paper:
    input:
        main=f"{PAPER_SOURCES}/main.tex",
        sections=paper_sections(),
        generated=rules.paper_inputs.output.generated,
        results=paper_results(),
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
