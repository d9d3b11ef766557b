"""LaTeX helpers shared by every generated table: escaping of generated text, booktabs fragments."""
from __future__ import annotations

import re

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
            "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_PATTERN = re.compile("|".join(re.escape(k) for k in _SPECIAL))


def escape(text) -> str:
    """Generated text (task names, settings) as LaTeX that typesets literally."""
    return _PATTERN.sub(lambda m: _SPECIAL[m.group()], str(text))


def mean_std(mean: float, std: float, scale: float = 1.0, digits: int = 1) -> str:
    std = 0.0 if std != std else std  # one seed: no spread
    return f"{scale * mean:.{digits}f} $\\pm$ {scale * std:.{digits}f}"


def signed(text: str) -> str:
    """A number as text, with a typographic minus (a hyphen reads as a dash in a table)."""
    return str(text).replace("-", "$-$")
