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


def _name(key: str) -> str:
    name = "ft" + "".join(part.capitalize() for part in re.split(r"[^A-Za-z]+", key) if part)
    if not re.fullmatch(r"[A-Za-z]+", name):
        raise ValueError(f"macro key {key!r} gives no valid TeX name")
    return name


def define(values: dict[str, object]) -> str:
    """\\newcommand for every key (digits in keys are spelled out by the caller)."""
    return "".join(f"\\newcommand{{\\{_name(k)}}}{{{escape(v)}}}\n" for k, v in values.items())


def listing(items) -> str:
    """'a, b and c' (prose lists of the generated numbers)."""
    items = [str(i) for i in items]
    return ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + items[-1] if items else "none"


def not_run(label: str, what: str) -> str:
    """A table float for a part the config did not run: the prose's reference to `label` still resolves."""
    return (f"\\begin{{table}}[h]\\centering\\small\\caption{{{escape(what)}: not run in this build (the config "
            f"has no such part).}}\\label{{{label}}}\\end{{table}}\n")
