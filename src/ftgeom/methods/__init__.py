"""Registry of fine-tuning methods (parameterisations). Adding a method touches one module and this table."""
from __future__ import annotations

from ftgeom.methods.base import Method
from ftgeom.methods.freeze import FrozenEncoder, Full, HeadOnly

METHODS: dict[str, type[Method]] = {m.name: m for m in (Full, FrozenEncoder, HeadOnly)}


def make_method(name: str, **options) -> Method:
    if name not in METHODS:
        raise KeyError(f"unknown method '{name}' (known: {', '.join(METHODS)})")
    return METHODS[name](**options)
