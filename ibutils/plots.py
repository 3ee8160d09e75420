"""Shared figures. Every notebook calls :func:`setup` first."""
from __future__ import annotations

import os
import re

import numpy as np

from .stats import ACCURACY_RANGE


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
            if os.environ.get(PIPELINE_ENV):
                import pandas as pd

                # Tables for readers: full cells, readable headers, no negative zero, no "NaN" (issue 20, item 3).
                # Only in pages the pipeline executes (the book); the committed notebooks keep pandas' own HTML,
                # which nbval compares with the committed outputs.
                ip.display_formatter.formatters["text/html"].for_type(pd.DataFrame, table_html)
    except ImportError:  # pragma: no cover
        pass


#: Headers a reader should not have to decode (a tidy frame's column names -> words with units).
HEADER_WORDS = {
    "ixt": "I(X;T) [bits]", "ity": "I(T;Y) [bits]", "ci_low": "95% CI low", "ci_high": "95% CI high",
    "ci_lo": "95% CI low", "ci_hi": "95% CI high", "n_seeds": "seeds", "study_seeds": "study's seeds",
    "study_epochs": "study's epochs", "n": "n", "mean": "mean", "at_study_scale": "at the study's scale",
    "share_compressing": "share of runs compressing", "mean_drop_max": "mean drop (peak-to-end, not cross-fitted)",
}
#: Shown instead of NaN in a table: "not applicable / not measured" (the page's text says which).
MISSING = "\u2013"
_NEG_ZERO = re.compile(r"(?<![\w.\d])[-\u2212](0(?:\.0+)?)(?![\d.]*[1-9])(?![\d\w])")


def readable_header(name):
    """A column name as a reader reads it: known names in words with units, else snake_case -> words."""
    if not isinstance(name, str):
        return name
    if name in HEADER_WORDS:
        return HEADER_WORDS[name]
    if "_" in name and re.fullmatch(r"[a-z0-9_]+", name):
        return name.replace("_", " ")
    return name


def no_negative_zero(text: str) -> str:
    """``-0.000`` (a value that rounds to zero from below) written as ``0.000``, everywhere in ``text``."""
    return _NEG_ZERO.sub(r"\1", text)


def _float_text(v) -> str:
    """3 decimals (what is stable across CPUs); tiny non-zero values in scientific notation."""
    if not np.isfinite(v):
        return MISSING
    if v != 0 and abs(v) < 5e-4 or abs(v) >= 1e6:
        return f"{v:.2e}"
    return no_negative_zero(f"{v:.3f}")


def _int_text(v) -> str:
    return MISSING if not np.isfinite(v) else f"{int(v)}"


def table_html(df, max_rows: int = 200) -> str:
    """A DataFrame as a reader's HTML table (the notebooks' display of every frame, see :func:`setup`).

    Full cell text (no 50-character cut), every column, readable headers (:func:`readable_header`),
    missing values as an en dash instead of ``NaN``, no negative zero, the index dropped when it is
    the default range, and a wrapper that scrolls sideways when the table is wider than the page.
    """
    import pandas as pd

    show = df.rename(columns=readable_header)
    if isinstance(show.index, pd.RangeIndex):
        show = show.reset_index(drop=True)
        index = False
    else:
        index = True
        show.index.names = [readable_header(n) for n in show.index.names]
    formatters = {}
    for i, col in enumerate(show.columns):
        v = show.iloc[:, i]
        if pd.api.types.is_float_dtype(v):
            finite = v[np.isfinite(v)]
            integral = len(finite) > 0 and bool((finite == finite.round()).all()) and bool((finite.abs() < 1e12).all())
            formatters[col] = _int_text if integral else _float_text
    with pd.option_context("display.max_colwidth", None):
        html = show.to_html(index=index, na_rep=MISSING, max_rows=max_rows, border=0, formatters=formatters or None,
                            classes=["ibutils-table"], float_format=_float_text)
    html = html.replace(">NaN<", f">{MISSING}<").replace(">nan<", f">{MISSING}<").replace(">None<", f">{MISSING}<")
    html = html.replace(">&lt;NA&gt;<", f">{MISSING}<")
    return '<div class="table-wrapper ibutils-scroll">' + no_negative_zero(html) + "</div>"


#: Fewer seeds than this and a confidence band is not drawn (the rule book's ``MIN_SEEDS``,
#: ``ibutils.publish.report``; the library cannot import it, ``tests/test_plots.py`` checks they agree).
MIN_BAND_SEEDS = 3
#: What a quantity can be: bands are clipped to it (bits are >= 0; fractions, accuracy, error in [0, 1]).
RANGES = {"ixt": (0.0, None), "ity": (0.0, None), "bits": (0.0, None), "accuracy": ACCURACY_RANGE, "error": (0.0, 1.0),
          "fraction": (0.0, 1.0), "share": (0.0, 1.0)}


def band(ax, x, summary, color, *, quantity: str | None = None, lo: float | None = None, hi: float | None = None,
         min_seeds: int = MIN_BAND_SEEDS, alpha: float = 0.25):
    """Draw a mean-over-seeds confidence band honestly; return whether it was drawn.

    Parameters
    ----------
    ax : matplotlib Axes
    x : array-like
        Abscissae, one per row of ``summary``.
    summary : DataFrame
        :func:`ibutils.stats.summarize` output: ``n``, ``ci_low``, ``ci_high`` per point.
    color : matplotlib colour
    quantity : str or None
        A key of :data:`RANGES` giving the possible range (``"ixt"``, ``"accuracy"``, ...).
    lo, hi : float or None
        The possible range, overriding ``quantity``'s (e.g. ``hi=12`` bits, the entropy of the
        12-bit input, for I(X;T)).
    min_seeds : int
        No band where fewer seeds than this went into the mean (a t-interval from 2 seeds spans
        +-12.7 standard errors and says nothing).

    Returns
    -------
    bool
        True when a band was drawn, False when every point had fewer than ``min_seeds`` seeds.

    Notes
    -----
    A Student-t interval from few seeds can leave the possible range (I(X;T) below 0 bits or
    above H(X); accuracy above 1); clipping it to the range is what can be said.
    """
    import numpy as np

    qlo, qhi = RANGES.get(quantity, (None, None)) if quantity else (None, None)
    lo = qlo if lo is None else lo
    hi = qhi if hi is None else hi
    x = np.asarray(x)
    low = summary["ci_low"].to_numpy(dtype=float)
    high = summary["ci_high"].to_numpy(dtype=float)
    n = summary["n"].to_numpy(dtype=float) if "n" in summary else np.full(len(low), np.inf)
    ok = n >= min_seeds
    if not ok.any():
        return False
    low, high = np.clip(low, lo, hi), np.clip(high, lo, hi)
    low[~ok], high[~ok] = np.nan, np.nan
    ax.fill_between(x, low, high, color=color, alpha=alpha, lw=0)
    return True


def no_band_note(ax, drawn: bool, min_seeds: int = MIN_BAND_SEEDS) -> None:
    """Say on the axes that no band is drawn (fewer than ``min_seeds`` seeds), when none was."""
    if not drawn:
        ax.text(0.01, 0.01, f"no 95% band: fewer than {min_seeds} seeds", transform=ax.transAxes, fontsize=7,
                color="0.35", va="bottom", ha="left")


#: Set by the pipeline (``ibutils.publish.page.PROFILE_ENV``) in the pages it executes: the book's reader tables.
PIPELINE_ENV = "IBUTILS_PROFILE"

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
    log_epochs : colour by epoch on a logarithmic colour scale (of epoch + 1, since snapshots are
        log-spaced and start at epoch 0); the colour bar is labelled in epochs.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm, Normalize
    from matplotlib.ticker import FuncFormatter

    df = mi if estimator is None else mi[mi["estimator"] == estimator]
    if "estimator" in df and df["estimator"].nunique() > 1:
        raise ValueError("info_plane: several estimators in the frame; pass estimator=")
    mean = df.groupby(["layer", "epoch"], sort=True)[["ixt", "ity"]].mean().reset_index()
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.2))
    c = mean["epoch"].to_numpy() + 1.0 if log_epochs else mean["epoch"].to_numpy()
    norm = LogNorm(vmin=c.min(), vmax=max(c.max(), c.min() * 1.0001)) if log_epochs else Normalize(vmin=c.min(), vmax=c.max())
    for layer, g in mean.groupby("layer"):
        ax.plot(g["ixt"], g["ity"], color="0.6", lw=0.6, zorder=1)
    sc = ax.scatter(mean["ixt"], mean["ity"], c=c, cmap=cmap, norm=norm, s=9, zorder=2, linewidths=0)
    last = mean.loc[mean.groupby("layer")["epoch"].idxmax()]
    for _, row in last.iterrows():
        ax.annotate(str(int(row["layer"])), (row["ixt"], row["ity"]), textcoords="offset points",
                    xytext=(3, 3), fontsize=8)
    cb = ax.figure.colorbar(sc, ax=ax)
    cb.set_label("epoch (log scale)" if log_epochs else "epoch")
    if log_epochs:  # ticks at epochs 0, 1, 10, 100, ... (the scale is of epoch + 1)
        cb.set_ticks([e + 1.0 for e in (0, 1, 10, 100, 1000, 10000, 100000) if c.min() <= e + 1.0 <= c.max()])
        cb.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v - 1:g}"))
        cb.ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.set_xlabel("I(X;T) [bits]")
    ax.set_ylabel("I(T;Y) [bits]")
    if title:
        ax.set_title(title, fontsize=10)
    return ax.figure


def mi_curves(mi, *, value: str = "ixt", estimator: str | None = None, ax=None, title: str | None = None,
              confidence: float = 0.95, hi: float | None = None):
    """``value`` against epoch per layer: mean over seeds with a ``confidence`` t-band.

    The band is clipped to [0, ``hi``] bits (``hi``: e.g. H(X), the most I(X;T) can be) and not
    drawn below :data:`MIN_BAND_SEEDS` seeds, with a note on the axes (:func:`band`).
    """
    import matplotlib.pyplot as plt

    from .stats import summarize

    df = mi if estimator is None else mi[mi["estimator"] == estimator]
    s = summarize(df, ["layer", "epoch"], value, confidence)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 3.4))
    drawn = False
    for i, (layer, g) in enumerate(s.groupby("layer")):
        x = g["epoch"].to_numpy() + 1
        ax.plot(x, g["mean"], color=f"C{i}", lw=1.4, label=f"layer {layer}")
        drawn |= band(ax, x, g, f"C{i}", quantity=value, hi=hi)
    no_band_note(ax, drawn)
    ax.set_xscale("log")
    ax.set_xlabel("epoch + 1")
    ax.set_ylabel({"ixt": "I(X;T)", "ity": "I(T;Y)"}.get(value, value) + " [bits]")
    ax.legend(fontsize=7, ncol=2)
    if title:
        ax.set_title(title, fontsize=10)
    return ax.figure
