"""Shared figures. Every notebook calls :func:`setup` first."""
from __future__ import annotations

import numpy as np


def setup() -> None:
    """A consistent, deterministic plotting style (PNG output, fixed DPI, seaborn theme)."""
    import matplotlib
    import seaborn as sns

    matplotlib.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "figure.autolayout": False,
                                "svg.hashsalt": "ibutils"})
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    try:
        from IPython import get_ipython

        ip = get_ipython()
        if ip is not None:
            ip.run_line_magic("config", "InlineBackend.figure_formats = ['png']")
            ip.run_line_magic("matplotlib", "inline")
    except ImportError:  # pragma: no cover
        pass


def activation_shapes(names, lo: float = -5.0, hi: float = 5.0, n: int = 401, ncols: int = 4):
    """Plot each registered activation on [lo, hi], coloured by its saturation class."""
    import matplotlib.pyplot as plt

    from . import activations

    x = np.linspace(lo, hi, n)
    names = list(names)
    nrows = int(np.ceil(len(names) / ncols))
    colors = {"double": "C0", "single": "C1", "none": "C2"}
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.0 * ncols, 2.3 * nrows), sharex=True, squeeze=False)
    for ax, name in zip(axes.flat, names):
        act = activations.get(name)
        ax.plot(x, act(x), color=colors[act.saturation], lw=2)
        ax.set_title(f"{name} ({act.saturation})", fontsize=10)
        ax.axhline(0, color="grey", lw=0.5)
    for ax in list(axes.flat)[len(names):]:
        ax.remove()
    fig.tight_layout()
    return fig


def facet_lines(df, *, x: str, y: str, hue: str, col: str | None = None, col_wrap: int = 4,
                height: float = 2.4, ylabel: str | None = None, xlabel: str | None = None):
    """Lines of ``y`` against ``x`` per ``hue``, one panel per ``col`` (seaborn relplot)."""
    import seaborn as sns

    g = sns.relplot(data=df, x=x, y=y, hue=hue, col=col, col_wrap=col_wrap if col else None,
                    kind="line", height=height, aspect=1.25, facet_kws={"sharey": True}, errorbar=None)
    g.set_axis_labels(xlabel or x, ylabel or y)
    g.set_titles("{col_name}" if col else "")
    return g.figure
