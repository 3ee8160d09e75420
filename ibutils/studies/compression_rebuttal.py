"""Counting distinct layer vectors: the "compression rebuttal" of seed 002, section 0.1.

Seed 002 (section 0.1.1, eqs. 1-6) argues that a deterministic network compresses,
``I(X;T) < H(X)``, only if some layer maps two different inputs to the same vector,
and (section 0.1.2, eqs. 7-10) that with invertible activations and random weight
matrices this happens with probability zero. On a finite data set this is checked by
counting: with ``X`` uniform over ``N`` distinct inputs and no added noise,

.. math:: I(X;T) = H(T) = -\\sum_t \\frac{n_t}{N} \\log_2 \\frac{n_t}{N} \\le \\log_2 \\#\\{t\\},

where ``n_t`` is the number of inputs whose layer vector equals ``t`` *exactly*
(float equality of the raw activations). ``I(X;T) = log2 N`` if and only if all ``N``
vectors are distinct. The functions below count distinct rows, record the counts on
the fly during training (:class:`CollisionCounter`, an estimator for
:func:`ibutils.nets.train_ensemble`), attribute every collision to the layer that
creates it and to its cause (exact saturation to +-1, exact zeros, anything else),
and recompute a trained network in float64 (:func:`forward_numpy`) to separate the
collisions of the real-valued network from those of float32 rounding.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .. import activations as _activations
from ..mi.entropy import MIPair, check_labels, check_layer, entropy_of_ids, label_bits, mi_from_ids, stacked_row_ids

CAUSES = ("saturation", "zero", "other")


def exact_row_ids(T, extra: int = 1) -> np.ndarray:
    """Integer ids of the rows of ``T`` (``(N, d)`` or ``(B, N, d)``) by exact float equality.

    Each unit's values are replaced by their dense rank (over all items), then the rows
    are coded by :func:`ibutils.mi.entropy.stacked_row_ids`; equal rows get equal ids
    across items. ``-0.0`` equals ``0.0``. Returns ``(B, N)`` int64 (``B = 1`` for 2-D input).
    """
    T3, _ = check_layer(T)
    B, N, d = T3.shape
    if np.issubdtype(T3.dtype, np.integer) or T3.dtype == bool:
        codes = T3.astype(np.int64)
    else:
        flat = T3.reshape(B * N, d).astype(np.float64) + 0.0  # exact for float32; -0.0 -> 0.0
        codes = np.empty((B * N, d), dtype=np.int64)
        for j in range(d):  # loop over units, not samples
            codes[:, j] = np.unique(flat[:, j], return_inverse=True)[1].ravel()
        codes = codes.reshape(B, N, d)
    return stacked_row_ids(codes, extra=extra)


def count_distinct(ids) -> np.ndarray:
    """Number of distinct values in each row of ``ids`` ``(B, N)`` -> ``(B,)`` int."""
    s = np.sort(np.atleast_2d(np.asarray(ids)), axis=1)
    return 1 + (s[:, 1:] != s[:, :-1]).sum(axis=1)


def distinct_rows(T) -> np.ndarray | int:
    """Number of distinct (unbinned) rows of a layer ``(N, d)`` or per item of ``(B, N, d)``.

    Seed 002, eq. 6: ``I(X;T) < H(X)`` iff two inputs share a layer vector, i.e. iff
    ``distinct_rows(T) < N``.
    """
    T3, stacked = check_layer(T)
    n = count_distinct(exact_row_ids(T3))
    return n if stacked else int(n[0])


def exact_mi(T, y) -> MIPair:
    """Exact ``I(X;T) = H(T)`` and ``I(T;Y)`` of the raw activations, no binning (bits).

    The same quantity as :func:`ibutils.mi.pattern_mi` (seed 002 eqs. 2-4 with
    ``H(X|T)`` computed from the collisions): ``X`` uniform over the ``N`` rows,
    every distinct row of ``T`` its own state.
    """
    T3, stacked = check_layer(T)
    y_codes, K = check_labels(y, T3.shape[1])
    ixt, ity = mi_from_ids(exact_row_ids(T3, extra=1 << label_bits(K)), y_codes, K)
    return MIPair(ixt, ity) if stacked else MIPair(float(ixt[0]), float(ity[0]))


def saturation_fraction(T) -> np.ndarray:
    """Share of entries exactly equal to +1 or -1, per item: ``(B,)``."""
    T3, _ = check_layer(T)
    return (np.abs(T3) == 1.0).mean(axis=(1, 2))


def zero_fraction(T) -> np.ndarray:
    """Share of entries exactly equal to 0, per item: ``(B,)``."""
    T3, _ = check_layer(T)
    return (T3 == 0.0).mean(axis=(1, 2))


def dead_units(T) -> np.ndarray:
    """Units that are exactly 0 for every input (dead ReLUs), per item: ``(B,)`` int."""
    T3, _ = check_layer(T)
    return (T3 == 0.0).all(axis=1).sum(axis=1)


class CollisionCounter:
    """Estimator for :func:`ibutils.nets.train_ensemble` that also records collision counts.

    Called as ``f(T, y)`` with ``T`` of shape ``(R, N, d)``, it returns :func:`exact_mi`
    and appends, for every replica, the number of distinct rows, the share of entries
    exactly +-1 and exactly 0, and the number of dead units. The trainer calls its
    estimators layer by layer (1..L) at every snapshot, so call ``k`` is layer
    ``k % n_layers + 1`` of snapshot ``k // n_layers``.

    Parameters
    ----------
    n_layers : int
        Layers per snapshot (hidden layers plus the softmax read-out).
    """

    def __init__(self, n_layers: int):
        if int(n_layers) < 1:
            raise ValueError(f"n_layers must be >= 1, got {n_layers}")
        self.n_layers = int(n_layers)
        self.calls = 0
        self.rows: list[dict] = []

    def __call__(self, T, y):
        T3, _ = check_layer(T)
        y_codes, K = check_labels(y, T3.shape[1])
        ids = exact_row_ids(T3, extra=1 << label_bits(K))
        ixt, ity = mi_from_ids(ids, y_codes, K)
        snap, layer = divmod(self.calls, self.n_layers)
        self.calls += 1
        self.rows.append(dict(snapshot=snap, layer=layer + 1, n_distinct=count_distinct(ids),
                              sat=saturation_fraction(T3), zero=zero_fraction(T3), dead=dead_units(T3),
                              ixt=ixt))
        return MIPair(ixt, ity)

    def table(self, snapshot_epochs: Sequence[int], seeds: Sequence[int]) -> pd.DataFrame:
        """Tidy frame ``seed, epoch, layer, n_distinct, collisions, exact_ixt, log2_distinct,
        frac_saturated, frac_zero, dead_units``.

        Raises
        ------
        ValueError
            If the recorded snapshots or replicas do not match ``snapshot_epochs``/``seeds``.
        """
        epochs, seeds = np.asarray(snapshot_epochs), np.asarray(seeds)
        out = []
        for r in self.rows:
            if r["snapshot"] >= len(epochs) or len(r["n_distinct"]) != len(seeds):
                raise ValueError("CollisionCounter.table: snapshot_epochs or seeds do not match the recorded calls")
            out.append(pd.DataFrame(dict(seed=seeds, epoch=int(epochs[r["snapshot"]]), layer=r["layer"],
                                         n_distinct=r["n_distinct"], exact_ixt=r["ixt"],
                                         frac_saturated=r["sat"], frac_zero=r["zero"], dead_units=r["dead"])))
        df = pd.concat(out, ignore_index=True) if out else pd.DataFrame(
            columns=["seed", "epoch", "layer", "n_distinct", "exact_ixt", "frac_saturated", "frac_zero", "dead_units"])
        return df.sort_values(["seed", "epoch", "layer"], ignore_index=True)


def _row_cause(T3: np.ndarray) -> np.ndarray:
    """Per row ``(B, N)``: 0 if it holds an entry exactly +-1, else 1 if it holds an exact 0, else 2."""
    sat = (np.abs(T3) == 1.0).any(axis=2)
    zero = (T3 == 0.0).any(axis=2)
    return np.where(sat, 0, np.where(zero, 1, 2))


def collision_attribution(layers: Sequence[np.ndarray], X=None) -> pd.DataFrame:
    """Where the collisions of a chain of layers come from (seed 002, eq. 6).

    Layer ``l`` is a deterministic function of layer ``l - 1``, so its number of distinct
    rows can only fall. Every drop is a *merge*: a group of inputs that share one row of
    layer ``l`` but had ``m > 1`` distinct rows in layer ``l - 1`` counts ``m - 1`` merges,
    created by layer ``l``. A merge is attributed to ``"saturation"`` if the shared row
    holds an entry exactly equal to +-1 (tanh saturating in float, a softmax probability
    rounded to 1), else to ``"zero"`` if it holds an exact 0 (inactive or dead ReLUs),
    else to ``"other"``.

    Parameters
    ----------
    layers : list of arrays ``(R, N, d_l)``
        The activity of layers 1..L (as stored by ``train_ensemble(store_activations_at=...)``).
    X : array ``(N, d_0)``, optional
        The inputs (layer 0); default: ``N`` distinct inputs.

    Returns
    -------
    DataFrame
        One row per replica index ``r`` and layer: ``n_distinct``, ``merges`` (distinct rows
        lost at this layer), ``merges_saturation``, ``merges_zero``, ``merges_other``,
        ``collisions`` (``N - n_distinct``, cumulative), ``inputs_colliding`` (inputs whose
        row is shared with another input).
    """
    if not len(layers):
        raise ValueError("layers: expected at least one layer")
    first, _ = check_layer(layers[0], "layers[0]")
    R, N = first.shape[:2]
    prev = np.zeros((R, N), np.int64) + np.arange(N) if X is None else np.broadcast_to(
        exact_row_ids(np.asarray(X))[0], (R, N)).copy()
    rows = []
    ridx = np.repeat(np.arange(R), N)
    for l, T in enumerate(layers, start=1):
        T3, _ = check_layer(T, f"layers[{l - 1}]")
        if T3.shape[:2] != (R, N):
            raise ValueError(f"layers[{l - 1}]: expected {R} replicas of {N} rows, got shape {T3.shape}")
        ids = exact_row_ids(T3)
        cause = _row_cause(T3).ravel()
        M = int(ids.max()) + 1
        key = ridx * M + ids.ravel()
        uk, first_idx, inv, cnt = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
        inv = inv.ravel()
        pairs = np.unique(np.stack([inv, prev.ravel()], axis=1), axis=0)
        merges = np.bincount(pairs[:, 0], minlength=len(uk)) - 1  # distinct previous rows per group - 1
        gcause, grep = cause[first_idx], uk // M
        shared = (cnt[inv] > 1).reshape(R, N)
        n_distinct = np.bincount(grep, minlength=R)
        for r in range(R):  # replicas: a handful
            m = grep == r
            rows.append(dict(replica=r, layer=l, n_distinct=int(n_distinct[r]), merges=int(merges[m].sum()),
                             merges_saturation=int(merges[m & (gcause == 0)].sum()),
                             merges_zero=int(merges[m & (gcause == 1)].sum()),
                             merges_other=int(merges[m & (gcause == 2)].sum()),
                             collisions=int(N - n_distinct[r]),
                             inputs_colliding=int(shared[r].sum())))
        prev = ids
    return pd.DataFrame(rows)


def forward_numpy(weights, X, activation: str, dtype=np.float64) -> list[np.ndarray]:
    """Recompute every layer of stacked networks in NumPy at precision ``dtype``.

    Parameters
    ----------
    weights : list of ``(W (R, in, out), b (R, out))``
        Keras-layout parameters per layer (``TrainResult.weights``).
    X : array ``(N, d)``
        Inputs.
    activation : str
        Hidden activation (a name of :mod:`ibutils.activations`); the last layer is a softmax.

    Returns
    -------
    list of arrays ``(R, N, d_l)``, layers 1..L (softmax probabilities last).
    """
    act = _activations.get(activation)
    h = np.asarray(X, dtype=dtype)[None]
    outs = []
    for i, (W, b) in enumerate(weights):
        z = h @ np.asarray(W, dtype) + np.asarray(b, dtype)[:, None, :]
        if i < len(weights) - 1:
            h = np.asarray(act(z), dtype=dtype)
        else:
            z = z - z.max(axis=2, keepdims=True)
            e = np.exp(z)
            h = e / e.sum(axis=2, keepdims=True)
        outs.append(h)
    return outs


def distinct_table(layers: Sequence[np.ndarray], seeds: Sequence[int]) -> pd.DataFrame:
    """``seed, layer, n_distinct, exact_ixt`` for a list of layers ``(R, N, d)`` (no labels needed)."""
    rows = []
    for l, T in enumerate(layers, start=1):
        ids = exact_row_ids(T)
        rows.append(pd.DataFrame(dict(seed=np.asarray(seeds), layer=l, n_distinct=count_distinct(ids),
                                      exact_ixt=entropy_of_ids(ids))))
    return pd.concat(rows, ignore_index=True)


__all__ = [
    "CAUSES",
    "exact_row_ids",
    "count_distinct",
    "distinct_rows",
    "exact_mi",
    "saturation_fraction",
    "zero_fraction",
    "dead_units",
    "CollisionCounter",
    "collision_attribution",
    "forward_numpy",
    "distinct_table",
    "train_and_count",
    "quiet_stderr",
]


def quiet_stderr():
    """Silence native stderr and Python warnings for a block (see :func:`ibutils.quiet.quiet`)."""
    from ..quiet import quiet

    return quiet(ignore_warnings=True)


def train_and_count(data, activation: str, *, layers=(10, 7, 5, 4, 3), n_seeds: int = 2, epochs: int = 50,
                    lr: float = 4e-4, batch_size: int | None = 256, seed: int = 0, snapshot_epochs="saxe",
                    store_epochs: Sequence[int] = (), n_bins: int = 30) -> dict:
    """Train the harmonics network with one activation and count distinct layer vectors.

    Runs :func:`ibutils.nets.train_ensemble` on ``data`` (a :class:`ibutils.data.Dataset`,
    MI measured on all its rows: train and test) with two estimators: ``"exact"``
    (a :class:`CollisionCounter`) and ``"bin"`` (``n_bins`` uniform bins over ``(-1, 1)``
    for bounded activations (tanh) or over each layer's own range otherwise). Raw activity
    is stored at ``store_epochs`` (the last epoch is added) for :func:`collision_attribution`,
    and the trained network is recomputed in float32 and float64 with :func:`forward_numpy`.

    Returns
    -------
    dict with DataFrames ``counts`` (per seed, snapshot epoch, layer; see
    :meth:`CollisionCounter.table`, plus ``bin_ixt``), ``attribution`` (per seed, stored
    epoch, layer) and ``precision`` (per seed, layer, ``dtype``: n_distinct, exact_ixt of the
    last epoch's network), each with an ``activation`` column.
    """
    import functools

    from ..mi import binning
    from ..nets import train_ensemble

    act = _activations.get(activation)
    bounded = np.isfinite(act.output_range).all()
    n_layers = len(layers) + 1
    counter = CollisionCounter(n_layers)
    est = {"exact": counter,
           "bin": functools.partial(binning, n_bins=int(n_bins), value_range=tuple(act.output_range) if bounded else "layer")}
    store = sorted({int(e) for e in store_epochs if 0 <= int(e) <= epochs} | {int(epochs)})
    res = train_ensemble(data.X_train, data.y_train, data.X_test, data.y_test, layers=list(layers),
                         activation=activation, n_seeds=n_seeds, epochs=epochs, batch_size=batch_size, lr=lr,
                         seed=seed, snapshot_epochs=snapshot_epochs, mi_data="full", estimators=est,
                         store_activations_at=store, progress=False)
    counts = counter.table(res.snapshot_epochs, res.seeds)
    b = res.mi[res.mi.estimator == "bin"][["seed", "epoch", "layer", "ixt"]].rename(columns={"ixt": "bin_ixt"})
    counts = counts.merge(b, on=["seed", "epoch", "layer"], how="left")
    att = []
    for e, acts in sorted(res.activations.items()):
        a = collision_attribution(acts)
        a.insert(0, "epoch", e)
        a.insert(0, "seed", res.seeds[a.pop("replica").to_numpy()])
        att.append(a)
    X = np.concatenate([data.X_train, data.X_test])
    prec = []
    for dt in (np.float32, np.float64):
        t = distinct_table(forward_numpy(res.weights, X, activation, dtype=dt), res.seeds)
        t.insert(2, "dtype", np.dtype(dt).name)
        prec.append(t)
    out = dict(counts=counts, attribution=pd.concat(att, ignore_index=True), precision=pd.concat(prec, ignore_index=True))
    for df in out.values():
        df.insert(0, "activation", activation)
    out["dropped"] = list(res.dropped_seeds)
    return out


def plot_exact_vs_binned(counts: pd.DataFrame, activations: Sequence[str]):
    """Exact (solid) and binned (dashed) I(X;T) against epoch, per layer, one panel per activation
    (means over seeds)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(activations), figsize=(4.2 * len(activations), 3.4), sharey=True, squeeze=False)
    for ax, a in zip(axes[0], activations):
        m = counts[counts.activation == a].groupby(["layer", "epoch"])[["exact_ixt", "bin_ixt"]].mean().reset_index()
        for i, (layer, g) in enumerate(m.groupby("layer")):
            ax.plot(g.epoch + 1, g.exact_ixt, color=f"C{i}", lw=1.6, label=f"layer {layer}")
            ax.plot(g.epoch + 1, g.bin_ixt, color=f"C{i}", lw=1.0, ls="--")
        ax.set_xscale("log")
        ax.set_title(a, fontsize=10)
        ax.set_xlabel("epoch + 1")
    axes[0][0].set_ylabel("I(X;T) [bits]: exact (solid), binned (dashed)")
    axes[0][0].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def plot_attribution(att: pd.DataFrame, activations: Sequence[str]):
    """Merges (distinct vectors lost) per layer by cause at the last stored epoch, summed over seeds."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(activations), figsize=(4.2 * len(activations), 3.2), squeeze=False)
    cols = {"merges_saturation": "exact +-1", "merges_zero": "exact 0", "merges_other": "rounding (other)"}
    for ax, a in zip(axes[0], activations):
        d = att[att.activation == a]
        d = d[d.epoch == d.epoch.max()].groupby("layer")[list(cols)].sum()
        bottom = np.zeros(len(d))
        for i, (c, lab) in enumerate(cols.items()):
            ax.bar(d.index, d[c], bottom=bottom, color=f"C{i}", label=lab)
            bottom += d[c].to_numpy()
        ax.set_title(a, fontsize=10)
        ax.set_xlabel("layer")
        ax.set_yscale("symlog", linthresh=1)
    axes[0][0].set_ylabel("distinct vectors lost (sum over seeds)")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return fig
