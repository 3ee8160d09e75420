"""The batching estimator and epoch-skipping schedules of seed 002 (sections 0.2.6 and 0.3.2).

Batching (seed 002, section 0.2.6, Fig. 8 and eqs. 47-49)
---------------------------------------------------------
The random triple is ``(x_i, F^l_{theta(j)}(x_i), y_i)`` with ``i ~ U{1..N}`` and the
epoch ``j ~ U`` over a window of ``b`` consecutive epochs: the ``N b`` activations of the
window are pooled, each with weight ``1 / (N b)``. After binning (the extra noise the
seed says is still needed),

.. math::

   I(X;T) = H(T) - H(T|X), \\qquad
   H(T|X) = \\frac1N \\sum_i H\\big(T \\mid X = x_i\\big),

where ``H(T | X = x_i)`` is the entropy of the ``b`` binned codes of ``x_i`` (one per
epoch), so ``H(T|X) = 0`` only when no input changes bin within the window, and
``I(T;Y) = H(T) - \\sum_y p(y) H(T | Y = y)`` over the pooled samples. With ``b = 1``
this is the ordinary binning estimator (seed 002 eqs. 25-30).

Epoch skipping (seed 002, section 0.3.2)
----------------------------------------
:class:`DeltaApprox` is the seed's "Delta Skip - Approximate" rule (Fig. 13) as a
:class:`ibutils.nets.schedules.Schedule`: after each measurement the distance to the
previous one (eq. 50 with absolute differences, or eq. 51 normalised by ``H(X)`` and
``H(Y)``) is compared with ``delta``; at most ``delta`` doubles the skip, more keeps
it. :func:`delta_exact_epochs` is the "Exact" variant with backtracking (Figs. 10-11),
which needs access to past epochs and therefore runs on a dense record.
:func:`replay_schedule` feeds a schedule the values of a dense run (the trainer is
deterministic, so this gives the epochs the schedule would pick during training) and
:func:`schedule_error` measures how far the sparse information plane is from the
dense one.
"""
from __future__ import annotations

from typing import Callable, Mapping, NamedTuple, Sequence

import numpy as np
import pandas as pd

from ..mi.binning import binning
from ..mi.entropy import check_labels, entropy_from_counts, entropy_of_ids, stacked_row_ids
from ..nets.schedules import Schedule, _check_epochs


class BatchingMI(NamedTuple):
    """Batching estimate in bits: arrays of shape ``(R,)`` (floats for one replica)."""

    ixt: np.ndarray
    ity: np.ndarray
    h_t: np.ndarray
    h_t_given_x: np.ndarray


def batching_mi(codes, y) -> BatchingMI:
    """Batching estimator of ``I(X;T)`` and ``I(T;Y)`` from discrete codes of ``b`` epochs.

    Seed 002, section 0.2.6 (Fig. 8, eqs. 47-49, Fig. 9): the ``N b`` pairs
    ``(x_i, t_{i,j})`` of a window of ``b`` epochs are pooled with equal weights and

    .. math:: I(X;T) = H(T) - H(T|X),\\quad H(T|X) = H(T,X) - \\log_2 N,
              \\quad I(T;Y) = H(T) + H(Y) - H(T,Y),

    all plug-in entropies of the pooled sample. ``H(T|X)`` is the mean over inputs of
    the entropy of the ``b`` codes of that input; it vanishes for ``b = 1``.

    Parameters
    ----------
    codes : int array ``(b, N, d)`` or ``(R, b, N, d)``
        Binned activity (any integer codes, e.g. bin indices) of one layer at ``b``
        epochs, for one or ``R`` replicas; row ``i`` is input ``x_i`` in every epoch.
    y : array ``(N,)``
        Class labels.

    Returns
    -------
    BatchingMI
        ``ixt``, ``ity``, ``h_t``, ``h_t_given_x``.
    """
    c = np.asarray(codes)
    if c.ndim not in (3, 4) or c.size == 0:
        raise ValueError(f"codes must have shape (b, N, d) or (R, b, N, d), got {c.shape}")
    if not (np.issubdtype(c.dtype, np.integer) or c.dtype == bool):
        raise ValueError(f"codes must be integer (binned) codes, got dtype {c.dtype}")
    single = c.ndim == 3
    c4 = c[None] if single else c
    R, b, N, d = c4.shape
    y_codes, K = check_labels(y, N)
    ids = stacked_row_ids(c4.reshape(R, b * N, d))  # equal rows (within a replica) equal ids
    ids = np.unique(ids, return_inverse=True)[1].reshape(R, b * N).astype(np.int64)  # dense, < R b N
    x = np.tile(np.arange(N, dtype=np.int64), b)
    yy = np.tile(y_codes, b)
    h_t = entropy_of_ids(ids)
    h_tx = entropy_of_ids(ids * N + x[None])
    h_ty = entropy_of_ids(ids * K + yy[None])
    h_y = float(entropy_from_counts(np.bincount(y_codes, minlength=K)))
    h_t_x = np.clip(h_tx - np.log2(N), 0.0, None) + 0.0
    ixt = np.clip(h_t - h_t_x, 0.0, None) + 0.0
    ity = np.clip(h_t + h_y - h_ty, 0.0, None) + 0.0
    out = BatchingMI(ixt, ity, h_t, h_t_x)
    return BatchingMI(*(float(v[0]) for v in out)) if single else out


def uniform_codes(T, n_bins: int, value_range=(-1.0, 1.0)) -> np.ndarray:
    """Equal-width bin indices ``0..n_bins-1`` of activity ``T`` (any shape) over a fixed range.

    Values outside ``value_range`` fall in the end bins (seed 002, Fig. 5:
    ``binValue(t) = floor((t - low) / s)`` with ``s = (high - low) / bins``).
    """
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins must be an integer >= 1, got {n_bins!r}")
    lo, hi = (float(v) for v in value_range)
    if not hi > lo:
        raise ValueError(f"value_range must have lo < hi, got {value_range!r}")
    T = np.asarray(T, dtype=np.float64)
    c = np.floor((T - lo) * (n_bins / (hi - lo)))
    np.clip(c, 0, n_bins - 1, out=c)
    return c.astype(np.int16 if n_bins < 2**15 else np.int64)


def batching_binning(T, y, *, n_bins: int = 30, value_range=(-1.0, 1.0)) -> BatchingMI:
    """:func:`batching_mi` of real activity ``T`` ``(b, N, d)`` or ``(R, b, N, d)`` after
    ``n_bins`` equal-width bins over ``value_range`` (one grid for the whole window)."""
    return batching_mi(uniform_codes(T, n_bins, value_range), y)


class BatchingRecorder:
    """Estimator for :func:`ibutils.nets.train_ensemble` that also computes batching estimates.

    It returns the single-epoch binning estimate (``base_bins`` bins over ``value_range``)
    to the trainer, and keeps, for epochs inside the windows that end at
    ``window_ends``, only the integer bin codes of every layer for each grid in
    ``n_bins`` (memory: the codes of at most ``max(bs)`` epochs). At a window end it
    evaluates :func:`batching_mi` for every ``b`` in ``bs`` over the last ``b`` epochs.

    Parameters
    ----------
    snapshot_epochs : list of int
        The trainer's (static) snapshot epochs, in order; call ``k`` is layer
        ``k % n_layers + 1`` of snapshot ``snapshot_epochs[k // n_layers]``.
    n_layers : int
        Layers per snapshot (hidden layers plus read-out).
    window_ends : list of int
        Epochs at which to evaluate; every ``b`` needs the ``b - 1`` epochs before it
        among the snapshots (use consecutive epochs, e.g. ``snapshot_epochs="every"``).
    bs : list of int
        Window lengths ``b``.
    n_bins : list of int
        Bin counts of the batching grids.
    base_bins : int
        Bins of the estimate returned to the trainer.
    value_range : (lo, hi)
        Range of every grid ((-1, 1) for tanh).
    """

    def __init__(self, snapshot_epochs: Sequence[int], n_layers: int, window_ends: Sequence[int],
                 bs: Sequence[int] = (1, 2, 5, 10, 20), n_bins: Sequence[int] = (30,), base_bins: int = 30,
                 value_range=(-1.0, 1.0)):
        self.epochs = np.asarray(snapshot_epochs, dtype=np.int64)
        self.n_layers = int(n_layers)
        self.window_ends = sorted(int(e) for e in window_ends)
        self.bs = sorted(int(b) for b in bs)
        if not self.bs or self.bs[0] < 1:
            raise ValueError(f"bs must be integers >= 1, got {bs}")
        self.n_bins = [int(n) for n in n_bins]
        self.base_bins = int(base_bins)
        self.value_range = tuple(float(v) for v in value_range)
        self.bmax = self.bs[-1]
        self.calls = 0
        self.buffer: dict[tuple[int, int], list[tuple[int, np.ndarray]]] = {}
        self.rows: list[pd.DataFrame] = []

    def _in_window(self, epoch: int) -> bool:
        return any(0 <= end - epoch < self.bmax for end in self.window_ends)

    def __call__(self, T, y):
        snap, l = divmod(self.calls, self.n_layers)
        self.calls += 1
        if snap >= len(self.epochs):
            raise ValueError("BatchingRecorder: more snapshots than snapshot_epochs")
        epoch = int(self.epochs[snap])
        T = np.asarray(T)
        if self._in_window(epoch):
            for nb in self.n_bins:
                buf = self.buffer.setdefault((l, nb), [])
                buf.append((epoch, uniform_codes(T, nb, self.value_range)))
                del buf[:-self.bmax]
                if epoch in self.window_ends:
                    for b in self.bs:
                        win = buf[-b:]
                        if len(win) < b or win[-1][0] - win[0][0] != b - 1:
                            continue  # not b consecutive epochs available
                        res = batching_mi(np.stack([c for _, c in win], axis=1), y)
                        self.rows.append(pd.DataFrame(dict(replica=np.arange(T.shape[0]), epoch=epoch,
                                                           layer=l + 1, n_bins=nb, b=b, ixt=res.ixt,
                                                           ity=res.ity, h_t=res.h_t,
                                                           h_t_given_x=res.h_t_given_x)))
        return binning(T, y, n_bins=self.base_bins, value_range=self.value_range)

    def table(self, seeds: Sequence[int]) -> pd.DataFrame:
        """Tidy frame ``seed, epoch, layer, n_bins, b, ixt, ity, h_t, h_t_given_x``."""
        cols = ["seed", "epoch", "layer", "n_bins", "b", "ixt", "ity", "h_t", "h_t_given_x"]
        if not self.rows:
            return pd.DataFrame(columns=cols)
        df = pd.concat(self.rows, ignore_index=True)
        seeds = np.asarray(seeds)
        df["seed"] = seeds[df.pop("replica").to_numpy()]
        return df[cols].sort_values(["seed", "epoch", "layer", "n_bins", "b"], ignore_index=True)


# --------------------------------------------------------------------------- skipping
def mi_distance(prev: Mapping, cur: Mapping, *, normalise: bool = False, h_x: float = 12.0,
                h_y: float = 1.0) -> float:
    """Seed 002 eq. 50 (or eq. 51 with ``normalise``): the largest absolute change of
    I(X;T) or I(T;Y) over layers (and replicas and estimators) between two measurements.

    ``prev``/``cur`` map estimator names to ``(ixt, ity)`` arrays ``(R, L)``. The seed prints
    signed differences; its code uses absolute values, as here.
    """
    d = 0.0
    for name in cur:
        for k, scale in enumerate((h_x, h_y)):
            a = np.asarray(cur[name][k], float) - np.asarray(prev[name][k], float)
            if a.size:
                d = max(d, float(np.nanmax(np.abs(a))) / (scale if normalise else 1.0))
    return d


class DeltaApprox(Schedule):
    """Seed 002's "Delta Skip - Approximate" (section 0.3.2, Fig. 13) as a trainer schedule.

    Starts with ``skip = 1``; after each measurement, if the distance (:func:`mi_distance`,
    eq. 50/51) to the previous measurement is at most ``delta`` the skip is multiplied by
    ``multiplier``, otherwise it is kept. It never shrinks (the seed assumes distances only
    shrink during training). For an ensemble the distance is the maximum over replicas,
    so all replicas share one schedule. The last epoch is always measured.
    """

    def __init__(self, n_epochs: int, delta: float = 0.2, multiplier: int = 2, normalise: bool = False,
                 h_x: float = 12.0, h_y: float = 1.0, start: int = 0):
        self.n_epochs = _check_epochs(n_epochs)
        if not delta > 0 or int(multiplier) < 1:
            raise ValueError("DeltaApprox: delta must be > 0 and multiplier >= 1")
        self.delta, self.multiplier, self.normalise = float(delta), int(multiplier), bool(normalise)
        self.h_x, self.h_y, self.start = float(h_x), float(h_y), int(start)
        self.skip, self._last = 1, None

    def first(self):
        self.skip, self._last = 1, None
        return self.start

    def next(self, epoch, mi):
        if epoch >= self.n_epochs:
            return None
        if self._last is not None and mi:
            if mi_distance(self._last, mi, normalise=self.normalise, h_x=self.h_x, h_y=self.h_y) <= self.delta:
                self.skip *= self.multiplier
        self._last = {k: (np.array(v[0], float), np.array(v[1], float)) for k, v in mi.items()} if mi else None
        return min(epoch + self.skip, self.n_epochs)


def _dense_lookup(mi: pd.DataFrame, estimator: str | None = None):
    """epoch -> {estimator: (ixt (R, L), ity (R, L))} from a dense tidy MI frame."""
    df = mi if estimator is None else mi[mi["estimator"] == estimator]
    if df.empty:
        raise ValueError("mi: no rows (for this estimator)")
    seeds = np.sort(df["seed"].unique())
    layers = np.sort(df["layer"].unique())
    name = str(df["estimator"].iloc[0]) if "estimator" in df else "mi"
    piv = {}
    for col in ("ixt", "ity"):
        p = df.pivot_table(index="epoch", columns=["seed", "layer"], values=col)
        p = p.reindex(columns=pd.MultiIndex.from_product([seeds, layers]))
        piv[col] = p
    epochs = piv["ixt"].index.to_numpy()
    arr = {c: piv[c].to_numpy().reshape(len(epochs), len(seeds), len(layers)) for c in piv}
    pos = {int(e): i for i, e in enumerate(epochs)}
    return epochs, (lambda e: {name: (arr["ixt"][pos[int(e)]], arr["ity"][pos[int(e)]])}), seeds, layers


def replay_schedule(schedule: Schedule, mi: pd.DataFrame, estimator: str | None = None) -> np.ndarray:
    """Epochs an adaptive schedule picks when fed the MI of a dense run (``mi``: the trainer's
    tidy frame measured at every epoch). The trainer is deterministic (snapshots do not change
    training), so these are the epochs the schedule would pick during training.

    Raises
    ------
    ValueError
        If the schedule asks for an epoch that the dense frame lacks.
    """
    epochs, at, _, _ = _dense_lookup(mi, estimator)
    have = set(int(e) for e in epochs)
    out = []
    e = schedule.first()
    while e is not None:
        if int(e) not in have:
            raise ValueError(f"replay_schedule: epoch {e} is not in the dense record")
        out.append(int(e))
        nxt = schedule.next(int(e), at(e))
        if nxt is not None and nxt <= e:
            raise ValueError(f"schedule returned epoch {nxt} after {e}")
        e = nxt
    return np.asarray(out, dtype=np.int64)


def delta_exact_epochs(mi: pd.DataFrame, delta: float = 0.2, multiplier: int = 2, estimator: str | None = None,
                       normalise: bool = False, h_x: float = 12.0, h_y: float = 1.0) -> np.ndarray:
    """Seed 002's "Delta Skip - Exact" (section 0.3.2, Figs. 10-11) replayed on a dense record.

    The skip grows by ``multiplier`` while consecutive measurements are within ``delta``
    (eq. 50/51); when a step exceeds ``delta`` the section between the two epochs is
    bisected (the middle epoch is measured) recursively until every consecutive pair is
    within ``delta`` or adjacent. Backtracking needs past epochs, which a one-pass trainer
    does not keep, hence the replay on a dense record.
    """
    epochs, at, _, _ = _dense_lookup(mi, estimator)
    E = int(epochs.max())
    dist = lambda a, b: mi_distance(at(a), at(b), normalise=normalise, h_x=h_x, h_y=h_y)  # noqa: E731
    chosen = {int(epochs.min())}

    def backtrack(a, b):
        if a + 1 < b:
            m = (a + b) // 2
            chosen.add(m)
            if dist(a, m) > delta:
                backtrack(a, m)
            if dist(m, b) > delta:
                backtrack(m, b)

    skip, cur = 1, int(epochs.min())
    while cur < E:
        nxt = min(cur + skip, E)
        chosen.add(nxt)
        if dist(cur, nxt) > delta:
            backtrack(cur, nxt)
        else:
            skip *= multiplier
        cur = nxt
    return np.asarray(sorted(chosen), dtype=np.int64)


def schedule_error(mi: pd.DataFrame, epochs: Sequence[int], estimator: str | None = None) -> pd.DataFrame:
    """How far a sparse information plane is from the dense one.

    The values at ``epochs`` (a subset of the dense frame's epochs) are linearly
    interpolated at every dense epoch; per seed, the maximum and the mean absolute
    difference over epochs and layers, for I(X;T), I(T;Y) and both together, in bits.

    Returns
    -------
    DataFrame ``seed, quantity, max_abs, mean_abs`` (``quantity`` in ixt, ity, both).
    """
    dense_epochs, at, seeds, layers = _dense_lookup(mi, estimator)
    sub = np.asarray(sorted(set(int(e) for e in epochs)))
    if not np.isin(sub, dense_epochs).all():
        raise ValueError("epochs: not all in the dense record")
    rows = []
    name = next(iter(at(dense_epochs[0])))
    full = {k: np.stack([at(e)[name][k] for e in dense_epochs]) for k in (0, 1)}  # (E, R, L)
    idx = np.searchsorted(dense_epochs, sub)
    for k, q in ((0, "ixt"), (1, "ity")):
        v = full[k]
        interp = np.empty_like(v)
        for r in range(v.shape[1]):  # seeds and layers: a handful
            for j in range(v.shape[2]):
                interp[:, r, j] = np.interp(dense_epochs, sub, v[idx, r, j])
        err = np.abs(interp - v)
        full[q] = err
        for r, s in enumerate(seeds):
            rows.append(dict(seed=int(s), quantity=q, max_abs=float(err[:, r].max()), mean_abs=float(err[:, r].mean())))
    both = np.concatenate([full["ixt"], full["ity"]], axis=2)
    for r, s in enumerate(seeds):
        rows.append(dict(seed=int(s), quantity="both", max_abs=float(both[:, r].max()), mean_abs=float(both[:, r].mean())))
    return pd.DataFrame(rows)


def train_dense(data, *, activation: str = "tanh", layers=(10, 7, 5, 4, 3), n_seeds: int = 2, epochs: int = 60,
                lr: float = 4e-4, batch_size: int | None = 256, seed: int = 0, window_ends: Sequence[int] = (),
                bs: Sequence[int] = (1, 2, 5, 10, 20), n_bins: Sequence[int] = (30,), base_bins: int = 30,
                value_range=(-1.0, 1.0)):
    """Train the harmonics network measuring MI at *every* epoch, with batching windows.

    The single estimator ``"bin"`` is a :class:`BatchingRecorder` (``base_bins`` uniform
    bins over ``value_range`` at every epoch, batching estimates for ``bs`` x ``n_bins`` at
    ``window_ends``). MI is measured on all rows of ``data`` (train and test).

    Returns
    -------
    (TrainResult, DataFrame)
        The trainer's result (``mi`` dense over ``0..epochs``) and the batching table
        (:meth:`BatchingRecorder.table`).
    """
    from ..nets import train_ensemble

    snaps = np.arange(int(epochs) + 1)
    ends = [int(e) for e in window_ends if 0 <= int(e) <= epochs]
    rec = BatchingRecorder(snaps, len(layers) + 1, ends, bs=bs, n_bins=n_bins, base_bins=base_bins,
                           value_range=value_range)
    res = train_ensemble(data.X_train, data.y_train, data.X_test, data.y_test, layers=list(layers),
                         activation=activation, n_seeds=n_seeds, epochs=epochs, batch_size=batch_size, lr=lr,
                         seed=seed, snapshot_epochs="every", mi_data="full", estimators={"bin": rec},
                         progress=False)
    return res, rec.table(res.seeds)


def compare_schedules(mi: pd.DataFrame, schedules: Mapping[str, object], estimator: str | None = None) -> pd.DataFrame:
    """Evaluations saved and information-plane error of sparse schedules against a dense run.

    Parameters
    ----------
    mi : the dense run's tidy MI frame (every epoch).
    schedules : name -> a :class:`ibutils.nets.schedules.Schedule` (replayed with
        :func:`replay_schedule`) or an array of epochs.

    Returns
    -------
    DataFrame ``schedule, n_evals, n_dense, share_evaluated, seed, quantity, max_abs, mean_abs``
    (one row per schedule, seed and quantity; see :func:`schedule_error`).
    """
    n_dense = int((mi if estimator is None else mi[mi["estimator"] == estimator])["epoch"].nunique())
    out = []
    for name, sch in schedules.items():
        ep = replay_schedule(sch, mi, estimator) if isinstance(sch, Schedule) else np.asarray(sch, dtype=np.int64)
        err = schedule_error(mi, ep, estimator)
        err.insert(0, "share_evaluated", len(ep) / n_dense)
        err.insert(0, "n_dense", n_dense)
        err.insert(0, "n_evals", len(ep))
        err.insert(0, "schedule", name)
        out.append(err)
    return pd.concat(out, ignore_index=True)


__all__ = [
    "BatchingMI",
    "batching_mi",
    "uniform_codes",
    "batching_binning",
    "BatchingRecorder",
    "mi_distance",
    "DeltaApprox",
    "replay_schedule",
    "delta_exact_epochs",
    "schedule_error",
    "train_dense",
    "compare_schedules",
]


def plot_batching(tab: pd.DataFrame, layer: int):
    """Batching I(X;T) against the window end, one panel per bin count, one line per ``b``
    (means over seeds), for one layer."""
    import matplotlib.pyplot as plt

    nbs = sorted(tab.n_bins.unique())
    fig, axes = plt.subplots(1, len(nbs), figsize=(4.0 * len(nbs), 3.2), sharey=True, squeeze=False)
    d = tab[tab.layer == layer]
    for ax, nb in zip(axes[0], nbs):
        m = d[d.n_bins == nb].groupby(["b", "epoch"])["ixt"].mean().reset_index()
        for i, (b, g) in enumerate(m.groupby("b")):
            ax.plot(g.epoch, g.ixt, marker="o", ms=3, color=f"C{i}", label=f"b = {b}")
        ax.set_xscale("log")
        ax.set_title(f"{nb} bins, layer {layer}", fontsize=10)
        ax.set_xlabel("last epoch of the window")
    axes[0][0].set_ylabel("batching I(X;T) [bits]")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_schedules(mi: pd.DataFrame, chosen: Mapping[str, Sequence[int]], seed: int):
    """I(X;T) per layer of one seed, dense (lines) and at each sparse schedule's epochs (markers)."""
    import matplotlib.pyplot as plt

    d = mi[mi.seed == seed]
    fig, axes = plt.subplots(1, len(chosen), figsize=(4.0 * len(chosen), 3.2), sharey=True, squeeze=False)
    for ax, (name, ep) in zip(axes[0], chosen.items()):
        for i, (layer, g) in enumerate(d.groupby("layer")):
            ax.plot(g.epoch + 1, g.ixt, color=f"C{i}", lw=0.8)
            s = g[g.epoch.isin(ep)]
            ax.plot(s.epoch + 1, s.ixt, "o", color=f"C{i}", ms=2.5)
        ax.set_xscale("log")
        ax.set_title(f"{name} ({len(ep)} evaluations)", fontsize=9)
        ax.set_xlabel("epoch + 1")
    axes[0][0].set_ylabel("I(X;T) [bits], 30 bins")
    fig.tight_layout()
    return fig
