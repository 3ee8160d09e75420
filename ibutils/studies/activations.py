"""Binning versus adaptive binning across activation functions (chapter "Activations and estimators").

Does compression belong to double-saturating activations or to the estimator? This module
holds what the chapter's pages compute on top of :mod:`ibutils.studies.harmonics`:

* :func:`run_setting`: one of Rasmussen's (2020) Settings 2.1-2.4 or his appendix networks:
  the harmonics ensemble of :func:`ibutils.nets.train_ensemble` measured with fixed-range
  and adaptive binning (:func:`ibutils.mi.binning`) and with uniform bins on
  ``[lo, max activation of the run]`` (:class:`RangeMaxBinning`; ``lo = -1`` for ELU, his
  Setting 2.3), found by the deterministic replay of :mod:`ibutils.studies.harmonics` (train
  once to read each replica's maximum, train again with the same seeds);
* :func:`kde_sparse`: the Kolchinsky-Tracey upper bound of :func:`ibutils.mi.kde` computed
  on the neighbour pairs that can contribute (exact to float64 rounding, ~10-30x faster
  on all 4,096 harmonics patterns), and :func:`run_cohort`, the Deep Bottleneck activation
  cohort (11 activations, KDE upper bound, noise variance 1e-3);
* analyses: :func:`dpi_checks` / :func:`dpi_summary` (violations of the data-processing
  inequality along the layers), :func:`phase_order` / :func:`phase_summary` (does
  compression come before or after fitting?), :func:`bin_edges` (where uniform and
  adaptive edges fall, Rasmussen's Fig. 5.7), :func:`seed_spread` (run-to-run
  variability, his Fig. 5.13), :func:`final_accuracy`, :func:`saturation_verdict`.

All information quantities are in bits; epochs count completed epochs (0: untrained).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import harmonics as ex
from ..mi.binning import adaptive_edges
from ..mi.entropy import MIPair, check_labels, check_layer
from ..stats import compression, mean_ci

#: Lower bound of the adaptive bins per activation (Rasmussen's ``info_utils``: -1 - 1e-12
#: for tanh and ELU, 0 for ReLU and ReLU6).
ADAPTIVE_LB = {"tanh": -1.000000000001, "elu": -1.000000000001, "relu": 0.0, "relu6": 0.0}

__all__ = [
    "ADAPTIVE_LB", "RangeMaxBinning", "split_specs", "run_setting", "kde_sparse", "HiddenOnly", "run_cohort",
    "dpi_checks", "dpi_summary", "phase_order", "phase_summary", "bin_edges", "seed_spread", "pick_seeds",
    "final_accuracy", "saturation_verdict",
]


# ----------------------------------------------------------------------------- estimators
class RangeMaxBinning:
    """Bins on ``[lo, max_r]`` per replica ``r`` (Rasmussen 2020, Settings 2.2-2.3).

    ``T`` (``(R, N, d)``) is mapped by ``(T - lo) / (max_r - lo)`` onto ``[0, 1]`` and binned
    with ``n_bins`` equal intervals (``strategy="uniform"``) or with Rasmussen's code's rule
    ``linspace`` edges plus ``np.digitize`` (``"tishby"``). ``lo = 0`` with the uniform rule
    is :class:`ibutils.studies.harmonics.RunMaxBinning`.
    """

    def __init__(self, scale, n_bins: int = 30, lo: float = 0.0, strategy: str = "uniform"):
        self.scale = np.asarray(scale, dtype=np.float64).reshape(-1)
        self.lo = float(lo)
        if not np.all(np.isfinite(self.scale)) or np.any(self.scale <= self.lo):
            raise ValueError("scale: the per-replica maxima must be finite and > lo")
        if strategy not in ("uniform", "tishby"):
            raise ValueError(f"strategy must be 'uniform' or 'tishby', got {strategy!r}")
        self.n_bins, self.strategy = int(n_bins), strategy

    def __call__(self, T, y):
        from .. import mi as _mi

        T = np.asarray(T, dtype=np.float64)
        if T.ndim != 3 or T.shape[0] != self.scale.size:
            raise ValueError(f"RangeMaxBinning: expected ({self.scale.size}, N, d) activity, got shape {T.shape}")
        U = (T - self.lo) / (self.scale - self.lo)[:, None, None]
        return _mi.binning(U, y, n_bins=self.n_bins, value_range=(0.0, 1.0), strategy=self.strategy)


def split_specs(estimators: Sequence[Mapping[str, Any]]):
    """Split estimator specs into those :func:`ibutils.studies.harmonics.parse_estimators` knows and
    ``kind: range_max`` specs (``name``, ``n_bins``, ``lo``, ``strategy``), which need the replay."""
    plain, ranged, seen = [], [], set()
    for i, s in enumerate(estimators):
        s = dict(s)
        if s.get("name") in seen:
            raise ValueError(f"estimators[{i}]: duplicate name {s.get('name')!r}")
        seen.add(s.get("name"))
        if s.get("kind") == "range_max":
            if not s.get("name"):
                raise ValueError(f"estimators[{i}]: missing 'name'")
            unknown = set(s) - {"name", "kind", "n_bins", "lo", "strategy"}
            if unknown:
                raise ValueError(f"estimators[{i}] ({s['name']}): unknown key(s) {sorted(unknown)} for range_max")
            ranged.append(s)
        else:
            plain.append(s)
    return ex.parse_estimators(plain), ranged


# ----------------------------------------------------------------------------- running
def run_setting(*, activation: str, estimators: Sequence[Mapping[str, Any]], layers: Sequence[int] = ex.LAYERS,
                epochs: int = 8000, n_seeds: int = 40, seed: int = 0, batch_size: int | None = 256,
                lr: float = 4e-4, split: str = "saxe", snapshots: Any = "tishby", probe_every: int = 1):
    """Train the harmonics ensemble of ``layers`` and measure every estimator on all 4,096 patterns.

    ``range_max`` specs trigger the replay of :func:`ibutils.studies.harmonics.run_harmonics`: the first
    training records each replica's largest hidden activation (probe epochs and snapshots), the
    second (same seeds, identical numbers) bins on ``[lo, max_r]``.

    Returns
    -------
    (HarmonicsRun, list of arrays)
        The run's tables, and the activity of every layer at the last epoch (``(R, N, d)``
        arrays, replicas in seed order) for :func:`bin_edges`.
    """
    with ex.quiet_native_stderr():
        return _run_setting(activation=activation, estimators=estimators, layers=layers, epochs=epochs,
                            n_seeds=n_seeds, seed=seed, batch_size=batch_size, lr=lr, split=split,
                            snapshots=snapshots, probe_every=probe_every)


def _run_setting(*, activation, estimators, layers, epochs, n_seeds, seed, batch_size, lr, split, snapshots,
                 probe_every):
    from ..data import load_harmonics
    from ..nets import train_ensemble

    specs, ranged = split_specs(estimators)
    data = load_harmonics(split)
    X_probe = np.concatenate([data.X_train, data.X_test])
    common = dict(layers=list(layers), activation=activation, n_seeds=n_seeds, epochs=epochs, batch_size=batch_size,
                  lr=lr, optimizer="adam", seed=seed, snapshot_epochs=ex.snapshot_schedule(snapshots, epochs),
                  init="width", initial_bias=0.0, mi_data="full", progress=False, probe_every=probe_every)
    ests = ex.make_estimators(specs, X_probe=X_probe, n_train=len(data.X_train))
    snap_max: list = []
    if ranged:
        ests["_max"] = ex._max_recorder(snap_max)
    res = train_ensemble(data.X_train, data.y_train, data.X_test, data.y_test, estimators=ests,
                         store_activations_at=[int(epochs)], **common)
    mi = res.mi[res.mi["estimator"] != "_max"]
    n_hidden = len(layers)
    act = res.unfiltered["activity"]
    run_max = act[act["layer"] <= n_hidden].groupby("seed")["max_abs"].max().reindex(res.seeds)
    if ranged:
        L = n_hidden + 1
        per_call = np.array(snap_max)
        layer_of_call = np.tile(np.arange(1, L + 1), len(per_call) // L)
        run_max = pd.Series(np.fmax(run_max.to_numpy(), per_call[layer_of_call <= n_hidden].max(axis=0)),
                            index=res.seeds)
        ests2 = {s["name"]: RangeMaxBinning(run_max.to_numpy(), n_bins=s.get("n_bins", 30), lo=s.get("lo", 0.0),
                                            strategy=s.get("strategy", "uniform")) for s in ranged}
        res2 = train_ensemble(data.X_train, data.y_train, data.X_test, data.y_test, estimators=ests2, **common)
        mi = pd.concat([mi, res2.mi], ignore_index=True)
    run_max.index.name = "seed"
    run = ex.HarmonicsRun(mi=mi.reset_index(drop=True), metrics=res.metrics, grads=res.grads, activity=res.activity,
                          run_max=run_max.rename("max_activation"), snapshot_epochs=res.snapshot_epochs,
                          seeds=res.seeds, dropped_seeds=res.dropped_seeds, data=data)
    return run, res.activations.get(int(epochs), [])


# ----------------------------------------------------------------------------- KDE on neighbour pairs
def kde_sparse(T, y, *, noise_variance: float = 1e-3, bound: str = "upper", cutoff: float = 40.0) -> MIPair:
    """Kolchinsky-Tracey bound of :func:`ibutils.mi.kde`, summing the kernel over neighbour pairs only.

    The kernel ``exp(-||t_i - t_j||^2 / (c s^2))`` (``c = 2`` upper, ``8`` lower bound) is summed
    over identical rows (kernel 1, counted once per distinct row) and over the pairs of distinct
    rows closer than ``sqrt(cutoff c s^2)`` (a k-d tree); every omitted term is below
    ``exp(-cutoff)`` (``4e-18`` for 40) of the self term 1, so the result equals the dense sum to
    float64 rounding (``N exp(-cutoff)`` at most). Same formulas and units (bits) as
    :func:`ibutils.mi.kde` (Kolchinsky & Tracey 2017, Sec. 4; Saxe et al. 2018).
    """
    from scipy.spatial import cKDTree

    from ..mi.kde import BOUNDS, sq_dist_blocks

    T3, stacked = check_layer(T)
    B, N, d = T3.shape
    yc, K = check_labels(y, N)
    var = float(noise_variance)
    if not np.isfinite(var) or var <= 0:
        raise ValueError(f"noise_variance must be a positive number, got {noise_variance!r}")
    if bound not in BOUNDS:
        raise ValueError(f"bound must be 'upper' or 'lower', got {bound!r}")
    if not cutoff > 0:
        raise ValueError(f"cutoff must be > 0, got {cutoff!r}")
    scale = BOUNDS[bound] * var
    r = np.sqrt(cutoff * scale)
    n_k = np.bincount(yc, minlength=K).astype(np.float64)
    ixt, ity = np.empty(B), np.empty(B)
    for b in range(B):  # one k-d tree per stacked item
        U, inv, _ = np.unique(np.asarray(T3[b], np.float64), axis=0, return_inverse=True, return_counts=True)
        inv = inv.reshape(-1)
        m = len(U)
        C = np.zeros((m, K))
        np.add.at(C, (inv, yc), 1.0)
        S = C.copy()
        if m > 1 and _dense_cheaper(U, r):
            for a, z, D in sq_dist_blocks(U[None], 1024):  # row blocks of the (m, m) kernel over distinct rows
                D = D[0]
                D *= -1.0 / scale
                np.exp(D, out=D)
                S[a:z] = D @ C
        elif m > 1:
            pairs = cKDTree(U).query_pairs(r, output_type="ndarray")
            if len(pairs):
                i, j = pairs[:, 0], pairs[:, 1]
                k = np.exp(-((U[i] - U[j]) ** 2).sum(axis=1) / scale)
                for c in range(K):
                    S[:, c] += np.bincount(i, weights=k * C[j, c], minlength=m)
                    S[:, c] += np.bincount(j, weights=k * C[i, c], minlength=m)
        log_all = np.log(S.sum(axis=1))[inv]
        log_own = np.log(S[inv, yc])
        ixt[b] = (np.log(N) - log_all.mean()) / np.log(2.0)
        cond = (n_k @ np.log(np.maximum(n_k, 1.0)) - log_own.sum()) / N / np.log(2.0)
        ity[b] = ixt[b] - cond
    return MIPair(ixt, ity) if stacked else MIPair(float(ixt[0]), float(ity[0]))


def _dense_cheaper(U: np.ndarray, r: float, n_probe: int = 200) -> bool:
    """Whether more than 1/20 of all pairs of distinct rows lie within ``r`` (a sample of rows
    estimates it); then the dense kernel over distinct rows is cheaper than the pair list."""
    m = len(U)
    if m < 400:
        return True
    from scipy.spatial import cKDTree

    probe = U[np.linspace(0, m - 1, n_probe).astype(np.int64)]
    counts = cKDTree(U).query_ball_point(probe, r, return_length=True)
    return float(np.mean(counts)) > m / 20


class HiddenOnly:
    """Wrap an estimator so that it measures hidden layers only (NaN for the read-out).

    :func:`ibutils.nets.train_ensemble` calls an estimator once per layer, layers in order,
    at every snapshot; call ``k`` is layer ``k mod n_layers + 1``. The softmax read-out is
    the same for every hidden activation, and on a near-one-dimensional set of 4,096 points
    it is the one layer where :func:`kde_sparse` finds millions of neighbour pairs.
    """

    def __init__(self, f, n_layers: int):
        self.f, self.n_layers, self.calls = f, int(n_layers), 0

    def __call__(self, T, y):
        layer = self.calls % self.n_layers + 1
        self.calls += 1
        if layer == self.n_layers:
            return MIPair(np.full(len(T), np.nan), np.full(len(T), np.nan))
        return self.f(T, y)


def run_cohort(activations: Sequence[str], *, layers: Sequence[int] = ex.LAYERS, epochs: int = 8000,
               n_seeds: int = 10, seed: int = 0, batch_size: int | None = 256, lr: float = 4e-4,
               noise_variance: float = 1e-3, snapshots: Any = 30, probe_every: int = 10, split: str = "saxe"):
    """The Deep Bottleneck activation cohort (experiments 210-220): one ensemble per activation,
    MI by the KDE upper bound on all 4,096 patterns (hidden layers). Returns ``(mi, metrics)``
    with a column ``activation``; the estimator is called ``kde_upper``."""
    from functools import partial

    from ..data import load_harmonics
    from ..nets import train_ensemble

    data = load_harmonics(split)
    mis, mets = [], []
    with ex.quiet_native_stderr():
        for a in activations:  # the trainer takes one activation per ensemble
            est = HiddenOnly(partial(kde_sparse, noise_variance=noise_variance, bound="upper"), len(layers) + 1)
            res = train_ensemble(data.X_train, data.y_train, data.X_test, data.y_test, layers=list(layers),
                                 activation=a, n_seeds=n_seeds, epochs=epochs, batch_size=batch_size, lr=lr,
                                 seed=seed, snapshot_epochs=ex.snapshot_schedule(snapshots, epochs), init="width",
                                 mi_data="full", estimators={"kde_upper": est}, progress=False,
                                 probe_every=probe_every)
            mis.append(res.mi.dropna(subset=["ixt"]).assign(activation=a))
            mets.append(res.metrics.assign(activation=a))
    return pd.concat(mis, ignore_index=True), pd.concat(mets, ignore_index=True)


# ----------------------------------------------------------------------------- DPI
def dpi_checks(mi: pd.DataFrame, *, tol: float = 0.05) -> pd.DataFrame:
    """Data-processing-inequality checks per seed and estimator.

    Along ``X -> T_1 -> ... -> T_L`` both ``I(X;T_l) <= I(X;T_{l-1})`` and
    ``I(T_l;Y) <= I(T_{l-1};Y)`` must hold. At every snapshot epoch and consecutive pair of
    layers, an increase by more than ``tol`` bits is a violation. Per seed and estimator and
    quantity (``ixt``/``ity``): ``share`` of the checks violated and ``max_increase``, the
    largest increase (bits, 0 if none).
    """
    rows = []
    for (est, s), g in mi.groupby(["estimator", "seed"], sort=True):
        for q in ("ixt", "ity"):
            w = g.pivot_table(index="epoch", columns="layer", values=q).sort_index(axis=1)
            gaps = np.diff(w.to_numpy(), axis=1)
            gaps = gaps[np.isfinite(gaps)]
            rows.append(dict(estimator=est, seed=s, quantity=q, n_checks=gaps.size,
                             share=float((gaps > tol).mean()) if gaps.size else np.nan,
                             max_increase=float(max(0.0, gaps.max())) if gaps.size else np.nan))
    return pd.DataFrame(rows)


def dpi_summary(checks: pd.DataFrame) -> pd.DataFrame:
    """Mean over seeds (95% CI) of the share of violated checks and of the largest violation,
    and the share of seeds with any violation, per estimator and quantity."""
    rows = []
    for (est, q), g in checks.groupby(["estimator", "quantity"], sort=False):
        m, lo, hi = mean_ci(g["share"])
        sm, slo, shi = mean_ci(g["max_increase"])
        rows.append(dict(estimator=est, quantity=q, share=m, share_lo=lo, share_hi=hi, max_increase=sm,
                         max_increase_lo=slo, max_increase_hi=shi, seeds_violating=float((g["share"] > 0).mean()), n_seeds=len(g)))
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- phases
def phase_order(mi: pd.DataFrame, *, threshold: float = 0.1, fit_fraction: float = 0.5) -> pd.DataFrame:
    """Order of compression and fitting per seed, layer (and estimator).

    Compression is the largest drawdown of ``I(X;T)`` over the snapshot epochs: ``drawdown``
    is the largest fall below the running maximum, ``peak_epoch`` the epoch of that maximum
    (the start of compression) and ``trough_epoch`` its end. Fitting is the rise of
    ``I(T;Y)``: ``fit_epoch`` is the first epoch at which ``I(T;Y)`` has made ``fit_fraction``
    of its rise from epoch 0 to its maximum. ``order`` is ``"compression first"`` when the
    layer compresses (drawdown > ``threshold``) and the drawdown starts before ``fit_epoch``
    (Rasmussen's "swapped phases"), ``"fitting first"`` when it starts at or after it (Shwartz-Ziv
    & Tishby's order), else ``"no compression"``.
    """
    by = ["estimator", "seed", "layer"] if "estimator" in mi else ["seed", "layer"]
    rows = []
    for key, g in mi.sort_values("epoch").groupby(by, sort=True):
        ep = g["epoch"].to_numpy()
        x = g["ixt"].to_numpy(dtype=float)
        yv = g["ity"].to_numpy(dtype=float)
        runmax = np.maximum.accumulate(x)
        dd = runmax - x
        i_tr = int(np.argmax(dd))
        i_pk = int(np.argmax(x[: i_tr + 1]))
        rise = yv.max() - yv[0]
        i_fit = int(np.nonzero(yv - yv[0] >= fit_fraction * rise)[0][0]) if rise > 0 else 0
        comp = dd[i_tr] > threshold
        order = ("compression first" if ep[i_pk] < ep[i_fit] else "fitting first") if comp else "no compression"
        rows.append(dict(zip(by, key if isinstance(key, tuple) else (key,)), drawdown=float(dd[i_tr]),
                         peak_epoch=int(ep[i_pk]), trough_epoch=int(ep[i_tr]), fit_epoch=int(ep[i_fit]),
                         order=order))
    return pd.DataFrame(rows)


def phase_summary(phases: pd.DataFrame) -> pd.DataFrame:
    """Per (estimator and) layer: mean drawdown with CI, number of compressing seeds, share of
    those that compress first, and geometric means of ``peak_epoch + 1`` and ``fit_epoch + 1``."""
    by = ["estimator", "layer"] if "estimator" in phases else ["layer"]
    rows = []
    for key, g in phases.groupby(by, sort=True):
        c = g[g["order"] != "no compression"]
        m, lo, hi = mean_ci(g["drawdown"])
        row = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        row.update(drawdown=m, drawdown_lo=lo, drawdown_hi=hi, n_seeds=len(g), n_compressing=len(c),
                   share_compression_first=float((c["order"] == "compression first").mean()) if len(c) else np.nan,
                   peak_epoch=float(10 ** np.log10(c["peak_epoch"] + 1).mean() - 1) if len(c) else np.nan,
                   fit_epoch=float(10 ** np.log10(g["fit_epoch"] + 1).mean() - 1))
        rows.append(row)
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- bins, seeds, accuracy
def bin_edges(values, *, n_bins: int = 10, value_range=(-1.0, 1.0), lb: float | None = None) -> dict:
    """Edges of ``n_bins`` uniform bins on ``value_range`` and of ``n_bins`` adaptive (equal-mass
    over unique values) bins with lower bound ``lb`` for the values of one layer, with the rule of
    :func:`ibutils.mi.binning` (``strategy="adaptive"``), and the share of values per bin.
    Rasmussen (2020), Fig. 5.7."""
    v = np.asarray(values, dtype=np.float64).ravel()
    lo, hi = float(value_range[0]), float(value_range[1])
    uni = np.linspace(lo, hi, n_bins + 1)
    ada = adaptive_edges(v, n_bins, lo if lb is None else lb)
    if ada is None:  # a constant layer (e.g. dead ReLU units): one cell
        ada = np.full(n_bins + 2, v.min())
    share_u = np.bincount(np.clip(np.floor((v - lo) / (hi - lo) * n_bins), 0, n_bins - 1).astype(int),
                          minlength=n_bins) / v.size
    share_a = np.bincount(np.digitize(v, ada), minlength=len(ada) + 1) / v.size
    return dict(uniform=uni, adaptive=ada, share_uniform=share_u, share_adaptive=share_a)


def seed_spread(mi: pd.DataFrame, *, threshold: float = 0.1, hidden_layers: int | None = None) -> pd.DataFrame:
    """Per-seed compression (drop of ``I(X;T)`` from its peak to the last epoch) summed over the
    hidden layers, and the number of compressing hidden layers, per (estimator and) seed."""
    df = mi if hidden_layers is None else mi[mi["layer"] <= hidden_layers]
    by = ["estimator", "seed"] if "estimator" in df else ["seed"]
    comp = compression(df, by=by + ["layer"], threshold=threshold)
    return comp.groupby(by).agg(total_drop=("drop", "sum"), n_compressing=("compresses", "sum")).reset_index()


def pick_seeds(spread: pd.DataFrame, n: int = 4) -> list[int]:
    """``n`` seeds spanning the spread: least and most compressing, then those nearest the quantiles."""
    s = spread.sort_values(["total_drop", "seed"], kind="stable")["seed"].to_numpy()
    if len(s) <= n:
        return [int(v) for v in s]
    idx = np.unique(np.round(np.linspace(0, len(s) - 1, n)).astype(int))
    return [int(s[i]) for i in idx]


def final_accuracy(metrics: pd.DataFrame, by: Sequence[str] = ("activation",)) -> pd.DataFrame:
    """Accuracy at the last epoch per ``by`` and split (``train``: running mean over the last
    epoch's minibatches, ``test``: end of epoch): mean over seeds with 95% CI."""
    last = metrics.dropna(subset=["accuracy"])
    last = last[last["epoch"] == last["epoch"].max()]
    rows = []
    for key, g in last.groupby(list(by) + ["split"], sort=False):
        m, lo, hi = mean_ci(g["accuracy"])
        key = key if isinstance(key, tuple) else (key,)
        rows.append(dict(zip(list(by) + ["split"], key), mean=m, ci_low=lo, ci_high=hi, n=len(g)))
    out = pd.DataFrame(rows)
    out["split"] = out["split"].map({"train": "train", "eval": "test"})
    return out


def saturation_verdict(comp: pd.DataFrame, saturation: Mapping[str, str], *, threshold: float = 0.1) -> dict:
    """Test "only double-saturating activations compress" on a compression table.

    ``comp`` holds per activation and hidden layer the mean drop and its CI (``activation``,
    ``layer``, ``mean``, ``ci_low``). An activation *compresses* when some hidden layer's CI lies
    above ``threshold`` bits. The claim holds when every compressing activation is
    double-saturating (``saturation[a] == "double"``) and is contradicted by any other that
    compresses. Returns the compressing activations per class and the verdict word.
    """
    comp_acts = sorted(a for a, g in comp.groupby("activation") if (g["ci_low"] > threshold).any())
    dbl = [a for a in comp_acts if saturation.get(a) == "double"]
    other = [a for a in comp_acts if saturation.get(a) != "double"]
    n_double = sum(1 for a in comp["activation"].unique() if saturation.get(a) == "double")
    if other:
        word = "contradicted"
    elif dbl:
        word = "reproduced" if len(dbl) == n_double else "partly reproduced"
    else:
        word = "inconclusive"
    return dict(compressing=comp_acts, double=dbl, other=other, n_double=n_double, verdict=word)
