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

from ftgeom.paper.verdicts import VERDICTS, counts, markdown_table
from ftgeom.provenance import atomic_path

BEGIN = "<!-- results:begin (generated from results/claims.csv by `make readme`; do not edit) -->"
END = "<!-- results:end -->"
LEGEND = re.compile(r"^- \*\*(?P<claim_id>[A-Z]\d+\S*)\*\* (?P<claim>.+)$")
ROW = re.compile(r"^\| (?P<claim_id>[A-Z]\d+\S*) \| (?P<setting>.+?) \| (?P<effect>\S+) \| "
                 r"\[(?P<ci_low>\S+), (?P<ci_high>\S+)\] \| (?P<n>\d+) \| (?P<verdict>[a-z ]+) \|$")


def _html(text: str) -> str:
    """Markdown renders <...> as HTML: keep claim sentences literal."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text(html: str) -> str:
    return html.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def block(claims: pd.DataFrame) -> str:
    found = counts(claims)
    papers = ", ".join(sorted(set(claims["claim_id"].astype(str).str[0]))) if len(claims) else "none"
    summary = (f"{len(claims)} claim rows ({claims['claim_id'].nunique()} claims; papers {papers}): "
               + ", ".join(f"{found[v]} {v}" for v in VERDICTS) + ".")
    legend = [f"- **{claim_id}** {_html(claim)}" for claim_id, claim in
              dict(zip(claims["claim_id"], claims["claim"])).items()]
    return "\n".join([BEGIN, "", summary, "", *legend, "", markdown_table(claims).rstrip("\n"), "", END])


def current(readme_text: str) -> str | None:
    match = re.search(re.escape(BEGIN) + r".*?" + re.escape(END), readme_text, re.S)
    return match.group(0) if match else None


def parse(block_text: str) -> pd.DataFrame:
    """The rows of a results block (what the generator wrote), for the round-trip check."""
    rows = [m.groupdict() for m in map(ROW.match, block_text.splitlines()) if m]
    frame = pd.DataFrame(rows, columns=["claim_id", "setting", "effect", "ci_low", "ci_high", "n", "verdict"])
    for col in ("effect", "ci_low", "ci_high"):
        frame[col] = pd.to_numeric(frame[col].replace("--", "nan"))
    frame["n"] = frame["n"].astype(int)
    claims = {m["claim_id"]: _text(m["claim"]) for m in map(LEGEND.match, block_text.splitlines()) if m}
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
    text = replace(readme_path.read_text(), block(claims))
    with atomic_path(readme_path) as tmp:
        tmp.write_text(text)
    print(f"{readme_path}: results block from {claims_path} ({len(claims)} rows)")


if __name__ == "__main__":
    main()
