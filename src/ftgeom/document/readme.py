"""README's Results section is generated from results/claims.csv: the block between the two markers below.

README's block is compact: one line per counted row (id, its sentence in short, setting, effect, interval, n, verdict,
robust) and one compact table of the rows listed apart; every row's sentence, measure and unit are in the generated
document's spec table and in `details`, which the document_inputs job writes to results/document/results.md.
`make readme` (python -m ftgeom.document.readme results/claims.csv README.md) rewrites the block after a default run;
the document_inputs job warns when a default run's block differs from README's. Numbers differ in the last digits across
CPU types, so the test that compares README with a local default run (`agreement`) checks what must agree on any
machine: the rows, their units, the verdicts of rows marked robust, and the effects to a stated tolerance.
"""
from __future__ import annotations

import os
import platform
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ftgeom.claims import counted
from ftgeom.document.verdicts import (HEADINGS, VERDICTS, by_measure, counts, interval, markdown_table,
                                     not_robust, number)
from ftgeom.provenance import write_text

BEGIN = "<!-- results:begin (generated from results/claims.csv by `make readme`; do not edit) -->"
END = "<!-- results:end -->"
MACHINE = re.compile(r"^Produced by a default run on (?P<machine>.+?)\. ")
# a row of either table: the counted one names the claim in short, the other the row's kind
ROW = re.compile(r"^\| (?P<claim_id>[A-Z]\d+\S*) \| (?P<label>.+?) \| (?P<setting>.+?) \| (?P<effect>\S+) \| "
                 r"\[(?P<ci_low>\S+), (?P<ci_high>\S+)\] \| (?P<n>\d+) \| (?P<verdict>[a-z —]+) \| "
                 r"(?P<robust>.+) \|$")
# a line of "What connects the papers" (the synthesis rows' claims, which the table listing them apart leaves out)
CONNECT = re.compile(r"^- (?P<claim_id>[A-Z]\d+\S*): (?P<claim>.+) (?:Reproduced|Not reproduced|Inconclusive|—)"
                     r"(?:, not robust)?: ")
COUNTED = "**Counted claims**"
APART = "**Listed apart, not counted**"
SHORT = 72  # characters of a claim's sentence in README's counted table
TOLERANCE = 0.5  # README test: effects agree within this share of README's interval width (+ 1e-3 relative)


def machine() -> str:
    """This CPU's model name and core count (the README says which machine produced its numbers)."""
    name, extra = platform.processor() or platform.machine(), ""
    try:
        info = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        info = []
    for line in info:
        if line.startswith("model name"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("flags") and "amx_bf16" in line.split():
            extra = " with AMX"  # native bf16 matrix units: most of what sets a step's time and last digits here
    return f"{' '.join(name.split())}{extra}, {os.cpu_count()} cores"


def _html(text: str) -> str:
    """Markdown renders <...> as HTML: keep claim sentences literal."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "&#124;")


def _text(html: str) -> str:
    return html.replace("&lt;", "<").replace("&gt;", ">").replace("&#124;", "|").replace("&amp;", "&")


def _ordered(claims: pd.DataFrame) -> pd.DataFrame:
    """Grouped by kind as in the paper's table, each measure's settings together."""
    parts = [by_measure(claims[claims["kind"] == kind]) for kind in HEADINGS]
    return pd.concat(parts, ignore_index=True) if parts else claims


def short(sentence: str, limit: int = SHORT) -> str:
    """A claim's sentence in a few words: cut at a word boundary, with an ellipsis (a short one is kept whole; cutting
    a cut sentence again changes nothing)."""
    sentence = " ".join(str(sentence).split())
    if len(sentence) <= limit:
        return sentence
    return sentence[:limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _table(rows: pd.DataFrame, label: str, values) -> list[str]:
    lines = [f"| id | {label} | setting | effect | 95% CI | n | verdict | robust |",
             "|---|---|---|---:|---|---:|---|---|"]
    for (_, row), value in zip(rows.iterrows(), values):
        lines.append(f"| {row['claim_id']} | {_html(value)} | {_html(row['setting'])} | {number(row['effect'])} | "
                     f"{interval(row)} | {int(row['n'])} | {row['verdict']} | {_html(row['robust'])} |")
    return lines


def _summary(claims: pd.DataFrame) -> str:
    found, rows = counts(claims), claims[counted(claims)]
    papers = ", ".join(sorted(set(rows["claim_id"].astype(str).str[0]))) or "none"
    apart = {k: int((claims["kind"] == k).sum()) for k in HEADINGS if k != "paper"}
    pooled = int(((claims["kind"] == "paper") & ~counted(claims)).sum())
    return (f"The papers' claims, counted once per setting: {len(rows)} rows "
            f"({rows['claim_id'].nunique()} claims; papers {papers}): "
            + ", ".join(f"{found[v]} {v}" for v in VERDICTS)
            + f"; {int(not_robust(rows).sum())} of these verdicts are not robust (they change without one unit, "
            "or with the BCa interval). Listed apart and not counted: "
            + ", ".join(f"{n} {k} rows" for k, n in apart.items()) + f", {pooled} rows that repeat "
            "the units of a counted row (pooled rows, parts). Intervals: Student-t over independent units; "
            "fewer than 5 units is inconclusive.")


def block(claims: pd.DataFrame, where: str | None = None) -> str:
    """README's compact block (see the module's doc)."""
    claims = _ordered(claims)
    machine_line = (f"Produced by a default run on {where or machine()}. Numbers differ in the last digits across "
                    "CPU types; `make test` compares a local default run with this block by its rows, the verdicts "
                    f"of rows marked robust and effects within {TOLERANCE:g} × the interval's width.")
    mask = counted(claims)
    rows, apart = claims[mask], claims[~mask]
    return "\n".join([
        BEGIN, "", _summary(claims), "", *connects(claims), machine_line, "",
        f"{COUNTED}, one line each (every row's sentence, measure and unit: the generated document's spec table, "
        "and `results/document/results.md` after a run):", "",
        *_table(rows, "claim, in short", rows["claim"].map(short)),
        "", f"{APART} (ours, exploratory, check; rows that repeat a counted row's units):", "",
        *_table(apart, "kind", apart["kind"]), "", END])


def details(claims: pd.DataFrame, where: str | None = None) -> str:
    """Every row with its claim, measure and unit (results/document/results.md)."""
    claims = _ordered(claims)
    legend = []
    for claim_id, group in claims.groupby("claim_id", sort=False):
        first = group.iloc[0]
        legend += [f"- **{claim_id}** ({first['kind']}) {_html(first['claim'])}",
                   f"  - measure: {_html(first['measure'])}", f"  - unit: {_html(first['unit'])}"]
    table = markdown_table(claims.assign(setting=claims["setting"].map(_html), robust=claims["robust"].map(_html)))
    return "\n".join([f"# Every claim row ({where or machine()})", "", _summary(claims), "", *legend, "",
                       table.rstrip("\n"), ""])


def _number(x: float) -> str:
    return "--" if not np.isfinite(x) else f"{x:.3g}"


def connects(claims: pd.DataFrame, letter: str = "S") -> list[str]:
    """'What connects the papers': one sentence per row of the synthesis (its claim, verdict and interval), or
    nothing when the run has no synthesis rows."""
    rows = claims[claims["claim_id"].astype(str).str.startswith(letter)].sort_values("claim_id", kind="stable")
    if not len(rows):
        return []
    lines = ["**What connects the papers.** The synthesis asks, on the same runs, what none of the three papers "
             "asks (kind ours, not counted above):", ""]
    for _, r in rows.iterrows():
        verdict = r["verdict"] + ("" if str(r["robust"]).startswith("yes") else ", not robust")
        lines.append(f"- {r['claim_id']}: {_html(r['claim'])} {verdict.capitalize()}: {_number(float(r['effect']))} "
                     f"[{_number(float(r['ci_low']))}, {_number(float(r['ci_high']))}], n = {int(r['n'])}.")
    return lines + [""]


def current(readme_text: str) -> str | None:
    match = re.search(re.escape(BEGIN) + r".*?" + re.escape(END), readme_text, re.S)
    return match.group(0) if match else None


def parse(block_text: str) -> tuple[pd.DataFrame, str]:
    """The rows of README's block (what `block` wrote) and the machine it names, for the round trip: a counted row's
    kind is `paper` and its claim the short sentence; a row listed apart has its kind and no claim."""
    rows, section = [], None
    for line in block_text.splitlines():
        if line.startswith(COUNTED):
            section = "counted"
        elif line.startswith(APART):
            section = "apart"
        elif section and (m := ROW.match(line)):
            row = m.groupdict()
            label = _text(row.pop("label"))
            row.update(kind="paper", claim=label) if section == "counted" else row.update(kind=label, claim="")
            rows.append(row)
    frame = pd.DataFrame(rows, columns=["claim_id", "setting", "effect", "ci_low", "ci_high", "n", "verdict",
                                        "robust", "kind", "claim"])
    for col in ("effect", "ci_low", "ci_high"):
        frame[col] = pd.to_numeric(frame[col].replace("--", "nan"))
    frame["n"] = frame["n"].astype(int)
    frame["setting"], frame["robust"] = frame["setting"].map(_text), frame["robust"].map(_text)
    frame["measure"] = frame["unit"] = ""
    said = {m["claim_id"]: _text(m["claim"]) for m in map(CONNECT.match, block_text.splitlines()) if m}
    frame["claim"] = [said.get(c, claim) for c, claim in zip(frame["claim_id"], frame["claim"])]
    where = next((m["machine"] for m in map(MACHINE.match, block_text.splitlines()) if m), "")
    return frame, where


def agreement(readme_rows: pd.DataFrame, local: pd.DataFrame) -> list[str]:
    """What differs between README's rows and a local default run's, beyond what CPU types may change: the row set,
    kinds, units and n; the verdict of a row both mark robust; an effect off by more than TOLERANCE of the interval's
    width. Empty when they agree."""
    key = ["claim_id", "setting"]
    a, b = readme_rows.set_index(key), local.set_index(key)
    problems = [f"row {i} is only in README" for i in a.index.difference(b.index)]
    problems += [f"row {i} is only in the local run" for i in b.index.difference(a.index)]
    for i in a.index.intersection(b.index):
        r, l = a.loc[i], b.loc[i]
        if (r["kind"], int(r["n"])) != (l["kind"], int(l["n"])):
            problems.append(f"row {i}: kind/n {r['kind']}/{r['n']} in README, {l['kind']}/{l['n']} here")
        if str(r["robust"]).startswith("yes") and str(l["robust"]).startswith("yes") and r["verdict"] != l["verdict"]:
            problems.append(f"row {i}: robust verdict {r['verdict']} in README, {l['verdict']} here")
        width = float(r["ci_high"] - r["ci_low"]) if np.isfinite(r["ci_high"] - r["ci_low"]) else 0.0
        both_missing = not np.isfinite(float(r["effect"])) and not np.isfinite(float(l["effect"]))  # n = 0 rows
        if not both_missing and \
                not abs(float(l["effect"]) - float(r["effect"])) <= TOLERANCE * width + 1e-3 * abs(float(r["effect"])):
            problems.append(f"row {i}: effect {r['effect']:.3g} in README, {float(l['effect']):.3g} here")
    return problems


def replace(readme_text: str, new_block: str) -> str:
    if current(readme_text) is None:
        raise ValueError("README.md has no results block (its markers are missing)")
    return readme_text.replace(current(readme_text), new_block)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        sys.exit("usage: python -m ftgeom.document.readme results/claims.csv README.md")
    claims_path, readme_path = map(Path, argv)
    claims = pd.read_csv(claims_path, keep_default_na=False, na_values=[""])
    write_text(readme_path, replace(readme_path.read_text(), block(claims)))
    print(f"{readme_path}: results block from {claims_path} ({len(claims)} rows, {machine()})")


if __name__ == "__main__":
    main()

