"""One look for every figure: a seaborn theme, a colour-blind-safe palette, sizes that fit the paper's text width.

Figures are drawn at the size they are printed (TEXT_WIDTH inches wide, fonts of the `paper` context), so the
paper includes them at 100% and their text stays legible; PDF (vector) for the paper, PNG for a quick look.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: jobs have no display
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

from ftgeom.provenance import atomic_path  # noqa: E402

TEXT_WIDTH = 6.3  # inches: paper/main.tex's text block (a4, 2.5 cm side margins: 16 cm)
PALETTE = "colorblind"
MAX_COLUMNS = 2  # panels per row at full text width


def theme() -> None:
    sns.set_theme(style="whitegrid", context="paper", palette=PALETTE,
                  rc={"pdf.fonttype": 42, "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8,
                      "legend.fontsize": 7, "xtick.labelsize": 7, "ytick.labelsize": 7})


def colors(n: int) -> list:
    return sns.color_palette(PALETTE, n)


def grid(n_panels: int, panel_height: float = 2.2) -> dict:
    """relplot/catplot sizing for n panels wrapped at MAX_COLUMNS, TEXT_WIDTH wide in all."""
    columns = min(MAX_COLUMNS, max(1, n_panels))
    width = TEXT_WIDTH / columns
    return {"col_wrap": columns, "height": panel_height, "aspect": width / panel_height}


def subplots(n_panels: int, panel_height: float = 2.2, **kwargs):
    """plt.subplots wrapped at MAX_COLUMNS; returns (figure, flat axes list of exactly n_panels)."""
    columns = min(MAX_COLUMNS, max(1, n_panels))
    rows = -(-n_panels // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(TEXT_WIDTH, panel_height * rows), squeeze=False, **kwargs)
    flat = list(axes.flat)
    for ax in flat[n_panels:]:
        ax.remove()
    return fig, flat[:n_panels]


def legend_on_top(g, ncol: int | None = None) -> None:
    """Move a seaborn FacetGrid's legend above the panels, so that it does not widen the figure."""
    import seaborn as sns

    handles = g.legend.legend_handles if g.legend else []
    sns.move_legend(g, "lower center", bbox_to_anchor=(0.5, 1.0), ncol=ncol or max(1, len(handles)), title=None,
                    frameon=False)


def save(fig, stem: Path) -> None:
    """stem.pdf and stem.png, each written atomically; closes the figure."""
    stem = Path(stem)
    for suffix in ("pdf", "png"):
        with atomic_path(stem.with_name(f"{stem.name}.{suffix}")) as tmp:
            fig.savefig(tmp, dpi=200, bbox_inches="tight", format=suffix)
    plt.close(fig)
