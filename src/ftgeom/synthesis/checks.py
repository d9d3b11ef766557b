"""Cross-references of the synthesis section that the schema cannot check (one line each, naming the key)."""
from __future__ import annotations

from ftgeom.config import ConfigError


def check(config: dict) -> None:
    sy = config.get("synthesis")
    if not sy:
        return
    for paper in ("intrinsic", "spectral", "head_probe"):
        if not config.get(paper):
            raise ConfigError(f"config error: synthesis: needs the {paper} section (it reads what papers A, B "
                              "and C ran); add it or remove synthesis")
    if not config["finetune"]["trajectory"]["seeds"]:
        raise ConfigError("config error: synthesis: needs finetune.trajectory.seeds (paper A's traced runs)")
