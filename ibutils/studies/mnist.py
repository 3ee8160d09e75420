"""MNIST information-plane experiments (Saxe et al. 2018; the CNN/SG study 2019; Landsverk 2021).

One concept: train the wide MNIST classifiers (784-1024-20-...-10) with the stacked-replica
trainer and measure the Kolchinsky-Tracey KDE bounds on thousands of test images, fast enough
for a CPU at reduced scale and for a GPU at the studies' scale.

* :func:`load` reads MNIST with :func:`ibutils.data.load_mnist` (``source="auto"``), catches
  the fallback warning and returns the source string so a chapter can state it, plus a
  stratified MI sample of the test images.
* :func:`kde_multi` computes the KDE upper (KL) and lower (Bhattacharyya) bounds of
  Kolchinsky & Tracey (2017) for *several* noise variances and both bounds from **one**
  pass of pairwise squared distances (matrix products; the class sums are one more
  product with the one-hot labels), in TensorFlow by default: its exponentials are
  multi-threaded and vectorised on a CPU and it uses the GPU when there is one. It equals
  :func:`ibutils.mi.kde` to 1e-6 bits and better (tests/test_mnist_experiments.py).
  Distances are float64 by default: in float32 the cancellation in ``|a|^2 + |b|^2 - 2ab``
  costs about ``eps * |t|^2 / s^2`` in the exponent, measured as 7.5e-4 bits at s2 = 0.1
  and 0.075 bits at s2 = 1e-3 for a 1,024-unit tanh layer (``dtype="float32"`` is kept
  for speed on GPUs where that error is acceptable). :class:`KDEBank` hands the trainer
  one estimator per (variance, bound) that share the distance pass through a one-entry
  cache.
* :func:`train` wraps :func:`ibutils.nets.train_ensemble` for the MNIST data and its
  estimators.
* Summaries (accuracy, compression, gradient SNR), the noise-variance calibration of the
  CNN/SG study (:func:`calibrate_noise_variance`) and the chapter's figures.

All information quantities are in bits.
"""
from __future__ import annotations

import hashlib
import threading
import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from ..mi.entropy import MIPair, check_labels, check_layer
from ..mi.kde import sq_dist_blocks

_LN2 = np.log(2.0)
#: kernel denominator factor c in exp(-D / (c s^2)): KL upper bound 2, Bhattacharyya lower bound 8
BOUND_FACTORS = {"upper": 2.0, "lower": 8.0}


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


# ---------------------------------------------------------------------- fast KDE
def _tf_available() -> bool:
    try:
        with quiet():
            import tensorflow  # noqa: F401

        return True
    except ImportError:  # pragma: no cover
        return False


def _kernel_sums_np(T3, onehot, cls, scales, chunk_size):
    """ln of the all-sample and own-class kernel sums per row for every scale (NumPy)."""
    B, N, d = T3.shape
    S = len(scales)
    log_all = np.empty((S, B, N))
    log_own = np.empty((S, B, N))
    rows = np.arange(N)
    for start, stop, dist in sq_dist_blocks(T3, chunk_size):
        for s, scale in enumerate(scales):
            k = np.exp(dist * (-1.0 / scale))
            per_class = np.matmul(k, onehot).astype(np.float64)  # (B, c, K) class sums
            log_all[s, :, start:stop] = np.log(per_class.sum(axis=2))
            log_own[s, :, start:stop] = np.log(per_class[:, rows[: stop - start], cls[start:stop]])
    return log_all, log_own


def _kernel_sums_tf(T3, onehot, cls, scales, chunk_size):
    """The same computed with TensorFlow: multi-threaded and vectorised on a CPU (about 6x faster
    exponentials than NumPy's here), on the GPU when there is one."""
    import tensorflow as tf

    B, N, d = T3.shape
    T = tf.constant(T3)
    Y = tf.constant(onehot)
    sq = tf.reduce_sum(T * T, axis=2)
    log_all = np.empty((len(scales), B, N))
    log_own = np.empty((len(scales), B, N))
    for start in range(0, N, chunk_size):
        stop = min(start + chunk_size, N)
        dist = tf.maximum(sq[:, start:stop, None] + sq[:, None, :]
                          - 2.0 * tf.linalg.matmul(T[:, start:stop], T, transpose_b=True), 0.0)
        rows = Y[start:stop][None]  # (1, c, K): each row's own class
        for s, scale in enumerate(scales):
            per_class = tf.linalg.matmul(tf.exp(dist * (-1.0 / scale)), Y)  # (B, c, K)
            log_all[s, :, start:stop] = tf.math.log(tf.reduce_sum(per_class, axis=2)).numpy()
            log_own[s, :, start:stop] = tf.math.log(tf.reduce_sum(per_class * rows, axis=2)).numpy()
    return log_all, log_own


def kde_multi(T, y, *, noise_variances: Sequence[float] = (0.1,), bounds: Sequence[str] = ("upper", "lower"),
              chunk_size: int | None = None, backend: str = "auto", dtype: str = "float64") -> dict:
    """KDE bounds on ``I(X;T)`` and ``I(T;Y)`` for several noise variances from one distance pass.

    The estimator is :func:`ibutils.mi.kde` (Kolchinsky & Tracey 2017, Sec. 4; Saxe et al.
    2018): ``I(X;T) = -(1/N) sum_i log2 (1/N) sum_j exp(-||t_i - t_j||^2 / (c s^2))`` with
    ``c = 2`` (KL, upper) or ``8`` (Bhattacharyya, lower), and ``I(T;Y)`` minus the same
    bound within each class. Here the squared distances are computed once per row block
    (``|a|^2 + |b|^2 - 2 a.b`` after centring the rows, one matrix product) and reused for
    every ``(s^2, bound)``; the per-class kernel sums are one product with the one-hot labels.

    Parameters
    ----------
    T : array (N, d) or (B, N, d)
    y : array (N,) of class labels
    noise_variances : sequence of float
        The values of ``s^2``.
    bounds : sequence of {"upper", "lower"}
    chunk_size : int, optional
        Rows per block (default: about 8 M kernel entries per block).
    backend : {"auto", "numpy", "tf"}
        ``"auto"``: TensorFlow when it is installed (GPU if visible), else NumPy.
    dtype : {"float64", "float32"}
        Precision of the distances and kernels (float32: see the module docstring).

    Returns
    -------
    dict
        ``(noise_variance, bound) -> MIPair`` (floats for 2-D ``T``, arrays ``(B,)`` for 3-D).
    """
    T3, stacked = check_layer(T)
    B, N, d = T3.shape
    codes, K = check_labels(y, N)
    variances = [float(v) for v in np.atleast_1d(noise_variances)]
    if not variances or any(not np.isfinite(v) or v <= 0 for v in variances):
        raise ValueError(f"noise_variances must be positive numbers, got {noise_variances!r}")
    bounds = list(bounds)
    bad = [b for b in bounds if b not in BOUND_FACTORS]
    if bad or not bounds:
        raise ValueError(f"bounds must be a non-empty list of 'upper'/'lower', got {bounds!r}")
    if backend not in ("auto", "numpy", "tf"):
        raise ValueError(f"backend must be 'auto', 'numpy' or 'tf', got {backend!r}")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    if chunk_size is None:
        chunk_size = max(1, int(8_000_000 // max(B * N, 1)))
    elif not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if backend == "auto":
        backend = "tf" if _tf_available() else "numpy"
    order = np.argsort(codes, kind="stable")
    cls = codes[order]
    Ts = T3[:, order].astype(np.float64)
    Ts = (Ts - Ts.mean(axis=1, keepdims=True)).astype(dtype)  # centring: smaller norms, less cancellation
    onehot = np.eye(K, dtype=dtype)[cls]
    keys = [(v, b) for v in variances for b in bounds]
    scales = [BOUND_FACTORS[b] * v for v, b in keys]
    if backend == "tf":
        with quiet():
            log_all, log_own = _kernel_sums_tf(Ts, onehot, cls, scales, int(chunk_size))
    else:
        log_all, log_own = _kernel_sums_np(Ts, onehot, cls, scales, int(chunk_size))
    n_k = np.bincount(cls, minlength=K).astype(np.float64)
    out = {}
    for s, key in enumerate(keys):
        ixt = (np.log(N) - log_all[s].mean(axis=1)) / _LN2
        cond = (n_k @ np.log(np.maximum(n_k, 1.0)) - log_own[s].sum(axis=1)) / N / _LN2
        ity = ixt - cond
        out[key] = MIPair(ixt + 0.0, ity + 0.0) if stacked else MIPair(float(ixt[0]), float(ity[0]))
    return out


class KDEBank:
    """Estimators for :func:`ibutils.nets.train_ensemble` that share one distance pass.

    ``bank.estimator(v, b)`` is a callable ``f(T, y) -> MIPair``; the first estimator called
    on a layer computes every ``(variance, bound)`` of the bank with :func:`kde_multi` and
    caches them under a hash of ``(T, y)``; the others read the cache.
    """

    def __init__(self, noise_variances: Sequence[float], bounds: Sequence[str] = ("upper", "lower"),
                 backend: str = "auto", chunk_size: int | None = None):
        self.noise_variances = [float(v) for v in noise_variances]
        self.bounds = list(bounds)
        self.backend = backend
        self.chunk_size = chunk_size
        self._key = None
        self._value = None
        self._lock = threading.Lock()
        self.passes = 0  # distance passes computed (for tests)

    @staticmethod
    def _digest(T, y) -> str:
        h = hashlib.blake2b(digest_size=16)
        T = np.ascontiguousarray(T)
        h.update(str((T.shape, T.dtype.str)).encode())
        h.update(T.view(np.uint8).reshape(-1).data)
        h.update(np.ascontiguousarray(np.asarray(y)).view(np.uint8).reshape(-1).data)
        return h.hexdigest()

    def __call__(self, T, y) -> dict:
        key = self._digest(T, y)
        with self._lock:
            if key != self._key:
                self._value = kde_multi(T, y, noise_variances=self.noise_variances, bounds=self.bounds,
                                        backend=self.backend, chunk_size=self.chunk_size)
                self._key = key
                self.passes += 1
            return self._value

    def estimator(self, noise_variance: float, bound: str):
        noise_variance = float(noise_variance)
        if noise_variance not in self.noise_variances or bound not in self.bounds:
            raise ValueError(f"({noise_variance}, {bound!r}) is not in this bank")

        def f(T, y):
            return self(T, y)[(noise_variance, bound)]

        return f


def estimator_name(noise_variance: float, bound: str) -> str:
    """E.g. ``"kde_upper"`` naming convention with the variance: ``"kde_upper_0.1"``."""
    return f"kde_{bound}_{noise_variance:g}"


def make_estimators(noise_variances: Sequence[float] = (0.1,), bounds: Sequence[str] = ("upper", "lower"),
                    bin_size: float | None = 0.5, backend: str = "auto") -> dict:
    """The trainer's estimators: KDE bounds (shared distance pass) and, optionally, Saxe et al.'s
    fixed-width binning (``bin_size``, their MNIST notebook's 0.5)."""
    from functools import partial

    from ..mi import binning

    bank = KDEBank(noise_variances, bounds, backend=backend)
    est = {estimator_name(v, b): bank.estimator(v, b) for v in bank.noise_variances for b in bank.bounds}
    if bin_size:
        est[f"binning_{bin_size:g}"] = partial(binning, bin_size=float(bin_size))
    return est


# ---------------------------------------------------------------------- training
def quiet():
    """Silence TensorFlow's native stderr and tqdm's import warning (see :func:`ibutils.quiet.quiet`)."""
    from ..quiet import quiet as _quiet

    return _quiet(ignore_warnings="IProgress not found")


def train(data: MnistData, *, layers, activation: str, n_seeds: int, epochs: int, lr: float,
          batch_size: int | None = 128, optimizer: str = "sgd", seed: int = 0, snapshot_epochs="saxe",
          estimators: dict | None = None, probe_every: int = 1, store_activations_at=()):
    """:func:`ibutils.nets.train_ensemble` on ``data`` (eval: the test set; MI: ``data.X_mi``)."""
    with quiet():
        from ..nets import train_ensemble
    with quiet():
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
    return summarize(last, "split", "accuracy")


def compression_table(mi: pd.DataFrame, threshold: float = 0.1) -> pd.DataFrame:
    """Per estimator and layer: drop of I(X;T) from its peak to the last snapshot (mean, 95% CI,
    share of seeds compressing), :func:`ibutils.stats.compression_summary`."""
    from ..stats import compression_summary

    return compression_summary(mi.dropna(subset=["ixt"]), by=["estimator", "layer"], threshold=threshold)


def compressing_layers(comp: pd.DataFrame, estimator: str, threshold: float = 0.1) -> list[int]:
    """Layers whose mean drop exceeds ``threshold`` bits with a CI excluding zero."""
    c = comp[comp["estimator"] == estimator]
    return [int(l) for l in c.loc[(c["mean"] > threshold) & (c["ci_low"] > 0), "layer"]]


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
        rows.append(dict(layer=int(layer), snr_early=mf, snr_late=ml, log10_ratio=mr, ratio_ci_low=mrl,
                         ratio_ci_high=mrh))
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
    bits of ``target`` (bisection on log s^2; the estimates fall as ``s^2`` grows).

    The CNN/SG study tuned ``s^2`` "so the KDE values matched the analytical entropy of the MNIST
    labels (log2 10) within the uncertainty of the KDE"; with ``T`` the one-hot labels or a
    trained softmax layer, the KDE ``I(T;Y)`` tends to ``H(Y)`` as ``s^2 -> 0`` and falls as
    ``s^2`` grows, so the calibration is the largest variance that still reproduces ``H(Y)``.
    Returns NaN if even ``lo`` misses (the layer never reproduces ``target``) and ``hi`` if
    ``hi`` still matches.
    """
    if quantity not in ("ixt", "ity"):
        raise ValueError(f"quantity must be 'ixt' or 'ity', got {quantity!r}")

    def ok(v):
        r = kde_multi(T, y, noise_variances=[v], bounds=[bound], backend="numpy")[(v, bound)]
        return abs(getattr(r, quantity) - target) <= tol

    if not ok(lo):
        return float("nan")
    if ok(hi):
        return float(hi)
    a, b = np.log(lo), np.log(hi)
    for _ in range(iters):
        m = 0.5 * (a + b)
        if ok(float(np.exp(m))):
            a = m
        else:
            b = m
    return float(np.exp(a))


# ------------------------------------------------------------------------ figures
def planes_figure(mi: pd.DataFrame, estimators: Sequence[str], titles: Sequence[str] | None = None,
                  h_y: float | None = None):
    """Row 1: the information plane (mean over seeds) per estimator; row 2: I(X;T) per layer
    against epoch with 95% bands over seeds."""
    import matplotlib.pyplot as plt

    from ..plots import info_plane, mi_curves

    n = len(estimators)
    fig, axes = plt.subplots(2, n, figsize=(5.0 * n, 7.6), squeeze=False)
    for j, est in enumerate(estimators):
        t = titles[j] if titles else est
        info_plane(mi, estimator=est, ax=axes[0, j], title=t)
        if h_y is not None:
            axes[0, j].axhline(h_y, color="red", ls="--", lw=0.8)
        mi_curves(mi, estimator=est, ax=axes[1, j], value="ixt", title=t)
    fig.tight_layout()
    return fig


def accuracy_figure(metrics: pd.DataFrame, title: str | None = None):
    """Train and test accuracy against epoch: mean over seeds with 95% bands."""
    import matplotlib.pyplot as plt

    from ..stats import summarize

    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    for i, (split, g) in enumerate(metrics.dropna(subset=["accuracy"]).groupby("split")):
        s = summarize(g, "epoch", "accuracy")
        ax.plot(s["epoch"], s["mean"], color=f"C{i}", label={"eval": "test", "train": "train"}.get(split, split))
        ax.fill_between(s["epoch"], s["ci_low"], s["ci_high"], color=f"C{i}", alpha=0.25, lw=0)
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
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 3.6))
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
    fig.tight_layout()
    return fig


__all__ = [
    "MnistData", "load", "stratified_subset", "kde_multi", "KDEBank", "make_estimators", "estimator_name",
    "train", "thin_schedule", "accuracy_summary", "compression_table", "compressing_layers",
    "snr_summary", "label_entropy", "calibrate_noise_variance", "planes_figure", "accuracy_figure",
    "snr_figure",
]


# --------------------------------------------------------------- claims helpers
def dpi_violation(mi: pd.DataFrame, estimator: str) -> float:
    """Largest increase of I(X;T) from a layer to the next one (same seed and epoch), in bits;
    the data-processing inequality says it is <= 0 (0 when it holds everywhere)."""
    d = mi[mi["estimator"] == estimator].sort_values(["seed", "epoch", "layer"])
    inc = d.groupby(["seed", "epoch"])["ixt"].diff()
    return float(max(0.0, np.nanmax(inc.to_numpy()))) if inc.notna().any() else float("nan")


def ity_rise(mi: pd.DataFrame, estimator: str) -> pd.DataFrame:
    """Per layer: I(T;Y) at the last snapshot minus at the first, mean and 95% CI over seeds."""
    from ..stats import summarize

    d = mi[mi["estimator"] == estimator].sort_values(["seed", "layer", "epoch"])
    g = d.groupby(["seed", "layer"])["ity"]
    rise = (g.last() - g.first()).rename("rise").reset_index()
    return summarize(rise, "layer", "rise")


def fmt_ci(mean: float, lo: float, hi: float, unit: str = "") -> str:
    """``"0.123 [0.100, 0.146]"`` (3 decimals)."""
    return f"{mean:.3f} [{lo:.3f}, {hi:.3f}]{unit}"


def accuracy_verdict(measured: float, reported: float, close: float = 0.03, partly: float = 0.1) -> str:
    """'reproduced' within ``close``, 'partly reproduced' within ``partly``, else 'not reproduced'."""
    gap = abs(measured - reported)
    return "reproduced" if gap <= close else ("partly reproduced" if gap <= partly else "not reproduced")


def factor_verdict(measured: float, reported: float, close: float = 2.0, partly: float = 10.0) -> str:
    """'reproduced' within a factor ``close``, 'partly reproduced' within ``partly``, else 'not reproduced'."""
    if not (measured > 0 and reported > 0):
        return "inconclusive"
    f = max(measured / reported, reported / measured)
    return "reproduced" if f <= close else ("partly reproduced" if f <= partly else "not reproduced")
