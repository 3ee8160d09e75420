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
this is the ordinary binning estimator (seed 002 eqs. 25-30). The estimator is
:mod:`ibutils.mi.batching`; :class:`BatchingRecorder`, a snapshot hook, collects the windows
during training.

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

import functools
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..mi.batching import batching_mi, uniform_codes
from ..mi.binning import binning
from ..nets.hooks import Snapshot
from ..nets.schedules import Schedule, _check_epochs


class BatchingRecorder:
    """Snapshot hook (:class:`ibutils.nets.hooks.SnapshotHook`) computing batching estimates.

    For the snapshots inside the windows that end at ``window_ends`` it keeps only the integer
    bin codes of every layer for each grid in ``n_bins`` (memory: the codes of at most
    ``max(bs)`` epochs). At a window end it evaluates :func:`ibutils.mi.batching.batching_mi`
    (seed 002, section 0.2.6) for every ``b`` in ``bs`` over the last ``b`` snapshots, when they
    are ``b`` consecutive epochs, for the replicas finite in all of them.

    Parameters
    ----------
    window_ends : list of int
        Epochs at which to evaluate; every ``b`` needs the ``b - 1`` epochs before it
        among the snapshots (use consecutive epochs, e.g. ``snapshot_epochs="every"``).
    bs : list of int
        Window lengths ``b``.
    n_bins : list of int
        Bin counts of the batching grids.
    value_range : (lo, hi)
        Range of every grid ((-1, 1) for tanh).
    """

    columns = ("seed", "epoch", "layer", "n_bins", "b", "ixt", "ity", "h_t", "h_t_given_x")

    def __init__(self, window_ends: Sequence[int], bs: Sequence[int] = (1, 2, 5, 10, 20),
                 n_bins: Sequence[int] = (30,), value_range=(-1.0, 1.0)):
        self.window_ends = sorted(int(e) for e in window_ends)
        self.bs = sorted(int(b) for b in bs)
        if not self.bs or self.bs[0] < 1:
            raise ValueError(f"bs must be integers >= 1, got {bs}")
        self.n_bins = [int(n) for n in n_bins]
        self.value_range = tuple(float(v) for v in value_range)
        self.bmax = self.bs[-1]
        self.buffer: dict[tuple[int, int], list[tuple[int, np.ndarray, np.ndarray]]] = {}
        self.rows: list[pd.DataFrame] = []

    def _in_window(self, epoch: int) -> bool:
        return any(0 <= end - epoch < self.bmax for end in self.window_ends)

    def on_snapshot(self, s: Snapshot) -> None:
        epoch = int(s.epoch)
        if not self._in_window(epoch):
            return
        seeds = np.asarray(s.seeds)
        for nb in self.n_bins:
            buf = self.buffer.setdefault((int(s.layer), nb), [])
            buf.append((epoch, seeds, uniform_codes(s.T, nb, self.value_range)))
            del buf[:-self.bmax]
            if epoch not in self.window_ends:
                continue
            for b in self.bs:
                win = buf[-b:]
                if len(win) < b or win[-1][0] - win[0][0] != b - 1:
                    continue  # not b consecutive epochs available
                common = functools.reduce(np.intersect1d, [w[1] for w in win])
                if not len(common):
                    continue
                codes = np.stack([c[np.isin(sd, common)] for _, sd, c in win], axis=1)  # (R, b, N, d)
                res = batching_mi(codes, s.y)
                self.rows.append(pd.DataFrame(dict(seed=common, epoch=epoch, layer=int(s.layer), n_bins=nb, b=b,
                                                   ixt=res.ixt, ity=res.ity, h_t=res.h_t,
                                                   h_t_given_x=res.h_t_given_x)))

    def table(self) -> pd.DataFrame:
        """Tidy frame ``seed, epoch, layer, n_bins, b, ixt, ity, h_t, h_t_given_x``."""
        if not self.rows:
            return pd.DataFrame(columns=list(self.columns))
        df = pd.concat(self.rows, ignore_index=True)
        return df[list(self.columns)].sort_values(["seed", "epoch", "layer", "n_bins", "b"], ignore_index=True)


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
        rows.append(dict(seed=int(s), quantity="both", max_abs=float(both[:, r].max()),
                         mean_abs=float(both[:, r].mean())))
    return pd.DataFrame(rows)


def train_dense(data, *, activation: str = "tanh", layers=(10, 7, 5, 4, 3), n_seeds: int = 2, epochs: int = 60,
                lr: float = 4e-4, batch_size: int | None = 256, seed: int = 0, window_ends: Sequence[int] = (),
                bs: Sequence[int] = (1, 2, 5, 10, 20), n_bins: Sequence[int] = (30,), base_bins: int = 30,
                value_range=(-1.0, 1.0)):
    """Train the harmonics network measuring MI at *every* epoch, with batching windows.

    The single estimator ``"bin"`` is :func:`ibutils.mi.binning` (``base_bins`` uniform bins over
    ``value_range`` at every epoch); a :class:`BatchingRecorder` hook computes the batching
    estimates for ``bs`` x ``n_bins`` at ``window_ends``. MI is measured on all rows of ``data``
    (train and test).

    Returns
    -------
    (TrainResult, DataFrame)
        The trainer's result (``mi`` dense over ``0..epochs``) and the batching table
        (:meth:`BatchingRecorder.table`).
    """
    from ..nets import train_ensemble

    ends = [int(e) for e in window_ends if 0 <= int(e) <= epochs]
    rec = BatchingRecorder(ends, bs=bs, n_bins=n_bins, value_range=value_range)
    base = functools.partial(binning, n_bins=int(base_bins), value_range=tuple(float(v) for v in value_range))
    res = train_ensemble(data.X_train, data.y_train, data.X_test, data.y_test, layers=list(layers),
                         activation=activation, n_seeds=n_seeds, epochs=epochs, batch_size=batch_size, lr=lr,
                         seed=seed, snapshot_epochs="every", mi_data="full", estimators={"bin": base},
                         hooks=[rec], progress=False)
    return res, rec.table()


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

    from ..plots import panel_grid

    nbs = sorted(tab.n_bins.unique())
    fig, axes = panel_grid(len(nbs), panel=(3.1, 2.8), sharey=True)
    d = tab[tab.layer == layer]
    for ax, nb in zip(axes, nbs):
        m = d[d.n_bins == nb].groupby(["b", "epoch"])["ixt"].mean().reset_index()
        for i, (b, g) in enumerate(m.groupby("b")):
            ax.plot(g.epoch, g.ixt, marker="o", ms=3, color=f"C{i}", label=f"b = {b}")
        ax.set_xscale("log")
        ax.set_title(f"{nb} bins, layer {layer}", fontsize=10)
        ax.set_xlabel("last epoch of the window")
    axes[0].set_ylabel("batching I(X;T) [bits]")
    axes[0].legend(fontsize=7)
    return fig


def plot_schedules(mi: pd.DataFrame, chosen: Mapping[str, Sequence[int]], seed: int):
    """I(X;T) per layer of one seed, dense (lines) and at each sparse schedule's epochs (markers)."""

    from ..plots import epoch_axis, panel_grid, wrap_title

    d = mi[mi.seed == seed]
    fig, axes = panel_grid(max(len(chosen), 1), panel=(3.1, 2.8), sharey=True)
    for ax, (name, ep) in zip(axes, chosen.items()):
        for i, (layer, g) in enumerate(d.groupby("layer")):
            ax.plot(g.epoch, g.ixt, color=f"C{i}", lw=0.8)
            s = g[g.epoch.isin(ep)]
            ax.plot(s.epoch, s.ixt, "o", color=f"C{i}", ms=2.5)
        epoch_axis(ax)
        ax.set_title(wrap_title(f"{name.replace('_', ' ')} ({len(ep)} evaluations)"), fontsize=9)

    axes[0].set_ylabel("I(X;T) [bits], 30 bins")
    return fig


# --------------------------------------------------------------------------- the page
def _fmt_ci(mci) -> str:
    return f"{mci[0]:.3f} [{mci[1]:.3f}, {mci[2]:.3f}]"


def batching_glue(tab: pd.DataFrame, *, bs: Sequence[int], n_bins: Sequence[int]) -> dict:
    """Values of the batching section (glue key -> value), from :meth:`BatchingRecorder.table`:
    batching I(X;T) and H(T|X) at the last window end (means over seeds) for ``b = 1`` and the
    largest ``b``, in the last hidden layer and in layer 1, and the share of estimates with
    ``b > 1`` whose H(T|X) is positive."""
    L = int(tab.layer.max())
    end = int(tab.epoch.max())
    b_max, fine = max(bs), max(n_bins)
    at_end = tab[tab.epoch == end].groupby(["layer", "n_bins", "b"])[["ixt", "h_t_given_x"]].mean()
    val = lambda layer, nb, b, col="ixt": round(float(at_end.loc[(layer, nb, b), col]), 3)  # noqa: E731
    out = {"n_windows": int(tab.epoch.nunique()), "b_max": int(b_max), "fine_bins": int(fine), "end_epoch": end,
           "last_hidden": L - 1}
    for nb in n_bins:
        out[f"ixt_b1_{nb}"] = val(L - 1, nb, 1)
        out[f"ixt_bmax_{nb}"] = val(L - 1, nb, b_max)
        out[f"htx_bmax_{nb}"] = val(L - 1, nb, b_max, "h_t_given_x")
    out["ixt_l1_fine_bmax"] = val(1, fine, b_max)
    out["htx_l1_fine_bmax"] = val(1, fine, b_max, "h_t_given_x")
    out["htx_share_pos"] = round(float((tab[tab.b > 1].h_t_given_x > 0).mean()), 3)
    l1_b1 = val(1, fine, 1)
    out["l1_text"] = (f"{'stays at' if abs(out['ixt_l1_fine_bmax'] - l1_b1) < 0.01 else 'moves to'} "
                      f"{out['ixt_l1_fine_bmax']:.3f} bits (b = 1: {l1_b1:.3f})")
    return out


def at_window_end(tab: pd.DataFrame, col: str) -> pd.DataFrame:
    """``col`` at the last window end, means over seeds: rows (layer, n_bins), columns ``b``."""
    end = tab[tab.epoch == tab.epoch.max()]
    return end.groupby(["layer", "n_bins", "b"])[col].mean().unstack("b")


def batching_compression(tab: pd.DataFrame, threshold: float = 0.1) -> pd.DataFrame:
    """The cross-fitted drop of batching I(X;T) along the window ends (:func:`ibutils.stats.compression`),
    per seed, layer, bin count and ``b``."""
    from ..stats import compression

    return compression(tab, value="ixt", by=("seed", "layer", "n_bins", "b"), threshold=threshold)


def compression_summary(comp: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% interval over seeds of ``drop`` and ``drop_max`` per layer, bin count and ``b``."""
    from ..stats import summarize

    keys = ["layer", "n_bins", "b"]
    d = summarize(comp, keys, "drop")
    m = summarize(comp, keys, "drop_max").rename(columns={"mean": "max_mean", "ci_low": "max_ci_low",
                                                          "ci_high": "max_ci_high"}).drop(columns="n")
    return d.merge(m, on=keys)


def compression_glue(cs: pd.DataFrame, *, bs: Sequence[int], n_bins: Sequence[int], threshold: float) -> dict:
    """Values of the compression paragraph (glue key -> value): the drop in the last hidden layer
    for ``b = 1`` and the largest ``b``, per bin count, with its interval as text."""
    L = int(cs.layer.max())
    out = {"compression_tol": threshold}
    for nb in n_bins:
        for b in (1, max(bs)):
            r = cs[(cs.layer == L - 1) & (cs.n_bins == nb) & (cs.b == b)].iloc[0]
            key = f"drop_{nb}_{b if b == 1 else 'max'}"
            out[key] = round(float(r["mean"]), 3)
            out[f"{key}_ci"] = f"{r.ci_low:.3f} to {r.ci_high:.3f}"
    return out


def replay_check(data, mi: pd.DataFrame, *, layers, activation: str, n_seeds: int, epochs: int, batch_size,
                 lr: float, seed: int, base_bins: int = 30, value_range=(-1.0, 1.0)) -> str:
    """Train again with the trainer's adaptive ``DeltaSkip`` schedule and say whether the epochs it
    measured are ``"identical"`` (or ``"not identical"``) to those :func:`replay_schedule` picks
    from the dense run's ``mi``."""
    import functools

    from ..nets import train_ensemble
    from ..nets.schedules import DeltaSkip
    from ..quiet import quiet

    with quiet(ignore_warnings=True):
        chk = train_ensemble(data.X_train, data.y_train, data.X_test, data.y_test, layers=list(layers),
                             activation=activation, n_seeds=n_seeds, epochs=epochs, batch_size=batch_size, lr=lr,
                             seed=seed, snapshot_epochs=DeltaSkip(epochs), mi_data="full",
                             estimators={"bin": functools.partial(binning, n_bins=base_bins, value_range=value_range)},
                             progress=False)
    same = np.array_equal(chk.snapshot_epochs, replay_schedule(DeltaSkip(epochs), mi))
    return "identical" if same else "not identical"


def page_schedules(mi: pd.DataFrame, epochs: int, deltas: Sequence[float]) -> dict:
    """The schedules the page compares: the trainer's ``DeltaSkip``, the seed's approximate and
    exact rules for each ``delta``, and Saxe et al.'s static schedule."""
    from ..nets.schedules import DeltaSkip, saxe_epochs

    out = {"trainer delta_skip": DeltaSkip(epochs)}
    for d in deltas:
        out[f"seed approx d={d}"] = DeltaApprox(epochs, delta=d)
        out[f"seed exact d={d}"] = delta_exact_epochs(mi, delta=d)
    out["Saxe et al. static"] = saxe_epochs(epochs)
    return out


def schedule_summary(cmp: pd.DataFrame) -> pd.DataFrame:
    """Per schedule (from :func:`compare_schedules`): evaluations, share of the dense ones, and the
    maximum and mean absolute error over both coordinates with 95% intervals over seeds."""
    from ..stats import mean_ci

    rows = []
    for name, g in cmp[cmp.quantity == "both"].groupby("schedule", sort=False):
        mx, mn = mean_ci(g.max_abs), mean_ci(g.mean_abs)
        rows.append(dict(schedule=name, n_evals=int(g.n_evals.iloc[0]),
                         share_evaluated=float(g.share_evaluated.iloc[0]),
                         max_abs=mx[0], max_abs_lo=mx[1], max_abs_hi=mx[2], mean_abs=mn[0], mean_abs_lo=mn[1],
                         mean_abs_hi=mn[2]))
    return pd.DataFrame(rows)


def schedule_glue(sched: pd.DataFrame, cmp: pd.DataFrame, deltas: Sequence[float]) -> dict:
    """Values of the skipping paragraph (glue key -> value) for the trainer's schedule (``tr``), the
    seed's approximate (``ap``) and exact (``ex``) rules at ``deltas[0]`` and Saxe et al.'s (``sx``)."""
    out = {"n_dense": int(cmp.n_dense.iloc[0]), "delta0": deltas[0]}
    for key, name in (("tr", "trainer delta_skip"), ("ap", f"seed approx d={deltas[0]}"),
                      ("ex", f"seed exact d={deltas[0]}"), ("sx", "Saxe et al. static")):
        r = sched[sched.schedule == name].iloc[0]
        out.update({f"{key}_n": int(r.n_evals), f"{key}_share": round(float(r.share_evaluated), 3),
                    f"{key}_saved": round(1 - float(r.share_evaluated), 3), f"{key}_max": round(float(r.max_abs), 3),
                    f"{key}_max_ci": f"{r.max_abs_lo:.3f} to {r.max_abs_hi:.3f}",
                    f"{key}_mean": round(float(r.mean_abs), 3),
                    f"{key}_mean_ci": f"{r.mean_abs_lo:.3f} to {r.mean_abs_hi:.3f}"})
    return out


def plot_page_schedules(mi: pd.DataFrame, schedules: Mapping[str, object], seed: int, k: int = 3):
    """:func:`plot_schedules` for the first ``k`` schedules (replayed when adaptive)."""
    chosen = {name: (np.asarray(s) if isinstance(s, np.ndarray) else replay_schedule(s, mi))
              for name, s in list(schedules.items())[:k]}
    return plot_schedules(mi, chosen, seed=seed)


def _both(e_drop: str, e_diff: str) -> str:
    """One unit's word for "batching shows compression that single-epoch binning does not": both the
    batched drop and its excess over the single-epoch drop must be significant."""
    if "too few" in (e_drop, e_diff):
        return "too few"
    if e_drop == "supports" and e_diff == "supports":
        return "supports"
    if e_diff == "opposes":
        return "opposes"
    if e_diff == "excludes" or e_drop in ("excludes", "opposes"):
        return "excludes"
    return "unclear"


#: The deltas of the seed's approximate skip rule (code default 0.2, command line 0.1): row 3 of :func:`claims`.
STUDY_SETTING = {"delta": frozenset({0.2, 0.1})}


def claims(tab: pd.DataFrame, comp: pd.DataFrame, cmp: pd.DataFrame, *, delta: float,
           margin: float | None = None, max_share: float = 0.5) -> list[dict]:
    """The chapter's claims rows (see :mod:`ibutils.publish.report` for the rules).

    Parameters
    ----------
    tab : the batching table (:meth:`BatchingRecorder.table`).
    comp : :func:`batching_compression` of it (per seed).
    cmp : :func:`compare_schedules` of the dense run.
    delta : the ``delta`` of the seed's approximate rule that the claim is tested with.
    margin : smallest information difference that counts (default ``MARGIN_BITS``).
    max_share : the share of the dense evaluations below which a schedule "skips most epochs".

    Rows
    ----
    1. With ``b > 1`` epochs pooled H(T|X) is not zero: per seed, H(T|X) at the last window end
       for the largest ``b``, in every hidden layer and bin grid; ``verdict_all``.
    2. Batching reduces the binning noise needed to see compression: with the finest grid, per
       hidden layer, the cross-fitted drop for the largest ``b`` and its excess over ``b = 1``
       (paired by seed) must both be significant; ``verdict_any`` over the hidden layers.
    3. The seed's approximate delta skip keeps the information plane while skipping most epochs:
       the per-seed maximum absolute error against the dense plane must be ruled out beyond
       ``margin`` (``verdict_none``) and the share evaluated must be below ``max_share``.
       Compared with the seed only at its own deltas (:data:`STUDY_SETTING`: 0.2, its code's
       default, or 0.1, its command line's); at another ``delta`` the verdict is "different
       setting" (:func:`ibutils.publish.report.verdict_at_setting`).
    """
    from ..publish import report
    from ..stats import mean_ci

    margin = report.MARGIN_BITS if margin is None else float(margin)
    L = int(tab.layer.max())
    n = int(tab.seed.nunique())
    epochs = int(cmp.n_dense.iloc[0]) - 1
    scale = dict(n_seeds=n, epochs=epochs)
    b_max, fine = int(tab.b.max()), int(tab.n_bins.max())
    note = "the dissertation reports no runs of its own"

    end = tab[(tab.epoch == tab.epoch.max()) & (tab.b == b_max) & (tab.layer < L)]
    units = sorted({(int(l), int(nb)) for l, nb in zip(end.layer, end.n_bins)})
    htx = {u: mean_ci(end[(end.layer == u[0]) & (end.n_bins == u[1])].h_t_given_x) for u in units}
    smallest = min(units, key=lambda u: htx[u][0])

    c = comp[(comp.n_bins == fine) & (comp.layer < L)]
    per = c.pivot_table(index=["layer", "seed"], columns="b", values="drop")
    words, best = [], None
    for layer, g in per.groupby(level="layer"):
        d_max, d_1 = g[b_max].to_numpy(), g[1].to_numpy()
        e = _both(report.effect(mean_ci(d_max), n=n, margin=margin),
                  report.effect(mean_ci(d_max - d_1), n=n, margin=margin))
        words.append(e)
        if layer == L - 1:
            best = (mean_ci(d_1), mean_ci(d_max))

    ap = cmp[(cmp.schedule == f"seed approx d={delta}") & (cmp.quantity == "both")]
    if ap.empty:
        raise ValueError(f"cmp: no schedule 'seed approx d={delta}'")
    err = mean_ci(ap.max_abs)
    share = float(ap.share_evaluated.iloc[0])
    v3 = report.verdict_none([report.effect(err, n=n, margin=margin)]) if share < max_share else "not reproduced"

    rows = [
        dict(claim=f"With b = {b_max} epochs pooled, H(T|X) is not zero (in any hidden layer) and must be computed",
             source="Cambridge dissertation, 0.2.6 (Fig. 9)", reported="H(T|X) != 0",
             measured=f"smallest H(T|X) at epoch {int(tab.epoch.max())}: {_fmt_ci(htx[smallest])} bits "
                      f"(layer {smallest[0]}, {smallest[1]} bins)",
             verdict=report.verdict_all(report.effect(htx[u], n=n, margin=margin) for u in units), **scale, note=note),
        dict(claim="Batching epochs reduces the binning noise needed to see compression", source="Cambridge dissertation, 0.2.6",
             reported="less noise needed",
             measured=f"{fine} bins, layer {L - 1}: drop {_fmt_ci(best[0])} (b=1) vs {_fmt_ci(best[1])} bits "
                      f"(b={b_max}); shown in {words.count('supports')} of {len(words)} hidden layers",
             verdict=report.verdict_any(words), **scale, note=note),
        dict(claim=f"Delta skip (d={delta:g}) keeps the information plane while skipping most epochs",
             source="Cambridge dissertation, 0.3.2 (Fig. 13)", reported="dense early, sparse late, shape unchanged",
             measured=f"approx d={delta}: {int(ap.n_evals.iloc[0])}/{int(ap.n_dense.iloc[0])} evaluations, "
                      f"max error {_fmt_ci(err)} bits",
             verdict=v3, **scale, note=note),
    ]
    rows[2] = report.verdict_at_setting(rows[2], STUDY_SETTING, {"delta": float(delta)})
    return rows
