"""Paper A's config cross-checks (what the schema cannot check): one line naming the key."""
from __future__ import annotations

from ftgeom.config import ConfigError, check_pairs, finetune_pairs


def _check_intrinsic(config: dict) -> None:
    ia, ft = config["intrinsic"], config["finetune"]
    pairs = finetune_pairs(config)
    for method in ("full", "frozen"):
        if method not in ft["methods"]:
            raise ConfigError(f"config error: intrinsic: needs method '{method}' in finetune.methods (Table 1's rows)")
    if not ft["trajectory"]["seeds"]:
        raise ConfigError("config error: intrinsic: needs a traced seed in finetune.trajectory.seeds")
    check_pairs("intrinsic", ia["models"], pairs)
    ablation = ia["ablation"]
    for key in ("tasks", "variant_tasks"):
        for i, task in enumerate(ablation.get(key, [])):
            if not any(task in tasks for tasks in ia["models"].values()):
                raise ConfigError(f"config error: intrinsic.ablation.{key}[{i}]: '{task}' is not a task of "
                                  "intrinsic.models")
    for part in ("outliers", "long_trace"):
        for i, task in enumerate((ia.get(part) or {}).get("tasks", [])):
            if not any(task in tasks for tasks in ia["models"].values()):
                raise ConfigError(f"config error: intrinsic.{part}.tasks[{i}]: '{task}' is not a task of "
                                  "intrinsic.models")
    outliers = ia.get("outliers") or {}
    if outliers.get("tasks") and not outliers.get("seeds"):
        raise ConfigError("config error: intrinsic.outliers.seeds: needed when intrinsic.outliers.tasks is set")
    if outliers.get("source_seed", ia["seeds"][0]) not in ia["seeds"]:
        raise ConfigError("config error: intrinsic.outliers.source_seed: not a seed of intrinsic.seeds")
    points = ft["trajectory"]["points"]
    for where, d in [("intrinsic.d", ia["d"])] + [(f"intrinsic.ablation.d[{i}]", d)
                                                        for i, d in enumerate(ablation["d"])]:
        if d > points:
            raise ConfigError(f"config error: {where}: dimension {d} exceeds the trajectory's "
                              f"{points} points (finetune.trajectory.points)")




def check(config: dict) -> None:
    if config.get("intrinsic"):
        _check_intrinsic(config)
