"""Counting distinct layer vectors: the "compression rebuttal" of seed 002, section 0.1.

Seed 002 (section 0.1.1, eqs. 1-6) argues that a deterministic network compresses,
``I(X;T) < H(X)``, only if some layer maps two different inputs to the same vector,
and (section 0.1.2, eqs. 7-10) that with invertible activations and random weight
matrices this happens with probability zero. On a finite data set this is checked by
counting: with ``X`` uniform over ``N`` distinct inputs and no added noise,

.. math:: I(X;T) = H(T) = -\\sum_t \\frac{n_t}{N} \\log_2 \\frac{n_t}{N} \\le \\log_2 \\#\\{t\\},

where ``n_t`` is the number of inputs whose layer vector equals ``t`` *exactly*
(float equality of the raw activations). ``I(X;T) = log2 N`` if and only if all ``N``
vectors are distinct. The estimator and the row counts are :mod:`ibutils.mi.exact`; the
functions below record the counts on the fly during training (:class:`CollisionCounter`, a
snapshot hook of :func:`ibutils.nets.train_ensemble`), attribute every collision to the layer that
creates it and to its cause (exact saturation to +-1, exact zeros, anything else),
and recompute a trained network in float64 (:func:`forward_numpy`) to separate the
collisions of the real-valued network from those of float32 rounding.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .. import activations as _activations
from ..mi.entropy import check_labels, check_layer, entropy_of_ids, label_bits, mi_from_ids
from ..mi.exact import count_distinct, exact_row_ids
from ..nets.hooks import Snapshot

CAUSES = ("saturation", "zero", "other")


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
    """Snapshot hook (:class:`ibutils.nets.hooks.SnapshotHook`) recording collision counts for every
    replica, layer and snapshot.

    :func:`ibutils.nets.train_ensemble` calls ``on_snapshot`` for every layer of every snapshot
    with the activity ``(R_ok, N, d)`` of the replicas that are finite there; for each of them
    the hook keeps the number of distinct rows (:func:`ibutils.mi.exact.count_distinct` of
    :func:`ibutils.mi.exact.exact_row_ids`), the exact ``I(X;T) = H(T)`` of
    :func:`ibutils.mi.exact.exact_mi` (seed 002, eqs. 1-6), the share of entries exactly +-1
    and exactly 0, and the number of dead units.
    """

    columns = ("seed", "epoch", "layer", "n_distinct", "exact_ixt", "frac_saturated", "frac_zero", "dead_units")

    def __init__(self):
        self._frames: list[pd.DataFrame] = []

    def on_snapshot(self, s: Snapshot) -> None:
        if not len(s.seeds):
            return
        T3, _ = check_layer(s.T)
        y_codes, K = check_labels(s.y, T3.shape[1])
        ids = exact_row_ids(T3, extra=1 << label_bits(K))
        ixt, _ = mi_from_ids(ids, y_codes, K)
        self._frames.append(pd.DataFrame(dict(seed=np.asarray(s.seeds), epoch=int(s.epoch), layer=int(s.layer),
                                              n_distinct=count_distinct(ids), exact_ixt=ixt,
                                              frac_saturated=saturation_fraction(T3), frac_zero=zero_fraction(T3),
                                              dead_units=dead_units(T3))))

    def table(self) -> pd.DataFrame:
        """Tidy frame ``seed, epoch, layer, n_distinct, exact_ixt, frac_saturated, frac_zero, dead_units``."""
        df = pd.concat(self._frames, ignore_index=True) if self._frames else pd.DataFrame(columns=list(self.columns))
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
        ids = exact_row_ids(T3, extra=R)  # ids below 2**62 / R: ids * R + replica fits in int64
        cause = _row_cause(T3).ravel()
        key = ids.ravel() * R + ridx
        uk, first_idx, inv, cnt = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
        inv = inv.ravel()
        pairs = np.unique(np.stack([inv, prev.ravel()], axis=1), axis=0)
        merges = np.bincount(pairs[:, 0], minlength=len(uk)) - 1  # distinct previous rows per group - 1
        gcause, grep = cause[first_idx], uk % R
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
    "saturation_fraction",
    "zero_fraction",
    "dead_units",
    "CollisionCounter",
    "collision_attribution",
    "forward_numpy",
    "distinct_table",
    "train_and_count",
]


def train_and_count(data, activation: str, *, layers=(10, 7, 5, 4, 3), n_seeds: int = 2, epochs: int = 50,
                    lr: float = 4e-4, batch_size: int | None = 256, seed: int = 0, snapshot_epochs="saxe",
                    store_epochs: Sequence[int] = (), n_bins: int = 30) -> dict:
    """Train the harmonics network with one activation and count distinct layer vectors.

    Runs :func:`ibutils.nets.train_ensemble` on ``data`` (a :class:`ibutils.data.Dataset`,
    MI measured on all its rows: train and test) with the estimator ``"bin"`` (``n_bins`` uniform
    bins over ``(-1, 1)`` for bounded activations (tanh) or over each layer's own range otherwise)
    and a :class:`CollisionCounter` hook (the exact counts). Raw activity
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
    counter = CollisionCounter()
    est = {"bin": functools.partial(binning, n_bins=int(n_bins),
                                    value_range=tuple(act.output_range) if bounded else "layer")}
    store = sorted({int(e) for e in store_epochs if 0 <= int(e) <= epochs} | {int(epochs)})
    res = train_ensemble(data.X_train, data.y_train, data.X_test, data.y_test, layers=list(layers),
                         activation=activation, n_seeds=n_seeds, epochs=epochs, batch_size=batch_size, lr=lr,
                         seed=seed, snapshot_epochs=snapshot_epochs, mi_data="full", estimators=est,
                         hooks=[counter], store_activations_at=store, progress=False)
    counts = counter.table()
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
    out = dict(counts=counts, attribution=pd.concat(att, ignore_index=True),
               precision=pd.concat(prec, ignore_index=True))
    for df in out.values():
        df.insert(0, "activation", activation)
    out["dropped"] = list(res.dropped_seeds)
    return out


def plot_exact_vs_binned(counts: pd.DataFrame, activations: Sequence[str]):
    """Exact (solid) and binned (dashed) I(X;T) against epoch, per layer, one panel per activation
    (means over seeds)."""

    from ..plots import epoch_axis, panel_grid, panel_title

    fig, axes = panel_grid(len(activations), panel=(3.1, 2.9), sharey=True)
    for ax, a in zip(axes, activations):
        m = counts[counts.activation == a].groupby(["layer", "epoch"])[["exact_ixt", "bin_ixt"]].mean().reset_index()
        for i, (layer, g) in enumerate(m.groupby("layer")):
            ax.plot(g.epoch, g.exact_ixt, color=f"C{i}", lw=1.6, label=f"layer {layer}")
            ax.plot(g.epoch, g.bin_ixt, color=f"C{i}", lw=1.0, ls="--")
        epoch_axis(ax)
        ax.set_title(panel_title(a), fontsize=10)

    axes[0].set_ylabel("I(X;T) [bits]\nexact (solid), binned (dashed)")
    axes[0].legend(fontsize=7, ncol=2)
    return fig


def plot_attribution(att: pd.DataFrame, activations: Sequence[str]):
    """Merges (distinct vectors lost) per layer by cause at the last stored epoch, summed over seeds."""

    from ..plots import panel_grid, panel_title

    fig, axes = panel_grid(len(activations), panel=(3.1, 2.8))
    cols = {"merges_saturation": "exact +-1", "merges_zero": "exact 0", "merges_other": "rounding (other)"}
    for ax, a in zip(axes, activations):
        d = att[att.activation == a]
        d = d[d.epoch == d.epoch.max()].groupby("layer")[list(cols)].sum()
        bottom = np.zeros(len(d))
        for i, (c, lab) in enumerate(cols.items()):
            ax.bar(d.index, d[c], bottom=bottom, color=f"C{i}", label=lab)
            bottom += d[c].to_numpy()
        ax.set_title(panel_title(a), fontsize=10)
        ax.set_xlabel("layer")
        ax.set_yscale("symlog", linthresh=1)
    axes[0].set_ylabel("distinct vectors lost\n(sum over seeds)")
    axes[0].legend(fontsize=7)
    return fig


# --------------------------------------------------------------------------- the page
#: Activations seed 002 (section 0.1.2) calls invertible, among those the page can train.
INVERTIBLE = ("tanh", "leaky_relu", "sigmoid")
#: Names as the page writes them.
LABELS = {"relu": "ReLU", "leaky_relu": "leaky ReLU"}


def _names(acts) -> str:
    """``["tanh", "leaky_relu"]`` -> ``"tanh and leaky ReLU"``."""
    acts = [LABELS.get(a, a) for a in acts]
    return ", ".join(acts[:-1]) + f" and {acts[-1]}" if len(acts) > 1 else (acts[0] if acts else "no activation")


def train_and_count_all(data, activations: Sequence[str], **kwargs) -> dict:
    """:func:`train_and_count` for each activation, concatenated: ``counts``, ``attribution``,
    ``precision`` (DataFrames with an ``activation`` column) and ``n_dropped`` (diverged replicas),
    with TensorFlow's start-up lines silenced."""
    from ..quiet import quiet

    with quiet(ignore_warnings=True):
        runs = [train_and_count(data, a, **kwargs) for a in activations]
    out = {k: pd.concat([r[k] for r in runs], ignore_index=True) for k in ("counts", "attribution", "precision")}
    out["n_dropped"] = sum(len(r["dropped"]) for r in runs)
    return out


def last_epoch(counts: pd.DataFrame, n_inputs: int) -> pd.DataFrame:
    """The counts of the last snapshot with ``gap`` (exact minus binned I(X;T)) and ``all_distinct``."""
    last = counts[counts.epoch == counts.epoch.max()].copy()
    last["gap"] = last.exact_ixt - last.bin_ixt
    last["all_distinct"] = last.n_distinct == int(n_inputs)
    return last


def last_epoch_summary(counts: pd.DataFrame, n_inputs: int) -> pd.DataFrame:
    """Per activation and layer at the last snapshot: means over seeds of the distinct counts, exact
    and binned I(X;T), share of seeds with all vectors distinct, saturation, zeros and dead units,
    and the gap (exact minus binned) with its 95% interval (``gap``, ``gap_lo``, ``gap_hi``)."""
    from ..stats import summarize

    last = last_epoch(counts, n_inputs)
    summary = (last.groupby(["activation", "layer"])
               .agg(n_distinct=("n_distinct", "mean"), min_distinct=("n_distinct", "min"),
                    exact_ixt=("exact_ixt", "mean"), bin_ixt=("bin_ixt", "mean"),
                    all_distinct=("all_distinct", "mean"), frac_saturated=("frac_saturated", "mean"),
                    frac_zero=("frac_zero", "mean"), dead_units=("dead_units", "mean")).reset_index())
    ci = summarize(last, ["activation", "layer"], "gap").rename(
        columns={"mean": "gap", "ci_low": "gap_lo", "ci_high": "gap_hi"}).drop(columns="n")
    return summary.merge(ci, on=["activation", "layer"])


def _invertible(activations) -> list[str]:
    return [a for a in activations if a in INVERTIBLE]


def counts_glue(counts: pd.DataFrame, summary: pd.DataFrame, activations: Sequence[str], *, n_inputs: int) -> dict:
    """Values and sentences of the exact-versus-binned section (glue key -> value)."""
    L = int(counts.layer.max())
    last = last_epoch(counts, n_inputs)
    hidden = last[last.layer < L]
    share = hidden.groupby("activation")["all_distinct"].mean()
    min_d = hidden.groupby("activation")["n_distinct"].min()
    full = np.log2(n_inputs)
    out = {"last_hidden": L - 1}
    for a in activations:
        d = summary[(summary.activation == a) & (summary.layer == L - 1)].iloc[0]
        out.update({f"share_all_{a}": round(float(share.get(a, np.nan)), 3), f"min_distinct_{a}": int(min_d.get(a, 0)),
                    f"exact_last_hidden_{a}": round(float(d.exact_ixt), 3),
                    f"bin_last_hidden_{a}": round(float(d.bin_ixt), 3), f"gap_last_hidden_{a}": round(float(d.gap), 3),
                    f"gap_lo_{a}": round(float(d.gap_lo), 3), f"gap_hi_{a}": round(float(d.gap_hi), 3)})
    inv = _invertible(activations)
    h_inv = hidden[hidden.activation.isin(inv)]
    names = _names(inv)
    if len(h_inv) and bool(h_inv.all_distinct.all()):
        out["inv_text"] = f"holds in every run and every hidden layer here ({names})"
        out["inv_why_text"] = (f"This is why the exact I(X;T) above sits at {full:g} bits in every hidden layer "
                               f"for {names}")
    else:
        k, m = int((~h_inv.all_distinct).sum()), len(h_inv)
        out["inv_text"] = f"fails in {k} of the {m} (seed, hidden layer) pairs here ({names})"
        out["inv_why_text"] = (f"The exact I(X;T) above sits at {full:g} bits in {m - k} of the {m} "
                               f"(seed, hidden layer) pairs for {names}")
    t = last[last.activation == "tanh"] if "tanh" in activations else last.iloc[:0]
    tl = t[t.layer == L - 1]
    lossless = bool(len(tl)) and bool((tl.exact_ixt > full - 1e-9).all())
    out["gap_where_text"] = ("a loss that exists only in the estimator" if lossless
                             else "a gap beyond the layer's own loss")
    ok = last.exact_ixt > full - 1e-9
    out["max_gap_lossless"] = round(float(last[ok].gap.max()) if ok.any() else 0.0, 3)
    return out


def attribution_glue(att: pd.DataFrame, counts: pd.DataFrame, activations: Sequence[str], *, n_inputs: int) -> dict:
    """Values of the collision-attribution section (glue key -> value) and the table shown."""
    L = int(counts.layer.max())
    att_last = att[att.epoch == att.epoch.max()]
    cols = ["merges", "merges_saturation", "merges_zero", "merges_other"]
    by_cause = att_last.groupby("activation")[cols].sum()
    out = {}
    for a in activations:
        row = by_cause.loc[a] if a in by_cause.index else pd.Series(0, index=cols)
        out.update({f"{c}_{a}": int(row[c]) for c in cols})
    other_layers = sorted(int(v) for v in att_last[att_last.merges_other > 0].layer.unique())
    last = last_epoch(counts, n_inputs)
    hidden = last[last.layer < L]
    relu = hidden[hidden.activation == "relu"]
    tanh = hidden[hidden.activation == "tanh"]
    inv = att_last[att_last.activation.isin(_invertible(activations)) & (att_last.layer < L)]
    out.update(other_layers=", ".join(map(str, other_layers)) or "none", att_epoch=int(att.epoch.max()),
               relu_dead_runs=int((relu.n_distinct == 1).groupby(relu.seed).any().sum()) if len(relu) else 0,
               tanh_sat_max=round(float(tanh.frac_saturated.max()), 3) if len(tanh) else 0.0,
               relu_dead_units=round(float(relu.groupby("seed").dead_units.sum().mean()), 3) if len(relu) else 0.0,
               inv_lost=int(inv.merges.sum()))
    return out, by_cause


def precision_table(prec: pd.DataFrame) -> pd.DataFrame:
    """float32 and float64 distinct counts side by side per activation, seed and layer, with
    ``rounding_only`` (distinct in float64, merged in float32)."""
    pv = prec.pivot_table(index=["activation", "seed", "layer"], columns="dtype", values="n_distinct").reset_index()
    pv.columns.name = None
    pv["rounding_only"] = pv["float64"] - pv["float32"]
    return pv


def precision_glue(pv: pd.DataFrame, activations: Sequence[str], *, n_inputs: int) -> dict:
    """Values and sentences of the float32-versus-float64 section (glue key -> value)."""
    L = int(pv.layer.max())
    lost64 = pv[pv.layer < L].assign(lost=lambda d: n_inputs - d["float64"]).groupby("activation")["lost"].sum()
    out = {}
    for a in activations:
        out[f"lost64_{a}"] = int(lost64.get(a, 0))
        out[f"rounding_{a}"] = int(pv[pv.activation == a].rounding_only.sum())
    if "relu" in activations:
        out["relu64_text"] = ("ReLU's losses survive the higher precision: they are exact zeros of the real "
                              "function, not rounding" if lost64.get("relu", 0) > 0 else
                              "ReLU loses no vectors in float64 here")
    else:
        out["relu64_text"] = "ReLU was not trained here"
    return out


def claims(counts: pd.DataFrame, att: pd.DataFrame, prec: pd.DataFrame, *, n_inputs: int, n_bins: int = 30,
           margin: float | None = None) -> list[dict]:
    """The chapter's claims rows (see :mod:`ibutils.publish.report` for the rules).

    Parameters
    ----------
    counts, att, prec : the ``counts``, ``attribution`` and ``precision`` tables of
        :func:`train_and_count_all`.
    n_inputs : number of distinct inputs (H(X) = log2 n_inputs).
    n_bins : the bins of the binned estimate (for the text).
    margin : smallest information difference that counts (default ``MARGIN_BITS``).

    Rows
    ----
    1. No compression with invertible activations (seed 002, 0.1.2): per seed, the largest loss
       ``log2 N - exact I(X;T)`` over the snapshots, in every hidden layer of every invertible
       activation trained; ``verdict_none`` (the loss must be ruled out beyond ``margin``).
    2. Measured compression is the estimator's (seed 002, 0.1.3): among the (invertible activation,
       hidden layer) units whose binned I(X;T) compresses significantly (the cross-fitted ``drop``
       of :func:`ibutils.stats.compression`), ``verdict_none`` over the exact drops there;
       "inconclusive" when no unit shows binned compression.
    3. ReLU can lose information for real (the project's note C17, a *demonstration*): a yes/no
       fact, whether some run's float64 network loses more than ``margin`` bits in a hidden layer.
    4. Real float32 collisions come only from exact +-1 and exact zeros (the project's note, a
       *demonstration*): a yes/no fact on the merge counts at the last stored epoch.
    """
    from ..publish import report
    from ..stats import compression, mean_ci

    margin = report.MARGIN_BITS if margin is None else float(margin)
    full = float(np.log2(n_inputs))
    L = int(counts.layer.max())
    acts = list(dict.fromkeys(counts.activation))
    inv = _invertible(acts)
    n = int(counts.groupby("activation").seed.nunique().min())
    epochs = int(counts.epoch.max())
    scale = dict(n_seeds=n, epochs=epochs)
    hid = counts[(counts.layer < L) & counts.activation.isin(inv)]
    units = sorted({(a, int(l)) for a, l in zip(hid.activation, hid.layer)})

    worst = hid.assign(loss=full - hid.exact_ixt).groupby(["activation", "layer", "seed"]).loss.max()
    loss = {u: mean_ci(worst.loc[u].to_numpy()) for u in units}
    eff1 = [report.effect(loss[u], n=n, margin=margin) for u in units]
    last = last_epoch(counts, n_inputs)
    share = last[(last.layer < L) & last.activation.isin(inv)].all_distinct.mean()
    pv = precision_table(prec)
    lost64 = int((n_inputs - pv[(pv.layer < L) & pv.activation.isin(inv)]["float64"]).sum())

    drops = {}
    for col in ("bin_ixt", "exact_ixt"):
        c = compression(hid, value=col, by=("activation", "layer", "seed"))
        drops[col] = {u: mean_ci(c[(c.activation == u[0]) & (c.layer == u[1])]["drop"]) for u in units}
    shown = [u for u in units if report.effect(drops["bin_ixt"][u], n=n, margin=margin) == "supports"]
    if shown:
        v2 = report.verdict_none(report.effect(drops["exact_ixt"][u], n=n, margin=margin) for u in shown)
        m2 = (f"binned ({n_bins} bins) drop significant in {len(shown)} of {len(units)} (activation, hidden layer) "
              f"units; exact drop there at most {max(drops['exact_ixt'][u][0] for u in shown):.3f} bits")
        note2 = ""
    else:
        v2 = "inconclusive"
        m2 = f"binned ({n_bins} bins) drop significant in none of {len(units)} (activation, hidden layer) units"
        note2 = "no binned compression to attribute at this scale"
    if "tanh" in acts:
        g = last[(last.activation == "tanh") & (last.layer == L - 1)]
        m2 += (f"; tanh layer {L - 1} at the last epoch: exact {g.exact_ixt.mean():.3f} vs binned "
               f"{g.bin_ixt.mean():.3f} bits")

    rows = [
        dict(claim=f"A deterministic net with invertible activations ({_names(inv)}) does not compress: "
                   "I(X;T) = H(X) in every hidden layer", source="Cambridge dissertation, 0.1.2 (eqs. 7-10)",
             reported="no compression possible",
             measured=f"largest mean loss over snapshots {max(v[0] for v in loss.values()):.3f} bits; all {n_inputs} "
                      f"vectors distinct in {share:.3f} of the (seed, hidden layer) pairs at the last epoch "
                      f"(float32); {lost64} vectors lost in float64",
             verdict=report.verdict_none(eff1), **scale,
             note="the dissertation reports no runs of its own"),
        dict(claim="Compression a binned estimate shows in such a net is the estimator's, not the network's",
             source="Cambridge dissertation, 0.1.3", reported="binning/KDE inject the loss", measured=m2, verdict=v2, **scale,
             note="; ".join(x for x in ("the dissertation reports no runs of its own", note2) if x)),
    ]
    if "relu" in acts:
        r = pv[(pv.activation == "relu") & (pv.layer < L)]
        e64 = prec[(prec.activation == "relu") & (prec.layer < L) & (prec.dtype == "float64")]
        lost = (full - e64.exact_ixt).groupby(e64.seed).max()  # per run: its largest float64 loss
        k = int((lost > margin).sum())
        merges0 = int(att[(att.activation == "relu") & (att.epoch == att.epoch.max())].merges_zero.sum())
        rows.append(dict(
            claim="ReLU (not invertible) can lose information for real: exact zeros collide",
            source="this book (a remark on 0.1.2)", reported="dead-ReLU collisions possible",
            measured=f"{merges0} vectors lost on exact zeros (float32); in float64 a hidden layer loses more than "
                     f"{margin:g} bit in {k} of {len(lost)} runs (up to {lost.max():.3f} bits; "
                     f"{int((n_inputs - r['float64']).sum())} vectors)",
            verdict=report.verdict(k > 0, n=n), kind="demonstration", **scale,
            note="the project's own note, not a claim of the dissertation; a claim of possibility, so one run "
                 "that loses more than the margin in float64 shows it"))
    a_last = att[att.epoch == att.epoch.max()]
    other, total = int(a_last.merges_other.sum()), int(a_last.merges.sum())
    other_layers = sorted(int(v) for v in a_last[a_last.merges_other > 0].layer.unique())
    rows.append(dict(
        claim="Real collisions in float32 come only from saturation to exactly +-1 and exact zeros",
        source="this book (a remark on 0.1.2)", reported="the only routes",
        measured=f"rounding merges: {other} of {total} (layers {', '.join(map(str, other_layers)) or 'none'})",
        verdict=report.verdict(other == 0, partly=other < 0.1 * max(total, 1), n=n), kind="demonstration", **scale,
        note="the book's own remark, not a claim of the dissertation"))
    return rows
