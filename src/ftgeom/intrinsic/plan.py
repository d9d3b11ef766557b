"""What paper A's stages run, from the config's `intrinsic` section (one place, read by the rules and the report).

Subspaces: the SVD of traced full runs' trajectories per encoder layer: each task's own (headline trajectory
variant, and the ablation's variants), the unified one (every task's trajectory stacked) and, per task, the
unified one without that task's own trajectory (zero-shot). Jobs per (model, task), each one process running its
members (a member: one seed of one configuration):
- `intrinsic`, `random`: the headline (dimension d, every task, `seeds`);
- `intrinsic-d{k}`: the dimension ablation (paper A's Tables 5/6), on the ablation tasks and seeds;
- `intrinsic-{variant}`: the subspace of another trajectory matrix (updates, centred);
- `intrinsic-scaled` (or `intrinsic-plain` when the headline is scaled): the other basis scaling;
- `transfer`: the subspace of every other task (or of `transfer.sources` of them), the unified subspace, the
  zero-shot one (`transfer.seeds`);
- `long-trace`, `intrinsic-long`: a full run `long_trace.epochs` long, traced, and the headline runs in its subspace;
- `zeroed`: full fine-tuning with the outlier positions of the headline run of `outliers.source_seed` set to zero
  and kept there, against as many random positions (one draw per seed), on the outlier tasks (paper A's Table 3).
"""
from __future__ import annotations

HEADLINE = ("intrinsic", "random")


def subspace_name(source: str, variant: str) -> str:
    return f"{source}-{variant}"


def _member(ia: dict, run: str, kind: str, seed: int, d: int | None = None, subspace: dict | None = None,
            scaled: bool | None = None, source: str | None = None, name: str | None = None) -> dict:
    options = {"d": d or ia["d"], "lr": ia["lr"][kind], "init_scale": ia["init_scale"], "copies": ia["copies"],
               "form": ia["form"]}
    if kind == "intrinsic":
        options.update(subspace=subspace["name"], scaled=ia["scaled"] if scaled is None else scaled)
    else:
        options.update(basis_seed=seed if ia["basis_seed"] == "run" else ia["basis_seed"])
    return {"name": name or f"seed{seed}", "run": run, "source": source, "method": kind, "options": options,
            "seed": seed, "subspace": subspace}


def _own(task: str, variant: str, long: bool = False) -> dict:
    """A task's own subspace: of its traced run's trajectory, or (`long`) of the longer traced run's."""
    source = f"{task}-long" if long else task
    return {"name": subspace_name(source, variant), "tasks": [task], "variant": variant, "long": long}


def jobs(ia: dict, model: str, task: str) -> dict[str, list[dict]]:
    """{job name: [member, ...]} of one (model, task)."""
    variant, tasks = ia["variant"], ia["models"][model]
    own = _own(task, variant)
    out = {kind: [_member(ia, kind, kind, s, subspace=own, source=task) for s in ia["seeds"]] for kind in HEADLINE}
    ol = ia.get("outliers") or {}
    if task in ol.get("tasks", []):
        for m in out["intrinsic"]:  # the cheap ablation: zero outliers in the learned update only, re-evaluate
            m["outliers"] = {"sigma": ol["sigma"], "draws": len(ol["seeds"])}
    ab = ia.get("ablation") or {}
    if task in ab.get("tasks", []):
        seeds = ab.get("seeds", ia["seeds"])
        for k in ab.get("d", []):
            if k != ia["d"]:
                out[f"intrinsic-d{k}"] = [_member(ia, f"intrinsic-d{k}", "intrinsic", s, d=k, subspace=own,
                                                  source=task) for s in seeds]
    if task in ab.get("variant_tasks", ab.get("tasks", [])):
        seeds = ab.get("seeds", ia["seeds"])
        variant_seeds = ab.get("variant_seeds", seeds)
        for other in ab.get("variants", []):
            if other != variant:
                out[f"intrinsic-{other}"] = [_member(ia, f"intrinsic-{other}", "intrinsic", s,
                                                     subspace=_own(task, other), source=task) for s in variant_seeds]
        if ab["scaling"]:
            name = "intrinsic-plain" if ia["scaled"] else "intrinsic-scaled"
            out[name] = [_member(ia, name, "intrinsic", s, subspace=own, scaled=not ia["scaled"], source=task)
                         for s in variant_seeds]
    lt = ia.get("long_trace") or {}
    if task in lt.get("tasks", []):
        out["long-trace"] = [{"name": f"seed{lt['seed']}", "run": "long-trace", "method": "full", "seed": lt["seed"],
                              "options": {}, "epochs": lt["epochs"], "trajectory": True}]
        out["intrinsic-long"] = [_member(ia, "intrinsic-long", "intrinsic", s, subspace=_own(task, variant, True),
                                         source=task) for s in lt.get("seeds", ab.get("seeds", ia["seeds"]))]
    tr = ia.get("transfer") or {}
    if tr.get("seeds") and len(tasks) > 1:
        members = []
        for s in tr["seeds"]:
            for other in transfer_sources(tasks, task, tr.get("sources")):
                if other != task:
                    members.append(_member(ia, "transfer", "intrinsic", s, subspace=_own(other, variant),
                                           source=other, name=f"from-{other}-seed{s}"))
            unified = {"name": subspace_name("unified", variant), "tasks": list(tasks), "variant": variant}
            members.append(_member(ia, "unified", "intrinsic", s, subspace=unified, d=tr.get("d"),
                                   source="unified", name=f"unified-seed{s}"))
            rest = [t for t in tasks if t != task]
            zero_shot = {"name": subspace_name(f"unified-minus-{task}", variant), "tasks": rest, "variant": variant}
            members.append(_member(ia, "zeroshot", "intrinsic", s, subspace=zero_shot, d=tr.get("d"),
                                   source="unified minus target", name=f"zeroshot-seed{s}"))
            if tr.get("d") and tr["d"] != ia["d"]:  # the own subspace at the unified runs' dimension
                members.append(_member(ia, "own-transfer-d", "intrinsic", s, subspace=own, d=tr["d"], source=task,
                                       name=f"own-seed{s}"))
        out["transfer"] = members
    if task in ol.get("tasks", []):
        members = [{"name": f"outliers-seed{s}", "run": "zeroed-outliers", "method": "zeroed", "seed": s,
                    "options": {"positions": "outliers", "draw": 0}} for s in ol["seeds"]]
        members += [{"name": f"random{k}-seed{s}", "run": "zeroed-random", "method": "zeroed", "seed": s,
                     "options": {"positions": "random", "draw": k}} for k, s in enumerate(ol["seeds"], start=1)]
        out["zeroed"] = members
    return out


def transfer_sources(tasks: list[str], target: str, count: int | None) -> list[str]:
    """The tasks whose subspaces a target is fine-tuned in: every other task, or (`count`) the next `count` tasks
    after it in the config's order, cyclically (each task is then a source as often as a target)."""
    i = tasks.index(target)
    others = tasks[i + 1:] + tasks[:i]
    return others if count is None else others[:count]


def pairs(ia: dict) -> list[tuple[str, str]]:
    return [(m, t) for m, tasks in ia["models"].items() for t in tasks]


def subspaces(ia: dict, model: str) -> dict[str, dict]:
    """{subspace name: {"tasks": the trajectories it stacks, "variant"}} one model's runs need."""
    out = {}
    for task in ia["models"][model]:
        for members in jobs(ia, model, task).values():
            for m in members:
                if m.get("subspace"):
                    out[m["subspace"]["name"]] = {k: m["subspace"].get(k, False) for k in ("tasks", "variant", "long")}
                if m["run"] == "long-trace":  # its spectrum of updates too: does a longer run change the spectrum?
                    other = _own(task, "updates", long=True)
                    out[other["name"]] = {k: other[k] for k in ("tasks", "variant", "long")}
    return out


def outlier_source(ia: dict, model: str, task: str) -> int | None:
    """The seed of the headline intrinsic run whose outliers the `zeroed` job zeroes (None: no such job)."""
    ol = ia.get("outliers") or {}
    return ol.get("source_seed", ia["seeds"][0]) if task in ol.get("tasks", []) else None
