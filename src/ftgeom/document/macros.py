"""LaTeX macros generated from the config, the claims and the stages present: the paper's prose types no number.

Macro names are letters only (TeX's rule); values are escaped text.
"""
from __future__ import annotations

import pandas as pd

from ftgeom import claims as claim_rule
from ftgeom.document.verdicts import VERDICTS, counts, not_robust
from ftgeom.report.latex import define, escape, listing  # noqa: F401 (define: the paper's macros)

def settings(config: dict, config_name: str, entries=()) -> dict[str, object]:
    """The settings the prose cites, read from the run's config; each paper entry adds its own (macro_settings)."""
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
        "lr full": ft["lr"]["full"],
        "lr frozen": ft["lr"]["frozen"],
        "trajectory points": ft["trajectory"]["points"],
        "max train": max((t.get("splits", {}).get("max_train", 0) for t in tasks.values()), default=0) or "all",
        "resamples": f"{claim_rule.RESAMPLES:,}",
        "min units": claim_rule.MIN_UNITS,
        "ci level": f"{100 * claim_rule.LEVEL:g}%",
    }
    for entry in entries:
        if config.get(entry.name):
            words = entry.name.replace("_", " ")
            out.update({f"{words} {k}": v for k, v in entry.macro_settings(config[entry.name]).items()})
    return out


def numbers(claims: pd.DataFrame) -> dict[str, object]:
    """The totals the abstract cites: `paper` rows once per setting (ftgeom.claims.counted), robust or not."""
    found = counts(claims)
    rows = claims[claim_rule.counted(claims)]
    out = {"claim rows": len(rows), "claim ids": rows["claim_id"].nunique(), "all rows": len(claims),
           "not robust": int(not_robust(rows).sum())}
    out.update({f"rows {v}": found[v] for v in VERDICTS})
    return out


def _tally(rows: pd.DataFrame) -> dict[str, int]:
    """Verdicts of a claim's own rows (every kind: the findings list each claim under its kind)."""
    return {v: int((rows["verdict"] == v).sum()) for v in (*VERDICTS, claim_rule.NO_VERDICT)}


def stage_flags(present: set[str], letters) -> str:
    """\\ifstageA … \\fi switches (by the stages' letters): the paper says which paper stages this build contains."""
    lines = []
    for letter in letters:
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
        tally = ", ".join(f"{n} {v}" for v, n in _tally(by_claim).items() if n)
        settings = "; ".join(f"{escape(setting)}: " + ", ".join(f"\\emph{{{v}}}" for v in group["verdict"])
                             for setting, group in by_claim.groupby("setting", sort=False))
        measures = by_claim["measure"].nunique()
        lines.append(f"\\item[{escape(claim_id)}] ({by_claim['kind'].iloc[0]}) {escape(by_claim['claim'].iloc[0])} "
                     f"Rows: {tally} ({measures} measure{'s' * (measures != 1)}) --- {settings}.")
    lines.append("\\end{description}")
    return "\n".join(lines) + "\n"
