"""The generated paper's parts: the verdict rule, claims assembly, LaTeX writers, README block, the LaTeX build."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
import yaml
from workflow_runs import REPO, with_defaults

from ftgeom.claims import COLUMNS, ClaimSpec, claim_row
from ftgeom.document import macros, published, readme
from ftgeom.document.build import PaperError, build, problems
from ftgeom.document.verdicts import ClaimsError, assemble, latex_table
from ftgeom.registry import STAGES
from ftgeom.report.latex import escape

HAS_LATEX = shutil.which("latexmk") is not None and shutil.which("pdflatex") is not None
NO_LATEX = "Debian texlive/latexmk not installed (make setup installs it as root)"


def _spec(claim_id="X1", direction="greater", threshold=0.0, kind="paper"):
    return ClaimSpec(claim_id, kind, "a claim", "a quote" if kind == "paper" else "", "m", "task", threshold, direction)


def _units(values):
    return pd.Series(list(values), index=[f"task{i}" for i in range(len(values))], dtype=float)


@pytest.mark.parametrize("values, direction, verdict", [
    ([0.5, 0.6, 0.55, 0.52, 0.58], "greater", "reproduced"),          # clear effect on the claimed side
    ([-0.5, -0.6, -0.55, -0.52, -0.58], "greater", "not reproduced"),  # clear effect on the other side
    ([-0.5, -0.6, -0.55, -0.52, -0.58], "less", "reproduced"),
    ([0.5, 0.6, 0.55, 0.52, 0.58], "less", "not reproduced"),
    ([-1.0, 1.0, -0.9, 1.1, 0.05], "greater", "inconclusive"),        # the interval straddles the threshold
    ([0.5, 0.6, 0.55, 0.52], "greater", "inconclusive"),               # fewer than 5 units, however clear
])
def test_verdict_rule(values, direction, verdict):
    row = claim_row(_spec(direction=direction), "setting", _units(values))
    assert row["verdict"] == verdict, row
    assert row["ci_low"] <= row["effect"] <= row["ci_high"] and row["n"] == len(values) and row["interval"] == "t"


def test_verdict_against_a_nonzero_bar():
    assert claim_row(_spec(threshold=0.01), "s", _units([0.02, 0.03, 0.025, 0.027, 0.022]))["verdict"] == "reproduced"
    assert claim_row(_spec(threshold=0.01), "s", _units([0.002, 0.003, 0.0025, 0.001, 0.002]))["verdict"] == \
        "not reproduced"


def test_latex_escape():
    assert escape("a_b 50% & #1 $x") == r"a\_b 50\% \& \#1 \$x"
    assert escape("{x}~^\\") == r"\{x\}\textasciitilde{}\textasciicircum{}\textbackslash{}"


def _claims_file(tmp_path, name, rows):
    path = tmp_path / name
    pd.DataFrame(rows, columns=list(COLUMNS)).to_csv(path, index=False)
    return path


def _row(claim_id, setting="s", values=(0.5, 0.6, 0.55, 0.52, 0.58), measure="m", claim="a claim", kind="paper"):
    spec = ClaimSpec(claim_id, kind, claim, "a quote" if kind == "paper" else "", measure, "task")
    return claim_row(spec, setting, _units(values))


def test_assemble_orders_papers_and_claims_and_keeps_a_stages_order(tmp_path):
    c = _claims_file(tmp_path, "head_probe.csv", [_row("C10"), _row("C2", "second"), _row("C2", "first")])
    a = _claims_file(tmp_path, "intrinsic.csv", [_row("A1")])
    claims = assemble([c, a])
    assert list(claims["claim_id"]) == ["A1", "C2", "C2", "C10"]
    assert list(claims.loc[claims["claim_id"] == "C2", "setting"]) == ["second", "first"]
    assert list(claims["paper"]) == ["A", "C", "C", "C"]


@pytest.mark.parametrize("name, edit, needle", [
    ("claims_c.csv", lambda f: f, "named after its paper stage (intrinsic.csv, spectral.csv, head_probe.csv, synthesis.csv)"),
    ("head_probe.csv", lambda f: f.drop(columns="verdict"), "missing column(s) verdict"),
    ("head_probe.csv", lambda f: f.assign(claim_id="A1"), "does not belong to paper C"),
    ("head_probe.csv", lambda f: f.assign(verdict="maybe"), "unknown verdict(s) maybe"),
])
def test_assemble_rejects_files_off_the_contract_naming_them(tmp_path, name, edit, needle):
    path = tmp_path / name
    edit(pd.DataFrame([_row("C1")], columns=list(COLUMNS))).to_csv(path, index=False)
    with pytest.raises(ClaimsError) as err:
        assemble([path])
    assert needle in str(err.value) and name in str(err.value) and "\n" not in str(err.value)


def test_verdict_table_has_every_row_once_and_escapes_text(tmp_path):
    rows = [_row("C1", "vision_a", measure="m_1"), _row("C1", "language", measure="m_1"),
            _row("C2", "vision_a", (-1, -1.2, -0.9, -1.1, -0.8), measure="m 2"),
            _row("C3", "pooled", claim="50% & more", kind="ours"), _row("C4", "x", (1, 2), kind="check"),
            _row("C5", "y", (0.1, 0.1, 0.1, 0.1, 0.4), kind="exploratory")]
    claims = assemble([_claims_file(tmp_path, "head_probe.csv", rows)])
    tex = latex_table(claims)
    assert tex.count("\\hspace{1em}vision\\_a") == 2 and tex.count("\\hspace{1em}language") == 1
    assert tex.count("\\emph{m\\_1}") == 1, "a measure is printed once per claim, its settings under it"
    assert "50\\% \\& more" in tex and "\\textbf{not} reproduced" in tex
    assert "$-$1" in tex, "negative effects get a typographic minus"
    headings = [tex.index(h) for h in ("The papers' claims", "Our questions", "Exploratory", "Manipulation checks")]
    assert headings == sorted(headings), "grouped by kind, the papers' sentences first"
    assert tex.count("$\\dagger$ not robust: without task4: reproduced; BCa: reproduced") == 1, "the skewed exploratory row hangs on one unit"
    with_rule = latex_table(claims, footer="\\ftVerdictRule")
    assert with_rule.index("\\ftVerdictRule") > with_rule.rindex("reproduced}"), "the rule comes under the rows"


def test_findings_and_macros_are_generated_from_the_rows(tmp_path):
    claims = assemble([_claims_file(tmp_path, "head_probe.csv", [_row("C1"), _row("C1", "b", (-1, -2, -1.5, -1.2,
                                                                                                  -1.8))])])
    text = macros.findings(claims, "C")
    assert "1 reproduced, 1 not reproduced" in text and "s: \\emph{reproduced}" in text
    assert macros.findings(claims, "A").startswith("No claim rows")
    numbers = macros.define(macros.numbers(claims))
    assert "\\newcommand{\\ftClaimRows}{2}" in numbers and "\\newcommand{\\ftRowsNotReproduced}{1}" in numbers
    pooled = assemble([_claims_file(tmp_path, "head_probe.csv", [_row("C1"), _row("C1", "pooled: all"),
                                                                  _row("C2", kind="ours")])])
    counts = macros.numbers(pooled)
    assert (counts["claim rows"], counts["all rows"], counts["rows reproduced"]) == (1, 3, 1), \
        "totals count paper rows once per setting: not the pooled repeat, not our own question"
    letters = [p.letter for p in STAGES]
    flags = macros.stage_flags({"C"}, letters)
    assert "\\stageCtrue" in flags and "\\stageAfalse" in flags
    settings = macros.settings(with_defaults(yaml.safe_load((REPO / "config" / "default.yaml").read_text())), "default",
                               STAGES)
    defined = macros.define(settings)
    assert "\\newcommand{\\ftSeeds}{3}" in defined
    assert "\\newcommand{\\ftHeadProbeConvergedEpochs}{lite0: 100; minilm: 1000}" in defined
    assert "\\newcommand{\\ftResamples}{10,000}" in defined and "\\newcommand{\\ftCiLevel}{95\\%}" in defined


def test_published_vs_ours_tables():
    summary = pd.DataFrame({"model": ["minilm"] * 4 + ["bert-base-cased"] * 2,
                            "task": ["t1", "t2", "t1", "t2", "mrpc", "rte"],
                            "method": ["full", "full", "frozen", "frozen", "full", "full"],
                            "mean": [0.8, 0.6, 0.5, 0.5, 0.85, 0.7]})
    ours = published.ours_text(summary, ["minilm"])
    tex = published.table_a1(ours, "default")
    assert "82.1 & 69.8 & 72.5 & 81.2 & 93\\%" in tex, "BERT's published row with its recovered gain"
    assert "ours (default) & minilm & 2 tasks & 70.0 & 50.0 & -- & --" in tex
    assert published.table_a1_per_task(ours) == "", "no GLUE task: no per-task table"
    glue = published.table_a1_per_task(published.ours_text(summary, ["bert-base-cased"]))
    assert "mrpc & rte" in glue and "published & 84.5 & 66.9" in glue and "ours & 85.0 & 70.0" in glue
    reference = published.table_b_reference()
    assert "125M & 85.20" in reference and "not run in this build" in reference


def test_readme_block_round_trips_and_readme_holds_the_generators_output(tmp_path):
    claims = assemble([_claims_file(tmp_path, "head_probe.csv", [
        _row("C1", claim="<z_T, z_0> rises"), _row("C2", values=(1e-5, 2e-5, 3e-5, 2e-5, 2e-5)),
        _row("C3", measure="m: 2; more", setting="t", kind="ours"), _row("C1", "pooled: all")])])
    block = readme.block(claims, where="a test CPU, 2 cores")
    rows, where = readme.parse(block)
    assert where == "a test CPU, 2 cores" and readme.block(rows, where=where) == block
    counted, apart = block.split(readme.APART)
    assert "| C2 | " in counted and "| C3 | ours | t |" in apart and "| C1 | paper | pooled: all |" in apart
    assert "&lt;z_T, z_0&gt; rises | s |" in counted and "2.00e-05" in block
    assert "  - measure:" not in block, "README lists no measure: the document and results.md do"
    assert ": 2 rows (2 claims; papers C): 2 reproduced" in block, "the pooled row and ours are not counted"
    full = readme.details(claims, where="a test CPU, 2 cores")
    assert "  - measure: m: 2; more" in full and "- **C3** (ours)" in full and "| C1 | pooled: all |" in full
    long = "A sentence long enough that README's counted table gives it in a few words only, cut at a word"
    assert readme.short(long).endswith("…") and len(readme.short(long)) <= readme.SHORT
    assert readme.short(readme.short(long)) == readme.short(long) and readme.short("short") == "short"
    current = readme.current((REPO / "README.md").read_text())
    assert current is not None, "README.md lost its results markers"
    parsed, where = readme.parse(current)
    assert len(parsed) > 0 and where and readme.block(parsed, where=where) == current, \
        "README's results block was edited by hand"
    with pytest.raises(ValueError, match="markers"):
        readme.replace("no block here", block)


def test_readme_agreement_tolerates_last_digits_not_a_changed_robust_verdict(tmp_path):
    claims = assemble([_claims_file(tmp_path, "head_probe.csv", [_row("C1"), _row("C2", values=(-1, 1, 0.1, 0.2,
                                                                                                 -0.1))])])
    rows, _ = readme.parse(readme.block(claims, where="x"))
    assert readme.agreement(rows, claims) == []
    drift = claims.assign(effect=claims["effect"] * 1.001)
    assert readme.agreement(rows, drift) == [], "last-digit differences across CPUs agree"
    flipped = claims.copy()
    flipped.loc[0, "verdict"] = "inconclusive"
    assert any("robust verdict" in p for p in readme.agreement(rows, flipped))
    assert any("only in README" in p for p in readme.agreement(rows, claims.iloc[:1]))
    far = claims.assign(effect=claims["effect"] + 10)
    assert any("effect" in p for p in readme.agreement(rows, far))


def test_readme_matches_the_default_run_in_results():
    claims_csv = REPO / "results" / "claims.csv"
    if not claims_csv.exists():
        pytest.skip("no default run in results/ (make run writes results/claims.csv)")
    log = REPO / "results" / "logs" / "document" / "document_inputs.log"
    claims = pd.read_csv(claims_csv, keep_default_na=False, na_values=[""])
    if "default" not in set(claims["setting"].str.extract(r"\b(\w+)\)?$")[0].dropna()):
        pytest.skip("results/claims.csv is not from the default config")
    if "kind" not in claims.columns:
        pytest.skip("results/claims.csv predates the claims contract v2: re-run `make run`")
    rows, where = readme.parse(readme.current((REPO / "README.md").read_text()))
    problems = readme.agreement(rows, claims)
    assert not problems, f"README's results ({where}) differ from results/claims.csv: {problems[:3]} ({log})"


def test_latex_log_problems_are_found():
    log = ("LaTeX Warning: Reference `tab:x' on page 2 undefined on input line 4.\n"
           "LaTeX Warning: Citation `paper' on page 1 undefined on input line 9.\nNo file main.bbl.\n")
    assert problems(log) == ["main.bbl", "paper", "tab:x"]


def _mini_paper(tmp_path, body):
    sources = tmp_path / "paper"
    (sources / "sections").mkdir(parents=True)
    (sources / "main.tex").write_text("\\documentclass{article}\\usepackage[T1]{fontenc}\\usepackage{lmodern}"
                                      "\\begin{document}\\input{sections/body}"
                                      "\\input{generated/n}\\input{tables/t}\\end{document}\n")
    (sources / "sections" / "body.tex").write_text(body)
    generated, results = tmp_path / "generated", tmp_path / "results"
    generated.mkdir()
    (generated / "n.tex").write_text("\\newcommand{\\ftN}{42}Value \\ftN.\n")
    (results / "tables").mkdir(parents=True)
    (results / "tables" / "t.tex").write_text(escape("a_b 50% & #1 $x") + "\n")
    return sources, generated, results


@pytest.mark.skipif(not HAS_LATEX, reason=NO_LATEX)
def test_build_compiles_escaped_text_and_refuses_undefined_references(tmp_path):
    sources, generated, results = _mini_paper(tmp_path, "\\section{S}\\label{s} See Section~\\ref{s}.\n")
    out = tmp_path / "out" / "paper.pdf"
    build(sources, generated, [results / "tables" / "t.tex"], results, out, tmp_path / "latex.log")
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "Value 42." in text and "a_b 50% & #1 $x" in text and "??" not in text
    sources, generated, results = _mini_paper(tmp_path / "bad", "See Table~\\ref{tab:missing}.\n")
    with pytest.raises(PaperError, match="undefined in the paper: tab:missing"):
        build(sources, generated, [results / "tables" / "t.tex"], results, tmp_path / "bad.pdf", tmp_path / "l.log")
    assert not (tmp_path / "bad.pdf").exists(), "no PDF is left behind by a failed build"
    assert not list((tmp_path).glob(".build-*")), "the scratch folder is removed"


def test_build_without_latex_says_what_to_install(tmp_path, monkeypatch):
    sources, generated, results = _mini_paper(tmp_path, "x\n")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(PaperError, match="latexmk/pdflatex not found: install Debian's texlive") as err:
        build(sources, generated, [], results, tmp_path / "p.pdf", tmp_path / "l.log")
    assert "\n" not in str(err.value)


def test_numbers_in_claims_csv_and_tables_agree(tmp_path):
    """The paper shows claims.csv's numbers (6 significant digits), not more precise ones."""
    from ftgeom.document.verdicts import number

    assert number(0.123456789) == "0.123" and number(-2.4e-5) == "-2.40e-05" and number(np.nan) == "--"


def test_scale_notes_stand_beside_the_counted_rows_that_do_not_reproduce():
    from dataclasses import replace
    from types import SimpleNamespace

    from ftgeom.document.specs import scale_notes

    spec = ClaimSpec("A9", "paper", "a claim", "a quote", "m", "task", scale="Likely: 32 steps & 500 examples.")
    entry = SimpleNamespace(claim_specs=(spec, replace(spec, claim_id="A8")))
    claims = pd.DataFrame({"claim_id": ["A9", "A9", "A9", "A8"], "kind": "paper",
                           "setting": ["x", "part, vision: y", "z", "x"],
                           "verdict": ["inconclusive", "not reproduced", "not reproduced", "reproduced"]})
    text = scale_notes(claims, [entry])
    assert "\\textbf{A9} (inconclusive (1), not reproduced (1)): Likely: 32 steps \\& 500 examples." in text
    assert "A8" not in text
    assert scale_notes(claims.assign(verdict="reproduced"), [entry]).startswith("%")


def test_every_paper_claim_says_whether_scale_may_decide_it():
    for entry in STAGES:
        for spec in entry.claim_specs:
            assert spec.kind != "paper" or spec.scale.strip(), f"{spec.claim_id}: no scale note"
