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
        specs = entry.claim_specs()
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
