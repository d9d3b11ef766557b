"""LaTeX macros generated from the config, the claims and the stages present: the paper's prose types no number.

Macro names are letters only (TeX's rule); values are escaped text.
"""
from __future__ import annotations

import re

import pandas as pd

from ftgeom import claims as claim_rule
from ftgeom.paper.verdicts import VERDICTS, counts
from ftgeom.report.latex import escape

PAPERS = ("A", "B", "C")


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


def settings(config: dict, config_name: str) -> dict[str, object]:
    """The settings the prose cites, read from the run's config."""
    ft = config["finetune"]
    tasks = config["tasks"]
    out = {
        "config name": config_name,
        "seeds": len(ft["seeds"]),
        "seed list": listing(ft["seeds"]),
        "epochs": ft["epochs"],
        "batch size": ft["batch_size"],
        "methods": listing(ft["methods"]),
        "models": listing(ft["models"]),
        "tasks": listing(ft["tasks"]),
        "task count": len(ft["tasks"]),
        "lr full": ft["lr"].get("full", "--"),
        "lr frozen": ft["lr"].get("frozen", "--"),
        "trajectory points": ft.get("trajectory", {}).get("points", "--"),
        "max train": max((t.get("splits", {}).get("max_train", 0) for t in tasks.values()), default=0) or "all",
        "resamples": f"{claim_rule.RESAMPLES:,}",
        "min units": claim_rule.MIN_UNITS,
        "ci level": f"{100 * claim_rule.LEVEL:g}%",
    }
    hp = config.get("head_probe")
    if hp:
        taus = hp["taus"] if isinstance(hp["taus"], dict) else {m: hp["taus"] for m in hp["models"]}
        out.update({
            "hp seeds": len(hp["seeds"]),
            "hp variant seeds": len(hp.get("variant_seeds", hp["seeds"])),
            "hp taus": "; ".join(f"{m}: {listing(t)}" for m, t in taus.items()),
            "hp converged epochs": hp["converged_epochs"],
            "hp label smoothing": hp.get("label_smoothing", 0.1),
            "hp models": listing(f"{m} ({listing(t)})" for m, t in hp["models"].items()),
            "hp linear problems": hp.get("linear_model", {}).get("seeds", "--"),
        })
    return out


def numbers(claims: pd.DataFrame) -> dict[str, object]:
    found = counts(claims)
    out = {"claim rows": len(claims), "claim ids": claims["claim_id"].nunique()}
    out.update({f"rows {v}": found[v] for v in VERDICTS})
    return out


def stage_flags(present: set[str]) -> str:
    """\\ifstageA … \\fi switches: the paper says which paper stages this build contains."""
    lines = []
    for letter in PAPERS:
        lines.append(f"\\newif\\ifstage{letter}\\stage{letter}{'true' if letter in present else 'false'}")
    return "\n".join(lines) + "\n"


def findings(claims: pd.DataFrame, paper: str) -> str:
    """One item per claim: how many of its rows each verdict got, and the verdicts per setting (measures in the
    order of the verdict table, which gives the effects and intervals)."""
    rows = claims[claims["paper"] == paper]
    if rows.empty:
        return "No claim rows from this stage in this build.\n"
    lines = ["\\begin{description}"]
    for claim_id, by_claim in rows.groupby("claim_id", sort=False):
        tally = ", ".join(f"{n} {v}" for v, n in counts(by_claim).items() if n)
        settings = "; ".join(f"{escape(setting)}: " + ", ".join(f"\\emph{{{v}}}" for v in group["verdict"])
                             for setting, group in by_claim.groupby("setting", sort=False))
        measures = by_claim["measure"].nunique()
        lines.append(f"\\item[{escape(claim_id)}] {escape(by_claim['claim'].iloc[0])} "
                     f"Rows: {tally} ({measures} measure{'s' * (measures != 1)}) --- {settings}.")
    lines.append("\\end{description}")
    return "\n".join(lines) + "\n"
