"""What paper B's stages run, from the config's `spectral` section (one place, read by the rules and the report).

Weights analysed:
- `full`: the shared stage's full fine-tuning of `spectral.models` pairs, seeds `spectral.seeds` (the traced seed's
  trajectory, the other seeds' kept final weights: finetune.keep_weights);
- the pretraining-scale runs of `spectral.scale`: full fine-tuning of every model of a group on its tasks, with the
  group's seeds; a run the shared stage already made is read from there, the others run in this stage (job `scale`);
- one seed (`peft.keep_seed`) of every PEFT method of the table (not the variants) on the `peft` pairs: their
  effective final weights.
One stability job per (model, task).
Fine-tuning jobs per (model, task), one process each: `scale` (the missing full runs) and `peft` (every PEFT method
and seed, and the spectral variants on `peft.variant_seeds`).
"""
from __future__ import annotations


def peft_methods(sb: dict) -> dict[str, dict]:
    """{run name: {"method", "options", "lr"}}: the table's methods, then the spectral variants."""
    peft = sb.get("peft") or {}
    return {**peft.get("methods", {}), **peft.get("variants", {})}


def peft_members(sb: dict, model: str, task: str) -> list[dict]:
    """The PEFT job's runs of one (model, task): {"name", "run", "method", "options", "lr", "seed", "keep"}."""
    peft = sb.get("peft") or {}
    if task not in peft.get("models", {}).get(model, []):
        return []
    out = []
    for run, entry in peft_methods(sb).items():
        seeds = peft["seeds"] if run in peft.get("methods", {}) else peft.get("variant_seeds", peft["seeds"])
        for s in seeds:
            out.append({"name": f"{run}-seed{s}", "run": run, "method": entry["method"],
                        "options": entry.get("options", {}), "lr": entry["lr"], "seed": s,
                        "keep": run in peft["methods"] and s == peft["keep_seed"]})
    # by name: a config's key order (which a YAML round trip may change) must not change the job's params
    return sorted(out, key=lambda m: m["name"])


def scale_runs(sb: dict) -> list[tuple[str, str, int]]:
    """(model, task, seed) of every pretraining-scale run."""
    out = []
    for group in sb.get("scale", []):
        out += [(m, t, s) for m in group["models"] for t in group["tasks"] for s in group["seeds"]]
    return list(dict.fromkeys(out))


def full_runs(sb: dict) -> list[tuple[str, str, int]]:
    """(model, task, seed) of every full fine-tuning run the stability stage reads."""
    own = [(m, t, s) for m, tasks in sb["models"].items() for t in tasks for s in sb["seeds"]]
    return list(dict.fromkeys(own + scale_runs(sb)))


def analysed(sb: dict, model: str, task: str) -> list[dict]:
    """The runs one stability job reads: {"task", "run" (full | a PEFT run name), "seed"}."""
    out = [{"task": t, "run": "full", "seed": s} for m, t, s in full_runs(sb) if (m, t) == (model, task)]
    out += [{"task": task, "run": m["run"], "seed": m["seed"]} for m in peft_members(sb, model, task) if m["keep"]]
    return out


def stability_pairs(sb: dict) -> list[tuple[str, str]]:
    """(model, task) of every stability job: one per pair, so that a pair's job starts as soon as its runs exist."""
    pairs = [(m, t) for m, t, _ in full_runs(sb)]
    pairs += [(m, t) for m, tasks in (sb.get("peft") or {}).get("models", {}).items() for t in tasks]
    return list(dict.fromkeys(pairs))


# What a stability job reads of the spectral section; the rest (models, pairs, the claims' null) cannot change its
# numbers, so adding a task or a pair must not re-run the others.
STABILITY_KEYS = ("ks", "claim_k", "cross_k", "intruders", "nulls", "null_seed", "trajectory_points")


def stability_settings(sb: dict, task: str) -> dict:
    out = {k: sb[k] for k in STABILITY_KEYS}
    return {**out, "trajectory_tasks": [task] if task in sb["trajectory_tasks"] else []}
