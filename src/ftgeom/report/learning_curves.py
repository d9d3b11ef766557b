"""Figure: validation score per epoch, one panel per task, one line per method (band = spread over seeds)."""
from __future__ import annotations

from pathlib import Path

from matplotlib.ticker import MaxNLocator

from ftgeom.report import style


def plot(curves, out: Path) -> None:
    import seaborn as sns

    style.theme()
    curves = curves.assign(panel=curves["task"] + " (" + curves["metric"] + ")")
    if curves["model"].nunique() > 1:
        curves["panel"] = curves["model"] + ": " + curves["panel"]
    g = sns.relplot(data=curves, x="epoch", y="validation", hue="method", col="panel", kind="line", marker="o",
                    errorbar=("pi", 100), facet_kws={"sharey": False, "sharex": False},
                    **style.grid(curves["panel"].nunique(), panel_height=1.6))
    g.set_titles("{col_name}")
    for ax in g.axes.flat:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    g.set_axis_labels("epoch", "validation score")
    style.legend_on_top(g)
    style.save(g.figure, Path(out).with_suffix(""))
