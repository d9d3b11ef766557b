"""The claim specs of every paper stage as the paper's methods section prints them: quotes beside our measures."""
from __future__ import annotations

from ftgeom.report.latex import escape


def _bar(spec) -> str:
    side = "$>$" if spec.direction == "greater" else "$<$"
    return f"{side} {spec.threshold:g}".replace("-", "$-$")


def spec_table(entries, config: dict) -> str:
    """One longtable row per declared claim: id and kind, the paper's sentence, our measure with its unit and bar;
    a spec the config does not run says so (it has no row in the verdict table)."""
    head = ("\\textbf{id} & \\textbf{the paper's sentence (quote)} & \\textbf{our measure; unit; test} \\\\")
    lines = ["\\begingroup\\footnotesize\\setlength{\\tabcolsep}{4pt}",
             "\\begin{longtable}{@{}>{\\raggedright\\arraybackslash}p{0.07\\linewidth} "
             ">{\\raggedright\\arraybackslash}p{0.4\\linewidth} >{\\raggedright\\arraybackslash}p{0.47\\linewidth}@{}}",
             "\\caption{The claim specs, declared in each paper package before the numbers "
             "(\\texttt{ftgeom/<paper>/claim\\_specs.py}). Kinds: \\emph{paper} (the paper's sentence), \\emph{ours} "
             "(a question we add), \\emph{exploratory} (our own model), \\emph{check} (true by construction, no "
             "verdict).}\\label{tab:specs}\\\\",
             "\\toprule", head, "\\midrule", "\\endfirsthead", "\\toprule", head, "\\midrule", "\\endhead",
             "\\bottomrule", "\\endfoot"]
    for entry in entries:
        specs = entry.claim_specs
        if not specs:
            continue
        section = config.get(entry.name)
        lines.append(f"\\multicolumn{{3}}{{@{{}}l}}{{\\textsc{{{escape(entry.title)}}}}} \\\\*")
        for spec in specs:
            if not spec.quote:
                quote = f"--- ({spec.kind}: {escape(spec.claim)})"
            else:  # a paraphrase of what the paper shows (no sentence states it) is not put in quotation marks
                quote = escape(spec.quote) if spec.quote.startswith("(") else f"``{escape(spec.quote)}''"
            ran = "" if section and spec.runs(section) else " \\emph{Not run by this config.}"
            lines.append(f"\\textbf{{{escape(spec.claim_id)}}} \\newline {spec.kind} & {quote} & "
                         f"{escape(spec.measure)}; \\emph{{unit:}} {escape(spec.unit)}; \\emph{{test:}} "
                         f"{_bar(spec)}{ran} \\\\")
        lines.append("\\midrule")
    if lines[-1] == "\\midrule":
        lines.pop()
    lines += ["\\end{longtable}", "\\endgroup"]
    return "\n".join(lines) + "\n"


def scale_notes(claims, entries) -> str:
    """Beside every counted row that does not reproduce (or stays inconclusive): whether the default's scale is a
    likely reason, and what config/paper.yaml would test, as its spec states."""
    from ftgeom.claims import counted

    specs = {s.claim_id: s for e in entries for s in e.claim_specs}
    rows = claims[counted(claims) & (claims["verdict"] != "reproduced")]
    if rows.empty:
        return "% every counted row reproduced\n"
    lines = ["\\begin{itemize}\\footnotesize"]
    for claim_id, sub in rows.groupby("claim_id", sort=False):
        verdicts = ", ".join(f"{v} ({n})" for v, n in sub["verdict"].value_counts().items())
        lines.append(f"\\item \\textbf{{{escape(claim_id)}}} ({verdicts}): {escape(specs[claim_id].scale)}")
    lines.append("\\end{itemize}")
    return "\n".join(lines) + "\n"
