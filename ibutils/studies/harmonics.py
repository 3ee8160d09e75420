"""Running a named harmonics experiment: Shwartz-Ziv & Tishby's setting and its rebuttals.

One function, :func:`run_harmonics`, turns the parameters of a chapter page (activation,
estimators, batch size, learning rate, ...) into a trained ensemble of the 12-10-7-5-4-3-2
network on Tishby's harmonics data (:func:`ibutils.nets.train_ensemble`) and tidy tables.
Around it sit the analyses the chapter "Tishby's harmonics" needs:

* :func:`make_estimators`: estimator specs (plain dicts from a params file) to the
  callables the trainer takes, including MI restricted to the train/test rows of the
  probe and the per-run range ``[0, max activation of the run]`` of Rasmussen's thesis
  (Setting 1.2), which needs a *deterministic replay*: the run's maximum is known only
  after training, so the ensemble is trained once to read each replica's maximum and
  again (same seeds, hence identical numbers) with bins on ``[0, max_r]`` per replica;
* :func:`error_curves`, :func:`max_activation`, :func:`split_by_max_activation`: the
  error and maximum-activation figures of Rasmussen's thesis (Figs. 5.4-5.6, 5.8);
* :func:`snr_transition`, :func:`loss_kink`, :func:`compression_timing`: the "drift to
  diffusion" transition of the gradient signal-to-noise ratio (Shwartz-Ziv & Tishby 2017,
  Sec. 4), the kink of the training loss, and whether compression starts there;
* :func:`loss_rate_check`: the identity ``E[dL] = -lr * sum(mean gradient^2)`` to first
  order in ``lr`` for minibatch SGD (Saxe et al. 2018, Sec. 5 / appendix), checked
  numerically with full-batch gradients in TensorFlow.

All information quantities are in bits; epochs count completed epochs.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..quiet import quiet
from .. import mi as _mi
from ..stats import compression, compression_summary, mean_ci

#: The network of Shwartz-Ziv & Tishby (2017): hidden widths; the softmax read-out has 2 units.
LAYERS = [10, 7, 5, 4, 3]
KINDS = ("binning", "kde", "edge", "run_max")
SUBSETS = ("full", "train", "test")

__all__ = [
    "LAYERS", "EstimatorSpec", "parse_estimators", "make_estimators", "RunMaxBinning", "HarmonicsRun",
    "run_harmonics", "snapshot_schedule", "error_curves", "max_activation", "split_by_max_activation",
    "snr_transition", "loss_kink", "compression_timing", "timing_summary", "loss_rate_check", "describe_profile",
    "compression_table", "quiet_native_stderr",
]


# ----------------------------------------------------------------------------- estimators
@dataclass(frozen=True)
class EstimatorSpec:
    """One estimator of a page: ``name``, ``kind`` (binning/kde/edge/run_max), the rows
    of the probe it uses (``subset``) and keyword arguments of the estimator."""

    name: str
    kind: str
    subset: str = "full"
    kwargs: dict = field(default_factory=dict)


def parse_estimators(specs: Sequence[Mapping[str, Any]]) -> list[EstimatorSpec]:
    """Validate estimator specs from a params file.

    Each spec is a mapping with ``name``, ``kind`` in :data:`KINDS`, optional ``subset`` in
    :data:`SUBSETS` and the estimator's keyword arguments, e.g.
    ``{"name": "bins30", "kind": "binning", "n_bins": 30, "value_range": [-1, 1]}``;
    ``run_max`` takes ``n_bins`` (bins on ``[0, max activation of the run]``).

    Raises
    ------
    ValueError
        For a missing name, a duplicate name, an unknown kind or subset.
    """
    out, seen = [], set()
    for i, spec in enumerate(specs):
        spec = dict(spec)
        name = spec.pop("name", None)
        kind = spec.pop("kind", None)
        subset = spec.pop("subset", "full")
        if not name or not isinstance(name, str):
            raise ValueError(f"estimators[{i}]: missing 'name'")
        if name in seen:
            raise ValueError(f"estimators[{i}]: duplicate name {name!r}")
        if kind not in KINDS:
            raise ValueError(f"estimators[{i}] ({name}): kind must be one of {KINDS}, got {kind!r}")
        if subset not in SUBSETS:
            raise ValueError(f"estimators[{i}] ({name}): subset must be one of {SUBSETS}, got {subset!r}")
        if "value_range" in spec and isinstance(spec["value_range"], list):
            spec["value_range"] = tuple(spec["value_range"])
        seen.add(name)
        out.append(EstimatorSpec(name, kind, subset, spec))
    return out


class RunMaxBinning:
    """Uniform bins on ``[0, max_r]`` per replica ``r`` (Rasmussen's thesis, Setting 1.2).

    ``T`` (``(R, N, d)``) is divided by each replica's maximum activation ``max_r`` and
    binned with ``n_bins`` equal intervals on ``[0, 1]`` in one vectorised call; a value
    equal to ``max_r`` falls in the top bin. ``scale`` must hold one positive maximum per
    replica, in the trainer's replica order.
    """

    def __init__(self, scale, n_bins: int = 100):
        self.scale = np.asarray(scale, dtype=np.float64).reshape(-1)
        if not np.all(np.isfinite(self.scale)) or np.any(self.scale <= 0):
            raise ValueError("scale: the per-replica maxima must be finite and > 0")
        self.n_bins = int(n_bins)

    def __call__(self, T, y):
        T = np.asarray(T, dtype=np.float64)
        if T.ndim != 3 or T.shape[0] != self.scale.size:
            raise ValueError(f"RunMaxBinning: expected ({self.scale.size}, N, d) activity, got shape {T.shape}")
        return _mi.binning(T / self.scale[:, None, None], y, n_bins=self.n_bins, value_range=(0.0, 1.0))


def _subset_rows(subset: str, n_train: int, n_probe: int) -> np.ndarray | None:
    if subset == "full":
        return None
    if subset == "train":
        return np.arange(n_train)
    return np.arange(n_train, n_probe)


def _edge_stacked(T, y, *, X, kwargs):
    kx = dict(kwargs)
    ky = dict(kwargs)
    kx.setdefault("U", 12.0)  # Deep Bottleneck's caps: log2 N-ish for I(X;T), 1 bit for I(T;Y)
    ky.setdefault("U", 1.0)
    ixt = np.array([_mi.edge(X, t, **kx) for t in T])
    ity = np.array([_mi.edge(t, y.astype(np.float64), **ky) for t in T])
    return ixt, ity


def make_estimators(specs: Sequence[EstimatorSpec], *, X_probe, n_train: int, run_max=None) -> dict:
    """Callables ``f(T, y) -> (ixt, ity)`` for :func:`ibutils.nets.train_ensemble`.

    Parameters
    ----------
    specs : parsed estimator specs.
    X_probe : the MI inputs (train rows then test rows, the trainer's ``mi_data="full"``).
    n_train : number of training rows at the start of the probe (for ``subset``).
    run_max : per-replica maxima for ``run_max`` specs (``None``: those specs are skipped).
    """
    X_probe = np.asarray(X_probe, dtype=np.float64)
    out = {}
    for s in specs:
        if s.kind == "binning":
            f = functools.partial(_mi.binning, **s.kwargs)
        elif s.kind == "kde":
            f = functools.partial(_mi.kde, **s.kwargs)
        elif s.kind == "edge":
            rows = _subset_rows(s.subset, n_train, len(X_probe))
            Xs = X_probe if rows is None else X_probe[rows]
            f = functools.partial(_edge_stacked, X=Xs, kwargs=s.kwargs)
        else:
            if run_max is None:
                continue
            f = RunMaxBinning(run_max, **s.kwargs)
        rows = _subset_rows(s.subset, n_train, len(X_probe))
        if rows is not None:
            f = functools.partial(_on_rows, f=f, rows=rows)
        out[s.name] = f
    return out


def _on_rows(T, y, *, f, rows):
    return f(T[:, rows], np.asarray(y)[rows])


# ----------------------------------------------------------------------------- running
@dataclass
class HarmonicsRun:
    """Tidy tables of one experiment (see :class:`ibutils.nets.TrainResult`) plus the
    per-replica maximum activation used by ``run_max`` estimators (``run_max``, indexed by seed)."""

    mi: pd.DataFrame
    metrics: pd.DataFrame
    grads: pd.DataFrame
    activity: pd.DataFrame
    run_max: pd.Series
    snapshot_epochs: np.ndarray
    seeds: np.ndarray
    dropped_seeds: list
    data: Any

    def __repr__(self):
        return f"HarmonicsRun(seeds={len(self.seeds)}, snapshots={len(self.snapshot_epochs)}, dropped={self.dropped_seeds})"


def snapshot_schedule(snapshots, epochs: int):
    """``"tishby"``/``"saxe"``/... or an int ``n``: ``n`` log-spaced epochs (Tishby's rule with num=n)."""
    from ..nets.schedules import tishby_epochs

    if isinstance(snapshots, bool):
        raise ValueError(f"snapshots must be a schedule name or an int, got {snapshots!r}")
    if isinstance(snapshots, (int, np.integer)):
        if snapshots < 2:
            raise ValueError(f"snapshots: need at least 2 log-spaced epochs, got {snapshots}")
        e = tishby_epochs(epochs, num=int(snapshots))
        return sorted(set(e.tolist()) | {0, int(epochs)})
    return snapshots


def _max_recorder(store: list):
    def f(T, y):
        store.append(np.asarray(T).reshape(len(T), -1).max(axis=1))
        return np.zeros(len(T)), np.zeros(len(T))
    return f


def quiet_native_stderr():
    """Silence TensorFlow's native stderr for a block (see :func:`ibutils.quiet.quiet`)."""
    return quiet()


def run_harmonics(*, activation: str = "tanh", estimators: Sequence[Mapping[str, Any]] = (), epochs: int = 8000,
                  n_seeds: int = 50, seed: int = 0, batch_size: int | None = 256, lr: float = 4e-4,
                  optimizer: str = "adam", split: str = "saxe", zero_mean: bool = False, init: str = "width",
                  initial_bias: float = 0.0, snapshots: Any = "tishby", layers: Sequence[int] = LAYERS,
                  probe_every: int = 1) -> HarmonicsRun:
    """Train the harmonics ensemble and measure MI on all 4,096 patterns (train rows, then test rows).

    ``run_max`` estimators trigger a deterministic replay: a first training records each
    replica's largest activation over all hidden layers, the probe epochs and the snapshots
    (the softmax layer excluded, as it is bounded by 1), a second identical training bins on
    ``[0, max_r]``. Estimators other than ``run_max`` are measured in the first pass.
    """
    from ..data import load_harmonics

    with quiet_native_stderr():
        return _run_harmonics(load_harmonics, activation=activation, estimators=estimators, epochs=epochs,
                              n_seeds=n_seeds, seed=seed, batch_size=batch_size, lr=lr, optimizer=optimizer,
                              split=split, zero_mean=zero_mean, init=init, initial_bias=initial_bias,
                              snapshots=snapshots, layers=layers, probe_every=probe_every)


def _run_harmonics(load_harmonics, *, activation, estimators, epochs, n_seeds, seed, batch_size, lr, optimizer,
                   split, zero_mean, init, initial_bias, snapshots, layers, probe_every):
    from ..nets import train_ensemble

    specs = parse_estimators(estimators)
    data = load_harmonics(split, zero_mean=zero_mean)
    X_probe = np.concatenate([data.X_train, data.X_test])
    common = dict(layers=list(layers), activation=activation, n_seeds=n_seeds, epochs=epochs, batch_size=batch_size,
                  lr=lr, optimizer=optimizer, seed=seed, snapshot_epochs=snapshot_schedule(snapshots, epochs),
                  init=init, initial_bias=initial_bias, mi_data="full", progress=False, probe_every=probe_every)
    ests = make_estimators(specs, X_probe=X_probe, n_train=len(data.X_train))
    snap_max: list = []
    needs_replay = any(s.kind == "run_max" for s in specs)
    n_hidden = len(layers)
    if needs_replay:
        ests["_max"] = _max_recorder(snap_max)
    res = train_ensemble(data.X_train, data.y_train, data.X_test, data.y_test, estimators=ests, **common)
    mi = res.mi[res.mi["estimator"] != "_max"]
    act = res.unfiltered["activity"]
    hidden = act[act["layer"] <= n_hidden]
    run_max = hidden.groupby("seed")["max_abs"].max().reindex(res.seeds)
    if needs_replay:
        # snapshot maxima: calls come layer by layer; keep the hidden layers only
        L = n_hidden + 1
        per_call = np.array(snap_max)  # (snapshots * L, R)
        layer_of_call = np.tile(np.arange(1, L + 1), len(per_call) // L)
        snap = per_call[layer_of_call <= n_hidden].max(axis=0)
        run_max = pd.Series(np.fmax(run_max.to_numpy(), snap), index=res.seeds)
        ests2 = make_estimators([s for s in specs if s.kind == "run_max"], X_probe=X_probe,
                                n_train=len(data.X_train), run_max=run_max.to_numpy())
        res2 = train_ensemble(data.X_train, data.y_train, data.X_test, data.y_test, estimators=ests2, **common)
        mi = pd.concat([mi, res2.mi], ignore_index=True)
    run_max.index.name = "seed"
    return HarmonicsRun(mi=mi.reset_index(drop=True), metrics=res.metrics, grads=res.grads, activity=res.activity,
                        run_max=run_max.rename("max_activation"), snapshot_epochs=res.snapshot_epochs,
                        seeds=res.seeds, dropped_seeds=res.dropped_seeds, data=data)


# ----------------------------------------------------------------------------- analyses
def error_curves(metrics: pd.DataFrame) -> pd.DataFrame:
    """0-1 error (1 - accuracy) per seed and epoch on the training and test sets.

    The training error is the trainer's running mean over the epoch's minibatches (as
    ``model.fit`` reports); the test error is measured at the end of the epoch.
    """
    df = metrics.dropna(subset=["accuracy"]).copy()
    df["split"] = df["split"].map({"train": "train", "eval": "test"})
    df["error"] = 1.0 - df["accuracy"]
    return df[["seed", "epoch", "split", "error", "loss"]].reset_index(drop=True)


def max_activation(activity: pd.DataFrame, hidden_layers: int | None = None) -> pd.DataFrame:
    """Largest absolute activation of each run over all hidden layers and epochs (Rasmussen Fig. 5.5)."""
    act = activity if hidden_layers is None else activity[activity["layer"] <= hidden_layers]
    out = act.groupby("seed")["max_abs"].max().rename("max_activation").reset_index()
    return out.sort_values("seed", ignore_index=True)


def split_by_max_activation(mi: pd.DataFrame, run_max: pd.DataFrame) -> pd.DataFrame:
    """``mi`` with a column ``half``: ``"small"`` for the half of the runs with the smallest
    maximum activation, ``"large"`` for the others (Rasmussen's Fig. 5.6). Ties broken by seed."""
    order = run_max.sort_values(["max_activation", "seed"], kind="stable")["seed"].to_numpy()
    half = {int(s): ("small" if i < len(order) // 2 else "large") for i, s in enumerate(order)}
    out = mi.copy()
    out["half"] = out["seed"].map(half)
    return out


def _smooth_log(values: np.ndarray, window: int) -> np.ndarray:
    """Centered running mean of ``log10(values)`` (edges use the available points)."""
    v = np.log10(np.clip(values, 1e-30, None))
    if window <= 1:
        return v
    k = np.ones(window)
    num = np.convolve(v, k, mode="same")
    den = np.convolve(np.ones_like(v), k, mode="same")
    return num / den


def snr_transition(grads: pd.DataFrame, *, window: int = 9, tail: float = 0.2) -> pd.DataFrame:
    """Epoch of the drop of the gradient SNR ("drift to diffusion"), per seed and layer.

    The SNR ``||mean g|| / ||std g||`` of each layer's minibatch gradients is smoothed on
    a log scale (running mean over ``window`` epochs); its early level is the maximum of
    the smoothed curve, its late level the median over the last ``tail`` of the epochs.
    The transition is the first epoch after the maximum at which the smoothed log-SNR
    falls below the midpoint of the two levels (Shwartz-Ziv & Tishby 2017, Sec. 4: high
    SNR in the drift phase, low SNR in the diffusion phase). ``drop`` is the fall in
    decades. Full batch (``snr = inf``) gives NaN.
    """
    rows = []
    for (s, l), g in grads.sort_values("epoch").groupby(["seed", "layer"], sort=True):
        snr = g["snr"].to_numpy(dtype=float)
        ep = g["epoch"].to_numpy()
        ok = np.isfinite(snr) & (snr > 0)  # dead units (0/0) and full batch (inf) carry no SNR
        snr, ep = snr[ok], ep[ok]
        if len(snr) < 3:
            rows.append((s, l, np.nan, np.nan))
            continue
        sm = _smooth_log(snr, window)
        i_max = int(np.argmax(sm))
        late = float(np.median(sm[int(len(sm) * (1 - tail)):]))
        mid = 0.5 * (sm[i_max] + late)
        below = np.nonzero(sm[i_max:] < mid)[0]
        e = float(ep[i_max + below[0]]) if below.size and sm[i_max] > late else np.nan
        rows.append((s, l, e, sm[i_max] - late))
    return pd.DataFrame(rows, columns=["seed", "layer", "transition_epoch", "drop_decades"])


def loss_kink(metrics: pd.DataFrame, *, fraction: float = 0.9) -> pd.DataFrame:
    """Epoch at which the training loss has made ``fraction`` of its total decrease, per seed.

    The end of the fast phase of the loss ("the kink" of Shwartz-Ziv & Tishby's Fig. 4):
    the first epoch with ``L <= L_last + (1 - fraction) (L_first - L_last)``.
    """
    rows = []
    tr = metrics[metrics["split"] == "train"].sort_values("epoch")
    for s, g in tr.groupby("seed", sort=True):
        L = g["loss"].to_numpy()
        ep = g["epoch"].to_numpy()
        target = L[-1] + (1 - fraction) * (L[0] - L[-1])
        idx = np.nonzero(L <= target)[0]
        rows.append((s, float(ep[idx[0]]) if idx.size else np.nan))
    return pd.DataFrame(rows, columns=["seed", "kink_epoch"])


def compression_timing(mi: pd.DataFrame, grads: pd.DataFrame, metrics: pd.DataFrame, *, estimator: str,
                       threshold: float = 0.1, window: int = 9) -> pd.DataFrame:
    """Per seed and layer: start of compression (epoch of the I(X;T) peak), the SNR
    transition, the loss kink and the gap ``log10((peak+1)/(transition+1))`` in decades,
    for the runs whose layer compresses by more than ``threshold`` bits (others NaN)."""
    comp = compression(mi[mi["estimator"] == estimator], threshold=threshold)
    snr = snr_transition(grads, window=window)
    kink = loss_kink(metrics)
    out = comp.merge(snr, on=["seed", "layer"], how="left").merge(kink, on="seed", how="left")
    out["onset_epoch"] = np.where(out["compresses"], out["peak_epoch"], np.nan)
    out["gap_decades"] = np.log10((out["onset_epoch"] + 1) / (out["transition_epoch"] + 1))
    return out[["seed", "layer", "drop", "compresses", "onset_epoch", "transition_epoch", "drop_decades",
                "kink_epoch", "gap_decades"]]


def timing_summary(timing: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% CI per layer of the onset, transition and gap (log10 epochs for the epochs)."""
    rows = []
    for l, g in timing.groupby("layer", sort=True):
        row = {"layer": l, "n_compressing": int(g["compresses"].sum())}
        for col in ("onset_epoch", "transition_epoch"):
            m, lo, hi = mean_ci(np.log10(g[col].to_numpy(dtype=float) + 1))
            row[f"{col}_log10"], row[f"{col}_lo"], row[f"{col}_hi"] = m, lo, hi
        m, lo, hi = mean_ci(g["gap_decades"].to_numpy(dtype=float))
        row["gap_decades"], row["gap_lo"], row["gap_hi"] = m, lo, hi
        rows.append(row)
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- dL/dt identity
def loss_rate_check(X, y, *, layers: Sequence[int] = LAYERS, activation: str = "tanh", lrs=(1e-1, 1e-2, 1e-3),
                    batch_size: int = 256, warmup_epochs: Sequence[int] = (0, 50, 500), warmup_lr: float = 0.05,
                    seed: int = 0, init: str = "width") -> pd.DataFrame:
    """Check ``E[L(w - lr g_b)] - L(w) = -lr ||mean_b g_b||^2 + O(lr^2)`` for minibatch SGD.

    Saxe et al. (2018) show that the expected loss change of an SGD step depends on the
    squared *mean* gradient, not on the gradient SNR. At weights ``w`` reached after
    ``warmup_epochs`` epochs of plain SGD (``warmup_lr``, the same minibatch order as the
    trainer), the training set is cut into the minibatches of one epoch; for each
    minibatch ``b`` the full-batch loss change of one SGD step with its gradient ``g_b`` is
    measured exactly, and the mean over ``b`` is compared with ``-lr sum(mean_b g_b)^2``
    and with ``-lr mean_b ||g_b||^2`` (what a noise-driven picture would predict).

    Returns one row per (warmup epoch, lr): ``dL`` (mean exact change), ``predicted``
    (``-lr ||mean g||^2``), ``rel_error`` of the prediction, ``naive`` (``-lr mean ||g_b||^2``),
    ``snr`` (``||mean g|| / ||std g||`` over all weights).
    """
    with quiet_native_stderr():
        import tensorflow as tf

    from .. import activations
    from ..nets import models
    from ..nets import batch_order

    act = activations.get(activation)
    X = np.asarray(X, np.float64)
    y = np.asarray(y).astype(np.int64)
    n_classes = int(y.max()) + 1
    Y = np.eye(max(n_classes, 2))[y]
    params = models.init_params(X.shape[1], layers, Y.shape[1], init=init, seed=seed)
    ws = [tf.Variable(np.asarray(a, np.float64)) for p in params for a in p]
    Xt, Yt = tf.constant(X), tf.constant(Y)

    def loss_fn(w, xb, yb):
        h = xb
        for i in range(0, len(w), 2):
            z = h @ w[i] + w[i + 1]
            h = act.tf(z) if i < len(w) - 2 else z
        return -tf.reduce_mean(tf.reduce_sum(yb * tf.nn.log_softmax(h, axis=1), axis=1))

    def grad(w, xb, yb):
        with tf.GradientTape() as tape:
            tape.watch(w)
            L = loss_fn(w, xb, yb)
        return L, tape.gradient(L, w)

    n = len(X)
    rows = []
    done = 0
    for target in sorted(warmup_epochs):
        while done < target:  # plain SGD warm-up
            order = batch_order(seed, done, n)
            for i in range(0, n, batch_size):
                idx = order[i:i + batch_size]
                _, g = grad(ws, tf.gather(Xt, idx), tf.gather(Yt, idx))
                for v, gi in zip(ws, g):
                    v.assign_sub(warmup_lr * gi)
            done += 1
        w0 = [v.numpy() for v in ws]
        L0 = float(loss_fn([tf.constant(a) for a in w0], Xt, Yt))
        order = batch_order(seed, done, n)
        batches = [order[i:i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]  # full batches only
        gs = []
        for idx in batches:
            _, g = grad([tf.constant(a) for a in w0], tf.gather(Xt, idx), tf.gather(Yt, idx))
            gs.append(np.concatenate([gi.numpy().ravel() for gi in g]))
        G = np.stack(gs)
        gmean = G.mean(axis=0)
        gstd = G.std(axis=0)
        shapes = [a.shape for a in w0]
        sizes = [a.size for a in w0]
        for lr in lrs:
            dls = []
            for gb in G:
                parts = np.split(gb, np.cumsum(sizes)[:-1])
                w1 = [tf.constant(a - lr * p.reshape(s)) for a, p, s in zip(w0, parts, shapes)]
                dls.append(float(loss_fn(w1, Xt, Yt)) - L0)
            dL = float(np.mean(dls))
            pred = -lr * float(gmean @ gmean)
            rows.append(dict(warmup_epoch=target, lr=lr, loss=L0, dL=dL, predicted=pred,
                             rel_error=abs(dL - pred) / abs(pred), naive=-lr * float((G * G).sum(axis=1).mean()),
                             snr=float(np.linalg.norm(gmean) / np.linalg.norm(gstd))))
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- text
def describe_profile(profile: str, *, n_seeds: int, epochs: int, n_snapshots: int, batch_size) -> str:
    """One sentence on the scale a page ran at (glued into the text)."""
    batch = "full batch" if batch_size is None else f"minibatches of {batch_size}"
    scale = {"paper": "the studies' scale", "standard": "the book's standard scale",
             "quick": "the quick (CI) scale"}.get(profile, "the small defaults of the committed notebook")
    return (f"{n_seeds} seeds, {epochs:,} epochs with {batch}, MI at {n_snapshots} snapshot epochs "
            f"({scale}, profile '{profile}')")


def compression_table(mi: pd.DataFrame, *, threshold: float = 0.1) -> pd.DataFrame:
    """:func:`ibutils.stats.compression_summary` of every estimator in ``mi`` (column ``estimator``)."""
    parts = []
    for name, g in mi.groupby("estimator", sort=False):
        s = compression_summary(g, threshold=threshold)
        s.insert(0, "estimator", name)
        parts.append(s)
    return pd.concat(parts, ignore_index=True)
