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


SATURATION_COLORS = {"double": "C0", "single": "C1", "none": "C2"}


def activation_grid(names, draw, lo: float = -5.0, hi: float = 5.0, n: int = 401, ncols: int = 4):
    """One panel per activation on [lo, hi]; ``draw(ax, x, activation, color)`` fills a panel."""
    import matplotlib.pyplot as plt

    from . import activations

    x = np.linspace(lo, hi, n)
    names = list(names)
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.0 * ncols, 2.3 * nrows), sharex=True, squeeze=False)
    for ax, name in zip(axes.flat, names):
        act = activations.get(name)
        draw(ax, x, act, SATURATION_COLORS[act.saturation])
        ax.set_title(f"{name} ({act.saturation})", fontsize=10)
    for ax in list(axes.flat)[len(names):]:
        ax.remove()
    fig.tight_layout()
    return fig


def activation_shapes(names, lo: float = -5.0, hi: float = 5.0, n: int = 401, ncols: int = 4):
    """Plot each registered activation on [lo, hi], coloured by its saturation class."""
    def draw(ax, x, act, color):
        ax.plot(x, act(x), color=color, lw=2)
        ax.axhline(0, color="grey", lw=0.5)

    return activation_grid(names, draw, lo, hi, n, ncols)


def facet_lines(df, *, x: str, y: str, hue: str, col: str | None = None, col_wrap: int = 4,
                height: float = 2.4, ylabel: str | None = None, xlabel: str | None = None):
    """Lines of ``y`` against ``x`` per ``hue``, one panel per ``col`` (seaborn relplot)."""
    import seaborn as sns

    g = sns.relplot(data=df, x=x, y=y, hue=hue, col=col, col_wrap=col_wrap if col else None,
                    kind="line", height=height, aspect=1.25, facet_kws={"sharey": True}, errorbar=None)
    g.set_axis_labels(xlabel or x, ylabel or y)
    g.set_titles("{col_name}" if col else "")
    return g.figure


def info_plane(mi, *, estimator: str | None = None, ax=None, cmap: str = "viridis", title: str | None = None,
               log_epochs: bool = True):
    """The information plane: mean over seeds of (I(X;T), I(T;Y)) per layer, coloured by epoch.

    Parameters
    ----------
    mi : tidy frame with columns seed, epoch, layer, estimator, ixt, ity (the trainer's ``mi``).
    estimator : which estimator's rows to draw (required if the frame holds several).
    log_epochs : colour by log10(epoch + 1), since snapshots are log-spaced.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize

    df = mi if estimator is None else mi[mi["estimator"] == estimator]
    if "estimator" in df and df["estimator"].nunique() > 1:
        raise ValueError("info_plane: several estimators in the frame; pass estimator=")
    mean = df.groupby(["layer", "epoch"], sort=True)[["ixt", "ity"]].mean().reset_index()
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.2))
    c = np.log10(mean["epoch"].to_numpy() + 1.0) if log_epochs else mean["epoch"].to_numpy()
    norm = Normalize(vmin=c.min(), vmax=c.max())
    for layer, g in mean.groupby("layer"):
        ax.plot(g["ixt"], g["ity"], color="0.6", lw=0.6, zorder=1)
    sc = ax.scatter(mean["ixt"], mean["ity"], c=c, cmap=cmap, norm=norm, s=9, zorder=2, linewidths=0)
    last = mean.loc[mean.groupby("layer")["epoch"].idxmax()]
    for _, row in last.iterrows():
        ax.annotate(str(int(row["layer"])), (row["ixt"], row["ity"]), textcoords="offset points",
                    xytext=(3, 3), fontsize=8)
    cb = ax.figure.colorbar(sc, ax=ax)
    cb.set_label("log10(epoch + 1)" if log_epochs else "epoch")
    ax.set_xlabel("I(X;T) [bits]")
    ax.set_ylabel("I(T;Y) [bits]")
    if title:
        ax.set_title(title, fontsize=10)
    return ax.figure


def mi_curves(mi, *, value: str = "ixt", estimator: str | None = None, ax=None, title: str | None = None,
              confidence: float = 0.95):
    """``value`` against epoch per layer: mean over seeds with a ``confidence`` t-band."""
    import matplotlib.pyplot as plt

    from .stats import summarize

    df = mi if estimator is None else mi[mi["estimator"] == estimator]
    s = summarize(df, ["layer", "epoch"], value, confidence)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 3.4))
    for i, (layer, g) in enumerate(s.groupby("layer")):
        x = g["epoch"].to_numpy() + 1
        ax.plot(x, g["mean"], color=f"C{i}", lw=1.4, label=f"layer {layer}")
        ax.fill_between(x, g["ci_low"], g["ci_high"], color=f"C{i}", alpha=0.25, lw=0)
    ax.set_xscale("log")
    ax.set_xlabel("epoch + 1")
    ax.set_ylabel({"ixt": "I(X;T)", "ity": "I(T;Y)"}.get(value, value) + " [bits]")
    ax.legend(fontsize=7, ncol=2)
    if title:
        ax.set_title(title, fontsize=10)
    return ax.figure
