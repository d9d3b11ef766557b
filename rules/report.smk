# Stage report: results tables (CSV + LaTeX fragment) and figures from the finetune metrics.


rule finetune_table:
    input:
        [f"{R}/finetune/{r['model']}/{r['task']}/{r['method']}/seed{r['seed']}/metrics.json" for r in finetune_runs()],
    output:
        csv=report(f"{R}/tables/finetune.csv", caption="../report/finetune_table.rst", category="Shared runs"),
        tex=f"{R}/tables/finetune.tex",
        runs=f"{R}/tables/finetune_runs.csv",
    log:
        f"{R}/logs/report/finetune_table.log",
    benchmark:
        f"{R}/benchmarks/report/finetune_table.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        mem_mb=res("report", "mem_mb"),
        runtime=res("report", "runtime"),
    shell:
        "python -m ftgeom.stages.finetune_table --csv {output.csv} --tex {output.tex} --runs {output.runs}"
        " {input} > {log} 2>&1"


rule learning_curves:
    input:
        rules.finetune_table.input,
    output:
        png=report(f"{R}/figures/learning_curves.png", caption="../report/learning_curves.rst", category="Shared runs"),
        pdf=f"{R}/figures/learning_curves.pdf",
    log:
        f"{R}/logs/report/learning_curves.log",
    benchmark:
        f"{R}/benchmarks/report/learning_curves.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        mem_mb=res("report", "mem_mb"),
        runtime=res("report", "runtime"),
    shell:
        "python -m ftgeom.stages.learning_curves --out {output.png} {input} > {log} 2>&1"
