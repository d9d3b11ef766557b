"""Registry of fine-tuning methods (parameterisations). Adding a method touches one module and this table."""
from __future__ import annotations

from ftgeom.methods.adapters import BitFit, LoRA, VeRA
from ftgeom.methods.base import Method
from ftgeom.methods.freeze import FrozenEncoder, Full, HeadOnly
from ftgeom.methods.singular import Spectral
from ftgeom.methods.projected import Intrinsic, RandomSubspace
from ftgeom.methods.zeroed import Zeroed

METHODS: dict[str, type[Method]] = {m.name: m for m in (Full, FrozenEncoder, HeadOnly, Intrinsic, RandomSubspace,
                                                        Zeroed, Spectral, LoRA, VeRA, BitFit)}


def make_method(name: str, seed: int = 0, **options) -> Method:
    """`seed`: the run's seed, for methods that draw their own initial tensors (subspace coordinates, adapters)."""
    if name not in METHODS:
        raise KeyError(f"unknown method '{name}' (known: {', '.join(METHODS)})")
    cls = METHODS[name]
    return cls(seed=seed, **options) if cls.seeded else cls(**options)
