"""Figure: validation score per epoch, one panel per task, one line per method (band = spread over seeds)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from ftgeom.provenance import atomic_path  # noqa: E402


def plot(curves, out: Path) -> None:
    sns.set_theme(style="whitegrid", context="paper")
    curves = curves.assign(panel=curves["task"] + " (" + curves["metric"] + ")")
    if curves["model"].nunique() > 1:
        curves["panel"] = curves["model"] + ": " + curves["panel"]
    g = sns.relplot(data=curves, x="epoch", y="validation", hue="method", col="panel", kind="line",
                    col_wrap=min(4, curves["panel"].nunique()), height=2.4, aspect=1.1, marker="o",
                    errorbar=("pi", 100), facet_kws={"sharey": False, "sharex": False})
    g.set_titles("{col_name}")
    for ax in g.axes.flat:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    g.set_axis_labels("epoch", "validation score")
    for suffix in (".png", ".pdf"):
        with atomic_path(out.with_suffix(suffix)) as tmp:
            g.figure.savefig(tmp, dpi=150, bbox_inches="tight", format=suffix[1:])
    plt.close(g.figure)
