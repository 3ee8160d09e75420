"""Exact information: quantized networks, where I(X;T) needs no estimator (Lorenzen, Igel & Nielsen 2022).

Lorenzen, Igel & Nielsen ("Information Bottleneck: Exact Analysis of (Quantized) Neural Networks",
ICLR 2022, arXiv 2106.12912) train the network *quantized* (quantization-aware training), so every
layer's output takes finitely many values. On a finite input set with ``X`` uniform over the
``N = 4096`` patterns and a deterministic network, ``I(X;T) = H(T)`` and ``I(T;Y)`` are then
computed exactly by counting the distinct layer vectors (:func:`ibutils.mi.exact.exact_mi`); no
estimator and no free parameter is involved. Their findings on Shwartz-Ziv & Tishby's synthetic
task: a fitting phase in every layer of every experiment, compression of the output layer in every
experiment, and hidden-layer compression that depends on the activation function.

This module trains their synthetic experiments with the stacked trainer
(:func:`ibutils.nets.train_ensemble` with ``quantize_bits``): the 12-10-7-5-4-3-2 network, tanh and
ReLU, 4 and 8 bits (and float for comparison), Adam with learning rate ``1e-4`` and minibatches
of 256 (the defaults of the authors' code), a stratified random 80/20 train/test split (their
``train_test_split(test_size=0.2, stratify=y)``; they draw a fresh split per repeat, here one
split, seed ``split_seed``, is shared by all replicas), all 4,096 inputs for the information
quantities. It then scores the book's estimators against the exact values on the very same
networks (:func:`estimator_errors`, :func:`agreement`): binning at several bin counts and sizes,
adaptive binning, the KDE upper and lower bounds at several noise variances, KSG and EDGE.
Expensive estimators run at a stated subset of the snapshots (:class:`EstimatorPanel`).

All information quantities are in bits; epochs count completed epochs; layer ``L = 6`` is the
(quantized) softmax read-out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats as _st

from ..mi.exact import exact_mi
from ..mi.specs import EstimatorSpec, make_estimators, parse_specs
from ..publish.page import fmt_ci
from ..publish.report import MARGIN_BITS, effect, scale_words, verdict, verdict_all
from ..quiet import quiet
from ..stats import ACCURACY_RANGE, compression, mean_ci
from ._protocols import LAYERS, snapshot_schedule

__all__ = [
    "CHAPTER", "SOURCE", "LAYERS", "ACTIVATIONS", "BITS", "EXACT", "bits_label", "ExactRun", "EstimatorPanel",
    "thin_epochs", "run_exact", "final_accuracy", "fitting_table", "compression_runs", "compression_table",
    "wilson", "estimator_errors", "error_summary", "agreement", "claims", "plot_planes", "plot_overlay",
    "describe_run", "scale_text", "fit_sentence", "output_sentence", "error_display", "agreement_display",
    "agreement_sentence", "overlay_bits", "overlay_estimators",
]

CHAPTER = "Exact information"
SOURCE = "Lorenzen, Igel & Nielsen 2022"
ACTIVATIONS = ("tanh", "relu")
#: Bit widths of the paper's synthetic experiments (None: the float network, their "32 bits").
BITS = (4, 8, None)
#: Name of the exact information in the MI tables.
EXACT = "exact"


def bits_label(bits) -> str:
    """``"4-bit"``, ``"8-bit"`` or ``"float"`` (``None``/NaN)."""
    if bits is None or (isinstance(bits, float) and not np.isfinite(bits)):
        return "float"
    return f"{int(bits)}-bit"


# ----------------------------------------------------------------------------- running
class EstimatorPanel:
    """Snapshot hook: run estimators on the (quantized) layer activity at chosen epochs only.

    The trainer calls :meth:`on_snapshot` for every layer of every snapshot; estimators that are
    too expensive for every snapshot (KDE on all 4,096 inputs, KSG, EDGE) run here at
    ``epochs`` only. :meth:`table` is tidy (``seed, epoch, layer, estimator, ixt, ity``).
    """

    def __init__(self, estimators: Mapping[str, Callable], epochs: Sequence[int]):
        self.estimators = dict(estimators)
        self.epochs = {int(e) for e in epochs}
        self._rows: list[pd.DataFrame] = []

    def on_snapshot(self, snapshot) -> None:
        if snapshot.epoch not in self.epochs or len(snapshot.seeds) == 0:
            return
        R = len(snapshot.seeds)
        for name, f in self.estimators.items():
            res = f(snapshot.T, snapshot.y)
            ixt = np.broadcast_to(np.asarray(res.ixt, dtype=float).reshape(-1), (R,))
            ity = np.broadcast_to(np.asarray(res.ity, dtype=float).reshape(-1), (R,))
            self._rows.append(pd.DataFrame({"seed": snapshot.seeds, "epoch": snapshot.epoch, "layer": snapshot.layer,
                                            "estimator": name, "ixt": ixt, "ity": ity}))

    def table(self) -> pd.DataFrame:
        cols = ["seed", "epoch", "layer", "estimator", "ixt", "ity"]
        if not self._rows:
            return pd.DataFrame(columns=cols)
        return pd.concat(self._rows, ignore_index=True)[cols]


class _SeedFilter:
    """Hook wrapper: pass only the first ``n`` seeds of each snapshot to ``hook`` (a cost cap)."""

    def __init__(self, hook, seeds):
        self.hook, self.seeds = hook, np.asarray(sorted(seeds))

    def on_snapshot(self, snapshot) -> None:
        from ..nets.hooks import Snapshot

        keep = np.isin(snapshot.seeds, self.seeds)
        self.hook.on_snapshot(Snapshot(epoch=snapshot.epoch, layer=snapshot.layer, n_layers=snapshot.n_layers,
                                       seeds=snapshot.seeds[keep], T=snapshot.T[keep], y=snapshot.y))

    def table(self) -> pd.DataFrame:
        return self.hook.table()


def thin_epochs(epochs: Sequence[int], k: int) -> list[int]:
    """``k`` of the snapshot ``epochs``, spread evenly over their (log-spaced) order, first and last included."""
    e = sorted({int(x) for x in epochs})
    if k >= len(e):
        return e
    if k < 2:
        raise ValueError(f"costly_snapshots must be >= 2, got {k}")
    pick = np.unique(np.round(np.linspace(0, len(e) - 1, int(k))).astype(int))
    return [e[i] for i in pick]


@dataclass
class ExactRun:
    """Tables of the synthetic experiments: ``mi`` (``activation, bits, seed, epoch, layer, estimator,
    ixt, ity``; ``bits`` is ``"4-bit"``/``"8-bit"``/``"float"``), ``metrics`` (the trainer's, with
    ``activation`` and ``bits``), the snapshot epochs, the subset the costly estimators ran at, the
    estimator names of both groups, which exact values each estimator is scored against
    (``reference``: ``"exact"`` on all inputs, ``"exact_test"``/``"exact_train"`` on an estimator's
    subset of rows), where the costly estimators ran (``costly_bits``, ``costly_seeds``), and the
    seeds that diverged."""

    mi: pd.DataFrame
    metrics: pd.DataFrame
    snapshot_epochs: list
    costly_epochs: list
    cheap: list
    costly: list
    dropped: dict
    n_seeds: int
    epochs: int
    reference: dict
    costly_bits: list
    costly_seeds: list

    def __repr__(self):
        return f"ExactRun(seeds={self.n_seeds}, epochs={self.epochs}, snapshots={len(self.snapshot_epochs)})"


def run_exact(*, activations: Sequence[str] = ACTIVATIONS, bits: Sequence[int | None] = BITS, epochs: int = 8000,
              n_seeds: int = 50, seed: int = 0, lr: float = 1e-4, batch_size: int | None = 256, split_seed: int = 0,
              n_snapshots: int = 40, estimators: Sequence[Mapping[str, Any]] = (),
              costly_estimators: Sequence[Mapping[str, Any]] = (), costly_snapshots: int = 8,
              costly_bits: Sequence[int] | None = None, costly_seeds: int | None = None,
              kde_bank: str | None = "auto", probe_every: int = 10) -> ExactRun:
    """Train the synthetic experiments and measure exact and estimated information.

    Parameters
    ----------
    activations, bits : the grid of experiments (``None`` in ``bits``: the float network).
    epochs, n_seeds, seed, lr, batch_size : training (Adam); replica ``r`` has seed ``seed + r``.
    split_seed : seed of the stratified 80/20 split (:func:`ibutils.data.load_harmonics`, ``"random"``).
    n_snapshots : log-spaced snapshot epochs (0 and the last included).
    estimators : specs (:func:`ibutils.mi.specs.parse_specs`) measured at every snapshot of every network.
    costly_estimators : specs measured on the quantized networks only, at ``costly_snapshots`` of the
        snapshot epochs (:func:`thin_epochs`), through an :class:`EstimatorPanel`.
    costly_bits, costly_seeds : the costly estimators run on these bit widths only (default: every
        quantized one) and on the first ``costly_seeds`` replicas only (default: all).
        An estimator measured on a ``subset`` of the rows (``"test"``: the 819 test inputs) is scored
        against the exact values on the same rows (``"exact_test"``, added automatically).
    kde_bank : backend of the shared KDE distance pass (:func:`ibutils.mi.specs.make_estimators`).
    probe_every : the trainer's end-of-epoch probe (accuracy) every this many epochs.

    Returns
    -------
    ExactRun
        The exact information is the estimator :data:`EXACT` (for a float network it counts distinct
        float vectors: not an information of a quantized code, shown for comparison).
    """
    from ..data import load_harmonics
    from ..nets import train_ensemble

    if not activations or not bits:
        raise ValueError("activations and bits must be non-empty")
    data = load_harmonics("random", seed=int(split_seed), test_fraction=0.2)
    X_probe = np.concatenate([data.X_train, data.X_test])
    n_train = len(data.X_train)
    snaps = snapshot_schedule(int(n_snapshots), int(epochs))
    costly_at = thin_epochs(snaps, int(costly_snapshots))
    parsed = {"cheap": parse_specs(estimators), "costly": parse_specs(costly_estimators)}
    reference = {}
    for group in parsed.values():
        for sp in group:
            if sp.name.startswith(EXACT):
                raise ValueError(f"estimators ({sp.name}): names starting with {EXACT!r} are reserved for the exact values")
            reference[sp.name] = EXACT if sp.subset == "full" else f"{EXACT}_{sp.subset}"

    def with_refs(group, skip=()):
        refs = sorted({reference[sp.name] for sp in group} - {EXACT} - set(skip))
        return list(group) + [EstimatorSpec(r, "exact", r.split("_", 1)[1]) for r in refs]

    cheap_specs = with_refs(parsed["cheap"])
    cheap = make_estimators(cheap_specs, X_probe=X_probe, n_train=n_train)
    costly = make_estimators(with_refs(parsed["costly"], skip=[sp.name for sp in cheap_specs]), X_probe=X_probe,
                             n_train=n_train, kde_bank=kde_bank)
    q_bits = [b for b in bits if b is not None]
    c_bits = q_bits if costly_bits is None else [int(b) for b in costly_bits]
    c_seeds = list(range(int(seed), int(seed) + (int(n_seeds) if costly_seeds is None else min(int(costly_seeds), int(n_seeds)))))
    mis, mets, dropped = [], [], {}
    for act in activations:
        for b in bits:
            panel = None
            if b is not None and b in c_bits and costly:
                panel = _SeedFilter(EstimatorPanel(costly, costly_at), c_seeds)
            with quiet():
                res = train_ensemble(data.X_train, data.y_train, data.X_test, data.y_test, layers=LAYERS,
                                     activation=act, n_seeds=int(n_seeds), seed=int(seed), epochs=int(epochs),
                                     batch_size=batch_size, lr=lr, quantize_bits=b, snapshot_epochs=snaps,
                                     estimators={EXACT: exact_mi, **cheap}, hooks=[panel] if panel else [],
                                     mi_data="full", probe_every=int(probe_every), progress=False)
            tabs = [res.mi] + ([panel.table()] if panel else [])
            mi = pd.concat([t for t in tabs if len(t)], ignore_index=True)
            mi = mi[~mi["seed"].isin(res.dropped_seeds)]
            mi.insert(0, "bits", bits_label(b))
            mi.insert(0, "activation", act)
            mis.append(mi)
            met = res.metrics.copy()
            met.insert(0, "bits", bits_label(b))
            met.insert(0, "activation", act)
            mets.append(met)
            dropped[(act, bits_label(b))] = list(res.dropped_seeds)
    mi = pd.concat(mis, ignore_index=True)
    for c in ("seed", "epoch", "layer"):
        mi[c] = mi[c].astype(np.int64)
    return ExactRun(mi=mi, metrics=pd.concat(mets, ignore_index=True), snapshot_epochs=list(snaps),
                    costly_epochs=list(costly_at), cheap=[sp.name for sp in parsed["cheap"]],
                    costly=[sp.name for sp in parsed["costly"]], dropped=dropped, n_seeds=int(n_seeds),
                    epochs=int(epochs), reference=reference, costly_bits=[bits_label(b) for b in c_bits],
                    costly_seeds=c_seeds)


# ----------------------------------------------------------------------------- analyses
_KEYS = ["activation", "bits"]


def final_accuracy(metrics: pd.DataFrame) -> pd.DataFrame:
    """Test accuracy at the last epoch per experiment: mean with its 95% interval over seeds."""
    ev = metrics[metrics["split"] == "eval"].dropna(subset=["accuracy"])
    last = ev[ev["epoch"] == ev.groupby(_KEYS + ["seed"])["epoch"].transform("max")]
    rows = []
    for key, g in last.groupby(_KEYS, sort=False):
        m, lo, hi = mean_ci(g["accuracy"], bounds=ACCURACY_RANGE)
        rows.append((*key, len(g), m, lo, hi))
    return pd.DataFrame(rows, columns=_KEYS + ["n", "mean", "ci_low", "ci_high"])


def _summ(per_run: pd.DataFrame, by: list, value: str, margin: float, direction: int = 1) -> pd.DataFrame:
    rows = []
    for key, g in per_run.groupby(by, sort=False):
        v = g[value].to_numpy(float)
        n = int(np.isfinite(v).sum())
        mci = mean_ci(v)
        rows.append((*key, n, *mci, effect(mci, n=n, margin=margin, direction=direction),
                     float(np.mean(v[np.isfinite(v)] > margin)) if n else np.nan))
    return pd.DataFrame(rows, columns=by + ["n", "mean", "ci_low", "ci_high", "effect", "share"])


def fitting_table(mi: pd.DataFrame, *, estimator: str = EXACT, margin: float = MARGIN_BITS) -> pd.DataFrame:
    """The fitting phase per experiment and layer: how far ``I(T;Y)`` rises from epoch 0 to its peak.

    Per run and layer, ``rise`` = the cross-fitted peak of ``I(T;Y)`` (:func:`ibutils.stats.compression`
    with ``value="ity"``: located on one half of the snapshots, measured on the other, so noise does
    not inflate it) minus ``I(T;Y)`` at the first snapshot (epoch 0). Returns per ``activation, bits,
    layer``: ``n``, the mean rise with its 95% interval, its :func:`ibutils.publish.report.effect` at
    ``margin`` and the share of runs rising by more than ``margin``.
    """
    df = mi[mi["estimator"] == estimator]
    comp = compression(df, value="ity", by=_KEYS + ["seed", "layer"])
    first = df[df["epoch"] == df.groupby(_KEYS + ["seed", "layer"])["epoch"].transform("min")]
    comp = comp.merge(first[_KEYS + ["seed", "layer", "ity"]].rename(columns={"ity": "start"}), on=_KEYS + ["seed", "layer"])
    comp["rise"] = comp["peak"] - comp["start"]
    return _summ(comp, _KEYS + ["layer"], "rise", margin)


def compression_runs(mi: pd.DataFrame, *, estimator: str = EXACT, epochs: Sequence[int] | None = None,
                     margin: float = MARGIN_BITS) -> pd.DataFrame:
    """Per run and layer, the cross-fitted ``drop`` of ``I(X;T)`` (:func:`ibutils.stats.compression`)
    of ``estimator``, optionally on the snapshot ``epochs`` only; ``compresses`` = ``drop > margin``."""
    df = mi[mi["estimator"] == estimator]
    if epochs is not None:
        df = df[df["epoch"].isin(list(epochs))]
    return compression(df, value="ixt", by=_KEYS + ["seed", "layer"], threshold=margin)


def compression_table(mi: pd.DataFrame, *, estimator: str = EXACT, margin: float = MARGIN_BITS) -> pd.DataFrame:
    """Per ``activation, bits, layer``: mean ``drop`` of ``I(X;T)`` over seeds with its 95% interval,
    its effect at ``margin`` and the share of runs whose drop exceeds ``margin``."""
    return _summ(compression_runs(mi, estimator=estimator, margin=margin), _KEYS + ["layer"], "drop", margin)


def wilson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float, float]:
    """Share ``k / n`` with its Wilson score interval (Wilson 1927); NaNs for ``n = 0``."""
    if n <= 0:
        return (np.nan, np.nan, np.nan)
    z = float(_st.norm.ppf(0.5 + confidence / 2))
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (p, max(0.0, mid - half), min(1.0, mid + half))


def _ref(reference: Mapping[str, str] | None, name: str) -> str:
    return (reference or {}).get(name, EXACT)


def _estimators(mi: pd.DataFrame) -> list[str]:
    return [e for e in dict.fromkeys(mi["estimator"]) if not str(e).startswith(EXACT)]


def estimator_errors(mi: pd.DataFrame, *, reference: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Error of every estimator against the exact values on the quantized networks, per snapshot.

    ``reference`` maps an estimator to the exact values it is scored against (default
    :data:`EXACT`, all inputs; ``"exact_test"`` for an estimator on the test rows). Names starting
    with ``"exact"`` are references, not estimators. Returns ``activation, bits, estimator, seed,
    epoch, layer, err_ixt, err_ity`` (estimate minus exact, bits), for every snapshot where the
    estimator ran.
    """
    q = mi[mi["bits"] != "float"]
    parts = []
    for name in _estimators(q):
        ex = q[q["estimator"] == _ref(reference, name)][_KEYS + ["seed", "epoch", "layer", "ixt", "ity"]]
        parts.append(q[q["estimator"] == name].merge(ex, on=_KEYS + ["seed", "epoch", "layer"], suffixes=("", "_exact")))
    cols = _KEYS + ["estimator", "seed", "epoch", "layer", "err_ixt", "err_ity"]
    if not parts:
        return pd.DataFrame(columns=cols)
    m = pd.concat(parts, ignore_index=True)
    m["err_ixt"] = m["ixt"] - m["ixt_exact"]
    m["err_ity"] = m["ity"] - m["ity_exact"]
    return m[cols]


def error_summary(err: pd.DataFrame, *, by_layer: bool = False) -> pd.DataFrame:
    """Bias and spread of each estimator's error over training, with 95% intervals over seeds.

    Per run (and layer, or pooled over layers), ``bias`` is the mean error over the snapshots and
    layers, ``spread`` the standard deviation of the error over the snapshots (averaged over
    layers when pooled); each is then averaged over seeds with its t-interval. Columns:
    ``activation, bits, estimator[, layer], n, bias_ixt, bias_ixt_lo, bias_ixt_hi, spread_ixt, ...``
    and the same for ``ity``.
    """
    keys = _KEYS + ["estimator"] + (["layer"] if by_layer else [])
    g = err.groupby(keys + ["seed"] + ([] if by_layer else ["layer"]), sort=False)
    run = g[["err_ixt", "err_ity"]].agg(["mean", "std"])
    run.columns = [f"{a}_{b}" for a, b in run.columns]
    run = run.reset_index()
    if not by_layer:
        run = run.groupby(keys + ["seed"], sort=False)[[c for c in run.columns if c.startswith("err_")]].mean().reset_index()
    rows = []
    for key, gg in run.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        out = list(key) + [len(gg)]
        for q in ("ixt", "ity"):
            out += [*mean_ci(gg[f"err_{q}_mean"]), mean_ci(gg[f"err_{q}_std"])[0]]
        rows.append(out)
    cols = keys + ["n"]
    for q in ("ixt", "ity"):
        cols += [f"bias_{q}", f"bias_{q}_lo", f"bias_{q}_hi", f"spread_{q}"]
    return pd.DataFrame(rows, columns=cols)


def agreement(mi: pd.DataFrame, *, reference: Mapping[str, str] | None = None, margin: float = MARGIN_BITS
              ) -> pd.DataFrame:
    """Does each estimator find the same compressing layers as the exact values?

    For every quantized experiment and estimator, a (run, layer) *compresses* when its cross-fitted
    ``drop`` of ``I(X;T)`` exceeds ``margin``, for the estimator and for the exact values computed on
    the same snapshots (those where the estimator ran) and rows (``reference``, see
    :func:`estimator_errors`). Returns per ``activation, bits, estimator``:
    ``pairs`` (run-layer pairs), ``agree`` (share of pairs with the same answer) with its Wilson
    interval (``agree_lo``, ``agree_hi``), ``runs_same`` (share of runs whose whole set of
    compressing layers matches), ``exact_compressing`` and ``est_compressing`` (shares of pairs).
    """
    q = mi[mi["bits"] != "float"]
    rows = []
    names = _estimators(q)
    for (act, b, name), g in q[q["estimator"].isin(names)].groupby(_KEYS + ["estimator"], sort=False):
        eps = sorted(g["epoch"].unique())
        ex = q[(q["estimator"] == _ref(reference, name)) & (q["activation"] == act) & (q["bits"] == b) & q["epoch"].isin(eps)]
        ce = compression(g, value="ixt", by=["seed", "layer"], threshold=margin)
        cx = compression(ex, value="ixt", by=["seed", "layer"], threshold=margin)
        m = ce.merge(cx, on=["seed", "layer"], suffixes=("_est", "_exact"))
        m = m[np.isfinite(m["drop_est"]) & np.isfinite(m["drop_exact"])]
        same = m["compresses_est"] == m["compresses_exact"]
        k, n = int(same.sum()), int(len(m))
        p, lo, hi = wilson(k, n)
        runs = same.groupby(m["seed"]).all()
        rows.append((act, b, name, n, p, lo, hi, float(runs.mean()) if len(runs) else np.nan,
                     float(m["compresses_exact"].mean()) if n else np.nan,
                     float(m["compresses_est"].mean()) if n else np.nan, len(eps)))
    return pd.DataFrame(rows, columns=_KEYS + ["estimator", "pairs", "agree", "agree_lo", "agree_hi", "runs_same",
                                               "exact_compressing", "est_compressing", "snapshots"])


# ----------------------------------------------------------------------------- claims
def _quantized(tab: pd.DataFrame) -> pd.DataFrame:
    return tab[tab["bits"] != "float"]


def _n(tab: pd.DataFrame) -> int:
    return int(tab["n"].min()) if len(tab) else 0


def _scale(n_seeds, epochs, study_seeds, study_epochs) -> dict:
    return dict(n_seeds=int(n_seeds), epochs=int(epochs), study_seeds=study_seeds, study_epochs=study_epochs)


def _hidden_sets(comp: pd.DataFrame, n_layers: int) -> dict:
    """(activation, bits) -> sorted hidden layers whose drop is significant."""
    out = {}
    for (act, b), g in _quantized(comp).groupby(_KEYS, sort=False):
        out[(act, b)] = sorted(int(x) for x in g[(g["layer"] < n_layers) & (g["effect"] == "supports")]["layer"])
    return out


def claims(fit: pd.DataFrame, comp: pd.DataFrame, agree: pd.DataFrame | None = None, *, n_seeds: int, epochs: int,
           study_seeds: int | None = 50, study_epochs: int | None = 8000, n_layers: int = len(LAYERS) + 1,
           margin: float = MARGIN_BITS) -> list[dict]:
    """The chapter's claims rows, verdicts by the rule book (:mod:`ibutils.publish.report`).

    Parameters
    ----------
    fit : :func:`fitting_table` (exact values).
    comp : :func:`compression_table` (exact values).
    agree : :func:`agreement`, optional (the binning settings' row is left out without it).
    n_seeds, epochs, study_seeds, study_epochs : scale of this run and of the paper.

    Rows (quantized experiments only):

    1. *Fitting in every layer of every experiment*: each (activation, bits, layer) is a unit; its
       effect is the mean rise of ``I(T;Y)`` from epoch 0 to its cross-fitted peak;
       :func:`verdict_all`.
    2. *The output layer compresses in every experiment*: each (activation, bits) is a unit; the
       mean cross-fitted drop of the read-out's ``I(X;T)``; :func:`verdict_all`. The share of single
       runs whose drop exceeds the margin is stated.
    3. *Hidden-layer compression depends on the activation*: for each bit width, the set of hidden
       layers with a significant drop differs between the activations (:func:`verdict`: all bit
       widths reproduced, some partly).
    4. *Binning choices change the picture* (with ``agree``): the binning settings' agreement with
       the exact compressing layers differs: reproduced when the Wilson intervals of the best and
       the worst binning setting do not overlap in some experiment.
    """
    scale = _scale(n_seeds, epochs, study_seeds, study_epochs)
    rows = []
    qf = _quantized(fit)
    eff = list(qf["effect"])
    sig = qf[qf["effect"] == "supports"]
    weakest = qf.loc[qf["mean"].idxmin()] if len(qf) else None
    measured = (f"I(T;Y) rises significantly (> {margin:g} bit) in {len(sig)} of {len(qf)} layer-experiments"
                + (f"; smallest mean rise {weakest['mean']:.3f} bits (layer {int(weakest['layer'])}, "
                   f"{weakest['activation']} {weakest['bits']})" if weakest is not None else ""))
    no_fit = qf[qf["effect"] != "supports"]
    note = ("not rising: " + ", ".join(f"{a} {b} layer {int(lay)}" for a, b, lay in
                                       no_fit[["activation", "bits", "layer"]].itertuples(index=False))) if len(no_fit) else ""
    rows.append(dict(claim="A fitting phase (I(T;Y) rises) in every layer of every experiment", source=SOURCE,
                     reported="fitting in all layers, all experiments", measured=measured, verdict=verdict_all(eff),
                     n_seeds=_n(qf), note=note, **{k: v for k, v in scale.items() if k != "n_seeds"}))
    qc = _quantized(comp)
    out = qc[qc["layer"] == n_layers]
    parts = [f"{a} {b}: drop {fmt_ci(m, lo, hi)} bits, {s:.0%} of runs > {margin:g}"
             for a, b, m, lo, hi, s in out[["activation", "bits", "mean", "ci_low", "ci_high", "share"]].itertuples(index=False)]
    rows.append(dict(claim="The output layer compresses in every experiment", source=SOURCE,
                     reported="output-layer compression in all experiments", measured="; ".join(parts),
                     verdict=verdict_all(list(out["effect"])), n_seeds=_n(out),
                     **{k: v for k, v in scale.items() if k != "n_seeds"}))
    sets = _hidden_sets(comp, n_layers)
    acts = sorted({a for a, _ in sets})
    bws = sorted({b for _, b in sets})
    differ = [b for b in bws if len({tuple(sets.get((a, b), [])) for a in acts}) > 1]
    desc = "; ".join(f"{a} {b}: " + (", ".join(map(str, sets[(a, b)])) or "none") for a in acts for b in bws
                     if (a, b) in sets)
    nh = _n(qc[qc["layer"] < n_layers])
    ok = len(acts) > 1 and len(bws) > 0 and len(differ) == len(bws)
    rows.append(dict(claim="Whether hidden layers compress depends on the activation function", source=SOURCE,
                     reported="hidden-layer compression differs between tanh and ReLU",
                     measured="hidden layers with a significant drop: " + desc,
                     verdict=verdict(ok, partly=len(acts) > 1 and bool(differ), n=nh) if len(acts) > 1 else "inconclusive",
                     n_seeds=nh, note="" if len(acts) > 1 else "one activation only",
                     **{k: v for k, v in scale.items() if k != "n_seeds"}))
    if agree is not None and len(agree):
        b = agree[agree["estimator"].str.startswith(("bins", "size", "adaptive"))]
        found, text = False, []
        for (act, bw), g in b.groupby(_KEYS, sort=False):
            best, worst = g.loc[g["agree"].idxmax()], g.loc[g["agree"].idxmin()]
            found |= bool(worst["agree_hi"] < best["agree_lo"])
            text.append(f"{act} {bw}: {best['estimator']} {best['agree']:.2f} [{best['agree_lo']:.2f}, "
                        f"{best['agree_hi']:.2f}] vs {worst['estimator']} {worst['agree']:.2f} "
                        f"[{worst['agree_lo']:.2f}, {worst['agree_hi']:.2f}]")
        rows.append(dict(claim="Different binning choices give different compression pictures", source=SOURCE,
                         reported="binning can support or refute the IB conjectures on the same networks",
                         measured="agreement with the exact compressing layers, best vs worst binning: " + "; ".join(text),
                         verdict=verdict(found, n=n_seeds), n_seeds=int(n_seeds),
                         **{k: v for k, v in scale.items() if k != "n_seeds"}))
    return rows


# ----------------------------------------------------------------------------- pages
def describe_run(run: ExactRun) -> str:
    """One sentence on what ran."""
    return (f"{run.n_seeds} seeds x {run.epochs:,} epochs per experiment, {len(run.snapshot_epochs)} snapshots "
            f"(the costly estimators at {len(run.costly_epochs)} of them: epochs "
            + ", ".join(str(e) for e in run.costly_epochs) + ")")


def scale_text(profile: str, *, n_seeds: int, epochs: int, study_seeds: int = 50, study_epochs: int = 8000) -> str:
    return scale_words(profile, n_seeds=n_seeds, epochs=epochs, study_seeds=study_seeds, study_epochs=study_epochs)


def plot_planes(mi: pd.DataFrame, *, activation: str, estimator: str = EXACT):
    """One row per bit width: the mean information plane (coloured by epoch, one colour bar for the
    figure) and I(X;T), I(T;Y) against the epoch with 95% bands over seeds (the book's layout,
    :func:`ibutils.plots.panel_grid`)."""
    from ..plots import epoch_colorbar, epoch_norm, info_plane, mi_curves, panel_grid

    df = mi[(mi["activation"] == activation) & (mi["estimator"] == estimator)]
    bws = list(dict.fromkeys(df["bits"]))
    fig, axes = panel_grid(3 * len(bws), ncols=3, extra_width=0.8)
    norm = epoch_norm(df["epoch"])
    for i, b in enumerate(bws):
        d = df[df["bits"] == b]
        words = "float" if b == "float" else f"{b} quantized"
        info_plane(d, ax=axes[3 * i], title=f"{activation}, {words}: plane", norm=norm, colorbar=False)
        mi_curves(d, value="ixt", ax=axes[3 * i + 1], title=f"{activation}, {words}: I(X;T)")
        mi_curves(d, value="ity", ax=axes[3 * i + 2], title=f"{activation}, {words}: I(T;Y)")
    from matplotlib.cm import ScalarMappable

    epoch_colorbar(fig, ScalarMappable(norm=norm, cmap="viridis"), [axes[3 * i] for i in range(len(bws))])
    return fig


def plot_overlay(mi: pd.DataFrame, *, activation: str, bits: str, estimators: Sequence[str],
                 reference: Mapping[str, str] | None = None, ncols: int = 3):
    """The exact plane (black) with each estimator's plane overlaid (colour), one panel per estimator
    (at most 3 a row, :func:`ibutils.plots.panel_grid`; titles in words): mean over seeds per layer and
    snapshot (the exact values on the same snapshots)."""
    from ..plots import MAX_COLS, panel_grid, panel_title

    df = mi[(mi["activation"] == activation) & (mi["bits"] == bits)]
    n = len(estimators)
    fig, flat = panel_grid(n, ncols=ncols, sharex=True, sharey=True)
    ncols = min(int(ncols), MAX_COLS, n)  # as panel_grid lays them out
    for ax, name in zip(flat, estimators):
        g = df[df["estimator"] == name]
        exact = _ref(reference, name)
        ex = df[(df["estimator"] == exact) & df["epoch"].isin(g["epoch"].unique()) & df["seed"].isin(g["seed"].unique())]
        for lay, (h, c) in enumerate(((ex, "k"), (g, "tab:red"))):
            mean = h.groupby(["layer", "epoch"])[["ixt", "ity"]].mean().reset_index()
            for layer, gl in mean.groupby("layer"):
                ax.plot(gl["ixt"], gl["ity"], "-o", color=c, ms=2, lw=1.0, alpha=0.85,
                        label=(("exact, test inputs" if exact.endswith("_test") else "exact") if lay == 0 else "estimate")
                        if layer == 1 else None)
        ax.set_title(panel_title(name), fontsize=9)
        ax.legend(fontsize=7, loc="lower right")
    for i, ax in enumerate(flat):
        if i >= n - ncols:  # the bottom panel of each column
            ax.set_xlabel("I(X;T) [bits]")
        if i % ncols == 0:
            ax.set_ylabel("I(T;Y) [bits]")
    fig.suptitle(f"{activation}, {bits}: exact plane (black) and each estimator's (red)", fontsize=10)
    return fig


# ----------------------------------------------------------------------------- sentences and tables
def fit_sentence(fit: pd.DataFrame) -> str:
    """How many quantized layer-experiments show a significant rise of I(T;Y)."""
    q = _quantized(fit)
    k = int((q["effect"] == "supports").sum())
    flat = q[q["effect"] != "supports"]
    s = f"I(T;Y) rises significantly in {k} of {len(q)} layer-experiments of the quantized networks"
    if len(flat):
        s += " (not in: " + ", ".join(f"{a} {b} layer {int(lay)}" for a, b, lay in
                                      flat[["activation", "bits", "layer"]].itertuples(index=False)) + ")"
    return s + "."


def output_sentence(comp: pd.DataFrame, n_layers: int = len(LAYERS) + 1) -> str:
    """The read-out's drop per quantized experiment, and the hidden layers that compress."""
    q = _quantized(comp)
    out = q[q["layer"] == n_layers]
    parts = [f"{a} {b}: {fmt_ci(m, lo, hi)} bits ({s:.0%} of runs)" for a, b, m, lo, hi, s in
             out[["activation", "bits", "mean", "ci_low", "ci_high", "share"]].itertuples(index=False)]
    sets = _hidden_sets(comp, n_layers)
    hid = "; ".join(f"{a} {b}: " + (", ".join(map(str, v)) or "none") for (a, b), v in sets.items())
    return (f"The output layer's I(X;T) drops by {'; '.join(parts)}. Hidden layers whose drop is significant: {hid}.")


def error_display(summ: pd.DataFrame) -> pd.DataFrame:
    """The error summary as text cells: one row per estimator, columns per experiment and quantity."""
    if summ.empty:
        return pd.DataFrame()
    d = summ.copy()
    d["experiment"] = d["activation"] + " " + d["bits"]
    cells = {}
    for q, lab in (("ixt", "I(X;T)"), ("ity", "I(T;Y)")):
        d[lab] = [f"{m:+.2f} [{lo:+.2f}, {hi:+.2f}] sd {s:.2f}" for m, lo, hi, s in
                  d[[f"bias_{q}", f"bias_{q}_lo", f"bias_{q}_hi", f"spread_{q}"]].itertuples(index=False)]
        cells[lab] = d.pivot(index="estimator", columns="experiment", values=lab)
    out = pd.concat(cells, axis=1)
    return out.reindex(list(dict.fromkeys(summ["estimator"])))


def agreement_display(agree: pd.DataFrame) -> pd.DataFrame:
    """Agreement rates as text cells (share [Wilson interval]), one row per estimator."""
    if agree.empty:
        return pd.DataFrame()
    d = agree.copy()
    d["experiment"] = d["activation"] + " " + d["bits"]
    d["cell"] = [f"{p:.2f} [{lo:.2f}, {hi:.2f}]; runs {r:.2f}" for p, lo, hi, r in
                 d[["agree", "agree_lo", "agree_hi", "runs_same"]].itertuples(index=False)]
    out = d.pivot(index="estimator", columns="experiment", values="cell")
    return out.reindex(list(dict.fromkeys(agree["estimator"])))


def agreement_sentence(agree: pd.DataFrame) -> str:
    """The best and the worst estimator setting by agreement, pooled over the quantized experiments."""
    if agree.empty:
        return "No estimator ran."
    pooled = agree.assign(k=agree["agree"] * agree["pairs"]).groupby("estimator", sort=False)[["k", "pairs"]].sum()
    pooled["rate"] = pooled["k"] / pooled["pairs"]
    best, worst = pooled["rate"].idxmax(), pooled["rate"].idxmin()
    b = wilson(int(round(pooled.loc[best, "k"])), int(pooled.loc[best, "pairs"]))
    w = wilson(int(round(pooled.loc[worst, "k"])), int(pooled.loc[worst, "pairs"]))
    return (f"Pooled over the quantized experiments, the best agreement is {best}'s, {b[0]:.2f} [{b[1]:.2f}, {b[2]:.2f}], "
            f"and the worst {worst}'s, {w[0]:.2f} [{w[1]:.2f}, {w[2]:.2f}].")


def overlay_bits(run: ExactRun) -> str:
    """The bit width of the overlay figure: 8 bits when it ran, else the widest quantized one."""
    q = [b for b in dict.fromkeys(run.mi["bits"]) if b != "float"]
    return "8-bit" if "8-bit" in q else (sorted(q, key=lambda s: int(s.split("-")[0]))[-1] if q else "float")


def overlay_estimators(run: ExactRun, n: int = 8) -> list[str]:
    """Up to ``n`` estimators for the overlay figure: one of each kind of the book's estimators first."""
    names = list(run.cheap) + list(run.costly)
    pref = ["bins30", "bins256", "size0.1", "adaptive30", "kde_up_1e-1", "kde_lo_1e-1", "ksg3", "edge"]
    pick = [p for p in pref if p in names]
    pick += [x for x in names if x not in pick]
    return pick[:n]
