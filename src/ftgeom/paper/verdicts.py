"""All claim rows of all paper stages in one table (results/claims.csv), and its LaTeX and Markdown forms."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ftgeom.claims import COLUMNS, LEVEL
from ftgeom.errors import OneLineError
from ftgeom.registry import PAPERS
from ftgeom.report.latex import escape, signed

VERDICTS = ("reproduced", "not reproduced", "inconclusive")


class ClaimsError(ValueError, OneLineError):
    """A claims file that does not follow the contract (one line, names the file)."""


def _claim_order(claim_id: str) -> tuple:
    match = re.fullmatch(r"([A-Z]+)(\d+)(.*)", claim_id)
    return (match.group(1), int(match.group(2)), match.group(3)) if match else (claim_id, 0, "")


def assemble(paths) -> pd.DataFrame:
    """Concatenate results/claims/<stage>.csv, checked against the contract, ordered by paper and claim id."""
    letters = {f"{p.name}.csv": p.letter for p in PAPERS}
    frames = []
    for path in map(Path, paths):
        if path.name not in letters:
            raise ClaimsError(f"{path}: a claims file must be named after its paper stage "
                              f"({', '.join(letters)})")
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise ClaimsError(f"{path}: missing column(s) {', '.join(missing)}")
        bad = sorted(set(frame["verdict"]) - set(VERDICTS))
        if bad:
            raise ClaimsError(f"{path}: unknown verdict(s) {', '.join(map(str, bad))}")
        letter = letters[path.name]
        wrong = [c for c in frame["claim_id"].astype(str) if not c.startswith(letter)]
        if wrong:
            raise ClaimsError(f"{path}: claim id {wrong[0]} does not belong to paper {letter}")
        frames.append(frame[list(COLUMNS)].assign(paper=letter))
    if not frames:
        return pd.DataFrame(columns=[*COLUMNS, "paper"])
    claims = pd.concat(frames, ignore_index=True)
    claims["row"] = range(len(claims))  # a stage's own order within a claim id is kept
    claims = claims.sort_values(["paper", "claim_id", "row"], key=lambda s: s.map(_claim_order) if s.name ==
                                "claim_id" else s, kind="stable").drop(columns="row")
    return claims.reset_index(drop=True)


def counts(claims: pd.DataFrame) -> dict[str, int]:
    return {v: int((claims["verdict"] == v).sum()) for v in VERDICTS}


def number(x: float) -> str:
    """Effects and bounds with 3 significant digits (they range from 1e-5 to 1), '--' when missing."""
    if x is None or not np.isfinite(x):
        return "--"
    if x == 0:
        return "0"
    return f"{x:.3g}" if 1e-3 <= abs(x) < 1e4 else f"{x:.2e}"


def interval(row) -> str:
    return f"[{number(row['ci_low'])}, {number(row['ci_high'])}]"


def published_text(value) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)) or str(value).strip() == "":
        return "--"
    return number(float(value)) if re.fullmatch(r"-?[\d.]+(e-?\d+)?", str(value)) else str(value)


def latex_table(claims: pd.DataFrame, footer: str = "") -> str:
    """A longtable: each claim's sentence once, each measure once under it, then one line per setting."""
    level = f"{100 * LEVEL:g}\\%"
    head = (f"\\textbf{{setting}} & \\textbf{{effect}} & \\textbf{{{level} CI}} & $\\mathbf{{n}}$ & \\textbf{{test}} & "
            "\\textbf{publ.} & \\textbf{verdict} \\\\")
    span = "\\multicolumn{7}{@{}p{\\linewidth}@{}}"
    lines = ["\\begingroup\\footnotesize\\setlength{\\tabcolsep}{4pt}",
             # published figures are free text: a wrapped column keeps the verdict on the page
             "\\begin{longtable}{@{}>{\\raggedright\\arraybackslash}p{0.3\\linewidth} r l r l "
             ">{\\raggedright\\arraybackslash}p{0.16\\linewidth} l@{}}",
             f"\\caption{{Every claim tested by this build: effect, {level} bootstrap interval, number of independent "
             "units and verdict (the rule is stated under the table).}\\label{tab:verdicts}\\\\",
             "\\toprule", head, "\\midrule",
             "\\endfirsthead", "\\toprule", head, "\\midrule", "\\endhead", "\\bottomrule", "\\endfoot"]
    if claims.empty:
        lines.append(f"{span}{{no paper stage has produced claim rows in this build}} \\\\")
    previous_claim = previous_measure = None
    for _, row in by_measure(claims).iterrows():
        if row["claim_id"] != previous_claim:
            if previous_claim is not None:
                lines.append("\\midrule")
            lines.append(f"{span}{{\\textbf{{{escape(row['claim_id'])}}} {escape(row['claim'])}}} \\\\*")
            previous_measure = None
        if row["measure"] != previous_measure:
            lines.append(f"{span}{{\\hspace{{1em}}\\emph{{{escape(row['measure'])}}}}} \\\\*")
        test = f"{'$>$' if row['direction'] == 'greater' else '$<$'} {signed(number(row['threshold']))}"
        cells = [f"\\hspace{{1em}}{escape(row['setting'])}", signed(number(row["effect"])), signed(interval(row)),
                 str(int(row["n"])), test, escape(published_text(row["published"])), _verdict_tex(row["verdict"])]
        lines.append(" & ".join(cells) + " \\\\")
        previous_claim, previous_measure = row["claim_id"], row["measure"]
    if footer:  # the verdict rule, stated under the rows (a last row: floats cannot come between)
        lines += ["\\midrule", f"{span}{{{footer}}} \\\\"]
    lines += ["\\end{longtable}", "\\endgroup"]
    return "\n".join(lines) + "\n"


def by_measure(claims: pd.DataFrame) -> pd.DataFrame:
    """Within each claim, rows grouped by measure (in order of first appearance), settings in their order."""
    first = {m: i for i, m in enumerate(dict.fromkeys(claims["measure"]))}
    order = claims.assign(_claim=claims.groupby("claim_id", sort=False).ngroup(), _measure=claims["measure"].map(first))
    return order.sort_values(["_claim", "_measure"], kind="stable").drop(columns=["_claim", "_measure"])


def _verdict_tex(verdict: str) -> str:
    return {"reproduced": "\\textsf{reproduced}", "not reproduced": "\\textsf{\\textbf{not} reproduced}",
            "inconclusive": "\\textsf{inconclusive}"}[verdict]


def markdown_table(claims: pd.DataFrame) -> str:
    """The README's form: one line per row of results/claims.csv (no measure text: the paper has it)."""
    lines = ["| id | setting | effect | 95% CI | n | verdict |", "|---|---|---:|---|---:|---|"]
    for _, row in claims.iterrows():
        lines.append(f"| {row['claim_id']} | {row['setting']} | {number(row['effect'])} | {interval(row)} | "
                     f"{int(row['n'])} | {row['verdict']} |")
    return "\n".join(lines) + "\n"
