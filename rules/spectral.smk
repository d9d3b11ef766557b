# Stage spectral (paper B, arXiv 2605.07302): models pretrained inside the workflow (the pretraining-scale groups),
# the fine-tuning runs the foundation does not make (one job per (model, task, job): `scale`, the missing full runs
# of a scale group; `peft`, every PEFT method and seed in one process), the SVD measures of every analysed weight
# matrix against null perturbations (one job per (model, task)), then the results: claims B1-B5, tables, figures.


from ftgeom.spectral import plan as spectral_plan

SPECTRAL = registry.by_name("spectral")
SB = config.get("spectral")  # the config section (None: this stage does not run)


def pretrain_spec(w):
    """What a pretrain-source model's job reads: its pretraining settings, the image size and precision."""
    entry = config["models"][w.model]
    return {
        "init": entry["init"],
        **entry["pretrain"],
        "image_size": entry.get("image_size"),
        "precision": entry.get("precision", "fp32"),
    }


def from_foundation(model, task, seed):
    """Whether the foundation's full run of (model, task, seed) keeps its final weights (trajectory or kept)."""
    return (model, task) in FT_PAIRS and (is_traced("full", seed) or is_kept("full", seed))


def spectral_job_dir(model, task, job):
    return f"{R}/spectral/{model}/{task}/{job}"


def spectral_scale_seeds(model, task):
    """Seeds of a pretraining-scale (model, task) that this stage fine-tunes itself (the foundation has not)."""
    return [s for m, t, s in spectral_plan.scale_runs(SB) if (m, t) == (model, task) and not from_foundation(m, t, s)]


def spectral_jobs():
    """(model, task, job) of every paper-B fine-tuning job."""
    if not SB:
        return []
    out = [(m, t, "scale") for m, t, _ in spectral_plan.scale_runs(SB) if spectral_scale_seeds(m, t)]
    out += [(m, t, "peft") for m, tasks in (SB.get("peft") or {}).get("models", {}).items() for t in tasks]
    return list(dict.fromkeys(out))


def spectral_group(w):
    """The members of one paper-B job: the missing full runs of a pretraining-scale pair, or every PEFT method's
    runs (the foundation's full spec: method and lr replaced)."""
    if w.job == "scale":
        members = [
            {"name": f"full-seed{s}", "method": "full", "seed": s, "keep": True}
            for s in spectral_scale_seeds(w.model, w.task)
        ]
    else:
        members = spectral_plan.peft_members(SB, w.model, w.task)

    def spec_of(m):
        one = SimpleNamespace(model=w.model, task=w.task, method="full", seed=m["seed"])
        spec = train_spec(one, 1 if m["keep"] else None)
        if w.job == "peft":
            spec.update(method=m["method"], lr=m["lr"], spectral={"run": m["run"]})
            if m["options"]:
                spec["method_options"] = m["options"]
        return spec

    return stage_runs(members, spectral_job_dir(w.model, w.task, w.job), spec_of)


def spectral_weights(model, task, run, seed):
    """The folder of a run's final weights (a trajectory: its θ0 is the pretrained W0)."""
    if run == "full" and from_foundation(model, task, seed):
        return final_weights_dir(model, task, "full", seed)
    job = "scale" if run == "full" else "peft"
    return f"{spectral_job_dir(model, task, job)}/{run}-seed{seed}.trajectory"


def spectral_stability_runs(model, task):
    return [
        dict(r, weights=spectral_weights(model, task, r["run"], r["seed"]))
        for r in spectral_plan.analysed(SB, model, task)
    ]


def spectral_stability_dirs():
    return [spectral_job_dir(m, t, "stability") for m, t in spectral_plan.stability_pairs(SB)] if SB else []


def spectral_pretrained_models():
    """Model folders of the pretraining-scale groups that were pretrained in the workflow (their records)."""
    models = [m for g in (SB or {}).get("scale", []) for m in g["models"] if m in PRETRAINED_HERE]
    return [f"{R}/models/{m}" for m in dict.fromkeys(models)]


def spectral_peft_baselines():
    """The foundation's full and frozen runs of the PEFT table's pairs."""
    peft = (SB or {}).get("peft") or {}
    return [
        metrics_path(m, t, me, s)
        for m, tasks in peft.get("models", {}).items()
        for t in tasks
        for me in ("full", "frozen")
        for s in peft["seeds"]
        if s in FT["seeds"]
    ]


rule spectral_pretrain:
    input:
        init=lambda w: f"{R}/models/{config['models'][w.model]['init']}",
        data=lambda w: f"{R}/data/{config['models'][w.model]['pretrain']['task']}",
    output:
        directory(f"{R}/models/{{model}}"),
    log:
        f"{R}/logs/spectral/pretrain/{{model}}.log",
    benchmark:
        f"{R}/benchmarks/spectral/pretrain/{{model}}.tsv"
    wildcard_constraints:
        model=one_of(PRETRAINED_HERE),
    conda:
        "../envs/ftgeom.yaml"
    threads: res("finetune", "threads")
    resources:
        **gpu_resources("finetune"),
        mem_mb=res("finetune", "mem_mb"),
        runtime=res("finetune", "runtime"),
    params:
        spec=lambda w: json_arg(pretrain_spec(w)),
    shell:
        "python -m ftgeom.spectral.stages.pretrain --spec {params.spec} --init {input.init} --data {input.data}"
        " --out {output} --threads {threads} > {log} 2>&1"


rule spectral_finetune:
    input:
        data=task_data,
        model=rules.prepare_model.output[0],
    output:
        directory(f"{R}/spectral/{{model}}/{{task}}/{{job}}"),
    log:
        f"{R}/logs/spectral/{{model}}/{{task}}/{{job}}.log",
    benchmark:
        f"{R}/benchmarks/spectral/{{model}}/{{task}}/{{job}}.tsv"
    wildcard_constraints:
        job="scale|peft",
    conda:
        "../envs/ftgeom.yaml"
    threads: res("finetune", "threads")
    resources:
        **gpu_resources("finetune"),
        mem_mb=res("finetune", "mem_mb"),
        runtime=lambda w: res("finetune", "runtime") * len(spectral_group(w)),
    params:
        runs=lambda w: json_arg(spectral_group(w)),
        state=f"{R}/state/spectral/{{model}}/{{task}}/{{job}}",
    shell:
        "python -m ftgeom.stages.finetune --runs {params.runs} --data {input.data} --model {input.model}"
        " --state-dir {params.state} --threads {threads} > {log} 2>&1"


rule spectral_stability:
    input:
        lambda w: producers([r["weights"] for r in spectral_stability_runs(w.model, w.task)]),
    output:
        directory(f"{R}/spectral/{{model}}/{{task}}/stability"),
    log:
        f"{R}/logs/spectral/{{model}}/{{task}}/stability.log",
    benchmark:
        f"{R}/benchmarks/spectral/{{model}}/{{task}}/stability.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        mem_mb=res("finetune", "mem_mb"),
        runtime=res("finetune", "runtime"),
    params:
        runs=lambda w: json_arg(spectral_stability_runs(w.model, w.task)),
        settings=lambda w: json_arg({k: v for k, v in SB.items() if k not in ("peft", "scale", "unrelated")}),
    shell:
        "python -m ftgeom.spectral.stages.stability --runs {params.runs} --settings {params.settings}"
        " --out {output} --threads {threads} > {log} 2>&1"


rule spectral_results:
    input:
        stability=spectral_stability_dirs(),
        runs=[spectral_job_dir(m, t, "peft") for m, t, j in spectral_jobs() if j == "peft"],
        baselines=spectral_peft_baselines(),
        pretrained=spectral_pretrained_models(),
    output:
        **stage_outputs(SPECTRAL),
    log:
        f"{R}/logs/spectral/results.log",
    benchmark:
        f"{R}/benchmarks/spectral/results.tsv"
    conda:
        "../envs/ftgeom.yaml"
    threads: res("report", "threads")
    resources:
        mem_mb=res("report", "mem_mb"),
        runtime=res("report", "runtime"),
    params:
        settings=lambda w: json_arg(SB),
        tables=f"{R}/tables",
    shell:
        "python -m ftgeom.spectral.stages.results --stability {input.stability} --runs {input.runs}"
        " --baselines {input.baselines} --pretrained {input.pretrained} --settings {params.settings}"
        " --claims {output.claims} --tables {params.tables} --figures {output.figures} > {log} 2>&1"
