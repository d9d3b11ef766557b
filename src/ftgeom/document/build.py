"""Compile the paper: copy the LaTeX sources and exactly the generated files they use into a scratch folder, run
latexmk (pdflatex), refuse a PDF with undefined references, and move it into place atomically."""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ftgeom.errors import OneLineError
from ftgeom.provenance import atomic_path

INSTALL = ("sudo apt-get install latexmk texlive-latex-base texlive-latex-recommended texlive-fonts-recommended "
           "lmodern (make setup does it as root)")
COPIED = {".tex", ".pdf", ".png"}
TIMEOUT_S = 300


class PaperError(RuntimeError, OneLineError):
    """The paper did not build; the message is one line and names what to do or where the LaTeX log is."""


def stage_files(sources: Path, generated: Path, inputs: list[Path], results: Path, build: Path) -> None:
    """sources/** → build/, generated/ → build/generated/, each input (file or folder) → build/<its path under
    results>/ (tables/, figures/, …)."""
    shutil.copytree(sources, build, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.md"))
    shutil.copytree(generated, build / "generated", dirs_exist_ok=True)
    for path in map(Path, inputs):
        try:
            relative = path.resolve().relative_to(results.resolve())
        except ValueError:
            raise PaperError(f"{path}: a paper input must lie under {results}") from None
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            if file.suffix in COPIED:
                target = build / relative / file.relative_to(path) if path.is_dir() else build / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, target)


def problems(log_text: str) -> list[str]:
    """What makes a compiled PDF unacceptable: undefined references or citations, missing files."""
    found = re.findall(r"LaTeX Warning: (?:Reference|Citation) `([^']+)' on page \d+ undefined", log_text)
    found += re.findall(r"^No file (\S+)\.$", log_text, re.M)
    return sorted(set(found))


def compile_pdf(main: str, build: Path, log: Path) -> Path:
    latexmk = shutil.which("latexmk")
    if latexmk is None or shutil.which("pdflatex") is None:
        raise PaperError(f"latexmk/pdflatex not found: install Debian's texlive: {INSTALL}")
    command = [latexmk, "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", main]
    try:
        done = subprocess.run(command, cwd=build, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise PaperError(f"latexmk ran past {TIMEOUT_S} s on {main}") from None
    latex_log = build / Path(main).with_suffix(".log")
    text = latex_log.read_text(errors="replace") if latex_log.exists() else done.stdout + done.stderr
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(text)
    if done.returncode != 0:
        first = next((line for line in text.splitlines() if re.match(r"^(\./)?[^:\s]+:\d+: ", line)
                      or line.startswith("! ")), "see the log")
        raise PaperError(f"LaTeX failed: {first.strip()} (full log: {log})")
    bad = problems(text)
    if bad:
        raise PaperError(f"undefined in the paper: {', '.join(bad)} (full log: {log})")
    return build / Path(main).with_suffix(".pdf")


def build(sources: Path, generated: Path, inputs: list[Path], results: Path, out: Path, log: Path,
          main: str = "main.tex") -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".build-", dir=out.parent) as scratch:
        stage_files(sources, generated, inputs, results, Path(scratch))
        pdf = compile_pdf(main, Path(scratch), log)
        with atomic_path(out) as tmp:
            shutil.copy2(pdf, tmp)
    return out


def page_count(pdf: Path) -> int | None:
    """Pages of a PDF by poppler's pdfinfo (None without it: the count is only reported)."""
    if shutil.which("pdfinfo") is None:
        return None
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
