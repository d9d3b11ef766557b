# Stage intrinsic (paper A, arXiv 2305.17446): the SVD of each traced full run's trajectory per encoder layer (one
# job per subspace: a few seconds each, and a new subspace leaves the others alone), then fine-tuning in those subspaces and in random ones (one job per
# (model, task, job) running its members: see ftgeom.intrinsic.plan), then the results: Table 1, the dimension and
# variant ablations, outlier dimensions, transfer and the unified subspace, claim rows.


from ftgeom.intrinsic import plan as intrinsic_plan

INTRINSIC = registry.by_name("intrinsic")
IA = config.get("intrinsic")  # the config section (None: this stage does not run)


def intrinsic_pairs():
    return intrinsic_plan.pairs(IA) if IA else []


def intrinsic_job_dir(model, task, job):
    return f"{R}/intrinsic/{model}/{task}/{job}"


def intrinsic_subspace_dir(model, name):
    return f"{R}/intrinsic/{model}/subspaces/{name}"


def intrinsic_trajectory(model, task, long=False):
    """The traced full run whose trajectory spans the task's subspace (the first traced seed), or the longer traced
    run of `intrinsic.long_trace` (its trajectory sits in that job's folder)."""
    if long:
        return f"{intrinsic_job_dir(model, task, 'long-trace')}/seed{IA['long_trace']['seed']}.trajectory"
    return final_weights_dir(model, task, "full", FT["trajectory"]["seeds"][0])


def intrinsic_subspace(model, name):
    """{"trajectories", "variant"} of one subspace."""
    s = intrinsic_plan.subspaces(IA, model)[name]
    return {"trajectories": [intrinsic_trajectory(model, t, s["long"]) for t in s["tasks"]], "variant": s["variant"]}


def intrinsic_outlier_record(model, task):
    """The headline intrinsic run whose outliers the zeroed job zeroes."""
    seed = intrinsic_plan.outlier_source(IA, model, task)
    return f"{intrinsic_job_dir(model, task, 'intrinsic')}/seed{seed}.json"


def intrinsic_group(w):
    """The members of one paper-A job. Subspace members take the frozen method's spec (embeddings, pooler and head
    train as in Freeze); zeroed and long-trace members full fine-tuning's."""

    def spec_of(m):
        base = "full" if m["method"] in ("zeroed", "full") else "frozen"
        points = traced_points(w) if m.get("keep") else None
        spec = train_spec(SimpleNamespace(model=w.model, task=w.task, method=base, seed=m["seed"]), points)
        options = dict(m["options"])
        if options.get("subspace"):
            options["subspace"] = intrinsic_subspace_dir(w.model, options["subspace"])
        if m["method"] == "zeroed":
            options["source"] = intrinsic_outlier_record(w.model, w.task)
        spec.update(method=m["method"], intrinsic={"run": m["run"], "source": m.get("source")})
        if options:
            spec["method_options"] = options
        if m.get("epochs"):
            spec["epochs"] = m["epochs"]
        if m.get("outliers"):
            spec["outliers"] = m["outliers"]
        return spec

    members = [dict(m, keep=m.get("trajectory")) for m in intrinsic_plan.jobs(IA, w.model, w.task)[w.job]]
    return stage_runs(members, intrinsic_job_dir(w.model, w.task, w.job), spec_of)


def intrinsic_job_inputs(w):
    """The subspaces a job's members train in; a zeroed job also needs the headline job whose run's outliers it
    zeroes (its folder: that job's output)."""
    members = intrinsic_plan.jobs(IA, w.model, w.task)[w.job]
    out = sorted({intrinsic_subspace_dir(w.model, m["subspace"]["name"]) for m in members if m.get("subspace")})
    return out + ([intrinsic_job_dir(w.model, w.task, "intrinsic")] if w.job == "zeroed" else [])


def intrinsic_run_dirs():
    return [intrinsic_job_dir(m, t, job) for m, t in intrinsic_pairs() for job in intrinsic_plan.jobs(IA, m, t)]


def intrinsic_subspace_dirs():
    return [
        intrinsic_subspace_dir(m, name) for m in (IA or {}).get("models", {}) for name in intrinsic_plan.subspaces(IA, m)
    ]


rule intrinsic_subspace:
    input:
        lambda w: producers(intrinsic_subspace(w.model, w.subspace)["trajectories"]),
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
        subspace=lambda w: json_arg(intrinsic_subspace(w.model, w.subspace)),
    shell:
        "python -m ftgeom.intrinsic.stages.subspace --subspace {params.subspace} --out {output}"
        " --threads {threads} > {log} 2>&1"


rule intrinsic_finetune:
    input:
        data=task_data,
        model=rules.prepare_model.output[0],
        needs=intrinsic_job_inputs,
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
        runtime=lambda w: res("finetune", "runtime") * len(intrinsic_group(w)),
    params:
        runs=lambda w: json_arg(intrinsic_group(w)),
        state=f"{R}/state/intrinsic/{{model}}/{{task}}/{{job}}",
    shell:
        "python -m ftgeom.stages.finetune --runs {params.runs} --data {input.data} --model {input.model}"
        " --state-dir {params.state} --threads {threads} > {log} 2>&1"


rule intrinsic_results:
    input:
        runs=intrinsic_run_dirs(),
        subspaces=intrinsic_subspace_dirs(),
        baselines=[metrics_path(m, t, me, s) for m, t in intrinsic_pairs() for me in ("full", "frozen") for s in FT["seeds"]],
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
        mem_mb=res("report", "mem_mb"),
        runtime=res("report", "runtime"),
    params:
        settings=lambda w: json_arg(IA),
        tables=f"{R}/tables",
    shell:
        "python -m ftgeom.intrinsic.stages.results --runs {input.runs} --subspaces {input.subspaces}"
        " --baselines {input.baselines} --settings {params.settings} --claims {output.claims}"
        " --tables {params.tables} --figures {output.figures} > {log} 2>&1"
