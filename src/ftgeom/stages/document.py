"""Rule paper: compile results/document/ftgeom.pdf from paper/ and the generated tables, figures and macros.

python -m ftgeom.stages.document --main paper/main.tex --generated G/ --results results --out ftgeom.pdf
       --latex-log L.log INPUT ...
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ftgeom.runtime import run_stage


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--main", required=True, type=Path, help="paper/main.tex: its folder holds every source")
    ap.add_argument("--generated", required=True, type=Path, help="the document_inputs folder (macros, verdicts)")
    ap.add_argument("--results", required=True, type=Path, help="results root: inputs keep their paths under it")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--latex-log", required=True, type=Path)
    ap.add_argument("inputs", nargs="+", type=Path, help="tables and figures (files or folders) the paper uses")
    args = ap.parse_args(argv)
    from ftgeom.document.build import build, page_count

    pdf = build(args.main.parent, args.generated, args.inputs, args.results, args.out, args.latex_log)
    print(f"{pdf}: {page_count(pdf)} pages")


if __name__ == "__main__":
    run_stage(main)
