"""What paper A's stages run, from the config's `intrinsic` section (one place, read by the rules and the report).

Subspaces: per (model, task) the SVD of the traced full run's trajectory, for the headline trajectory variant and
every variant of the ablation. Runs, per (model, task), each a job of several seeds:
- `intrinsic`, `random`: the headline (dimension d, every task, `seeds`);
- `intrinsic-d{k}`: the dimension ablation (paper A's Tables 5/6), on the ablation tasks and seeds;
- `intrinsic-{variant}`: the subspace of another trajectory matrix (updates, centred);
- `intrinsic-scaled` (or `intrinsic-plain` when the headline is scaled): the other basis scaling.
"""
from __future__ import annotations

HEADLINE = ("intrinsic", "random")


def subspace_name(source: str, variant: str) -> str:
    return f"{source}-{variant}"


def _method(ia: dict, kind: str, d: int, subspace: str | None, scaled: bool) -> dict:
    options = {"d": d, "lr": ia["lr"][kind], "init_scale": ia["init_scale"], "copies": ia["copies"],
               "form": ia["form"]}
    if kind == "intrinsic":
        options.update(subspace=subspace, scaled=scaled)
    else:
        options.update(basis_seed=ia["basis_seed"])
    return {"method": kind, "options": options}


def task_runs(ia: dict, model: str, task: str) -> dict[str, dict]:
    """{run name: {"method", "options" (subspace: its name, not yet a path), "seeds"}} of one (model, task)."""
    d, variant, scaled = ia["d"], ia["variant"], ia["scaled"]
    own = subspace_name(task, variant)
    runs = {kind: {**_method(ia, kind, d, own, scaled), "seeds": list(ia["seeds"])} for kind in HEADLINE}
    ab = ia.get("ablation") or {}
    if task in ab.get("tasks", []):
        seeds = list(ab.get("seeds", ia["seeds"]))
        for k in ab.get("d", []):
            if k != d:
                runs[f"intrinsic-d{k}"] = {**_method(ia, "intrinsic", k, own, scaled), "seeds": seeds}
        for other in ab.get("variants", []):
            if other != variant:
                runs[f"intrinsic-{other}"] = {**_method(ia, "intrinsic", d, subspace_name(task, other), scaled),
                                              "seeds": seeds}
        if ab.get("scaling", False):
            name = "intrinsic-plain" if scaled else "intrinsic-scaled"
            runs[name] = {**_method(ia, "intrinsic", d, own, not scaled), "seeds": seeds}
    return runs


def pairs(ia: dict) -> list[tuple[str, str]]:
    return [(m, t) for m, tasks in ia["models"].items() for t in tasks]


def subspaces(ia: dict, model: str) -> dict[str, dict]:
    """{subspace name: {"tasks": the trajectories it stacks, "variant"}} one model's runs need."""
    out = {}
    for task in ia["models"][model]:
        for run in task_runs(ia, model, task).values():
            name = run["options"].get("subspace")
            if name and name not in out:
                source, variant = name.rsplit("-", 1)
                out[name] = {"tasks": [source], "variant": variant}
    return out


def max_d(ia: dict) -> int:
    return max([ia["d"], *((ia.get("ablation") or {}).get("d", []))])
