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


# ----------------------------------------------------------------------------- the layout rule (issue 20, item 5)
#: At most this many panels a row: a grid wraps (a figure is read at page width, about 700-900 px).
MAX_COLS = 3
#: Default panel size in inches (width, height): 3 panels make a 9-inch figure (9.8 with a colour bar), which fits the page.
PANEL = (3.0, 2.7)


def panel_grid(n: int, ncols: int = MAX_COLS, panel: tuple[float, float] = PANEL, *, sharex: bool = False,
               sharey: bool = False, extra_width: float = 0.0, extra_height: float = 0.0):
    """The one layout of every multi-panel figure of the book: ``n`` panels, at most 3 a row.

    Parameters
    ----------
    n : int
        Number of panels (at least 1).
    ncols : int
        Panels a row, capped at :data:`MAX_COLS` and at ``n``; more panels wrap onto new rows.
    panel : (float, float)
        One panel's size in inches; the figure is ``ncols * width`` wide (9.3 in for 3 default panels).
    sharex, sharey : bool
        Shared axes (matplotlib's ``subplots``).
    extra_width, extra_height : float
        Inches added for a shared colour bar or legend.

    Returns
    -------
    fig, axes
        The figure (constrained layout, so a shared colour bar takes its room) and a list of the ``n``
        axes in reading order; the unused axes of the last row are removed.
    """
    import matplotlib.pyplot as plt

    n = int(n)
    if n < 1:
        raise ValueError(f"panel_grid: n must be at least 1, got {n}")
    ncols = max(1, min(int(ncols), MAX_COLS, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel[0] * ncols + extra_width, panel[1] * nrows + extra_height),
                             squeeze=False, sharex=sharex, sharey=sharey, layout="constrained")
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.remove()
    return fig, flat[:n]


# ----------------------------------------------------------------------------- panel titles in words
#: Activation names as a reader writes them.
ACTIVATION_WORDS = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "hard_sigmoid": "hard sigmoid", "selu": "SELU",
                    "elu": "ELU", "relu6": "ReLU6", "tanh": "tanh", "sigmoid": "sigmoid", "softsign": "softsign",
                    "softplus": "softplus", "linear": "linear"}
#: Model and data-set keys (graphs, MNIST, convolutional chapters).
MODEL_WORDS = {"gcn": "GCN", "fcn": "fully connected", "rnn": "RNN", "cnn": "CNN", "mlp": "MLP", "lenet": "LeNet"}
_SUBSETS = {"full": "all inputs", "all": "all inputs", "train": "training inputs", "test": "test inputs"}
_KINDS = {"bin": "binning", "bins": "binning", "binning": "binning", "kde": "KDE", "ksg": "KSG", "edge": "EDGE",
          "exact": "exact (distinct patterns)", "adaptive": "adaptive binning", "uniform": "uniform binning",
          "tishby": "Tishby's binning", "mine": "MINE", "size": "binning", "fixed": "binning",
          "up": "KDE upper bound", "upper": "KDE upper bound", "lo": "KDE lower bound", "lower": "KDE lower bound"}
_NUM = r"(?:\d+(?:\.\d*)?(?:e[-+]?\d+)?)"
#: An internal name (snake_case with an optional number glued to a word): what a panel title must not be.
INTERNAL_NAME = re.compile(r"\b[a-z]+\d*_[a-z0-9_]+\b")


def _number(text: str, leading_zero_decimal: bool = False) -> str:
    """``"007"`` -> ``"0.07"`` (a bin size written without its point), else the number as ``%g``."""
    if leading_zero_decimal and re.fullmatch(r"0\d+", text):
        text = "0." + text[1:]
    try:
        return f"{float(text):g}"
    except ValueError:
        return text


def panel_title(name) -> str:
    """An internal name (estimator, activation, model, layer) in a reader's words.

    Examples: ``bin007_full`` -> "binning, bin size 0.07, all inputs"; ``kde_test`` -> "KDE upper
    bound, test inputs"; ``kde_lower_0.1`` / ``kde_lo_1e-1`` / ``lower 0.1`` -> "KDE lower bound,
    noise variance 0.1"; ``ksg3`` / ``ksg_k3`` -> "KSG, k = 3"; ``bins30`` -> "binning, 30 bins";
    ``binning 0.01`` -> "binning, bin size 0.01"; ``leaky_relu`` -> "leaky ReLU"; ``3`` -> "layer 3";
    ``4-bit`` -> "4-bit quantized". Text that is already words is returned unchanged.
    """
    if name is None:
        return ""
    if isinstance(name, (int, np.integer)):
        return f"layer {int(name)}"
    text = str(name).strip()
    if re.fullmatch(r"\d+", text):
        return f"layer {text}"
    if not re.fullmatch(r"[a-z0-9_.+\- ]+", text):  # already a phrase: put only its internal names in words
        return INTERNAL_NAME.sub(lambda m: panel_title(m.group(0)), text)
    low = text
    if low in ACTIVATION_WORDS:
        return ACTIVATION_WORDS[low]
    if low in MODEL_WORDS:
        return MODEL_WORDS[low]
    m = re.fullmatch(r"(\d+)[- ]?bits?", low)
    if m:
        return f"{m.group(1)}-bit quantized"
    if low == "fixed_pm1":
        return "binning on [-1, 1]"
    if low == "kde_test":  # the harmonics chapter's KDE on the test inputs (an upper bound, seed 000's kde_test)
        return "KDE upper bound, test inputs"
    if low.startswith("run_max"):
        rest = low[len("run_max"):].strip("_ ")
        return "run-max binning" + (f", {rest} bins" if rest else "")
    tokens = [t for t in re.split(r"[_\s]+", low) if t]
    if not tokens:
        return text
    words, extra, kind = [], [], None
    for i, tok in enumerate(tokens):
        m = re.fullmatch(r"([a-z]+)(" + _NUM + r")?", tok)
        if i == 0 and m and m.group(1) in _KINDS:
            kind = m.group(1)
            words.append(_KINDS[kind])
            num = m.group(2)
            if num:
                if kind in ("bin", "size"):
                    extra.append(f"bin size {_number(num, leading_zero_decimal=kind == 'bin')}")
                elif kind in ("bins", "adaptive", "uniform", "tishby", "binning"):
                    extra.append(f"{_number(num)} bins")
                elif kind == "ksg":
                    extra.append(f"k = {_number(num)}")
                else:
                    extra.append(_number(num))
            continue
        if tok in _SUBSETS:
            extra.append(_SUBSETS[tok])
        elif tok in ("up", "upper", "lo", "lower") and kind in ("kde", None):
            words[:] = [_KINDS[tok]] if kind else words + [_KINDS[tok]]
        elif tok == "layerwise":
            extra.append("a variance per layer")
        elif re.fullmatch(r"k\d+", tok) and kind == "ksg":
            extra.append(f"k = {tok[1:]}")
        elif re.fullmatch(_NUM, tok) or re.fullmatch(r"\d+e-\d+", tok):
            if kind in ("kde", "up", "upper", "lo", "lower"):
                extra.append(f"noise variance {_number(tok)}")
            elif kind in ("bin", "bins", "binning", "size"):
                extra.append(f"bin size {_number(tok)}")
            else:  # e.g. a sweep point "relu 0.2" (an activation and its setting): the number stays beside it
                words.append(_number(tok))
        elif tok in ACTIVATION_WORDS:
            words.append(ACTIVATION_WORDS[tok])
            if i == 0:
                kind = "activation"
        elif tok in MODEL_WORDS:
            words.append(MODEL_WORDS[tok])
        else:
            words.append(tok)
    if kind is None and not extra and len(tokens) == 1:
        return text  # already a word (or a phrase we do not know): leave it
    return ", ".join([" ".join(words)] + extra) if words else ", ".join(extra)


def wrap_title(text: str, width: int = 34) -> str:
    """A panel title broken into lines of at most ``width`` characters (a panel is about 300 px wide)."""
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


# ----------------------------------------------------------------------------- epoch colours
def epoch_norm(epochs, log: bool = True):
    """One colour scale over ``epochs`` (all panels of a figure): a ``LogNorm`` of epoch + 1.

    Snapshot epochs are log-spaced and start at 0, which a log scale cannot show; the colour is
    therefore that of ``epoch + 1`` and :func:`epoch_colorbar` labels the ticks in epochs
    (0, 1, 10, 100, ...). ``log=False`` gives a linear ``Normalize`` of the epoch itself.
    """
    from matplotlib.colors import LogNorm, Normalize

    e = np.asarray(list(epochs), dtype=float)
    e = e[np.isfinite(e)]
    if e.size == 0:
        e = np.array([0.0, 1.0])
    if not log:
        return Normalize(vmin=float(e.min()), vmax=float(max(e.max(), e.min() + 1e-9)))
    c = e + 1.0
    return LogNorm(vmin=float(c.min()), vmax=float(max(c.max(), c.min() * 1.0001)))


def epoch_values(epochs, norm) -> np.ndarray:
    """The values to colour ``epochs`` by under ``norm`` (epoch + 1 on a log norm, else the epoch)."""
    from matplotlib.colors import LogNorm

    e = np.asarray(epochs, dtype=float)
    return e + 1.0 if isinstance(norm, LogNorm) else e


def epoch_colorbar(fig, mappable, axes, label: str = "epoch"):
    """ONE colour bar for all ``axes`` of ``fig`` (shared epoch scale), ticks labelled in epochs."""
    from matplotlib.colors import LogNorm
    from matplotlib.ticker import FixedFormatter, FixedLocator, NullFormatter

    cb = fig.colorbar(mappable, ax=list(axes) if isinstance(axes, (list, tuple, np.ndarray)) else axes,
                      shrink=0.9 if isinstance(axes, (list, tuple, np.ndarray)) and len(axes) > 1 else 1.0)
    norm = mappable.norm
    if isinstance(norm, LogNorm):
        lo, hi = norm.vmin, norm.vmax
        ticks = [e for e in (0, 1, 3, 10, 30, 100, 300, 1000, 3000, 10000, 30000, 100000) if lo <= e + 1.0 <= hi]
        if len(ticks) > 6:
            ticks = [e for e in ticks if e in (0, 1, 10, 100, 1000, 10000, 100000)]
        cb.ax.yaxis.set_major_locator(FixedLocator([e + 1.0 for e in ticks]))
        cb.ax.yaxis.set_major_formatter(FixedFormatter([f"{e:g}" for e in ticks]))
        cb.ax.yaxis.set_minor_formatter(NullFormatter())
        label = f"{label} (log scale)"
    cb.set_label(label)
    return cb


def epoch_axis(ax, axis: str = "x") -> None:
    """Epochs on a logarithmic axis that still shows epoch 0: ``symlog`` (linear on [0, 1], logarithmic
    above), ticks written as plain epochs (0, 1, 10, 100), labelled "epoch (log scale)"."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    fmt = FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 or v == 0 else "")
    if axis == "x":
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_xlim(left=0)
        ax.xaxis.set_major_formatter(fmt)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("epoch (log scale)")
    else:
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(fmt)
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_ylabel("epoch (log scale)")


# ----------------------------------------------------------------------------- layer labels
def label_layers(ax, points, fontsize: float = 8, min_gap: float = 0.07, prefix: str = "") -> None:
    """Label the end point of each layer's curve without overlaps.

    ``points`` maps a layer to its end point ``(x, y)`` in data coordinates. Labels sit right of
    their points; labels closer than ``min_gap`` (axes fraction) in height are pushed apart
    (a one-dimensional repel, no extra dependency) and joined to their points by a thin line.
    """
    items = [(k, float(x), float(y)) for k, (x, y) in points.items() if np.isfinite(x) and np.isfinite(y)]
    if not items:
        return
    ax.get_xlim(), ax.get_ylim()  # settle the autoscaled limits before reading positions
    to_axes = ax.transData + ax.transAxes.inverted()
    xy = to_axes.transform(np.array([[x, y] for _, x, y in items]))
    # Ties (several layers at the same height, e.g. all at I(X;T) = log2 N) keep the layers' order: heights
    # are compared at 1e-6 of the axes, so round-off in the last bits (BLAS threads) cannot swap two labels.
    order = np.lexsort((np.arange(len(items)), np.round(xy[:, 1], 6)))
    ys = xy[order, 1].copy()
    for i in range(1, len(ys)):
        ys[i] = max(ys[i], ys[i - 1] + min_gap)
    over = ys[-1] - 0.97 if len(ys) else 0.0
    if over > 0:
        ys -= over
    placed = np.empty(len(items))
    placed[order] = ys
    for (k, _, _), (ax_x, ax_y), ty in zip(items, xy, placed):
        moved = abs(ty - ax_y) > 1e-3
        tx = min(ax_x + 0.04, 0.97)
        ax.annotate(f"{prefix}{k}", xy=(ax_x, ax_y), xycoords="axes fraction", xytext=(tx, ty),
                    textcoords="axes fraction", fontsize=fontsize, va="center", ha="left",
                    arrowprops=dict(arrowstyle="-", lw=0.5, color="0.4") if moved else None)


def activation_grid(names, draw, lo: float = -5.0, hi: float = 5.0, n: int = 401, ncols: int = MAX_COLS):
    """One panel per activation on [lo, hi] (at most 3 a row); ``draw(ax, x, activation, color)`` fills a panel."""
    from . import activations

    x = np.linspace(lo, hi, n)
    names = list(names)
    fig, axes = panel_grid(len(names), ncols, panel=(3.1, 2.2), sharex=True)
    for ax, name in zip(axes, names):
        act = activations.get(name)
        draw(ax, x, act, SATURATION_COLORS[act.saturation])
        ax.set_title(f"{panel_title(name)} ({act.saturation} saturation)", fontsize=9)
    return fig


def activation_shapes(names, lo: float = -5.0, hi: float = 5.0, n: int = 401, ncols: int = MAX_COLS):
    """Plot each registered activation on [lo, hi], coloured by its saturation class."""
    def draw(ax, x, act, color):
        ax.plot(x, act(x), color=color, lw=2)
        ax.axhline(0, color="grey", lw=0.5)

    return activation_grid(names, draw, lo, hi, n, ncols)


def facet_lines(df, *, x: str, y: str, hue: str, col: str | None = None, col_wrap: int = MAX_COLS,
                height: float = 2.3, ylabel: str | None = None, xlabel: str | None = None):
    """Lines of ``y`` against ``x`` per ``hue``, one panel per ``col`` (seaborn relplot), at most 3 a row,
    panel titles in words (:func:`panel_title`)."""
    import seaborn as sns

    col_wrap = max(1, min(int(col_wrap), MAX_COLS))
    g = sns.relplot(data=df, x=x, y=y, hue=hue, col=col, col_wrap=col_wrap if col else None,
                    kind="line", height=height, aspect=1.3, facet_kws={"sharey": True}, errorbar=None)
    g.set_axis_labels(xlabel or x, ylabel or y)
    if col:
        for name, ax in g.axes_dict.items():
            ax.set_title(panel_title(name), fontsize=10)
    else:
        g.set_titles("")
    if g.legend is not None:
        g.legend.set_title(readable_header(hue))
    return g.figure


def plane_mean(mi, estimator: str | None = None):
    """Mean over seeds of (I(X;T), I(T;Y)) per layer and epoch (the points of an information plane)."""
    df = mi if estimator is None else mi[mi["estimator"] == estimator]
    if "estimator" in df and df["estimator"].nunique() > 1:
        raise ValueError("info_plane: several estimators in the frame; pass estimator=")
    return df.groupby(["layer", "epoch"], sort=True)[["ixt", "ity"]].mean().reset_index()


def draw_plane(ax, mean, norm, cmap: str = "viridis"):
    """Draw one plane from :func:`plane_mean`'s points coloured under ``norm`` (:func:`epoch_norm`, shared by
    the panels of a figure); return the scatter (the mappable of the figure's one colour bar)."""
    for _, g in mean.groupby("layer"):
        ax.plot(g["ixt"], g["ity"], color="0.6", lw=0.6, zorder=1)
    sc = ax.scatter(mean["ixt"], mean["ity"], c=epoch_values(mean["epoch"].to_numpy(), norm), cmap=cmap, norm=norm,
                    s=9, zorder=2, linewidths=0)
    ax.set_xlabel("I(X;T) [bits]")
    ax.set_ylabel("I(T;Y) [bits]")
    return sc


def label_plane(ax, mean, prefix: str = "") -> None:
    """Label each layer at its last epoch, without overlaps (:func:`label_layers`)."""
    if not len(mean):
        return
    last = mean.loc[mean.groupby("layer")["epoch"].idxmax()]
    label_layers(ax, {int(r.layer): (r.ixt, r.ity) for r in last.itertuples()}, prefix=prefix)


def info_plane(mi, *, estimator: str | None = None, ax=None, cmap: str = "viridis", title: str | None = None,
               log_epochs: bool = True, norm=None, colorbar: bool = True):
    """The information plane: mean over seeds of (I(X;T), I(T;Y)) per layer, coloured by epoch.

    Parameters
    ----------
    mi : tidy frame with columns seed, epoch, layer, estimator, ixt, ity (the trainer's ``mi``).
    estimator : which estimator's rows to draw (required if the frame holds several).
    log_epochs : colour by epoch on a logarithmic colour scale (of epoch + 1, since snapshots are
        log-spaced and start at epoch 0); the colour bar is labelled in epochs (:func:`epoch_colorbar`).
    norm : a shared colour scale (:func:`epoch_norm`), for several panels; default: this frame's epochs.
    colorbar : draw this panel's own colour bar (False when the figure has one shared bar,
        :func:`planes_grid`).
    title : the panel title; internal names are put in words (:func:`panel_title`).

    Notes
    -----
    The plane of Shwartz-Ziv & Tishby (2017), Fig. 3: each layer's mean point per snapshot; the
    layers are labelled at their last epoch (:func:`label_layers`, no overlaps).
    """
    import matplotlib.pyplot as plt

    mean = plane_mean(mi, estimator)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.2), layout="constrained")
    norm = norm if norm is not None else epoch_norm(mean["epoch"], log=log_epochs)
    sc = draw_plane(ax, mean, norm, cmap)
    ax.autoscale_view()
    label_plane(ax, mean)
    if colorbar:
        epoch_colorbar(ax.figure, sc, ax)
    if title:
        ax.set_title(panel_title(title), fontsize=10)
    return ax.figure


def planes_grid(frames, *, estimator: str | None = None, ncols: int = MAX_COLS, panel: tuple[float, float] = PANEL,
                cmap: str = "viridis", log_epochs: bool = True, share: bool = True, h_y: float | None = None,
                suptitle: str | None = None):
    """Several information planes (one per item of ``frames``) in the book's layout, ONE colour bar.

    Parameters
    ----------
    frames : mapping title -> tidy MI frame (or a list of (title, frame) pairs)
        One panel each, in order; titles are put in words (:func:`panel_title`). An empty frame
        leaves its panel empty with a note.
    estimator : str or None
        The estimator whose rows every frame draws (None: each frame holds one).
    share : bool
        Same axis ranges on every panel.
    h_y : float or None
        H(Y): a dotted line where I(T;Y) can reach (the ceiling).

    Returns
    -------
    matplotlib Figure
        Panels at most 3 a row (:func:`panel_grid`), one shared ``LogNorm`` over the epochs of all
        panels and one colour bar labelled in epochs (:func:`epoch_colorbar`).
    """
    import pandas as pd

    items = list(frames.items()) if hasattr(frames, "items") else list(frames)
    if not items:
        raise ValueError("planes_grid: frames is empty")
    means = []
    for _, df in items:
        if df is None or not len(df):
            means.append(pd.DataFrame(columns=["layer", "epoch", "ixt", "ity"]))
            continue
        sub = df if estimator is None or "estimator" not in df else df[df["estimator"] == estimator]
        means.append(plane_mean(sub) if len(sub) else pd.DataFrame(columns=["layer", "epoch", "ixt", "ity"]))
    allm = pd.concat([m for m in means if len(m)], ignore_index=True) if any(len(m) for m in means) else None
    norm = epoch_norm(allm["epoch"] if allm is not None else [0, 1], log=log_epochs)
    fig, axes = panel_grid(len(items), ncols, panel, sharex=share, sharey=share, extra_width=0.8)
    sc = None
    for ax, (title, _), mean in zip(axes, items, means):
        if len(mean):
            sc = draw_plane(ax, mean.astype({"ixt": float, "ity": float}), norm, cmap)
        else:
            ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", color="0.4")
        if h_y is not None and np.isfinite(h_y):
            ax.axhline(float(h_y), color="k", ls=":", lw=0.7)
        ax.set_title(wrap_title(panel_title(title)), fontsize=9)
    if share and allm is not None:
        x0, x1 = float(allm.ixt.min()), float(allm.ixt.max())
        y0, y1 = float(allm.ity.min()), float(allm.ity.max())
        if h_y is not None and np.isfinite(h_y):
            y1 = max(y1, float(h_y))
        px, py = 0.05 * max(x1 - x0, 0.1), 0.05 * max(y1 - y0, 0.05)
        axes[0].set_xlim(x0 - px, x1 + 3 * px)
        axes[0].set_ylim(y0 - py, y1 + py)
    cols = max(1, min(ncols, MAX_COLS, len(items)))
    for i, (ax, mean) in enumerate(zip(axes, means)):
        if share and i % cols != 0:
            ax.set_ylabel("")
        if share and i + cols < len(items):  # a panel below shows the same x axis
            ax.set_xlabel("")
        label_plane(ax, mean)
    if sc is not None:
        epoch_colorbar(fig, sc, axes)
    if suptitle:
        fig.suptitle(suptitle, fontsize=11)
    return fig


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
        x = g["epoch"].to_numpy()
        ax.plot(x, g["mean"], color=f"C{i}", lw=1.4, label=f"layer {layer}")
        drawn |= band(ax, x, g, f"C{i}", quantity=value, hi=hi)
    no_band_note(ax, drawn)
    epoch_axis(ax)
    ax.set_ylabel({"ixt": "I(X;T)", "ity": "I(T;Y)"}.get(value, value) + " [bits]")
    ax.legend(fontsize=7, ncol=2)
    if title:
        ax.set_title(panel_title(title), fontsize=10)
    return ax.figure


# ----------------------------------------------------------------------------- verdict charts (scorecard, overviews)
#: The rule book's verdicts in the order a chart stacks them, with their colours (``ibutils.publish.report``'s
#: ``VERDICTS``; the library cannot import it, ``tests/test_figures.py`` checks they agree).
VERDICT_COLORS = {"reproduced": "#1b7837", "partly reproduced": "#a6dba0", "not reproduced": "#f4a582",
                  "contradicted": "#b2182b", "inconclusive": "#bababa", "different setting": "#e8e8e8"}


def _scale_label(g) -> str:
    """"quick, 2-3 seeds" from a claims frame's ``profile`` and ``n_seeds`` columns."""
    import pandas as pd

    prof = sorted({str(p) for p in g.get("profile", pd.Series(dtype=object)).dropna()})
    n = pd.to_numeric(g.get("n_seeds", pd.Series(dtype=float)), errors="coerce").dropna()
    seeds = "" if n.empty else (f"{int(n.min())} seed{'s' if n.min() != 1 else ''}" if n.min() == n.max()
                                else f"{int(n.min())}-{int(n.max())} seeds")
    return ", ".join(p for p in ["/".join(prof), seeds] if p)


def verdict_chart(claims, *, by: str = "chapter", kinds=("replication",), title: str | None = None, width: float = 9.6):
    """Stacked horizontal bars: how many claims got each verdict, one bar per ``by`` value (chapter).

    Parameters
    ----------
    claims : DataFrame
        A claims table (``ibutils.publish.report.claims_table`` rows, or the scorecard's collection):
        columns ``by``, ``verdict`` and, for the labels, ``profile`` and ``n_seeds``; ``kind`` when present.
    by : str
        The column giving the bars (``"chapter"``).
    kinds : tuple of str or None
        Which claim kinds to count (the rule book tallies replications only); None: all rows.
    title : str or None

    Returns
    -------
    matplotlib Figure
        One bar per ``by`` value in order of first appearance, labelled with the scale it ran at
        (profile and seeds, from the data: "quick, 2-3 seeds"), segments in :data:`VERDICT_COLORS`'
        order, a legend of the verdicts present. With no claims, a figure that says so.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if by not in getattr(claims, "columns", ()) and len(claims):
        raise ValueError(f"verdict_chart: claims has no column {by!r}")
    df = claims
    if kinds is not None and "kind" in df:
        df = df[df["kind"].fillna("replication").isin(list(kinds))]
    if not len(df):
        fig, ax = plt.subplots(figsize=(width, 1.2), layout="constrained")
        ax.axis("off")
        ax.text(0.5, 0.5, "no claims yet: no chapter has been executed", ha="center", va="center", color="0.35")
        return fig
    groups = list(dict.fromkeys(df[by]))
    counts = (df.groupby([by, "verdict"]).size().unstack(fill_value=0)
              .reindex(index=groups, columns=list(VERDICT_COLORS), fill_value=0))
    labels = [f"{wrap_title(str(g), 46)}\n({_scale_label(df[df[by] == g])})" for g in groups]
    fig, ax = plt.subplots(figsize=(width, 0.5 * len(groups) + 1.4), layout="constrained")
    y = np.arange(len(groups))[::-1]
    left = np.zeros(len(groups))
    for v, color in VERDICT_COLORS.items():
        c = counts[v].to_numpy(dtype=float)
        if c.sum() == 0:
            continue
        ax.barh(y, c, left=left, color=color, edgecolor="white", lw=0.6, label=v, height=0.7)
        for yi, li, ci in zip(y, left, c):
            if ci > 0:
                ax.text(li + ci / 2, yi, f"{int(ci)}", ha="center", va="center", fontsize=7,
                        color="white" if v in ("reproduced", "contradicted") else "black")
        left += c
    ax.set_yticks(y, labels, fontsize=7)
    ax.set_ylim(-0.6, len(groups) - 0.4)
    ax.set_xlabel("claims" if kinds is None else f"{' and '.join(kinds)} claims")
    ax.set_xlim(0, max(float(left.max()), 1.0) * 1.02)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # claims are counted: no half-claim ticks
    ax.grid(axis="y", visible=False)
    ax.legend(fontsize=7, ncol=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    if title:
        ax.set_title(title, fontsize=10, pad=28)
    return fig


# ----------------------------------------------------------------------------- the plane as an animation (teaching)
#: At most this many frames in an animation (the JavaScript player embeds every frame as a PNG).
MAX_FRAMES = 24


def plane_animation(mi, *, estimator: str | None = None, max_frames: int = MAX_FRAMES, dpi: int = 60,
                    size: tuple[float, float] = (5.6, 3.8), cmap: str = "viridis", title: str | None = None):
    """The information plane of every layer over the epochs, as an animation (one frame per snapshot).

    Parameters
    ----------
    mi : tidy MI frame (seed, epoch, layer, estimator, ixt, ity)
    estimator : the estimator whose rows to draw (required if the frame holds several).
    max_frames : at most this many frames: the snapshot epochs are thinned evenly (first and last kept).
    dpi, size : resolution and size of each frame (small: every frame is embedded in the page).
    title : the setting, drawn once above the axes and wrapped to the figure's width (the epoch is the
        axes' title).

    Returns
    -------
    matplotlib.animation.FuncAnimation
        Frame ``k`` shows each layer's path up to the ``k``-th snapshot epoch (mean over seeds), its
        current point large, coloured on the one epoch ``LogNorm`` of the whole run, with the epoch in
        the title; fixed axes over the whole run. ``anim.to_jshtml()`` gives the offline JavaScript
        player (no ffmpeg). Shwartz-Ziv & Tishby (2017) show the same plane as a movie.
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    mean = plane_mean(mi, estimator)
    if not len(mean):
        raise ValueError("plane_animation: mi has no rows for this estimator")
    epochs = np.sort(mean["epoch"].unique())
    if len(epochs) > max_frames:
        epochs = epochs[np.unique(np.round(np.linspace(0, len(epochs) - 1, max_frames)).astype(int))]
    norm = epoch_norm(mean["epoch"])
    fig, ax = plt.subplots(figsize=size, dpi=dpi, layout="constrained")
    x0, x1, y0, y1 = mean.ixt.min(), mean.ixt.max(), mean.ity.min(), mean.ity.max()
    px, py = 0.06 * max(x1 - x0, 0.1), 0.06 * max(y1 - y0, 0.05)
    ax.set_xlim(x0 - px, x1 + 4 * px)  # room for the layer labels right of the points
    ax.set_ylim(y0 - py, y1 + 2 * py)
    ax.set_xlabel("I(X;T) [bits]")
    ax.set_ylabel("I(T;Y) [bits]")
    layers = sorted(mean["layer"].unique())
    by_layer = {layer: mean[mean.layer == layer].sort_values("epoch") for layer in layers}
    paths = {layer: ax.plot([], [], color="0.6", lw=0.8, zorder=1)[0] for layer in layers}
    trail = ax.scatter([], [], c=[], cmap=cmap, norm=norm, s=8, zorder=2, linewidths=0)
    heads = ax.scatter([], [], c=[], cmap=cmap, norm=norm, s=40, zorder=3, edgecolors="k", linewidths=0.5)
    texts = {layer: ax.text(0, 0, f"layer {int(layer)}", fontsize=7, va="center", ha="left") for layer in layers}
    epoch_colorbar(fig, heads, ax)
    if title:  # the setting once, wrapped to the figure's width; the frame's epoch in the axes' title
        fig.suptitle(wrap_title(title, width=int(11 * size[0])), fontsize=9)

    def frame(k):
        e = epochs[k]
        upto = mean[mean.epoch <= e]
        trail.set_offsets(upto[["ixt", "ity"]].to_numpy())
        trail.set_array(epoch_values(upto["epoch"].to_numpy(), norm))
        now = upto.loc[upto.groupby("layer")["epoch"].idxmax()]
        heads.set_offsets(now[["ixt", "ity"]].to_numpy())
        heads.set_array(epoch_values(now["epoch"].to_numpy(), norm))
        ends = []
        for layer in layers:
            g = by_layer[layer][by_layer[layer].epoch <= e]
            paths[layer].set_data(g["ixt"].to_numpy(), g["ity"].to_numpy())
            if len(g):
                ends.append([layer, float(g["ixt"].iloc[-1]), float(g["ity"].iloc[-1])])
        ends.sort(key=lambda r: r[2])
        gap = 0.07 * (y1 - y0 + 2 * py)  # labels at least this far apart in height: no overlaps
        for i in range(1, len(ends)):
            if abs(ends[i][1] - ends[i - 1][1]) < 0.15 * (x1 - x0 + 2 * px):
                ends[i][2] = max(ends[i][2], ends[i - 1][2] + gap)
        for layer, x, y in ends:
            texts[layer].set_position((x + px / 3, y))
        ax.set_title(f"epoch {int(e):,}", fontsize=10)
        return [trail, heads, *paths.values(), *texts.values()]

    anim = FuncAnimation(fig, frame, frames=len(epochs), interval=250, blit=False, repeat=True)
    plt.close(fig)  # shown by its player only, not as a still image too
    return anim


#: The player's Font Awesome icons (a stylesheet from a CDN, which a book read offline cannot load) as text:
#: arrows and geometric shapes that DejaVu Sans (matplotlib's font, and Linux's usual fallback) has, so no
#: button shows an empty box where the reader's fonts lack the media-control block (U+23E9-23FA).
_PLAYER_ICONS = {"play fa-flip-horizontal": "\u25c0", "fast-backward": "\u21e4", "step-backward": "\u25c1",
                 "play": "\u25b6", "pause": "\u25ae\u25ae",
                 "step-forward": "\u25b7", "fast-forward": "\u21e5", "minus": "\u2212", "plus": "+"}


def animation_html(anim, *, default_mode: str = "once") -> str:
    """``anim.to_jshtml()`` (the JavaScript player, every frame embedded) made fit for an offline book.

    The player's element ids are fixed, so the same animation gives the same HTML (matplotlib names
    them with a random ``uuid4``), and its Font Awesome stylesheet, fetched from a CDN, is dropped: the
    buttons' icons are Unicode symbols instead, shown without a network.
    """
    import hashlib

    html = anim.to_jshtml(default_mode=default_mode)
    html = re.sub(r"<link[^>]*font-awesome[^>]*>", "", html, flags=re.S)
    for name, text in _PLAYER_ICONS.items():
        html = html.replace(f'<i class="fa fa-{name}"></i>', f'<span aria-hidden="true">{text}</span>')
    ids = sorted(set(re.findall(r"_anim_img([0-9a-f]{32})", html)))
    for i, uid in enumerate(ids):
        html = html.replace(uid, hashlib.sha1(f"ibutils-anim-{i}".encode()).hexdigest()[:32])
    return html
