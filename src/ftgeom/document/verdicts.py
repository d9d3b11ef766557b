"""All claim rows of all paper stages in one table (results/claims.csv), and its LaTeX and Markdown forms."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ftgeom.claims import COLUMNS, KINDS, LEVEL, MIN_UNITS, NO_VERDICT, counted
from ftgeom.errors import OneLineError
from ftgeom.registry import STAGES
from ftgeom.report.latex import escape, signed

VERDICTS = ("reproduced", "not reproduced", "inconclusive")
# the verdict table's groups, in order: the papers' sentences first, then what we add (CLAIMS.md v2, "kind")
HEADINGS = {"paper": "The papers' claims (totals count these, once per setting; pooled rows and parts are shown, "
                      "not counted)",
            "ours": "Our questions (not the papers' sentences; not counted)",
            "exploratory": "Exploratory: our own models and settings the papers never ran (not counted)",
            "check": "Manipulation checks: true by construction, numbers only (no verdict)"}


class ClaimsError(ValueError, OneLineError):
    """A claims file that does not follow the contract (one line, names the file)."""


def _claim_order(claim_id: str) -> tuple:
    match = re.fullmatch(r"([A-Z]+)(\d+)(.*)", claim_id)
    return (match.group(1), int(match.group(2)), match.group(3)) if match else (claim_id, 0, "")


def assemble(paths) -> pd.DataFrame:
    """Concatenate results/claims/<stage>.csv, checked against the contract, ordered by paper and claim id."""
    letters = {f"{p.name}.csv": p.letter for p in STAGES}
    frames = []
    for path in map(Path, paths):
        if path.name not in letters:
            raise ClaimsError(f"{path}: a claims file must be named after its paper stage "
                              f"({', '.join(letters)})")
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise ClaimsError(f"{path}: missing column(s) {', '.join(missing)}")
        bad = sorted(set(frame["verdict"]) - {*VERDICTS, NO_VERDICT})
        if bad:
            raise ClaimsError(f"{path}: unknown verdict(s) {', '.join(map(str, bad))}")
        bad = sorted(set(frame["kind"]) - set(KINDS))
        if bad:
            raise ClaimsError(f"{path}: unknown kind(s) {', '.join(map(str, bad))}")
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
    """Verdict totals over the rows that count: `paper` rows, once per setting (ftgeom.claims.counted)."""
    rows = claims[counted(claims)]
    return {v: int((rows["verdict"] == v).sum()) for v in VERDICTS}


def not_robust(claims: pd.DataFrame) -> pd.Series:
    return claims["robust"].astype(str).str.startswith("no")


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
    """A longtable grouped by kind: each claim's sentence once, its measure under it, then one line per setting;
    a verdict that is not robust is marked † and its reason follows on the next line."""
    level = f"{100 * LEVEL:g}\\%"
    head = (f"\\textbf{{setting}} & \\textbf{{effect}} & \\textbf{{{level} CI}} & $\\mathbf{{n}}$ & "
            "\\textbf{test} & \\textbf{publ.} & \\textbf{verdict} \\\\")
    span = "\\multicolumn{7}{@{}p{\\linewidth}@{}}"
    lines = ["\\begingroup\\footnotesize\\setlength{\\tabcolsep}{4pt}",
             # published figures are free text: a wrapped column keeps the verdict on the page
             "\\begin{longtable}{@{}>{\\raggedright\\arraybackslash}p{0.3\\linewidth} r l r l "
             ">{\\raggedright\\arraybackslash}p{0.16\\linewidth} l@{}}",
             f"\\caption{{Every claim tested by this build, grouped by kind: effect, {level} interval over the "
             "independent units (Student-t unless the row's measure names another), their number, the test and the verdict; $\\dagger$: the verdict is not robust "
             "(the reason follows). The rule is stated under the table.}\\label{tab:verdicts}\\\\",
             "\\toprule", head, "\\midrule",
             "\\endfirsthead", "\\toprule", head, "\\midrule", "\\endhead", "\\bottomrule", "\\endfoot"]
    if claims.empty:
        lines.append(f"{span}{{no paper stage has produced claim rows in this build}} \\\\")
    for kind in HEADINGS:
        rows = claims[claims["kind"] == kind]
        if rows.empty:
            continue
        lines += ["\\midrule", f"{span}{{\\textsc{{{escape(HEADINGS[kind])}}}}} \\\\*"]
        previous_claim = previous_measure = None
        for _, row in by_measure(rows).iterrows():
            if row["claim_id"] != previous_claim:
                if previous_claim is not None:
                    lines.append("\\cmidrule{1-7}")
                lines.append(f"{span}{{\\textbf{{{escape(row['claim_id'])}}} {escape(row['claim'])}}} \\\\*")
                previous_measure = None
            if row["measure"] != previous_measure:
                lines.append(f"{span}{{\\hspace{{1em}}\\emph{{{escape(row['measure'])}}}; unit: "
                             f"{escape(row['unit'])}}} \\\\*")
            test = f"{'$>$' if row['direction'] == 'greater' else '$<$'} {signed(number(row['threshold']))}"
            shaky = str(row["robust"]).startswith("no")
            cells = [f"\\hspace{{1em}}{escape(row['setting'])}", signed(number(row["effect"])), signed(interval(row)),
                     str(int(row["n"])), test, escape(published_text(row["published"])),
                     _verdict_tex(row["verdict"], int(row["n"])) + ("$^\\dagger$" if shaky else "")]
            lines.append(" & ".join(cells) + " \\\\")
            if shaky:
                lines.append(f"{span}{{\\hspace{{2em}}\\emph{{$\\dagger$ not robust: "
                             f"{escape(str(row['robust'])[len('no: '):])}}}}} \\\\")
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


def _verdict_tex(verdict: str, n: int) -> str:
    if verdict == "inconclusive" and n < MIN_UNITS:
        return f"\\textsf{{inconclusive}} ($n < {MIN_UNITS}$)"
    return {"reproduced": "\\textsf{reproduced}", "not reproduced": "\\textsf{\\textbf{not} reproduced}",
            "inconclusive": "\\textsf{inconclusive}", NO_VERDICT: "---"}[verdict]


def markdown_table(claims: pd.DataFrame) -> str:
    """The README's form: one line per row of results/claims.csv (no measure text: the paper has it)."""
    lines = ["| id | setting | effect | 95% CI | n | verdict | robust |", "|---|---|---:|---|---:|---|---|"]
    for _, row in claims.iterrows():
        lines.append(f"| {row['claim_id']} | {row['setting']} | {number(row['effect'])} | {interval(row)} | "
                     f"{int(row['n'])} | {row['verdict']} | {row['robust']} |")
    return "\n".join(lines) + "\n"
