"""Graphs and sequences: can the information plane see an architecture's inductive bias? (seed 004)

Landsverk (2021, NTNU) compares a graph convolutional network (GCN; Kipf & Welling 2017) with a fully
connected network (FCN) on Cora, and a recurrent network (RNN) with an FCN on the char-RNN tutorial's
surnames, by the gradient signal-to-noise ratio and by KDE information planes, checks the framework on
Tishby's 12-bit data, and tries MINE (Belghazi et al. 2018). The pages of this family:

* ``graphs_cora_snr``: Cora, GCN vs FCN, splits 140/1,000 and 1,000/140, validation accuracy and the
  per-epoch gradient statistics (:func:`run_cora`, :func:`claims_snr`);
* ``graphs_cora_planes``: Cora planes at ``s^2`` in {0.001, 0.1} and per-layer ``s^2`` from the
  distance-histogram heuristic (:func:`plane_mi`, :func:`heuristic_variances`, :func:`claims_planes`);
* ``graphs_names``: names, RNN vs FCN (:func:`names_data`, :func:`claims_names`);
* ``graphs_tishby``: the check on Tishby's data, BD and KL planes, the bound gap, the SNR transition
  (:func:`run_tishby`, :func:`claims_tishby`);
* ``graphs_mine``: MINE on correlated Gaussians, Tishby's data and Cora (:func:`claims_mine`);
* ``graphs_summary``: the cross-cutting claim and wall times (:func:`claims_cross`).

Every verdict comes from the rule book (:mod:`ibutils.publish.report`).
"""
from __future__ import annotations

import string
import unicodedata
from typing import Sequence

import numpy as np
import pandas as pd

from ..mi.kde_bank import estimator_name, kde_multi
from ..plots import panel_title
from ..publish.report import MARGIN_BITS, effect, verdict_all, verdict_any, verdict_none, verdict_value, verdict_values
from ..stats import compression, mean_ci

#: The tutorial's alphabet (57 characters): ``string.ascii_letters + " .,;'"``.
ALPHABET = string.ascii_letters + " .,;'"
#: Margin on accuracy differences (absolute accuracy).
ACC_MARGIN = 0.05
#: Margin on epoch differences for "coincides" claims (epochs).
EPOCH_MARGIN = 10
CHAPTER = "Graphs and sequences"
SOURCE = "Landsverk 2021"


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------
def cora_data(normalize: bool = True) -> dict:
    """Cora (Planetoid files) with the normalised adjacency and the thesis' two splits.

    Features are row-normalised (divided by each paper's word count), Kipf & Welling's preprocessing
    (the thesis does not say). Splits: ``"140/1000"`` trains on the 140 Planetoid training nodes (20
    a class) and validates on the 1,000 Planetoid test nodes; ``"1000/140"`` swaps the two sets.
    """
    from ..data.cora import load_cora
    from ..nets.graph import normalized_adjacency

    d = load_cora()
    X = d["features"]
    if normalize:
        X = X / np.maximum(X.sum(axis=1, keepdims=True), 1.0)
    return dict(X=X.astype(np.float32), y=d["labels"], a_hat=normalized_adjacency(d["adjacency"]),
                splits={"140/1000": (d["train_index"], d["test_index"]), "1000/140": (d["test_index"], d["train_index"])},
                n_edges=int(d["adjacency"].nnz // 2), source=d["source"])


def to_ascii(s: str) -> str:
    """The tutorial's ``unicodeToAscii``: NFD, drop combining marks, keep :data:`ALPHABET` characters."""
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn" and c in ALPHABET)


def encode_names(names: Sequence[str], length: int = 12) -> np.ndarray:
    """One-hot ``(N, length, 57)``: the first ``length`` characters, left-padded with zero vectors."""
    out = np.zeros((len(names), int(length), len(ALPHABET)), dtype=np.float32)
    pos = {c: i for i, c in enumerate(ALPHABET)}
    for n, name in enumerate(names):  # 1,080 short strings: a loop over characters is negligible here
        chars = name[: int(length)]
        off = int(length) - len(chars)
        for t, c in enumerate(chars):
            out[n, off + t, pos[c]] = 1.0
    return out


def names_data(per_language: int = 60, length: int = 12, val_per_language: int = 12, seed: int = 0) -> dict:
    """The thesis' 1,080 x 12 x 57 names tensor, with the choices it leaves open fixed and seeded.

    Per language (18): the distinct names after the tutorial's ASCII folding, ``per_language`` of
    them drawn without replacement with ``numpy.random.default_rng(seed)`` (Arabic has only 108
    distinct names among its 2,000 lines); each truncated to its first ``length`` characters and
    left-padded with zero vectors (so the RNN's last step reads the last letter); the last
    ``val_per_language`` of each language's draw form the validation set (stratified 48/12).
    """
    from ..data.names import load_names

    raw, labels, languages = load_names()
    rng = np.random.default_rng(int(seed))
    chosen, ys, val = [], [], []
    for k, lang in enumerate(languages):
        uniq = sorted({to_ascii(s) for s in raw[labels == k]} - {""})
        if len(uniq) < per_language:
            raise ValueError(f"per_language={per_language} exceeds the {len(uniq)} distinct {lang} names")
        pick = [uniq[i] for i in rng.choice(len(uniq), size=int(per_language), replace=False)]
        chosen += pick
        ys += [k] * len(pick)
        val += [False] * (len(pick) - int(val_per_language)) + [True] * int(val_per_language)
    val = np.array(val)
    X = encode_names(chosen, length)
    return dict(X=X, X_flat=X.reshape(len(X), -1), y=np.array(ys, dtype=np.int64), names=chosen, languages=languages,
                train_index=np.flatnonzero(~val), val_index=np.flatnonzero(val))


def stratified_subset(y, n: int, seed: int = 0, pool=None) -> np.ndarray:
    """``n`` indices of ``pool`` (default all) with class shares kept, sorted; all of them when ``n >= len(pool)``."""
    y = np.asarray(y)
    pool = np.arange(len(y)) if pool is None else np.asarray(pool)
    if n >= len(pool):
        return np.sort(pool)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(pool)
    order = np.argsort(y[perm], kind="stable")
    take = perm[order][np.round(np.linspace(0, len(pool) - 1, int(n))).astype(int)]
    return np.sort(take)


# ---------------------------------------------------------------------------------------------
# training wrappers
# ---------------------------------------------------------------------------------------------
def train(kind: str, X, y, train_index, eval_index, *, n_seeds: int, epochs: int, lr: float = 1e-3, seed: int = 0,
          a_hat=None, widths=(200, 200, 200), snapshots=(), mi_index=None, snr_window: int = 10) -> dict:
    """:func:`ibutils.nets.graph.train_stacked`, keeping the hidden activity on ``mi_index`` at ``snapshots``."""
    from ..nets.graph import train_stacked
    from ..quiet import quiet

    with quiet():
        return train_stacked(kind, X, y, train_index=train_index, eval_index=eval_index, widths=widths,
                             n_seeds=n_seeds, seed=seed, epochs=epochs, lr=lr, a_hat=a_hat, mi_index=mi_index,
                             store_at=snapshots, snr_window=snr_window)


def snapshot_epochs(epochs: int, n: int = 12) -> list[int]:
    """About ``n`` epochs from 0 to ``epochs``, denser early (square-root spacing)."""
    e = np.unique(np.round(np.linspace(0, np.sqrt(epochs), int(n)) ** 2).astype(int))
    return sorted(set(e.tolist()) | {0, int(epochs)})


def _stack(runs: dict, table: str) -> pd.DataFrame:
    """One table (``"metrics"``, ``"grads"``) of several runs, keyed ``(model, regime)`` -> run, in one frame."""
    return pd.concat([r[table].assign(model=model, regime=regime) for (model, regime), r in runs.items()],
                     ignore_index=True)


def accuracy_curves(runs: dict) -> pd.DataFrame:
    """Stack the ``metrics`` of several runs, keyed ``(model, split_name)`` -> run, into one frame."""
    return _stack(runs, "metrics")


def final_accuracy(metrics: pd.DataFrame, last: int = 5) -> pd.DataFrame:
    """Per model, regime, split and seed: the accuracy averaged over the last ``last`` epochs."""
    e_max = metrics.epoch.max()
    m = metrics[metrics.epoch > e_max - last]
    return m.groupby(["model", "regime", "split", "seed"], sort=True).accuracy.mean().reset_index()


def _ci(v) -> tuple[tuple[float, float, float], int]:
    v = np.asarray(v, dtype=float)
    return mean_ci(v), int(np.isfinite(v).sum())


def _fmt(mci, nd: int = 3) -> str:
    m, lo, hi = mci
    if not np.isfinite(m):
        return "n/a"
    return f"{m:.{nd}f} [{lo:.{nd}f}, {hi:.{nd}f}]"


def diff_per_seed(a: pd.Series, b: pd.Series) -> np.ndarray:
    """``a - b`` matched by seed (both indexed by seed)."""
    j = pd.concat([a.rename("a"), b.rename("b")], axis=1).dropna()
    return (j.a - j.b).to_numpy()


def levelling_epoch(metrics: pd.DataFrame, tol: float = 0.01, smooth: int = 5) -> pd.DataFrame:
    """Per model, regime and seed: the first epoch whose validation accuracy (running mean over
    ``smooth`` epochs) comes within ``tol`` of its maximum: where the accuracy levels off."""
    rows = []
    ev = metrics[metrics.split == "eval"]
    for key, g in ev.groupby(["model", "regime", "seed"]):
        a = g.sort_values("epoch").accuracy.rolling(smooth, min_periods=1).mean().to_numpy()
        e = g.sort_values("epoch").epoch.to_numpy()
        rows.append((*key, int(e[np.argmax(a >= a.max() - tol)])))
    return pd.DataFrame(rows, columns=["model", "regime", "seed", "level_epoch"])


def transition_epoch(grads: pd.DataFrame, by=("seed",), smooth: int = 5) -> pd.DataFrame:
    """Per group: the epoch at which the gradient mean, normalised by the weight norm and averaged over
    layers in log10 (running mean over ``smooth`` epochs), peaks: the "bump" of Landsverk's Fig. 4.5,
    after which the signal falls towards the noise."""
    by = list(by)
    g = grads.assign(lm=np.log10(grads.grad_mean.clip(lower=1e-30)))
    per = g.groupby(by + ["epoch"], sort=True).lm.mean().reset_index()
    rows = []
    for key, h in per.groupby(by, sort=True):
        v = h.lm.rolling(smooth, min_periods=1, center=True).mean().to_numpy()
        key = key if isinstance(key, tuple) else (key,)
        rows.append((*key, int(h.epoch.to_numpy()[int(np.argmax(v))])))
    return pd.DataFrame(rows, columns=by + ["transition_epoch"])


def snr_table(runs: dict) -> pd.DataFrame:
    """The ``grads`` of several runs (``(model, regime) -> run``) in one frame."""
    return _stack(runs, "grads")


def run_cora(data: dict, *, n_seeds: int, epochs: int, lr: float = 1e-3, seed: int = 0, regimes=("140/1000", "1000/140"),
             models=("gcn", "fcn"), widths=(200, 200, 200), snapshots=(), mi_index=None, snr_window: int = 10) -> dict:
    """Train every ``(model, regime)`` of Cora; ``(model, regime) -> run``."""
    out = {}
    for regime in regimes:
        tr, ev = data["splits"][regime]
        for model in models:
            out[(model, regime)] = train(model, data["X"], data["y"], tr, ev, n_seeds=n_seeds, epochs=epochs, lr=lr,
                                         seed=seed, a_hat=data["a_hat"] if model == "gcn" else None, widths=widths,
                                         snapshots=snapshots, mi_index=mi_index, snr_window=snr_window)
    return out


# ---------------------------------------------------------------------------------------------
# information planes
# ---------------------------------------------------------------------------------------------
def plane_mi(runs: dict, y, variances: Sequence[float] = (0.001, 0.1), per_layer: dict | None = None) -> pd.DataFrame:
    """KDE bounds (KL upper, Bhattacharyya lower; :func:`ibutils.mi.kde_multi`) of the stored activity.

    ``runs``: ``key -> run`` with ``run["activations"]`` (epoch -> per-layer ``(R, N, w)``) and
    ``run["seeds"]``. ``per_layer``: optional ``key -> {layer: s^2}``, measured as estimator
    ``kde_<bound>_layerwise``. Returns seed, epoch, layer, estimator, ixt, ity, key.
    """
    rows = []
    for key, r in runs.items():
        seeds = r["seeds"]
        for e, Ts in sorted(r["activations"].items()):
            for l, T in enumerate(Ts, start=1):
                res = kde_multi(T, y, noise_variances=list(variances), bounds=("upper", "lower"))
                if per_layer and key in per_layer:
                    v = per_layer[key][l]
                    extra = kde_multi(T, y, noise_variances=[v], bounds=("upper", "lower"))
                    res.update({("layerwise", b): extra[(v, b)] for b in ("upper", "lower")})
                for (v, b), p in res.items():
                    name = f"kde_{b}_layerwise" if v == "layerwise" else estimator_name(v, b)
                    rows += [(int(s), int(e), l, name, float(a), float(c), key) for s, a, c in zip(seeds, p.ixt, p.ity)]
    return pd.DataFrame(rows, columns=["seed", "epoch", "layer", "estimator", "ixt", "ity", "key"])


def distance_percentiles(T, q: float = 90.0) -> np.ndarray:
    """The ``q``-th percentile of the pairwise Euclidean distances between rows, per replica of ``(R, N, d)``."""
    from scipy.spatial.distance import pdist

    T = np.asarray(T, dtype=np.float64)
    T = T[None] if T.ndim == 2 else T
    return np.array([np.percentile(pdist(t), q) for t in T])


def heuristic_variances(activations: Sequence[np.ndarray], q: float = 90.0, divisor: float = 1000.0, *,
                        per_replica: bool = False) -> dict:
    """Landsverk's per-layer ``s^2`` (Sec. 5.2): the ``q``-th percentile of a layer's pairwise distances at
    the last epoch, divided by ``divisor``. Returns ``{layer: s^2}``, the median over replicas, or with
    ``per_replica`` ``{layer: array of one s^2 per replica}`` (what a verdict needs for its interval)."""
    per = {l: distance_percentiles(T, q) / divisor for l, T in enumerate(activations, start=1)}
    return per if per_replica else median_variances(per)


def median_variances(per_replica: dict) -> dict:
    """``{layer: median over replicas}`` of :func:`heuristic_variances` with ``per_replica=True``."""
    return {l: float(np.median(v)) for l, v in per_replica.items()}


def distance_histograms(activations: Sequence[np.ndarray], bins: int = 60) -> pd.DataFrame:
    """Pairwise-distance samples of each layer (replica 0) for a histogram: layer, distance."""
    from scipy.spatial.distance import pdist

    frames = [pd.DataFrame({"layer": l, "distance": pdist(np.asarray(T[0], dtype=np.float64))})
              for l, T in enumerate(activations, start=1)]
    return pd.concat(frames, ignore_index=True)


def dpi_violation(mi: pd.DataFrame, estimator: str, value: str = "ixt") -> pd.DataFrame:
    """Per seed and epoch: the largest rise of ``value`` from a layer to the next (> 0: the data-processing
    inequality is violated; for a GCN or an RNN layers are not a Markov chain, so it need not hold)."""
    m = mi[mi.estimator == estimator].sort_values(["seed", "epoch", "layer"])
    d = m.groupby(["seed", "epoch"])[value].apply(lambda v: float(np.max(np.diff(v.to_numpy()))) if len(v) > 1 else np.nan)
    return d.rename("violation").reset_index()


def violation_per_seed(mi: pd.DataFrame, estimator: str, value: str = "ixt", last_only: bool = False) -> pd.Series:
    """Per seed: the largest DPI violation over the snapshots (or at the last one)."""
    d = dpi_violation(mi, estimator, value)
    if last_only:
        d = d[d.epoch == d.epoch.max()]
    return d.groupby("seed").violation.max()


def flip_epochs(mi: pd.DataFrame, estimator: str, margin: float = MARGIN_BITS) -> pd.Series:
    """Per seed: the first snapshot epoch at which a DPI violation of ``I(X;T)`` exceeds ``margin`` (NaN: never)."""
    d = dpi_violation(mi, estimator)
    out = {}
    for s, g in d.groupby("seed"):
        hit = g[g.violation > margin]
        out[s] = float(hit.epoch.min()) if len(hit) else np.nan
    return pd.Series(out, name="flip_epoch")


def overfit_epoch(metrics: pd.DataFrame) -> pd.Series:
    """Per seed: the epoch of the lowest validation loss (where overfitting starts)."""
    ev = metrics[metrics.split == "eval"]
    return ev.loc[ev.groupby("seed").loss.idxmin()].set_index("seed").epoch.astype(float)


def drops(mi: pd.DataFrame, estimator: str) -> pd.DataFrame:
    """Cross-fitted compression of ``I(X;T)`` per seed and layer (:func:`ibutils.stats.compression`)."""
    return compression(mi[mi.estimator == estimator], value="ixt", by=("seed", "layer"))


# ---------------------------------------------------------------------------------------------
# MINE
# ---------------------------------------------------------------------------------------------
def mine_layers(X, T_layers: Sequence[np.ndarray], y, *, n_seeds: int, steps: int, seed: int = 0, batch_size: int = 256,
                hidden=(64,), lr: float = 1e-3, replica: int = 0, eval_every: int = 50) -> tuple[pd.DataFrame, pd.DataFrame]:
    """MINE estimates of ``I(X;T_l)`` and ``I(T_l;Y)`` for each layer's activity (replica ``replica`` of the
    trained networks), ``n_seeds`` critics each. Returns (estimates: layer, quantity, seed, mi;
    curves: layer, quantity, seed, step, mi)."""
    from ..mi.mine import mine
    from ..quiet import quiet

    Y = np.eye(int(np.max(y)) + 1)[np.asarray(y)]
    est, curves = [], []
    for l, T in enumerate(T_layers, start=1):
        t = np.asarray(T[replica])
        for q, (a, b) in (("ixt", (X, t)), ("ity", (t, Y))):
            with quiet():
                r = mine(a, b, n_seeds=n_seeds, seed=seed, steps=steps, batch_size=batch_size, hidden=hidden, lr=lr,
                         eval_every=eval_every)
            est += [(l, q, int(s), float(v)) for s, v in zip(r.seeds, r.estimate)]
            c = r.curve.copy()
            c["layer"], c["quantity"] = l, q
            curves.append(c)
    return (pd.DataFrame(est, columns=["layer", "quantity", "seed", "mi"]),
            pd.concat(curves, ignore_index=True)[["layer", "quantity", "seed", "step", "mi"]])


def curve_instability(curves: pd.DataFrame, tail: float = 0.5) -> pd.DataFrame:
    """Per layer, quantity and critic seed: the standard deviation (bits) of the bound over the last
    ``tail`` of its evaluations (a converged critic is flat; an unstable one wanders), and whether it diverged."""
    rows = []
    for key, g in curves.groupby(["layer", "quantity", "seed"]):
        g = g.sort_values("step")
        v = g.mi.to_numpy()[-max(2, int(round(tail * len(g)))):]
        fin = np.all(np.isfinite(v))
        rows.append((*key, float(np.std(v)) if fin else np.inf, not fin))
    return pd.DataFrame(rows, columns=["layer", "quantity", "seed", "wander", "diverged"])


# ---------------------------------------------------------------------------------------------
# Tishby's data
# ---------------------------------------------------------------------------------------------
def run_tishby(*, n_seeds: int, epochs: int, seed: int = 0, lr: float = 4e-4, batch_size: int = 256,
               noise_variance: float = 0.1, activation: str = "tanh", n_snapshots: int = 20):
    """Landsverk's check (Sec. 4.1): FCN 12-10-7-5-4-3-2 on Tishby's data (Saxe et al.'s 80/20 split),
    Adam, KDE upper (KL) and lower (BD) bounds at ``noise_variance`` on all 4,096 patterns, and the
    per-epoch gradient statistics of :func:`ibutils.nets.train_ensemble` (real minibatches)."""
    from ..data.harmonics import load_harmonics
    from ..mi.kde_bank import KDEBank
    from ..quiet import quiet

    with quiet(ignore_warnings="IProgress not found"):
        from ..nets import train_ensemble
    d = load_harmonics("saxe")
    bank = KDEBank([noise_variance], ("upper", "lower"))
    ests = {estimator_name(noise_variance, b): bank.estimator(noise_variance, b) for b in ("upper", "lower")}
    snaps = snapshot_epochs(epochs, n_snapshots)
    with quiet(ignore_warnings=True):
        return train_ensemble(d.X_train, d.y_train, d.X_test, d.y_test, layers=[10, 7, 5, 4, 3], activation=activation,
                              n_seeds=n_seeds, epochs=epochs, batch_size=batch_size, lr=lr, optimizer="adam", seed=seed,
                              snapshot_epochs=snaps, mi_data="full", estimators=ests, progress=False,
                              store_activations_at=[int(epochs)])


def bound_gap(mi: pd.DataFrame, noise_variance: float) -> pd.DataFrame:
    """Per seed and epoch: the gap KL upper - BD lower of ``I(X;T)``, averaged over the hidden layers."""
    up, lo = estimator_name(noise_variance, "upper"), estimator_name(noise_variance, "lower")
    u = mi[mi.estimator == up].set_index(["seed", "epoch", "layer"]).ixt
    lw = mi[mi.estimator == lo].set_index(["seed", "epoch", "layer"]).ixt
    g = (u - lw).rename("gap").reset_index()
    L = g.layer.max()
    return g[g.layer < L].groupby(["seed", "epoch"]).gap.mean().reset_index()


# ---------------------------------------------------------------------------------------------
# claims
# ---------------------------------------------------------------------------------------------
def _two_sided(e: str) -> str:
    """For "the two coincide" claims: a difference significant in either direction is an effect."""
    return "supports" if e == "opposes" else e


def _row(claim, reported, measured, verdict, n, epochs, study_epochs=None, kind="replication", note=""):
    return dict(claim=claim, source=SOURCE, reported=reported, measured=measured, verdict=verdict, kind=kind,
                n_seeds=int(n), epochs=int(epochs), study_seeds=1, study_epochs=study_epochs, note=note)


def claims_snr(acc: pd.DataFrame, level: pd.DataFrame, trans: pd.DataFrame, *, epochs: int,
               reported_fcn: float = 0.53) -> list[dict]:
    """Rows of the Cora gradient-SNR page.

    ``acc``: :func:`final_accuracy` (validation rows used); ``level``: :func:`levelling_epoch`;
    ``trans``: :func:`transition_epoch` by model, regime, seed.

    1. GCN beats FCN in both regimes: per regime the validation-accuracy difference GCN - FCN over
       seeds, :func:`effect` with margin :data:`ACC_MARGIN`, ``verdict_all`` over the two regimes.
    2. The GCN on 140 nodes beats the FCN on 1,000: ``verdict_all`` of one effect (margin ACC_MARGIN).
    3. The FCN reaches about 53% with 140: ``verdict_value`` (close 0.03, partly 0.08).
    4. The SNR transition coincides with the accuracy levelling off: per model and regime the
       difference (transition - levelling) in epochs; ``verdict_none`` of an effect beyond
       :data:`EPOCH_MARGIN` epochs in either direction (reproduced when every interval lies within
       the margin, contradicted when one lies beyond it).
    """
    ev = acc[acc.split == "eval"].set_index(["model", "regime", "seed"]).accuracy.sort_index()
    rows = []
    effs, texts, ns = [], [], []
    for regime in ("140/1000", "1000/140"):
        d = diff_per_seed(ev.loc[("gcn", regime)], ev.loc[("fcn", regime)])
        mci, n = _ci(d)
        effs.append(effect(mci, n=n, margin=ACC_MARGIN))
        texts.append(f"{regime}: {_fmt(mci)}")
        ns.append(n)
    rows.append(_row("Cora: the GCN's validation accuracy beats the FCN's in both regimes (140/1,000 and 1,000/140)",
                     "GCN significantly better in both (Figs. 4.6, 4.7)",
                     "accuracy difference GCN - FCN: " + "; ".join(texts), verdict_all(effs), min(ns), epochs,
                     note=f"margin {ACC_MARGIN:g} accuracy"))
    d = diff_per_seed(ev.loc[("gcn", "140/1000")], ev.loc[("fcn", "1000/140")])
    mci, n = _ci(d)
    rows.append(_row("Cora: the GCN trained on 140 nodes beats the FCN trained on 1,000",
                     "even the GCN with fewer nodes beats the FCN with more (Fig. 4.7)",
                     f"accuracy difference: {_fmt(mci)}", verdict_all([effect(mci, n=n, margin=ACC_MARGIN)]), n, epochs,
                     note=f"margin {ACC_MARGIN:g} accuracy; the two validation sets differ (1,000 vs 140 nodes)"))
    mci, n = _ci(ev.loc[("fcn", "140/1000")].to_numpy())
    rows.append(_row("Cora: the FCN reaches about 53% validation accuracy with 140 training nodes",
                     f"{reported_fcn:.0%}", f"validation accuracy {_fmt(mci)}",
                     verdict_value(mci, reported_fcn, n=n, close=0.03, partly=0.08), n, epochs,
                     note="tolerance 0.03 (partly 0.08)"))
    j = trans.merge(level, on=["model", "regime", "seed"])
    effs, texts, ns = [], [], []
    for (model, regime), g in j.groupby(["model", "regime"], sort=True):
        mci, n = _ci(g.transition_epoch - g.level_epoch)
        effs.append(_two_sided(effect(mci, n=n, margin=EPOCH_MARGIN)))
        texts.append(f"{model.upper()} {regime}: {_fmt(mci, 1)}")
        ns.append(n)
    rows.append(_row("Cora: the gradient-SNR transition coincides with the validation accuracy levelling off",
                     "at approximately the same epoch (Figs. 4.6, 4.7)",
                     "transition - levelling (epochs): " + "; ".join(texts), verdict_none(effs), min(ns) if ns else 0,
                     epochs, note=f"coincide: every interval within +-{EPOCH_MARGIN} epochs; transition = peak of the "
                                  "normalised gradient mean; std over a window of full-batch gradients"))
    return rows


def claims_planes(acc: pd.DataFrame, mi: pd.DataFrame, metrics: pd.DataFrame, heur: dict, *, epochs: int,
                  regime: str = "140/1000", reported_heur=(0.001, 0.003, 0.01)) -> list[dict]:
    """Rows of the Cora planes page (BD lower bound, the thesis' main one, unless stated).

    ``mi``: :func:`plane_mi` with ``key`` = model; ``metrics``: :func:`accuracy_curves`; ``heur``:
    :func:`heuristic_variances` of the FCN with ``per_replica=True`` (one value per seed and layer).

    1. The FCN overfits more: (train - validation accuracy) FCN minus GCN, effect margin ACC_MARGIN.
    2. s^2 = 0.001: the FCN obeys the DPI: ``verdict_none`` of the largest DPI violation of I(X;T)
       over snapshots (margin MARGIN_BITS).
    3. s^2 = 0.001: the GCN's plane flips: ``verdict_all`` of its largest violation (margin MARGIN_BITS).
    4. ... about when overfitting starts: ``verdict_none`` on (flip epoch - lowest validation loss
       epoch) beyond ``max(EPOCH_MARGIN, epochs / 10)`` in either direction; seeds without a flip are left out.
    5. s^2 = 0.1: the FCN violates the DPI: ``verdict_all`` of its largest violation.
    6. No extra compression for the GCN: ``verdict_none`` over layers of the GCN's drop of I(X;T)
       minus the FCN's (margin MARGIN_BITS).
    7. The heuristic gives about 0.001 / 0.003 / 0.01: ``verdict_value`` per layer on the 95% interval
       over seeds, relative, within a factor 2 (partly 5), combined by ``verdict_values``.
    8. Per-layer s^2: no compression in the FCN: ``verdict_none`` over layers of the drop.
    9. Per-layer s^2: the last layer catches up with layer 1: effect on the shrinking of
       I(X;T_1) - I(X;T_3) from the first to the last snapshot.
    """
    rows = []
    ev = acc[(acc.regime == regime)].set_index(["model", "split", "seed"]).accuracy.sort_index()
    gap_f = diff_per_seed(ev.loc[("fcn", "train")], ev.loc[("fcn", "eval")])
    gap_g = diff_per_seed(ev.loc[("gcn", "train")], ev.loc[("gcn", "eval")])
    mci, n = _ci(gap_f - gap_g)
    rows.append(_row("Cora planes: the FCN overfits more than the GCN", "FCN overfitting more severely (Fig. 5.1)",
                     f"(train - validation accuracy), FCN minus GCN: {_fmt(mci)}",
                     verdict_all([effect(mci, n=n, margin=ACC_MARGIN)]), n, epochs, note=f"margin {ACC_MARGIN:g} accuracy"))
    lo1, lo01 = estimator_name(0.001, "lower"), estimator_name(0.1, "lower")
    mf, mg = mi[mi.key == "fcn"], mi[mi.key == "gcn"]
    v = violation_per_seed(mf, lo1)
    mci, n = _ci(v)
    rows.append(_row("Cora planes, s2 = 0.001: the FCN obeys the data-processing inequality", "FCN behaves as expected (Fig. 5.2)",
                     f"largest I(X;T) rise between consecutive layers: {_fmt(mci)} bits",
                     verdict_none([effect(mci, n=n)]), n, epochs))
    v = violation_per_seed(mg, lo1)
    mci, n = _ci(v)
    rows.append(_row("Cora planes, s2 = 0.001: the GCN's plane flips (a later layer above an earlier one)",
                     "GCN flips (Fig. 5.2)", f"largest I(X;T) rise between consecutive layers: {_fmt(mci)} bits",
                     verdict_all([effect(mci, n=n)]), n, epochs))
    fl = flip_epochs(mg, lo1)
    ov = overfit_epoch(metrics[(metrics.model == "gcn") & (metrics.regime == regime)])
    d = diff_per_seed(fl, ov)
    mci, n = _ci(d)
    em = max(EPOCH_MARGIN, epochs / 10)
    rows.append(_row("Cora planes, s2 = 0.001: the GCN flips about when overfitting starts",
                     "at about the same epoch as severe overfitting (Fig. 5.2)",
                     f"flip epoch - epoch of lowest validation loss: {_fmt(mci, 1)} ({n} of {fl.size} seeds flip)",
                     verdict_none([_two_sided(effect(mci, n=n, margin=em))]), n, epochs,
                     note=f"coincide: within +-{em:g} epochs"))
    v = violation_per_seed(mf, lo01)
    mci, n = _ci(v)
    rows.append(_row("Cora planes, s2 = 0.1: the FCN violates the data-processing inequality", "FCN violates the DPI (Fig. 5.3)",
                     f"largest I(X;T) rise between consecutive layers: {_fmt(mci)} bits",
                     verdict_all([effect(mci, n=n)]), n, epochs))
    effs, texts, ns = [], [], []
    for est in (lo1, lo01):
        df_, dg = drops(mf, est).set_index(["layer", "seed"])["drop"], drops(mg, est).set_index(["layer", "seed"])["drop"]
        for l in sorted(set(dg.index.get_level_values(0))):
            mci, n = _ci(diff_per_seed(dg.loc[l], df_.loc[l]))
            effs.append(effect(mci, n=n))
            ns.append(n)
            texts.append(f"{est} layer {l}: {_fmt(mci)}")
    rows.append(_row("Cora planes: no extra compression of X by the GCN", "no extra compression at either s2 (Figs. 5.2, 5.3)",
                     "drop of I(X;T), GCN minus FCN (bits): " + "; ".join(texts), verdict_none(effs), min(ns), epochs))
    words, cis, nh = [], {}, []
    for l, rep in enumerate(reported_heur, start=1):
        cis[l], n = _ci(np.atleast_1d(np.asarray(heur[l], dtype=float)))
        nh.append(n)
        words.append(verdict_value(cis[l], rep, n=n, close=2.0, partly=5.0, relative=True))
    rows.append(_row("Cora FCN: the distance heuristic (90th percentile / 1000) gives s2 of about 0.001 / 0.003 / 0.01",
                     "0.001 / 0.003 / 0.01 (Fig. 5.9)", "s2 = " + " / ".join(_fmt(cis[l], 4) for l in sorted(cis)),
                     verdict_values(words), min(nh), epochs,
                     note="per layer: the reported value within a factor 2 of the 95% interval over seeds (partly: 5)"))
    lw = "kde_lower_layerwise"
    dd = drops(mf, lw)
    effs, texts, ns = _layer_drop_effects(dd)
    rows.append(_row("Cora FCN, per-layer s2: no compression phase", "no compression (Fig. 5.10)",
                     "drop of I(X;T) (bits): " + "; ".join(texts), verdict_none(effs), min(ns), epochs))
    m = mf[mf.estimator == lw].pivot_table(index=["seed", "epoch"], columns="layer", values="ixt").reset_index()
    L = max(c for c in m.columns if isinstance(c, (int, np.integer)))
    first, last = m[m.epoch == m.epoch.min()].set_index("seed"), m[m.epoch == m.epoch.max()].set_index("seed")
    shrink = diff_per_seed(first[1] - first[L], last[1] - last[L])
    mci, n = _ci(shrink)
    rows.append(_row("Cora FCN, per-layer s2: the last layer gradually learns what layer 1 holds",
                     "the last layer learns what the first contains (Fig. 5.10)",
                     f"shrinking of I(X;T_1) - I(X;T_{L}) from the first to the last snapshot: {_fmt(mci)} bits",
                     verdict_all([effect(mci, n=n)]), n, epochs))
    return rows


def _layer_drop_effects(dd: pd.DataFrame) -> tuple[list[str], list[str], list[int]]:
    """Per layer of a :func:`drops` table: the rule book's effect of the mean drop, its text and its seed count."""
    effs, texts, ns = [], [], []
    for l, g in dd.groupby("layer"):
        mci, n = _ci(g["drop"])
        effs.append(effect(mci, n=n))
        ns.append(n)
        texts.append(f"layer {l}: {_fmt(mci)}")
    return effs, texts, ns


def claims_names(acc: pd.DataFrame, mi: pd.DataFrame, *, epochs: int, variances=(0.001, 0.1)) -> list[dict]:
    """Rows of the names page (``mi`` from :func:`plane_mi` with ``key`` = model; BD lower bound).

    1. RNN validation accuracy above the FCN's: effect margin ACC_MARGIN.
    2. RNN's last layer holds the most information about X and Y (s^2 = 0.1): per quantity, the last
       layer minus the largest earlier layer at the last snapshot; ``verdict_all`` of effects with
       direction +1 over ``I(X;T)`` and ``I(T;Y)``.
    3. No compression in the RNN (s^2 = 0.1): ``verdict_none`` over layers of the drop of I(X;T).
    4. The FCN violates the DPI for every s^2 tried: ``verdict_all`` over the variances.
    """
    rows = []
    ev = acc.set_index(["model", "split", "seed"]).accuracy.sort_index()
    mci, n = _ci(diff_per_seed(ev.loc[("rnn", "eval")], ev.loc[("fcn", "eval")]))
    rows.append(_row("Names: the RNN's validation accuracy is above the FCN's", "RNN higher (Fig. 5.4)",
                     f"accuracy difference RNN - FCN: {_fmt(mci)}", verdict_all([effect(mci, n=n, margin=ACC_MARGIN)]),
                     n, epochs, note=f"margin {ACC_MARGIN:g} accuracy"))
    lo = estimator_name(0.1, "lower")
    mr = mi[(mi.key == "rnn") & (mi.estimator == lo)]
    last = mr[mr.epoch == mr.epoch.max()]
    L = int(last.layer.max())
    effs, texts, ns = [], [], []
    for q in ("ixt", "ity"):
        p = last.pivot_table(index="seed", columns="layer", values=q)
        mci, n = _ci(p[L] - p[[c for c in p.columns if c < L]].max(axis=1))
        effs.append(effect(mci, n=n))
        ns.append(n)
        texts.append(f"{q}: {_fmt(mci)}")
    rows.append(_row("Names, s2 = 0.1: the RNN's last layer holds the most information about X and Y",
                     "final layer most informative about X and Y (Fig. 5.6)",
                     "last layer minus the best earlier layer (bits): " + "; ".join(texts), verdict_all(effs), min(ns), epochs))
    dd = drops(mi[mi.key == "rnn"], lo)
    effs, texts, ns = _layer_drop_effects(dd)
    rows.append(_row("Names, s2 = 0.1: no compression in the RNN", "no compression (Fig. 5.6)",
                     "drop of I(X;T) (bits): " + "; ".join(texts), verdict_none(effs), min(ns), epochs))
    effs, texts, ns = [], [], []
    for v in variances:
        mci, n = _ci(violation_per_seed(mi[mi.key == "fcn"], estimator_name(v, "lower")))
        effs.append(effect(mci, n=n))
        ns.append(n)
        texts.append(f"s2 = {v:g}: {_fmt(mci)}")
    rows.append(_row("Names: the FCN's plane violates the DPI for every s2 tried", "FCN violates the DPI (Figs. 5.5, 5.6)",
                     "largest I(X;T) rise between consecutive layers (bits): " + "; ".join(texts), verdict_all(effs),
                     min(ns), epochs))
    return rows


def claims_tishby(mi: pd.DataFrame, gap: pd.DataFrame, trans: pd.DataFrame, *, noise_variance: float, epochs: int,
                  h_y: float, reported_transition: float = 40.0) -> list[dict]:
    """Rows of the Tishby-data page.

    1. The last hidden layer reaches high I(T;Y) at low I(X;T) (lower bound, last snapshot): effects
       of ``I(X;T_1) - I(X;T_5)`` (lower X information) and of ``I(T_5;Y) - (H(Y) - 0.2)``... stated
       as: I(T_5;Y) not more than 0.2 bit below H(Y) (``effect`` of ``I(T_5;Y) - H(Y) + 0.2`` with
       margin 0) and I(X;T_5) at least 0.1 bit below I(X;T_1); ``verdict_all`` over the two.
    2. The gap between the bounds shrinks during training: effect on gap(first) - gap(last).
    3. The SNR transition at about epoch 40: ``verdict_value`` (close 10, partly 25 epochs).
    """
    rows = []
    lo = estimator_name(noise_variance, "lower")
    m = mi[mi.estimator == lo]
    last = m[m.epoch == m.epoch.max()].pivot_table(index="seed", columns="layer", values=["ixt", "ity"])
    Lh = int(m.layer.max()) - 1  # last hidden layer (the read-out is layer L)
    m1, n1 = _ci(last[("ixt", 1)] - last[("ixt", Lh)])
    m2, n2 = _ci(last[("ity", Lh)] - h_y + 0.2)
    rows.append(_row("Tishby's data: the last hidden layer reaches high I(T;Y) at low I(X;T)",
                     "high I(Y;Z) while keeping low I(X;Z) (Fig. 4.1)",
                     f"I(X;T_1) - I(X;T_{Lh}) = {_fmt(m1)} bits; I(T_{Lh};Y) - H(Y) + 0.2 = {_fmt(m2)} bits",
                     verdict_all([effect(m1, n=n1), effect(m2, n=n2, margin=0.0)]), min(n1, n2), epochs,
                     note="BD lower bound, last snapshot"))
    g0 = gap[gap.epoch == gap.epoch.min()].set_index("seed").gap
    g1 = gap[gap.epoch == gap.epoch.max()].set_index("seed").gap
    mci, n = _ci(diff_per_seed(g0, g1))
    rows.append(_row("Tishby's data: the gap between the KL upper and BD lower bounds shrinks during training",
                     "the gap seems to decrease (Fig. 4.1)", f"gap at the first minus at the last snapshot: {_fmt(mci)} bits",
                     verdict_all([effect(mci, n=n)]), n, epochs, note="gap of I(X;T), mean over hidden layers"))
    mci, n = _ci(trans.transition_epoch.to_numpy())
    rows.append(_row("Tishby's data: the gradient SNR shows a transition at about epoch 40",
                     f"about {reported_transition:g} epochs (Fig. 4.5)", f"transition epoch {_fmt(mci, 1)}",
                     verdict_value(mci, reported_transition, n=n, close=10, partly=25), n, epochs,
                     note="transition = peak of the normalised gradient mean; tolerance 10 (partly 25) epochs"))
    return rows


def claims_mine(gauss: pd.DataFrame, tishby: pd.DataFrame, cora: pd.DataFrame, inst_t: pd.DataFrame, inst_c: pd.DataFrame,
                *, steps: int) -> list[dict]:
    """Rows of the MINE page.

    ``gauss``: rows rho, truth, seed, mi (known answers); ``tishby``/``cora``: MINE estimates next to the
    KDE bounds: layer, quantity, seed, mi, kde_lower, kde_upper; ``inst_*``: :func:`curve_instability`.

    1. (demonstration) MINE recovers closed-form Gaussian MI: ``verdict_all`` of "error within 0.2 bit"
       (``effect`` of ``0.2 - |error|`` with margin 0) over the correlations.
    2. MINE works on Tishby's data: for each layer's I(T;Y), the critics' estimate lies within the KDE
       interval widened by MARGIN_BITS (``effect`` of the distance outside it, ``verdict_none``), and the
       curves settle (``verdict_none`` of wander beyond MARGIN_BITS).
    3. MINE is unstable or diverges on Cora: ``verdict_any`` over layers of wander beyond MARGIN_BITS
       (the estimate of I(X;T) with X = 1,433 sparse features), or any critic diverged.
    """
    rows = []
    effs, texts = [], []
    for rho, g in gauss.groupby("rho"):
        err = np.abs(g.mi - g.truth)
        mci, n = _ci(0.2 - err)
        effs.append(effect(mci, n=n, margin=0.0))
        texts.append(f"rho {rho:g}: truth {g.truth.iloc[0]:.3f}, MINE {_fmt(mean_ci(g.mi))}")
    rows.append(_row("MINE recovers the closed-form MI of correlated Gaussians (within 0.2 bit)", "validation before use",
                     "; ".join(texts), verdict_all(effs), gauss.seed.nunique(), steps, kind="demonstration"))

    def outside(df):
        return np.maximum(np.maximum(df.kde_lower - df.mi, df.mi - df.kde_upper), 0.0)

    t = tishby[tishby.quantity == "ity"]
    effs, texts, ns = [], [], []
    for l, g in t.groupby("layer"):
        mci, n = _ci(outside(g))
        effs.append(effect(mci, n=n))
        ns.append(n)
        texts.append(f"layer {l}: MINE {_fmt(mean_ci(g.mi))} vs KDE [{g.kde_lower.mean():.3f}, {g.kde_upper.mean():.3f}]")
    for l, g in inst_t.groupby("layer"):
        mci, n = _ci(g.wander)
        effs.append(effect(mci, n=n))
    rows.append(_row("MINE works on Tishby's data (I(T;Y) inside the KDE bounds, curves settle)", "works (Sec. 3.2.2)",
                     "; ".join(texts), verdict_none(effs), min(ns) if ns else 0, steps,
                     note=f"margin {MARGIN_BITS:g} bit outside [BD lower, KL upper]; wander = std of the last half of the curve"))
    ci_ = inst_c[inst_c.quantity == "ixt"]
    effs, texts, ns = [], [], []
    for l, g in ci_.groupby("layer"):
        mci, n = _ci(np.where(g.diverged, 10.0, g.wander))
        effs.append("supports" if g.diverged.any() and n >= 3 else effect(mci, n=n))
        ns.append(n)
        texts.append(f"layer {l}: wander {_fmt(mci)} bits, {int(g.diverged.sum())} diverged")
    rows.append(_row("MINE is unstable or diverges on Cora (1,433 sparse input features)", "diverged / unstable (Sec. 3.2.2)",
                     "; ".join(texts), verdict_any(effs), min(ns) if ns else 0, steps,
                     note="unstable: the last half of the critic's curve wanders by more than the margin (std)"))
    return rows


def claims_cross(viol: pd.DataFrame, overfit: pd.DataFrame) -> list[dict]:
    """The cross-cutting row of seeds 003/004: the FCN's plane misbehaves (DPI violations) where it overfits
    and not where it does not.

    ``viol``: dataset, seed, violation (the FCN's largest I(X;T) rise between consecutive layers, bits);
    ``overfit``: dataset, seed, gap (train - validation accuracy). Datasets where the FCN overfits
    (mean gap > 0.1) must show a significant violation (``effect`` +1), the others none (``effect``
    'excludes' or 'opposes'); ``verdict_all`` over the datasets of those unit verdicts as effects.
    """
    effs, texts, ns = [], [], []
    gaps = overfit.groupby("dataset").gap.mean()
    for ds, g in viol.groupby("dataset", sort=True):
        mci, n = _ci(g.violation)
        e = effect(mci, n=n)
        over = bool(gaps.get(ds, np.nan) > 0.1)
        if e == "too few":
            effs.append("too few")
        elif over:
            effs.append("supports" if e == "supports" else ("opposes" if e == "excludes" else "unclear"))
        else:
            effs.append("supports" if e in ("excludes", "opposes") else ("opposes" if e == "supports" else "unclear"))
        ns.append(n)
        texts.append(f"{ds} ({'overfits' if over else 'does not overfit'}, gap {gaps.get(ds, np.nan):.2f}): {_fmt(mci)}")
    missing = sorted({"Cora", "names", "Tishby", "MNIST"} - set(viol.dataset))
    return [_row("Planes misbehave (DPI violations) where the FCN overfits (Cora, names) and not where it does not "
                 "(Tishby, MNIST)",
                 "FCN planes flip exactly where the FCN overfits (Sec. 5.1.4)",
                 "largest I(X;T) rise between FCN layers (bits): " + "; ".join(texts), verdict_all(effs),
                 min(ns) if ns else 0, 0,
                 note=("MNIST: Landsverk's FCN 1024-20-20-20 of the MNIST chapter (page mnist_fcn_lr1e5)"
                       + (f"; no results yet for {', '.join(missing)}" if missing else "")))]



def overview_text(snr_acc: pd.DataFrame | None, names_acc: pd.DataFrame | None, viol: pd.DataFrame,
                  overfit: pd.DataFrame) -> str:
    """The overview's summary of what inductive bias looks like in this part, computed from the pages' tables.

    ``snr_acc``: the Cora SNR page's ``accuracy`` (``model, regime, split, seed, accuracy``, models gcn/fcn);
    ``names_acc``: the names page's (rnn/fcn); ``viol``/``overfit`` from :func:`cross_tables`. Accuracy
    differences are per seed (matched), mean and 95% interval in percentage points; a missing table is
    said to be missing.
    """
    parts = []
    for acc, model, what in ((snr_acc, "gcn", "On Cora the GCN's validation accuracy minus the FCN's is"),
                             (names_acc, "rnn", "On names the RNN's minus the FCN's is")):
        if acc is None or acc.empty:
            parts.append(f"{what.split(' the ')[0]} there are no results yet")
            continue
        ev = acc[acc.split == "eval"]
        bits = []
        for regime, g in ev.groupby("regime", sort=True):
            a = g.set_index(["model", "seed"]).accuracy
            if model not in a.index.get_level_values(0) or "fcn" not in a.index.get_level_values(0):
                continue
            d = 100.0 * diff_per_seed(a.loc[model], a.loc["fcn"])
            mci, n = _ci(d)
            label = "" if regime == "names" else f" with the {regime} split"
            bits.append(f"{_fmt(mci, 1)} points{label} ({n} seeds)")
        parts.append(f"{what} {' and '.join(bits) if bits else 'not available'}")
    if len(viol):
        gaps = overfit.groupby("dataset").gap.mean()
        worst = viol.groupby("dataset").violation.mean()
        over = [d for d in worst.index if gaps.get(d, np.nan) > 0.1]
        fine = [d for d in worst.index if d not in over]
        words = []
        if over:
            words.append(f"where it overfits ({', '.join(over)}) the largest rise of I(X;T) from one layer to the next "
                         f"reaches {max(worst[d] for d in over):.2f} bits (mean over seeds)")
        if fine:
            words.append(f"where it does not ({', '.join(fine)}) it reaches {max(worst[d] for d in fine):.2f} bits")
        parts.append("For the FCN, " + "; ".join(words))
    return ". ".join(parts) + "."


# ---------------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------------
def _band(ax, df, x, y, label, color):
    from .. import plots
    from ..stats import summarize

    s = summarize(df, [x], y)
    ax.plot(s[x], s["mean"], color=color, lw=1.3, label=label)
    plots.band(ax, s[x], s, color, quantity="accuracy" if "acc" in y else ("ixt" if y in ("ixt", "ity") else None))


def accuracy_figure(metrics: pd.DataFrame, title: str | None = None):
    """Training (dashed) and validation (solid) accuracy per model, one panel per regime; mean with 95% bands."""

    from ..plots import panel_grid

    regimes = sorted(metrics.regime.unique())
    fig, axes = panel_grid(len(regimes), panel=(3.2 if len(regimes) > 1 else 5.0, 3.0))
    for ax, regime in zip(axes, regimes):
        for i, model in enumerate(sorted(metrics.model.unique())):
            m = metrics[(metrics.regime == regime) & (metrics.model == model)]
            _band(ax, m[m.split == "eval"], "epoch", "accuracy", f"{panel_title(model)} validation", f"C{i}")
            tr = m[m.split == "train"].groupby("epoch").accuracy.mean()
            ax.plot(tr.index, tr.values, color=f"C{i}", ls="--", lw=1, label=f"{panel_title(model)} train")
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy")
        ax.set_title(f"{title + ': ' if title else ''}{panel_title(regime)}", fontsize=10)
        ax.legend(fontsize=7)
    return fig


def snr_figure(grads: pd.DataFrame):
    """Normalised gradient mean (solid) and std (dashed) per layer, one panel per model and regime (mean over seeds)."""

    from ..plots import panel_grid

    keys = sorted(grads.groupby(["model", "regime"]).groups)
    fig, axes = panel_grid(len(keys), panel=(3.1, 2.8), sharey=True)
    for ax, (model, regime) in zip(axes, keys):
        g = grads[(grads.model == model) & (grads.regime == regime)]
        for l, h in g.groupby("layer"):
            m = h.groupby("epoch")[["grad_mean", "grad_std"]].mean()
            ax.plot(m.index, m.grad_mean, color=f"C{l - 1}", lw=1.2, label=f"layer {l}")
            ax.plot(m.index, m.grad_std, color=f"C{l - 1}", lw=1, ls="--")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_title(f"{panel_title(model)}, {panel_title(regime)}", fontsize=10)
    axes[0].set_ylabel("norm / ||W||")
    axes[0].legend(fontsize=7)
    return fig


def planes_figure(mi: pd.DataFrame, keys: Sequence[str], estimators: Sequence[str], h_y: float | None = None):
    """Information planes (mean over seeds), one per model in ``keys`` and estimator, models in turn:
    at most 3 panels a row, titles in words, ONE colour bar over the epochs of all panels (a linear
    scale: the graphs chapter snapshots at evenly spaced epochs). A dashed line marks H(Y)."""
    from ..plots import planes_grid

    frames = [(f"{panel_title(k)}, {panel_title(est)}", mi[(mi.key == k) & (mi.estimator == est)])
              for k in keys for est in estimators]
    return planes_grid(frames, ncols=min(len(estimators), 3) if len(estimators) > 1 else 3, log_epochs=False,
                       share=False, h_y=h_y)


def histogram_figure(hist: pd.DataFrame, variances: dict):
    """Pairwise-distance histograms per layer with the 90th percentile marked."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    for l, g in hist.groupby("layer"):
        ax.hist(g.distance, bins=60, histtype="step", color=f"C{l - 1}", label=f"layer {l}: s2 = {variances[l]:.3g}")
        ax.axvline(np.percentile(g.distance, 90), color=f"C{l - 1}", ls=":", lw=1)
    ax.set_xlabel("pairwise distance")
    ax.set_ylabel("pairs")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def mine_figure(curves: pd.DataFrame, title: str = ""):
    """MINE critic training curves (bits against step), one line per critic seed, one panel per layer and
    quantity (at most 3 a row, shared step axis)."""
    from ..plots import panel_grid

    keys = sorted(curves.groupby(["quantity", "layer"]).groups)
    fig, axes = panel_grid(max(len(keys), 1), panel=(3.1, 2.5))
    for ax, (q, l) in zip(axes, keys):
        g = curves[(curves.quantity == q) & (curves.layer == l)]
        for i, (s, h) in enumerate(g.groupby("seed")):
            ax.plot(h.step, h.mi, color=f"C{i}", lw=1)
        ax.set_title(f"{title + ': ' if title else ''}{'I(X;T)' if q == 'ixt' else 'I(T;Y)'}, layer {l}", fontsize=9)
        ax.set_xlabel("step")
    for i, ax in enumerate(axes):
        if i % 3 == 0:
            ax.set_ylabel("DV bound [bits]")
    return fig


# ---------------------------------------------------------------------------------------------
# page helpers (glue)
# ---------------------------------------------------------------------------------------------
def regime_key(regime: str) -> str:
    """``"140/1000"`` -> ``"140"`` (glue names)."""
    return regime.split("/")[0]


def glue_accuracy(acc: pd.DataFrame) -> pd.DataFrame:
    """Glue ``acc_<model>_<regime>_<split>`` (mean, _lo, _hi) for every row group; return the summary table."""
    from ..publish.page import glue_ci
    from ..stats import ACCURACY_RANGE, summarize

    s = summarize(acc, ["model", "regime", "split"], "accuracy", bounds=ACCURACY_RANGE)
    for _, r in s.iterrows():
        glue_ci(f"acc_{r.model}_{regime_key(r.regime)}_{r.split}", (r["mean"], r.ci_low, r.ci_high))
    return s


def glue_values(prefix: str, table: pd.DataFrame, by: Sequence[str], value: str, nd: int = 3) -> pd.DataFrame:
    """Glue the mean and 95% CI of ``value`` per group of ``by`` as ``<prefix>_<group values>``."""
    from ..publish.page import glue_ci
    from ..stats import summarize

    s = summarize(table, list(by), value)
    for _, r in s.iterrows():
        key = "_".join([prefix] + [regime_key(str(r[b])) for b in by])
        glue_ci(key, (r["mean"], r.ci_low, r.ci_high), nd)
    return s


def last_snapshot(mi: pd.DataFrame, estimators: Sequence[str]) -> pd.DataFrame:
    """Mean and 95% CI of I(X;T) and I(T;Y) at the last snapshot per key, estimator and layer."""
    from ..stats import summarize

    m = mi[(mi.epoch == mi.epoch.max()) & mi.estimator.isin(list(estimators))]
    a = summarize(m, ["key", "estimator", "layer"], "ixt").rename(columns={"mean": "ixt", "ci_low": "ixt_lo", "ci_high": "ixt_hi"})
    b = summarize(m, ["key", "estimator", "layer"], "ity")[["mean"]].rename(columns={"mean": "ity"})
    return pd.concat([a, b], axis=1)


def log2(n) -> float:
    """``log2(n)`` rounded to 3 decimals (the ceiling of a KDE estimate of I(X;T) on n samples)."""
    return round(float(np.log2(n)), 3)


def label_entropy_bits(res) -> float:
    """H(Y) in bits of the MI labels of Tishby's data (all 4,096 patterns)."""
    from ..data.harmonics import load_harmonics

    d = load_harmonics("saxe")
    y = np.concatenate([d.y_train, d.y_test])
    p = np.bincount(y) / y.size
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def tishby_accuracy(res) -> pd.DataFrame:
    """The final accuracy table of a Tishby run in the layout of :func:`final_accuracy`."""
    m = res.metrics.copy()
    m["split"] = m.split.replace({"eval": "eval", "train": "train"})
    m["model"], m["regime"] = "fcn", "tishby"
    return final_accuracy(m)


def mine_gaussians(rhos: Sequence[float], *, n: int, dim: int, n_seeds: int, steps: int, seed: int = 0,
                   batch_size: int = 256, hidden=(64,), lr: float = 3e-3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """MINE on ``dim`` correlated Gaussian pairs per ``rho`` (closed-form MI). Returns (estimates: rho, truth,
    seed, mi; curves: rho, seed, step, mi)."""
    from ..mi.mine import correlated_gaussians, gaussian_mi, mine
    from ..quiet import quiet

    est, curves = [], []
    for k, rho in enumerate(rhos):
        x, z = correlated_gaussians(n, rho, dim=dim, seed=seed + 100 + k)
        with quiet():
            r = mine(x, z, n_seeds=n_seeds, seed=seed, steps=steps, batch_size=batch_size, hidden=hidden, lr=lr,
                     eval_every=max(1, steps // 20))
        est += [(float(rho), gaussian_mi(rho, dim), int(s), float(v)) for s, v in zip(r.seeds, r.estimate)]
        curves.append(r.curve.assign(rho=float(rho)))
    return (pd.DataFrame(est, columns=["rho", "truth", "seed", "mi"]),
            pd.concat(curves, ignore_index=True)[["rho", "seed", "step", "mi"]])


def _with_kde(est: pd.DataFrame, mi: pd.DataFrame, seed: int, epoch: int, noise_variance: float) -> pd.DataFrame:
    up, lo = estimator_name(noise_variance, "upper"), estimator_name(noise_variance, "lower")
    m = mi[(mi.seed == seed) & (mi.epoch == epoch)]
    rows = []
    for _, r in est.iterrows():
        g = m[m.layer == r.layer].set_index("estimator")[r.quantity]
        rows.append((float(g.get(lo, np.nan)), float(g.get(up, np.nan))))
    out = est.copy()
    out["kde_lower"], out["kde_upper"] = [a for a, _ in rows], [b for _, b in rows]
    return out


def tishby_mine(res, *, n_seeds: int, steps: int, seed: int = 0, noise_variance: float = 0.1, batch_size: int = 256,
                hidden=(64,)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """MINE on the hidden layers of a trained Tishby network (:func:`run_tishby`, replica 0, last epoch) next to its
    KDE bounds. Returns (estimates with kde_lower/kde_upper, curves)."""
    from ..data.harmonics import load_harmonics

    d = load_harmonics("saxe")
    X = np.concatenate([d.X_train, d.X_test]).astype(np.float64)
    y = np.concatenate([d.y_train, d.y_test])
    e = max(res.activations)
    Ts = res.activations[e][:-1]
    est, curves = mine_layers(X, Ts, y, n_seeds=n_seeds, steps=steps, seed=seed, batch_size=batch_size, hidden=hidden)
    return _with_kde(est, res.mi, int(res.seeds[0]), e, noise_variance), curves


def cora_mine(data: dict, run: dict, mi_nodes, *, n_seeds: int, steps: int, seed: int = 0, noise_variance: float = 0.1,
              batch_size: int = 256, hidden=(64,)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """MINE on a trained Cora network's hidden layers (replica 0, last stored epoch; X = the 1,433 features of
    the MI nodes) next to its KDE bounds. Returns (estimates with kde_lower/kde_upper, curves)."""
    e = max(run["activations"])
    Ts = run["activations"][e]
    y = data["y"][mi_nodes]
    est, curves = mine_layers(data["X"][mi_nodes], Ts, y, n_seeds=n_seeds, steps=steps, seed=seed,
                              batch_size=batch_size, hidden=hidden)
    kd = plane_mi({"k": {"activations": {e: [T[:1] for T in Ts]}, "seeds": run["seeds"][:1]}}, y, [noise_variance])
    return _with_kde(est, kd, int(run["seeds"][0]), e, noise_variance), curves


def mnist_gap(metrics: pd.DataFrame) -> pd.Series:
    """Per seed, train minus test accuracy at the last epoch that has both, from an MNIST page's ``metrics``
    table (``seed, epoch, split, loss, accuracy``; split ``train``/``eval``)."""
    p = metrics.pivot_table(index=["seed", "epoch"], columns="split", values="accuracy").dropna()
    last = p.reset_index().sort_values("epoch").groupby("seed").tail(1).set_index("seed")
    return (last["train"] - last["eval"]).rename("gap")


def cross_tables(planes_mi, planes_acc, names_mi, names_acc, tishby_mi, tishby_acc,
                 noise_variance: float = 0.1, mnist_mi=None, mnist_metrics=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Gather, from the saved tables of the other pages, the FCN's DPI violation per seed (lower bound at
    ``noise_variance``, hidden layers) and its overfitting gap (train - validation accuracy). Missing tables
    (``None``) are left out. ``mnist_mi``/``mnist_metrics``: the MNIST chapter's page of Landsverk's FCN
    1024-20-20-20 (``mnist_fcn_lr1e5``; its test images play the validation set).
    Returns (viol: dataset, seed, violation; overfit: dataset, seed, gap)."""
    est = estimator_name(noise_variance, "lower")
    viol, over = [], []
    if mnist_mi is not None and mnist_metrics is not None and len(mnist_mi):
        m = mnist_mi[mnist_mi.layer < mnist_mi.layer.max()]  # hidden layers (the softmax read-out left out)
        v = violation_per_seed(m, est)
        viol.append(pd.DataFrame({"dataset": "MNIST", "seed": v.index, "violation": v.values}))
        over.append(pd.DataFrame({"dataset": "MNIST", "gap": mnist_gap(mnist_metrics).to_numpy()}))
    for ds, mi, acc in (("Cora", planes_mi, planes_acc), ("names", names_mi, names_acc), ("Tishby", tishby_mi, tishby_acc)):
        if mi is None or acc is None:
            continue
        m = mi[mi.key == "fcn"]
        if ds == "Tishby":
            m = m[m.layer < m.layer.max()]
        v = violation_per_seed(m, est)
        viol.append(pd.DataFrame({"dataset": ds, "seed": v.index, "violation": v.values}))
        a = acc[acc.model == "fcn"].set_index(["split", "seed"]).accuracy
        g = diff_per_seed(a.loc["train"], a.loc["eval"])
        over.append(pd.DataFrame({"dataset": ds, "gap": g}))
    cols_v, cols_o = ["dataset", "seed", "violation"], ["dataset", "gap"]
    return (pd.concat(viol, ignore_index=True) if viol else pd.DataFrame(columns=cols_v),
            pd.concat(over, ignore_index=True) if over else pd.DataFrame(columns=cols_o))
