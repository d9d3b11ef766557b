"""README's Results section is generated from results/claims.csv: the block between the two markers below.

`make readme` (python -m ftgeom.paper.readme results/claims.csv README.md) rewrites it after a default run; the
paper_inputs job warns when a default run's block differs from README's, and a test checks the block is the
generator's own output.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

from ftgeom.paper.verdicts import VERDICTS, by_measure, counts, markdown_table
from ftgeom.provenance import write_text

BEGIN = "<!-- results:begin (generated from results/claims.csv by `make readme`; do not edit) -->"
END = "<!-- results:end -->"
LEGEND = re.compile(r"^- \*\*(?P<claim_id>[A-Z]\d+\S*)\*\* (?P<claim>.+)$")
MEASURE = re.compile(r"^  - (?:(?P<letter>[a-z]): )?(?P<measure>.+)$")
ROW = re.compile(r"^\| (?P<claim_id>[A-Z]\d+\S*) \| (?P<setting>.+?) \| (?P<effect>\S+) \| "
                 r"\[(?P<ci_low>\S+), (?P<ci_high>\S+)\] \| (?P<n>\d+) \| (?P<verdict>[a-z ]+) \|$")


def _html(text: str) -> str:
    """Markdown renders <...> as HTML: keep claim sentences literal."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text(html: str) -> str:
    return html.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _letters(claims: pd.DataFrame) -> pd.Series:
    """A letter per measure of a claim (a, b, …, in order of appearance); empty for a claim with one measure."""
    out = pd.Series("", index=claims.index)
    for _, rows in claims.groupby("claim_id", sort=False):
        measures = list(dict.fromkeys(rows["measure"]))
        if len(measures) > 1:
            out[rows.index] = rows["measure"].map({m: "abcdefghijklmnopqrstuvwxyz"[i] for i, m in enumerate(measures)})
    return out


def block(claims: pd.DataFrame) -> str:
    claims = by_measure(claims).reset_index(drop=True)  # as in the paper's table: each measure's settings together
    found = counts(claims)
    papers = ", ".join(sorted(set(claims["claim_id"].astype(str).str[0]))) if len(claims) else "none"
    summary = (f"{len(claims)} claim rows ({claims['claim_id'].nunique()} claims; papers {papers}): "
               + ", ".join(f"{found[v]} {v}" for v in VERDICTS) + ".")
    letters = _letters(claims)
    legend = []
    for claim_id, rows in claims.groupby("claim_id", sort=False):
        legend.append(f"- **{claim_id}** {_html(rows['claim'].iloc[0])}")
        for measure, letter in dict(zip(rows["measure"], letters[rows.index])).items():
            legend.append(f"  - {letter + ': ' if letter else ''}{_html(measure)}")
    table = markdown_table(claims.assign(claim_id=claims["claim_id"] + letters))
    return "\n".join([BEGIN, "", summary, "", *legend, "", table.rstrip("\n"), "", END])


def current(readme_text: str) -> str | None:
    match = re.search(re.escape(BEGIN) + r".*?" + re.escape(END), readme_text, re.S)
    return match.group(0) if match else None


def parse(block_text: str) -> pd.DataFrame:
    """The rows of a results block (what the generator wrote), for the round-trip check."""
    lines = block_text.splitlines()
    rows = [m.groupdict() for m in map(ROW.match, lines) if m]
    frame = pd.DataFrame(rows, columns=["claim_id", "setting", "effect", "ci_low", "ci_high", "n", "verdict"])
    for col in ("effect", "ci_low", "ci_high"):
        frame[col] = pd.to_numeric(frame[col].replace("--", "nan"))
    frame["n"] = frame["n"].astype(int)
    claims, measures, claim_id = {}, {}, None
    for line in lines:
        if m := LEGEND.match(line):
            claim_id = m["claim_id"]
            claims[claim_id] = _text(m["claim"])
        elif (m := MEASURE.match(line)) and claim_id:
            measures[claim_id + (m["letter"] or "")] = _text(m["measure"])
    frame["measure"] = frame["claim_id"].map(measures)
    frame["claim_id"] = frame["claim_id"].str.rstrip("abcdefghijklmnopqrstuvwxyz")
    frame["claim"] = frame["claim_id"].map(claims)
    return frame


def replace(readme_text: str, new_block: str) -> str:
    if current(readme_text) is None:
        raise ValueError("README.md has no results block (its markers are missing)")
    return readme_text.replace(current(readme_text), new_block)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        sys.exit("usage: python -m ftgeom.paper.readme results/claims.csv README.md")
    claims_path, readme_path = map(Path, argv)
    claims = pd.read_csv(claims_path, keep_default_na=False, na_values=[""])
    write_text(readme_path, replace(readme_path.read_text(), block(claims)))
    print(f"{readme_path}: results block from {claims_path} ({len(claims)} rows)")


if __name__ == "__main__":
    main()
