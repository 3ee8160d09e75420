"""Sweeps of the chapter "What else moves the plane" (the Deep Bottleneck cohorts on harmonics).

One sweep is a list of *points* (a label and the settings that differ: initial bias, max-norm
bound, batch normalisation, hidden widths, activation, optimizer), each trained with
``n_seeds`` seeds on Shwartz-Ziv & Tishby's harmonics data, its layers' MI measured at
snapshot epochs on all 4,096 patterns. :func:`run_sweep` trains the points that share a
network configuration (widths, activation, optimizer, learning rate, batch norm) as **one
stacked ensemble** (:func:`ibutils.nets.train_ensemble` with per-replica ``initial_bias``
and ``max_norm``) and runs the configurations concurrently in threads
(:class:`concurrent.futures.ThreadPoolExecutor`; the compiled XLA programs release the GIL).

Every replica of a sweep has its own seed: the replicas of configuration ``g`` get the
consecutive seeds after those of configurations ``0..g-1``, so ``seed`` identifies a run in
every table, and replica ``r`` of a stacked ensemble equals a network trained alone with that
seed and its point's settings. Points are therefore compared as independent samples (95%
t-intervals per point, :mod:`ibutils.stats`).

Also here: estimator specs (fixed-width binning, KDE bounds on a fixed subset of the
patterns sharing one distance pass per layer and snapshot, see
:class:`ibutils.studies.mnist.KDEBank`), per-layer activation histograms recorded at the
snapshots (:class:`HistogramRecorder`), and the summaries the pages glue: compression per
point (:func:`compression_by_point`), the late fall of I(X;T) (:func:`late_drop`), frozen
runs (:func:`frozen_runs`) and dead units (:func:`dead_units`).
"""
from __future__ import annotations

import functools
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .. import mi as _mi
from .harmonics import LAYERS, _on_rows  # Shwartz-Ziv & Tishby's hidden widths; estimator on a row subset
from ..stats import compression, mean_ci, summarize

#: The settings a point may set, with the sweep defaults (the Deep Bottleneck harmonics setting).
DEFAULTS = dict(layers=LAYERS, activation="relu", optimizer="adam", lr=4e-4, initial_bias=0.0, max_norm=None,
                batch_norm=False)
_GROUP_KEYS = ("layers", "activation", "optimizer", "lr", "batch_norm")

__all__ = ["LAYERS", "DEFAULTS", "sweep_schedule", "make_estimators", "HistogramRecorder", "SweepRun", "run_sweep",
           "compression_by_point", "late_drop", "frozen_runs", "dead_units", "fmt_ci", "describe_scale", "plane_grid",
           "drop_plot"]


def sweep_schedule(epochs: int, n_log: int = 40, n_lin: int = 20) -> list[int]:
    """Snapshot epochs: ``n_log`` log-spaced (Shwartz-Ziv & Tishby's rule with ``num=n_log``)
    united with ``n_lin`` evenly spaced epochs, 0 and ``epochs`` included."""
    from ..nets.schedules import tishby_epochs

    epochs = int(epochs)
    e = set(tishby_epochs(epochs, num=max(int(n_log), 2)).tolist()) if epochs else set()
    e |= set(np.linspace(0, epochs, max(int(n_lin), 2)).round().astype(int).tolist())
    return sorted(x for x in e | {0, epochs} if 0 <= x <= epochs)


# ----------------------------------------------------------------------------- estimators
def make_estimators(specs: Sequence[Mapping[str, Any]], *, n_probe: int, kde_samples: int | None = None,
                    seed: int = 0) -> dict:
    """Estimator callables from specs.

    Each spec is a mapping with ``name`` and ``kind``: ``"binning"`` (keyword arguments of
    :func:`ibutils.mi.binning`, e.g. ``bin_size=0.07``) or ``"kde"`` (``noise_variance``,
    ``bound`` in upper/lower). All KDE specs share one distance pass per layer and snapshot
    (:class:`ibutils.studies.mnist.KDEBank`) on the same ``kde_samples`` patterns, drawn
    once from ``seed`` (``None``: all ``n_probe``).

    Raises
    ------
    ValueError
        For a missing or duplicate name, or an unknown kind.
    """
    from .mnist import KDEBank

    out, kde_specs, seen = {}, [], set()
    for i, spec in enumerate(specs):
        spec = dict(spec)
        name, kind = spec.pop("name", None), spec.pop("kind", None)
        if not name or name in seen:
            raise ValueError(f"estimators[{i}]: missing or duplicate name {name!r}")
        seen.add(name)
        if kind == "binning":
            out[name] = functools.partial(_mi.binning, **spec)
        elif kind == "kde":
            kde_specs.append((name, float(spec.get("noise_variance", 1e-3)), spec.get("bound", "upper")))
        else:
            raise ValueError(f"estimators[{i}] ({name}): kind must be 'binning' or 'kde', got {kind!r}")
    if kde_specs:
        bank = KDEBank(sorted({v for _, v, _ in kde_specs}), sorted({b for _, _, b in kde_specs}), backend="numpy")
        rows = None
        if kde_samples is not None and int(kde_samples) < n_probe:
            rows = np.sort(np.random.default_rng(seed).choice(n_probe, int(kde_samples), replace=False))
        for name, v, b in kde_specs:
            f = bank.estimator(v, b)
            out[name] = f if rows is None else functools.partial(_on_rows, f=f, rows=rows)
    return out


class HistogramRecorder:
    """An estimator-like callable that records activation histograms at the snapshots.

    The trainer calls every estimator once per layer (in layer order) at each snapshot with
    the stacked activity ``(R, N, d)``; this one returns zeros and keeps, per replica, a
    ``n_bins``-bin histogram of all the layer's activations (units and samples pooled) over
    that replica's ``[min, max]`` at that epoch (the Deep Bottleneck ``activations`` plotter:
    one column of counts per epoch). ``frame(snapshot_epochs, seeds)`` returns the tidy table.
    """

    def __init__(self, n_layers: int, n_bins: int = 30):
        self.n_layers, self.n_bins = int(n_layers), int(n_bins)
        self.calls: list = []
        self._lock = threading.Lock()

    def __call__(self, T, y):
        T = np.asarray(T, dtype=np.float64)
        R = T.shape[0]
        flat = T.reshape(R, -1)
        lo, hi = flat.min(axis=1), flat.max(axis=1)
        width = np.where(hi > lo, (hi - lo) / self.n_bins, 1.0)
        codes = np.clip(np.floor((flat - lo[:, None]) / width[:, None]), 0, self.n_bins - 1).astype(np.int64)
        counts = np.stack([np.bincount(c, minlength=self.n_bins) for c in codes])
        with self._lock:
            self.calls.append((counts, lo, hi))
        return np.zeros(R), np.zeros(R)

    def frame(self, snapshot_epochs, seeds) -> pd.DataFrame:
        rows = []
        for i, (counts, lo, hi) in enumerate(self.calls):
            snap, layer = divmod(i, self.n_layers)
            if snap >= len(snapshot_epochs) or counts.shape[0] != len(seeds):
                continue
            for r, s in enumerate(seeds):
                rows.append(dict(seed=int(s), epoch=int(snapshot_epochs[snap]), layer=layer + 1, lo=float(lo[r]),
                                 hi=float(hi[r]), **{f"b{k:02d}": int(c) for k, c in enumerate(counts[r])}))
        return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- running
@dataclass
class SweepRun:
    """Tidy tables of a sweep; every table has a ``point`` column (the point's label).

    ``points``: one row per run (``seed``, ``point`` and the point's settings); ``mi``,
    ``metrics``, ``activity`` as :class:`ibutils.nets.TrainResult` (``activity`` at the probe
    epochs, with ``dead_fraction``); ``grad_max``: per run and layer the largest norm of the
    epoch-mean kernel gradient over all epochs (0: the layer never learned); ``histograms``:
    :class:`HistogramRecorder` tables (empty unless requested).
    """

    mi: pd.DataFrame
    metrics: pd.DataFrame
    activity: pd.DataFrame
    grad_max: pd.DataFrame
    points: pd.DataFrame
    snapshot_epochs: dict
    dropped_seeds: list
    histograms: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __repr__(self):
        return (f"SweepRun(points={self.points.point.nunique()}, runs={len(self.points)}, "
                f"dropped={self.dropped_seeds})")


def _point_settings(p: Mapping[str, Any]) -> dict:
    unknown = set(p) - set(DEFAULTS) - {"point"}
    if unknown or "point" not in p:
        raise ValueError(f"sweep point {dict(p)!r}: needs 'point' (a label); unknown keys {sorted(unknown)}")
    s = {**DEFAULTS, **{k: v for k, v in p.items() if k != "point"}}
    s["layers"] = [int(w) for w in s["layers"]]
    s["max_norm"] = None if not s["max_norm"] else float(s["max_norm"])
    return s


def run_sweep(points: Sequence[Mapping[str, Any]], *, n_seeds: int, epochs: int, seed: int = 0,
              batch_size: int | None = 256, init: str = "width", split: str = "saxe", snapshots: Any = None,
              estimators: Sequence[Mapping[str, Any]] = (), kde_samples: int | None = None,
              histograms: bool = False, probe_every: int = 10, max_workers: int = 2) -> SweepRun:
    """Train every point of a sweep with ``n_seeds`` seeds and measure MI at the snapshots.

    Parameters
    ----------
    points : list of mappings
        ``point`` (label) and any of :data:`DEFAULTS` (``layers``, ``activation``,
        ``optimizer``, ``lr``, ``initial_bias``, ``max_norm``, ``batch_norm``).
    snapshots : list of int or None
        Snapshot epochs (default :func:`sweep_schedule`).
    estimators : list of specs for :func:`make_estimators`.
    histograms : record 30-bin activation histograms at the snapshots.
    max_workers : configurations trained concurrently.
    """
    from ..data import load_harmonics
    from .harmonics import quiet_native_stderr

    pts = [(_point_settings(p), str(p["point"])) for p in points]
    labels = [lab for _, lab in pts]
    if len(set(labels)) != len(labels):
        raise ValueError("sweep points: duplicate labels")
    groups: dict = {}
    for s, lab in pts:
        key = tuple(tuple(s[k]) if k == "layers" else s[k] for k in _GROUP_KEYS)
        groups.setdefault(key, []).append((s, lab))
    data = load_harmonics(split)
    n_probe = len(data.X_train) + len(data.X_test)
    snaps = sweep_schedule(epochs) if snapshots is None else sorted({int(e) for e in snapshots})
    n_seeds = int(n_seeds)
    starts = np.cumsum([0] + [len(g) * n_seeds for g in groups.values()])[:-1]

    def one(args):
        (key, members), start = args
        s0 = members[0][0]
        ests = make_estimators(estimators, n_probe=n_probe, kde_samples=kde_samples, seed=seed)
        rec = HistogramRecorder(len(s0["layers"]) + 1) if histograms else None
        if rec is not None:
            ests["_hist"] = rec
        bias = np.repeat([m[0]["initial_bias"] for m in members], n_seeds).tolist()
        bound = [m[0]["max_norm"] for m in members for _ in range(n_seeds)]
        from ..nets import train_ensemble

        res = train_ensemble(
            data.X_train, data.y_train, data.X_test, data.y_test, layers=s0["layers"], activation=s0["activation"],
            n_seeds=len(members) * n_seeds, epochs=int(epochs), batch_size=batch_size, lr=s0["lr"],
            optimizer=s0["optimizer"], seed=int(seed + start), snapshot_epochs=snaps, init=init, initial_bias=bias,
            max_norm=bound if any(b is not None for b in bound) else None, batch_norm=s0["batch_norm"],
            mi_data="full", estimators=ests, probe_every=probe_every, progress=False,
            n_shards=1 if max_workers > 1 and len(groups) > 1 else "auto")
        pmap = pd.DataFrame([dict(seed=int(res.seeds[k * n_seeds + i]), point=lab, seed_index=i,
                                  **{k2: (str(v) if k2 == "layers" else v) for k2, v in s.items()})
                             for k, (s, lab) in enumerate(members) for i in range(n_seeds)])
        g = res.unfiltered["grads"]
        gmax = g.groupby(["seed", "layer"], sort=True)["grad_mean"].max().rename("grad_max").reset_index()
        hist = rec.frame(res.snapshot_epochs, res.seeds) if rec is not None else pd.DataFrame()
        return res, pmap, gmax, hist

    with quiet_native_stderr():
        items = list(zip(groups.items(), starts))
        if max_workers > 1 and len(items) > 1:
            with ThreadPoolExecutor(min(max_workers, len(items))) as pool:
                outs = list(pool.map(one, items))
        else:
            outs = [one(it) for it in items]
    pmap = pd.concat([o[1] for o in outs], ignore_index=True)
    lab = pmap.set_index("seed")["point"]

    def tag(frames):
        df = pd.concat(frames, ignore_index=True)
        df.insert(0, "point", df["seed"].map(lab).to_numpy())
        return df

    mi = tag([o[0].mi[o[0].mi.estimator != "_hist"] for o in outs])
    order = {p: i for i, p in enumerate(labels)}
    pmap = pmap.sort_values("seed", key=lambda s: s.map(lambda x: (order[lab[x]], x)), ignore_index=True)
    hists = [o[3] for o in outs if len(o[3])]
    return SweepRun(
        mi=mi, metrics=tag([o[0].metrics for o in outs]), activity=tag([o[0].activity for o in outs]),
        grad_max=tag([o[2] for o in outs]), points=pmap,
        snapshot_epochs={lab_: [int(e) for e in o[0].snapshot_epochs] for o in outs for lab_ in o[1].point.unique()},
        dropped_seeds=sorted(s for o in outs for s in o[0].dropped_seeds),
        histograms=tag(hists) if hists else pd.DataFrame())


# ----------------------------------------------------------------------------- summaries
def fmt_ci(m, lo, hi, nd: int = 3) -> str:
    """``"m [lo, hi]"`` with ``nd`` decimals (``"n/a"`` when ``m`` is not finite)."""
    if not np.isfinite(m):
        return "n/a"
    return f"{m:.{nd}f} [{lo:.{nd}f}, {hi:.{nd}f}]"


def compression_by_point(mi: pd.DataFrame, *, estimator: str | None = None, threshold: float = 0.1) -> pd.DataFrame:
    """Per point and layer: the drop of I(X;T) from its peak to the last snapshot (bits), mean
    over seeds with its 95% CI, and the share of runs dropping more than ``threshold``."""
    df = mi if estimator is None else mi[mi["estimator"] == estimator]
    per = compression(df, by=("point", "seed", "layer"), threshold=threshold)
    s = summarize(per, ["point", "layer"], "drop")
    share = per.groupby(["point", "layer"])["compresses"].mean().rename("share_compressing").reset_index()
    return s.merge(share, on=["point", "layer"])


def late_drop(mi: pd.DataFrame, *, start: int, estimator: str | None = None) -> pd.DataFrame:
    """Per run and layer: I(X;T) at the snapshot nearest ``start`` minus I(X;T) at the last
    snapshot (bits; positive: the layer loses information about the input after ``start``)."""
    df = mi if estimator is None else mi[mi["estimator"] == estimator]
    epochs = np.array(sorted(df["epoch"].unique()))
    e0 = int(epochs[np.argmin(np.abs(epochs - start))])
    a = df[df.epoch == e0].set_index(["point", "seed", "layer"])["ixt"]
    b = df[df.epoch == epochs.max()].set_index(["point", "seed", "layer"])["ixt"]
    out = (a - b).rename("late_drop").reset_index()
    out["from_epoch"] = e0
    return out


def frozen_runs(mi: pd.DataFrame, grad_max: pd.DataFrame, *, estimator: str | None = None, tol: float = 1e-3,
                hidden_layers: int | None = None) -> pd.DataFrame:
    """Per run: ``mi_range`` (largest change of I(X;T) over the snapshots, any hidden layer),
    ``hidden_grad`` (largest epoch-mean kernel-gradient norm of any hidden layer over all
    epochs) and ``frozen`` (the hidden layers' I(X;T) moved by less than ``tol`` bits)."""
    df = mi if estimator is None else mi[mi["estimator"] == estimator]
    L = int(df["layer"].max())
    H = L - 1 if hidden_layers is None else hidden_layers
    h = df[df.layer <= H]
    rng = h.groupby(["point", "seed", "layer"])["ixt"].agg(lambda v: v.max() - v.min()).groupby(
        ["point", "seed"]).max().rename("mi_range")
    gm = grad_max[grad_max.layer <= H].groupby(["point", "seed"])["grad_max"].max().rename("hidden_grad")
    out = pd.concat([rng, gm], axis=1).reset_index()
    out["frozen"] = out["mi_range"] < tol
    return out


def dead_units(activity: pd.DataFrame, *, at=None) -> pd.DataFrame:
    """Dead-unit fraction per point, layer and probe epoch: mean over seeds with 95% CI
    (``at``: restrict to these epochs)."""
    act = activity.dropna(subset=["dead_fraction"])
    if at is not None:
        act = act[act.epoch.isin(list(at))]
    return summarize(act, ["point", "layer", "epoch"], "dead_fraction")


def describe_scale(profile: str, *, n_seeds: int, epochs: int, n_snapshots: int, n_points: int,
                   extra: str = "") -> str:
    """One sentence on the scale a page ran at (glued)."""
    name = {"paper": "the studies' length, more seeds", "standard": "the book's standard scale",
            "quick": "the quick (CI) scale"}.get(profile, "the small defaults of the committed notebook")
    return (f"{n_points} settings x {n_seeds} seeds, {epochs:,} epochs (Adam unless stated, minibatches of 256), "
            f"MI at {n_snapshots} snapshot epochs{extra} ({name}, profile '{profile}')")


def ci_row(values) -> tuple[float, float, float]:
    """:func:`ibutils.stats.mean_ci` (re-exported for the pages)."""
    return mean_ci(values)


# ----------------------------------------------------------------------------- figures
def plane_grid(mi: pd.DataFrame, *, estimator: str, points: Sequence[str], ncols: int = 4, title: str | None = None):
    """One information plane per point (mean over seeds, coloured by epoch), shared axes."""
    import matplotlib.pyplot as plt

    from ..plots import info_plane

    points = list(points)
    nrows = int(np.ceil(len(points) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.9 * ncols, 3.1 * nrows), squeeze=False)
    df = mi[mi.estimator == estimator]
    for ax, p in zip(axes.flat, points):
        sub = df[df.point == p]
        if len(sub):
            info_plane(sub.drop(columns="point"), ax=ax, title=p)
            ax.set_xlim(-0.2, float(df.ixt.max()) + 0.3)
            ax.set_ylim(-0.05, max(1.05, float(df.ity.max()) + 0.05))
    for ax in list(axes.flat)[len(points):]:
        ax.remove()
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def drop_plot(comp: pd.DataFrame, *, points: Sequence[str], layers: Sequence[int], threshold: float, ax=None,
              xlabel: str = "setting"):
    """Mean drop of I(X;T) (peak to last snapshot) with 95% CI per point, one marker series per layer."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(max(5.0, 0.55 * len(points) + 2), 3.4))
    x = np.arange(len(points))
    n = len(layers)
    for i, l in enumerate(layers):
        c = comp[comp.layer == l].set_index("point").reindex(list(points))
        off = (i - (n - 1) / 2) * 0.12
        ax.errorbar(x + off, c["mean"], yerr=[c["mean"] - c["ci_low"], c["ci_high"] - c["mean"]], fmt="o", ms=4,
                    capsize=2, color=f"C{i}", label=f"layer {l}")
    ax.axhline(threshold, color="k", ls=":", lw=0.8)
    ax.set_xticks(x, list(points), rotation=45, ha="right", fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("drop of I(X;T) [bits]")
    ax.legend(fontsize=7, ncol=2)
    return ax.figure
