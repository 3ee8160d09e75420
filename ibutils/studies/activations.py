"""Binning versus adaptive binning across activation functions (chapter "Activations and estimators").

Does compression belong to double-saturating activations or to the estimator? This module
holds what the chapter's pages compute on the harmonics network (:mod:`ibutils.studies._protocols`):

* :func:`run_setting`: one of Rasmussen's (2020) Settings 2.1-2.4 or his appendix networks:
  the harmonics ensemble of :func:`ibutils.nets.train_ensemble` measured with fixed-range
  and adaptive binning (:func:`ibutils.mi.binning`) and with uniform bins on
  ``[lo, max activation of the run]`` (:class:`ibutils.mi.ranged.RunMaxBinning`, spec kind
  ``range_max``; ``lo = -1`` for ELU, his Setting 2.3), found by the deterministic replay of
  :func:`ibutils.studies._protocols.train_with_run_max` (train once to read each replica's
  maximum, train again with the same seeds);
* :func:`run_cohort`, the Deep Bottleneck activation cohort (11 activations, KDE upper bound,
  noise variance 1e-3), with :func:`ibutils.mi.kde_sparse.kde_sparse`: the Kolchinsky-Tracey
  bound computed on the neighbour pairs that can contribute (exact to float64 rounding,
  ~10-30x faster on all 4,096 harmonics patterns);
* analyses: :func:`dpi_checks` / :func:`dpi_summary` (violations of the data-processing
  inequality along the layers), :func:`phase_order` / :func:`phase_summary` (does
  compression come before or after fitting?), :func:`bin_edges` (where uniform and
  adaptive edges fall, Rasmussen's Fig. 5.7), :func:`seed_spread` (run-to-run
  variability, his Fig. 5.13), :func:`final_accuracy`, :func:`saturation_verdict`;
* what the pages show: sentences (:func:`compression_sentence`, :func:`dpi_sentence`,
  :func:`phase_sentence`), tables and figures (:func:`compression_table`,
  :func:`compression_heatmap`, :func:`cohort_figure`, the overview's ``overview_*``);
* the verdicts, by the rule book of :mod:`ibutils.publish.report`: :func:`claims_summary` (the
  overview page's claims table) and :func:`claims_cohort` (the cohort's three claims, also glued
  on the cohort page). A layer compresses when the 95% interval of its mean cross-fitted drop
  (:func:`ibutils.stats.compression`) lies above the margin; claims measured as shares state
  their own margin (:data:`SHARE_MARGIN`, :data:`ACC_MARGIN`).

All information quantities are in bits; epochs count completed epochs (0: untrained).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..mi.base import Measure
from ..mi.binning import adaptive_edges
from ..mi.kde_sparse import kde_sparse
from ..publish.page import fmt_ci, read_table
from ..publish.report import (
    MARGIN_BITS,
    MIN_SEEDS,
    TOO_FEW,
    effect,
    scale_words,
    verdict_all,
    verdict_any,
    verdict_none,
)
from ..quiet import quiet
from ..stats import ACCURACY_RANGE, compression, compression_summary, mean_ci
from ._protocols import LAYERS, harmonics_run, snapshot_schedule

#: Lower bound of the adaptive bins per activation (Rasmussen's ``info_utils``: -1 - 1e-12
#: for tanh and ELU, 0 for ReLU and ReLU6).
ADAPTIVE_LB = {"tanh": -1.000000000001, "elu": -1.000000000001, "relu": 0.0, "relu6": 0.0}

__all__ = [
    "ADAPTIVE_LB", "run_setting", "run_cohort",
    "dpi_checks", "dpi_summary", "phase_order", "phase_summary", "bin_edges", "seed_spread", "pick_seeds",
    "final_accuracy", "final_accuracy_runs", "saturation_verdict",
    # page text, figures and verdicts
    "SETTINGS", "SHARE_MARGIN", "ACC_MARGIN", "describe_estimator", "estimators_text", "scale_text",
    "compression_table", "cohort_compression", "accuracy_glue", "with_effects", "compression_sentence",
    "dpi_effects", "dpi_word", "dpi_sentence",
    "phase_share", "phase_effect", "phase_sentence", "bins_illustration", "bins_figure", "compression_heatmap",
    "cohort_figure", "saturation_classes", "verdict_parts", "only_verdict", "accuracy_claim", "runs_differ_effect",
    "read_results", "found_text", "scales_text", "overview_compression", "overview_cells", "overview_dpi_phases",
    "claims_summary", "claims_cohort", "cohort_words",
]


# ----------------------------------------------------------------------------- running
def run_setting(*, activation: str, estimators: Sequence[Mapping[str, Any]], layers: Sequence[int] = LAYERS,
                epochs: int = 8000, n_seeds: int = 40, seed: int = 0, batch_size: int | None = 256,
                lr: float = 4e-4, split: str = "saxe", snapshots: Any = "tishby", probe_every: int = 1):
    """Train the harmonics ensemble of ``layers`` and measure every estimator on all 4,096 patterns.

    ``estimators`` are specs of :func:`ibutils.mi.specs.parse_specs`; ``range_max`` specs
    (``n_bins``, ``lo``, ``strategy``: :class:`ibutils.mi.ranged.RunMaxBinning`) trigger the replay
    of :func:`ibutils.studies._protocols.train_with_run_max`: the first training records each
    replica's largest hidden activation (probe epochs and snapshots), the second (same seeds,
    identical numbers) bins on ``[lo, max_r]``.

    Returns
    -------
    (HarmonicsRun, list of arrays)
        The run's tables, and the activity of every layer at the last epoch (``(R, N, d)``
        arrays, replicas in seed order) for :func:`bin_edges`.
    """
    with quiet():
        run, res = harmonics_run(estimators, epochs=epochs, layers=layers, split=split, snapshots=snapshots,
                                 store_activations_at=[int(epochs)], activation=activation, n_seeds=n_seeds,
                                 seed=seed, batch_size=batch_size, lr=lr, optimizer="adam", init="width",
                                 initial_bias=0.0, probe_every=probe_every)
    return run, res.activations.get(int(epochs), [])


def run_cohort(activations: Sequence[str], *, layers: Sequence[int] = LAYERS, epochs: int = 8000,
               n_seeds: int = 10, seed: int = 0, batch_size: int | None = 256, lr: float = 4e-4,
               noise_variance: float = 1e-3, snapshots: Any = 30, probe_every: int = 10, split: str = "saxe"):
    """The Deep Bottleneck activation cohort (experiments 210-220): one ensemble per activation,
    MI by the KDE upper bound on all 4,096 patterns (hidden layers). Returns ``(mi, metrics)``
    with a column ``activation``; the estimator is called ``kde_upper``.

    The KDE is :func:`ibutils.mi.kde_sparse.kde_sparse` (neighbour pairs only), on the hidden
    layers only (``Measure(..., layers="hidden")``): the softmax read-out is the same for every
    hidden activation, and on a near-one-dimensional set of 4,096 points it is the one layer
    where the sparse sum finds millions of neighbour pairs."""
    from functools import partial

    from ..data import load_harmonics
    from ..nets import train_ensemble

    data = load_harmonics(split)
    mis, mets = [], []
    est = Measure(partial(kde_sparse, noise_variance=noise_variance, bound="upper"), layers="hidden")
    with quiet():
        for a in activations:  # the trainer takes one activation per ensemble
            res = train_ensemble(data.X_train, data.y_train, data.X_test, data.y_test, layers=list(layers),
                                 activation=a, n_seeds=n_seeds, epochs=epochs, batch_size=batch_size, lr=lr,
                                 seed=seed, snapshot_epochs=snapshot_schedule(snapshots, epochs), init="width",
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
                         max_increase_lo=slo, max_increase_hi=shi, seeds_violating=float((g["share"] > 0).mean()),
                         n_seeds=len(g)))
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
        m, lo, hi = mean_ci(g["accuracy"], bounds=ACCURACY_RANGE)
        key = key if isinstance(key, tuple) else (key,)
        rows.append(dict(zip(list(by) + ["split"], key), mean=m, ci_low=lo, ci_high=hi, n=len(g)))
    out = pd.DataFrame(rows)
    out["split"] = out["split"].map({"train": "train", "eval": "test"})
    return out


def final_accuracy_runs(metrics: pd.DataFrame, by: Sequence[str] = ("activation",)) -> pd.DataFrame:
    """Accuracy of every run at the last epoch: one row per ``by``, split (``train``/``test``) and
    seed, for claims that compare settings run by run (:func:`accuracy_claim`)."""
    last = metrics.dropna(subset=["accuracy"])
    last = last[last["epoch"] == last["epoch"].max()]
    out = last.groupby(list(by) + ["split", "seed"], sort=False)["accuracy"].mean().reset_index()
    out["split"] = out["split"].map({"train": "train", "eval": "test"})
    return out


# ----------------------------------------------------------------------------- page text and figures
#: Margin of claims measured as shares (of runs, of a run's compressing layers): a share "differs
#: from one half" (phase order) or "lies inside (0, 1)" (runs differ) only beyond this.
SHARE_MARGIN = 0.1
#: Margin of the cohort's ranking claim: a difference of test accuracy counts beyond this.
ACC_MARGIN = 0.005
#: The chapter's settings (params file stems) and their labels on the overview page.
SETTINGS = {"activations_tanh": "tanh (2.1)", "activations_relu": "ReLU (2.2)", "activations_elu": "ELU (2.3)",
            "activations_relu6": "ReLU6 (2.4)", "activations_appendix_a": "ReLU 12-12-12-12 (A)",
            "activations_appendix_b1": "ReLU 12-12-10-8 (B.1)", "activations_appendix_b2": "ReLU 12-12-10-8-7 (B.2)",
            "activations_cohort": "cohort"}
COHORT = "activations_cohort"
#: The tables the overview reads from each setting's results.
TABLES = ("setting", "compression", "dpi", "phases", "phase_share", "seed_spread", "accuracy_runs")


def describe_estimator(spec: Mapping[str, Any]) -> str:
    """One estimator spec of a params file in words."""
    if spec["kind"] == "range_max":
        return (f"`{spec['name']}`: {spec.get('n_bins', 30)} equal bins on [{spec.get('lo', 0):g}, "
                f"maximum activation of the run]")
    if spec.get("strategy") == "adaptive":
        return (f"`{spec['name']}`: {spec['n_bins']} adaptive bins per layer and epoch, lower bound "
                f"{spec['value_range'][0]:g}")
    return f"`{spec['name']}`: {spec['n_bins']} equal bins on [{spec['value_range'][0]:g}, {spec['value_range'][1]:g}]"


def estimators_text(specs: Sequence[Mapping[str, Any]]) -> str:
    return "; ".join(describe_estimator(e) for e in specs)


def scale_text(profile: str, *, n_seeds: int, epochs: int, n_snapshots: int, batch_size: int | None,
               study_seeds: int | None = None, study_epochs: int | None = None) -> str:
    """The scale a page ran at, compared with the study's (:func:`ibutils.publish.report.scale_words`),
    with the batch and the number of snapshot epochs."""
    batch = f"minibatches of {batch_size}" if batch_size else "full batch"
    words = scale_words(profile, n_seeds=n_seeds, epochs=epochs, study_seeds=study_seeds, study_epochs=study_epochs)
    return f"{words}; {batch}, MI at {n_snapshots} snapshot epochs"


def compression_table(mi: pd.DataFrame, *, threshold: float = MARGIN_BITS) -> pd.DataFrame:
    """Compression per estimator (in the order they appear) and layer:
    :func:`ibutils.stats.compression_summary` of the cross-fitted ``drop`` (``n``, ``mean``,
    ``ci_low``, ``ci_high``, ``share_compressing``), and beside it ``mean_drop_max``, the mean of
    the plain peak-minus-last statistic the studies read off their plots (biased upward; shown, not
    used for verdicts)."""
    parts = []
    for name, g in mi.groupby("estimator", sort=False):
        s = compression_summary(g, threshold=threshold)
        plain = compression(g, threshold=threshold).groupby("layer")["drop_max"].mean().rename("mean_drop_max")
        s = s.merge(plain.reset_index(), on="layer", how="left")
        s.insert(0, "estimator", name)
        parts.append(s)
    return pd.concat(parts, ignore_index=True)


def cohort_compression(mi: pd.DataFrame, *, threshold: float = MARGIN_BITS) -> pd.DataFrame:
    """:func:`compression_table` of the cohort, per activation (in the order they appear) instead of
    per estimator; columns ``activation``, ``estimator``, ``layer``, ... ."""
    parts = []
    for a, g in mi.groupby("activation", sort=False):
        c = compression_table(g.assign(estimator="kde_upper"), threshold=threshold)
        c.insert(0, "activation", a)
        parts.append(c)
    return pd.concat(parts, ignore_index=True)


def accuracy_glue(acc: pd.DataFrame) -> dict[str, str]:
    """Text of the cohort's accuracy paragraph from :func:`final_accuracy`: the best and worst
    activation by mean test accuracy and the accuracies (mean and interval) of the best, the worst,
    ELU and the linear network (keys ``best_act``, ``best_acc``, ``worst_act``, ``worst_acc``,
    ``elu_acc``, ``lin_acc``)."""
    test = acc[acc["split"] == "test"].set_index("activation")
    ci = {a: fmt_ci(r["mean"], r["ci_low"], r["ci_high"]) for a, r in test.iterrows()}
    best, worst = str(test["mean"].idxmax()), str(test["mean"].idxmin())
    return dict(best_act=best, best_acc=ci[best], worst_act=worst, worst_acc=ci[worst],
                elu_acc=ci.get("elu", "n/a"), lin_acc=ci.get("linear", "n/a"))


def with_effects(comp: pd.DataFrame, *, margin: float = MARGIN_BITS) -> pd.DataFrame:
    """``comp`` (rows with ``n``, ``mean``, ``ci_low``, ``ci_high``) with a column ``effect``: the
    rule book's classification (:func:`ibutils.publish.report.effect`) of each row's mean drop."""
    eff = [effect((m, lo, hi), n=int(n) if np.isfinite(n) else 0, margin=margin)
           for m, lo, hi, n in zip(comp["mean"], comp["ci_low"], comp["ci_high"], comp["n"].astype(float))]
    return comp.assign(effect=eff)


def _hidden(comp: pd.DataFrame, estimator: str | None = None, *, readout: bool = True) -> pd.DataFrame:
    """The hidden-layer rows of a compression table (of one estimator); ``readout``: the table
    holds the read-out layer too (the settings' pages; the cohort's does not)."""
    c = comp if estimator is None else comp[comp["estimator"] == estimator]
    return c[c["layer"] < comp["layer"].max()] if readout else c


def _fmt_layers(c: pd.DataFrame) -> str:
    return ", ".join(f"L{int(r.layer)} {fmt_ci(r['mean'], r.ci_low, r.ci_high)}" for _, r in c.iterrows())


def compression_sentence(comp: pd.DataFrame, estimator: str, *, margin: float = MARGIN_BITS) -> str:
    """Which hidden layers compress under ``estimator``: those whose interval of the mean
    cross-fitted drop lies above ``margin`` bits (the rule book's "significant")."""
    c = with_effects(_hidden(comp, estimator), margin=margin)
    sig = [int(v) for v in c.loc[c.effect == "supports", "layer"]]
    rule = f" (interval of the mean drop above {margin:g} bits)"
    if (c.effect == "too few").any():
        word, rule = f"there are too few seeds (fewer than {MIN_SEEDS}) to say which hidden layers compress", ""
    elif len(sig) == len(c):
        word = "every hidden layer compresses"
    elif sig:
        one = len(sig) == 1
        word = f"hidden layer{'' if one else 's'} {', '.join(map(str, sig))} compress{'es' if one else ''}"
    else:
        word = "no hidden layer compresses"
    return f"With `{estimator}`, {word}{rule}; mean drops {_fmt_layers(c)} bits."


def dpi_effects(dpi: pd.DataFrame, *, margin: float) -> pd.DataFrame:
    """``dpi`` (:func:`dpi_summary`) with ``effect``: the rule book's classification of the share of
    violated checks against ``margin`` (a share, so the claim states its own margin)."""
    eff = [effect((m, lo, hi), n=int(n), margin=margin)
           for m, lo, hi, n in zip(dpi["share"], dpi["share_lo"], dpi["share_hi"], dpi["n_seeds"])]
    return dpi.assign(effect=eff)


def dpi_word(dpi: pd.DataFrame, estimator: str, *, margin: float) -> str:
    """Does the DPI hold for ``estimator``? ``verdict_none`` over ``I(X;T)`` and ``I(T;Y)``: it holds
    when both intervals of the share of violated checks lie below ``margin``, is broken when one lies
    above it."""
    d = dpi_effects(dpi[dpi["estimator"] == estimator], margin=margin)
    if (d.effect == "too few").any():
        return f"too few seeds (fewer than {MIN_SEEDS}) to tell whether the DPI holds"
    return {"reproduced": "the DPI holds", "contradicted": "the DPI is broken"}.get(
        verdict_none(d.effect), "the intervals are too wide to tell whether the DPI holds")


def dpi_sentence(dpi: pd.DataFrame, estimator: str, *, margin: float) -> str:
    d = dpi[dpi["estimator"] == estimator].set_index("quantity")
    ci = {q: fmt_ci(d.loc[q, "share"], d.loc[q, "share_lo"], d.loc[q, "share_hi"]) for q in ("ixt", "ity")}
    return (f"`{estimator}`: {dpi_word(dpi, estimator, margin=margin)} (violated checks: I(X;T) {ci['ixt']}, "
            f"I(T;Y) {ci['ity']}; largest increase of a run {d.loc['ixt', 'max_increase']:.3f} and "
            f"{d.loc['ity', 'max_increase']:.3f} bits).")


def phase_share(phases: pd.DataFrame, *, hidden: int) -> pd.DataFrame:
    """How often compression comes first, run by run.

    For each run, the share of its compressing hidden layers (:func:`phase_order`: a drawdown above
    the threshold) whose drawdown starts before the fitting epoch; per estimator the mean of that
    share over the runs with at least one compressing hidden layer (``n_runs`` of ``n_seeds``) and
    its 95% interval, and the pair counts ``n_pairs`` (compressing run-layer pairs) and ``n_first``.
    """
    p = phases[phases["layer"] <= hidden]
    by = ["estimator"] if "estimator" in p else []
    rows = []
    for key, g in (p.groupby(by, sort=False) if by else [((), p)]):
        c = g[g["order"] != "no compression"]
        per_run = c.groupby("seed")["order"].apply(lambda o: float((o == "compression first").mean()))
        m, lo, hi = mean_ci(per_run.to_numpy())
        row = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        row.update(n_seeds=int(g["seed"].nunique()), n_runs=int(len(per_run)), n_pairs=int(len(c)),
                   n_first=int((c["order"] == "compression first").sum()), share=m, share_lo=lo, share_hi=hi)
        rows.append(row)
    return pd.DataFrame(rows)


def phase_effect(row: Mapping[str, Any], *, margin: float = SHARE_MARGIN) -> str:
    """The rule book's classification of "compression comes before fitting" for one row of
    :func:`phase_share`: ``supports`` when the share's interval lies above ``0.5 + margin``,
    ``opposes`` (fitting first) below ``0.5 - margin``."""
    m, lo, hi = (float(row[k]) - 0.5 for k in ("share", "share_lo", "share_hi"))
    return effect((m, lo, hi), n=int(row["n_runs"]), margin=margin)


_ORDER_WORDS = {"supports": "compression comes first", "opposes": "fitting comes first",
                "excludes": "neither order dominates", "unclear": "the interval is too wide to tell the order",
                "too few": f"too few runs (fewer than {MIN_SEEDS}) compress to tell the order"}


def phase_sentence(share: pd.DataFrame, estimator: str, *, threshold: float, margin: float = SHARE_MARGIN) -> str:
    """The phase order under ``estimator`` in words, from :func:`phase_share`."""
    r = share[share["estimator"] == estimator].iloc[0]
    if r.n_pairs == 0:
        return f"`{estimator}`: no hidden layer of any run has a drawdown above {threshold:g} bits."
    return (f"`{estimator}`: {int(r.n_pairs)} (run, hidden layer) pairs in {int(r.n_runs)} of {int(r.n_seeds)} runs "
            f"have a drawdown above {threshold:g} bits, {int(r.n_first)} of them before the fitting epoch; the "
            f"share per run is {fmt_ci(r.share, r.share_lo, r.share_hi)}, so "
            f"**{_ORDER_WORDS[phase_effect(r, margin=margin)]}** (interval beyond 0.5 +- {margin:g}).")


def bins_illustration(values, estimators: Sequence[Mapping[str, Any]], run_max: float, *, n_bins: int = 10):
    """Edges for the 10-bin illustration (Rasmussen's Fig. 5.7) of one layer's ``values``: the
    range of the first estimator (``[lo, run_max]`` for a run-max estimator, ``[lb, max]`` for an
    adaptive one, else its ``value_range``) and the lower bound of the adaptive estimator. Returns
    ``(edges, value_range)`` with ``edges`` from :func:`bin_edges`."""
    values = np.asarray(values, dtype=np.float64)
    first = estimators[0]
    if first["kind"] == "range_max":
        vr = (float(first.get("lo", 0.0)), float(run_max))
    elif first.get("strategy") == "adaptive":
        vr = (float(first["value_range"][0]), float(values.max()))
    else:
        vr = tuple(float(v) for v in first["value_range"])
    ada = [e for e in estimators if e.get("strategy") == "adaptive"]
    lb = float(ada[0]["value_range"][0]) if ada else vr[0]
    return bin_edges(values, n_bins=n_bins, value_range=vr, lb=lb), vr


def bins_figure(values, edges: Mapping[str, np.ndarray], value_range, *, n_bins: int = 10):
    """Histogram of a layer's activations with the uniform (left) and adaptive (right) edges."""
    import matplotlib.pyplot as plt

    v = np.asarray(values, dtype=np.float64).ravel()
    lo, hi = min(value_range[0], float(v.min())), max(value_range[1], float(v.max()))
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.2), sharey=True, layout="constrained")
    for ax, key, color in zip(axes, ["uniform", "adaptive"], ["C0", "C3"]):
        ax.hist(v, bins=120, range=(lo, hi), color="0.7")
        for e in edges[key]:
            ax.axvline(e, color=color, lw=0.9)
        ax.set_title(f"{key} binning, {n_bins} bins", fontsize=10)
        ax.set_xlabel("activation")
        ax.set_yscale("log")
    axes[0].set_ylabel("count")
    return fig


def compression_heatmap(comp: pd.DataFrame, *, row: str = "row", margin: float = MARGIN_BITS, ax=None,
                        cmap: str = "magma_r", labels: Mapping[str, str] | None = None):
    """Heat map of the mean drop per ``row`` (y) and hidden layer (x); a star marks a significant
    layer (:func:`with_effects`). ``labels`` renames the rows' tick labels."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 0.33 * max(comp[row].nunique(), 3) + 1.5))
    if not len(comp):
        ax.text(0.5, 0.5, "no results found", ha="center", va="center")
        ax.axis("off")
        return ax
    c = with_effects(comp, margin=margin)
    order = list(dict.fromkeys(c[row]))
    M = c.pivot_table(index=row, columns="layer", values="mean").reindex(order)
    S = c.assign(s=(c.effect == "supports").astype(float)).pivot_table(index=row, columns="layer", values="s")
    S = S.reindex(order).fillna(0).to_numpy()
    ann = np.array([["" if not np.isfinite(v) else f"{v:.2f}".replace("-0.00", "0.00") + ("*" if s > 0 else "")
                     for v, s in zip(mr, sr)] for mr, sr in zip(M.to_numpy(), S)])
    sns.heatmap(M, annot=ann, fmt="", cmap=cmap, ax=ax, linewidths=0.3,
                cbar_kws=dict(label="mean drop of I(X;T) [bits]"))
    from ..plots import panel_title

    labels = labels or {r: " / ".join(panel_title(p) for p in str(r).split(" / ")) for r in M.index}
    ax.set_yticklabels([labels.get(r, r) for r in M.index], rotation=0)
    ax.set_xlabel("hidden layer")
    ax.set_ylabel("")
    return ax


def cohort_figure(comp: pd.DataFrame, mi: pd.DataFrame, saturation: Mapping[str, str], *,
                  margin: float = MARGIN_BITS):
    """The cohort's figure: the compression heat map per activation (left) and the mean ``I(X;T)``
    of every hidden layer against epoch for tanh (solid) and ReLU (dashed) (right)."""
    import matplotlib.pyplot as plt

    from ..plots import epoch_axis, panel_title

    fig, axes = plt.subplots(1, 2, figsize=(9.8, 4.6), gridspec_kw=dict(width_ratios=[1.1, 1]), layout="constrained")
    compression_heatmap(comp, row="activation", margin=margin, ax=axes[0], cmap="viridis",
                        labels={a: f"{panel_title(a)} ({s})" for a, s in saturation.items()})
    mean = mi.groupby(["activation", "layer", "epoch"])["ixt"].mean().reset_index()
    for ls, a in (("-", "tanh"), ("--", "relu")):
        for l, g in mean[mean.activation == a].groupby("layer"):
            axes[1].plot(g.epoch, g.ixt, ls=ls, color=f"C{l - 1}", label=f"layer {l}" if a == "tanh" else None)
    epoch_axis(axes[1])
    axes[1].set_ylabel("I(X;T) [bits]")
    axes[1].set_title("tanh (solid) and ReLU (dashed)", fontsize=10)
    if axes[1].lines:
        axes[1].legend(fontsize=7)
    return fig


def seed_planes_figure(mi: pd.DataFrame, seeds: Sequence[int]):
    """The information planes of single runs (one panel per seed in ``seeds``, one estimator's rows), at most
    3 a row, ONE epoch colour bar: how far single runs stray from the mean (:func:`pick_seeds`)."""
    from ..plots import planes_grid

    return planes_grid([(f"seed {int(s)}", mi[mi["seed"] == s]) for s in seeds], share=True)


def planes_figure(mi: pd.DataFrame, names: Sequence[str], *, by: str = "estimator"):
    """One information plane per value of column ``by`` (the estimators of a run page, the activations of
    the cohort), at most 3 a row, titles in words, ONE epoch colour bar (:func:`ibutils.plots.planes_grid`)."""
    from ..plots import planes_grid

    if by not in mi:
        raise ValueError(f"planes_figure: mi has no column {by!r}")
    return planes_grid([(n, mi[mi[by] == n].drop(columns=by)) for n in names], share=by != "estimator")


def saturation_classes(activations: Sequence[str]) -> dict[str, str]:
    """Saturation class of each activation (``double``, ``single``, ``none``) from the registry."""
    from .. import activations as registry

    return {a: registry.get(a).saturation for a in activations}


# ----------------------------------------------------------------------------- verdicts
def verdict_parts(verdicts) -> str:
    """Verdict for a claim made of parts that must all hold (e.g. "compresses under both
    estimators"), from the parts' verdicts: reproduced when every part is; partly reproduced when
    some part is (partly) reproduced; otherwise contradicted when some part is contradicted, not
    reproduced when some part is not reproduced (the claim as a whole then is not, whatever the
    others), inconclusive when every part is."""
    v = list(verdicts)
    if not v:
        return "inconclusive"
    if all(x == "reproduced" for x in v):
        return "reproduced"
    if any(x in ("reproduced", "partly reproduced") for x in v):
        return "partly reproduced"
    if "contradicted" in v:
        return "contradicted"
    return "not reproduced" if "not reproduced" in v else "inconclusive"


def only_verdict(comp: pd.DataFrame, members, *, margin: float = MARGIN_BITS) -> dict:
    """Test "only the activations in ``members`` compress" on a per-activation compression table.

    ``comp`` holds per ``activation`` and hidden ``layer`` the mean cross-fitted drop, its interval
    and ``n``. An activation *compresses* when some hidden layer's drop is significant
    (:func:`with_effects`). The claim is about absence outside ``members``: it is contradicted when
    any other activation compresses, inconclusive when the others' intervals are too wide to rule
    compression out (the rule book's ``verdict_none``); once ruled out, it is reproduced when every
    member compresses, partly reproduced when some do, not reproduced when none does.

    Returns the activations that compress (all, members, others) and the verdict.
    """
    members = set(members)
    c = with_effects(comp, margin=margin)
    acts = list(dict.fromkeys(c["activation"]))
    comp_acts = [a for a in acts if (c.loc[c.activation == a, "effect"] == "supports").any()]
    inside = [a for a in acts if a in members]
    outside = c[~c["activation"].isin(members)]
    part_out = verdict_none(outside["effect"]) if len(outside) else "reproduced"
    if part_out in ("contradicted", "inconclusive"):
        word = part_out
    elif not inside:
        word = "inconclusive"
    else:
        word = verdict_parts(verdict_any(c.loc[c.activation == a, "effect"]) for a in inside)
    return dict(compressing=comp_acts, members=[a for a in comp_acts if a in members],
                others=[a for a in comp_acts if a not in members], verdict=word)


def saturation_verdict(comp: pd.DataFrame, saturation: Mapping[str, str], *, margin: float = MARGIN_BITS) -> dict:
    """Test "only double-saturating activations compress" (Saxe et al. 2018) with :func:`only_verdict`,
    the members being the activations with ``saturation[a] == "double"``. Returns the compressing
    activations (``compressing``, ``double``, ``other``) and the ``verdict``."""
    double = {a for a in comp["activation"].unique() if saturation.get(a) == "double"}
    v = only_verdict(comp, double, margin=margin)
    return dict(compressing=v["compressing"], double=v["members"], other=v["others"], n_double=len(double),
                verdict=v["verdict"])


def _paired(runs: pd.DataFrame, a: str, b: str) -> np.ndarray:
    """Per seed, accuracy of ``a`` minus accuracy of ``b`` (seeds of independent runs: the
    differences are independent, so their t-interval is that of the difference of the means)."""
    w = runs.pivot_table(index="seed", columns="activation", values="accuracy")
    return (w[a] - w[b]).dropna().to_numpy()


def accuracy_claim(runs: pd.DataFrame, *, best: str = "elu", worst: str = "linear",
                   margin: float = ACC_MARGIN) -> dict:
    """Test "``best`` trains best and ``worst`` worst" on final test accuracies run by run
    (:func:`final_accuracy_runs`, split ``test``): for every other activation, the difference of
    the means (t-interval of the per-seed differences) must lie beyond ``margin`` in the claimed
    direction (``verdict_all`` over the others for each end, :func:`verdict_parts` over both ends).
    Returns ``verdict``, the two ends' verdicts, the measured ``best``/``worst`` activations by mean and
    ``n`` (the fewest seeds of a comparison)."""
    t = runs[runs["split"] == "test"]
    acts = list(dict.fromkeys(t["activation"]))
    means = t.groupby("activation")["accuracy"].mean()
    out = dict(best=str(means.idxmax()) if len(means) else None, worst=str(means.idxmin()) if len(means) else None)
    if best not in acts or worst not in acts or len(acts) < 2:
        return dict(out, verdict="inconclusive", verdict_best="inconclusive", verdict_worst="inconclusive", n=0)
    ends, ns = {}, []
    for name, direction in ((best, 1), (worst, -1)):
        effs = []
        for a in acts:
            if a == name:
                continue
            d = _paired(t, name, a)
            ns.append(len(d))
            effs.append(effect(mean_ci(d), n=len(d), margin=margin, direction=direction))
        ends[name] = verdict_all(effs)
    return dict(out, verdict=verdict_parts(ends.values()), verdict_best=ends[best], verdict_worst=ends[worst],
                n=min(ns))


def runs_differ_effect(spread: pd.DataFrame, *, margin: float = SHARE_MARGIN) -> tuple[str, tuple]:
    """Do runs differ in whether they compress? The share of runs with at least one compressing
    hidden layer (:func:`seed_spread`, cross-fitted drop above the threshold) and its exact 95%
    binomial (Clopper-Pearson) interval, since a t-interval of 0/1 outcomes that all agree has zero
    width: ``supports`` when the interval lies inside ``(margin, 1 - margin)`` (both kinds of run
    are common), ``opposes`` when it lies below ``margin`` or above ``1 - margin`` (runs agree),
    else ``unclear``; ``too few`` below :data:`MIN_SEEDS` runs. Returns ``(effect, (share, lo, hi))``."""
    from scipy.stats import binomtest

    x = spread["n_compressing"].to_numpy(dtype=float) > 0
    if len(x) == 0:
        return "too few", (np.nan, np.nan, np.nan)
    ci = binomtest(int(x.sum()), len(x)).proportion_ci(confidence_level=0.95, method="exact")
    mci = (float(x.mean()), float(ci.low), float(ci.high))
    if len(x) < MIN_SEEDS:
        return "too few", mci
    _, lo, hi = mci
    if lo > margin and hi < 1 - margin:
        return "supports", mci
    if hi < margin or lo > 1 - margin:
        return "opposes", mci
    return "unclear", mci


# ----------------------------------------------------------------------------- the overview page
def read_results(results_dir=None, settings: Sequence[str] = tuple(SETTINGS)) -> dict[str, dict[str, pd.DataFrame]]:
    """The tables the chapter's settings saved (:func:`ibutils.publish.page.read_table`): per setting
    that has a ``compression`` table, a dict of the tables found (and ``mi`` for Appendix A)."""
    out = {}
    for s in settings:
        if read_table(s, "compression", results_dir) is None:
            continue
        names = TABLES + (("mi",) if s == "activations_appendix_a" else ())
        out[s] = {t: df for t in ("compression",) + names if (df := read_table(s, t, results_dir)) is not None}
    return out


def found_text(tables: Mapping[str, Any], settings: Sequence[str] = tuple(SETTINGS)) -> str:
    if not tables:
        return ("Results of the settings were not found: run `python -m ibutils run params/activations_*.yaml` "
                "first; the claims below are then inconclusive.")
    return f"Results found for {len(tables)} of {len(settings)} settings."


def _setting(tables, s) -> dict:
    m = tables.get(s, {}).get("setting")
    if m is None or not len(m):
        return {}
    r = m.iloc[0]
    return {k: int(r[k]) for k in ("n_seeds", "epochs", "study_seeds", "study_epochs") if k in r and pd.notna(r[k])}


def scales_text(tables: Mapping[str, Any]) -> str:
    """The scale of each setting found (seeds x epochs)."""
    parts = []
    for s in tables:
        m = _setting(tables, s)
        txt = f"{m['n_seeds']} seeds x {m['epochs']:,} epochs" if {"n_seeds", "epochs"} <= set(m) else "n/a"
        parts.append(f"{SETTINGS.get(s, s)}: {txt}")
    return "; ".join(parts) or "none"


def overview_compression(tables: Mapping[str, Any], *, margin: float = MARGIN_BITS) -> pd.DataFrame:
    """The hidden layers of every setting's compression table, one ``row`` per setting and estimator
    (``<label> / <estimator>``; the cohort's ``<activation> / KDE``), with ``effect``."""
    cols = ["row", "layer", "n", "mean", "ci_low", "ci_high", "share_compressing", "setting"]
    rows = []
    for s, t in tables.items():
        c = t["compression"]
        if s == COHORT:
            h = c.assign(row=c["activation"] + " / KDE")
        else:
            h = _hidden(c).assign(row=SETTINGS.get(s, s) + " / " + _hidden(c)["estimator"])
        rows.append(h.assign(setting=s)[cols])
    allc = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)
    return with_effects(allc, margin=margin) if len(allc) else allc.assign(effect=[])


def headline_figure(allc: pd.DataFrame, *, margin: float = MARGIN_BITS):
    """The overview's headline: compression per activation and estimator, mean with its 95% interval.

    One row per row of :func:`overview_compression` (a setting and estimator, or a cohort activation),
    the drop of I(X;T) of its most compressing hidden layer (the largest mean drop; the heat map and the
    table give every layer), coloured by the rule book's reading of its interval (:func:`with_effects`:
    beyond ``margin`` = compression), the margin dotted. Built from the tables only; at a small scale
    (fewer than 3 seeds) the intervals are absent and the dots grey.
    """
    import matplotlib.pyplot as plt

    from ..plots import panel_title

    if not len(allc):
        fig, ax = plt.subplots(figsize=(9.6, 1.2), layout="constrained")
        ax.axis("off")
        ax.text(0.5, 0.5, "no results found", ha="center", va="center", color="0.35")
        return fig
    c = with_effects(allc, margin=margin) if "effect" not in allc else allc
    best = c.loc[c.groupby("row", sort=False)["mean"].idxmax().dropna()]
    order = list(dict.fromkeys(c["row"]))
    best = best.set_index("row").reindex([r for r in order if r in set(best["row"])])
    colors = {"supports": "C2", "opposes": "C3", "excludes": "C0", "unclear": "0.45", "too few": "0.65"}
    words = {"supports": "compresses", "opposes": "I(X;T) rises", "excludes": "no compression",
             "unclear": "unclear", "too few": "fewer than 3 seeds"}
    fig, ax = plt.subplots(figsize=(9.6, 0.28 * len(best) + 1.6), layout="constrained")
    y = np.arange(len(best))[::-1]
    for eff, color in colors.items():
        m = (best["effect"] == eff).to_numpy()
        if not m.any():
            continue
        b = best[m]
        lo = (b["mean"] - b["ci_low"]).clip(lower=0).fillna(0).to_numpy(dtype=float)
        hi = (b["ci_high"] - b["mean"]).clip(lower=0).fillna(0).to_numpy(dtype=float)
        if eff == "too few":  # no interval from fewer than 3 seeds (the rule book's MIN_SEEDS)
            lo, hi = 0 * lo, 0 * hi
        ax.errorbar(b["mean"].to_numpy(dtype=float), y[m], xerr=[lo, hi], fmt="o", ms=4, capsize=2, color=color,
                    label=words[eff], lw=1)
    ax.axvline(margin, color="k", ls=":", lw=0.8)
    ax.axvline(0, color="0.6", lw=0.6)
    ax.set_yticks(y, [" / ".join(panel_title(p) for p in str(r).split(" / ")) + f" (layer {int(L)})"
                      for r, L in zip(best.index, best["layer"])], fontsize=7)
    ax.set_xlabel("drop of I(X;T) of the most compressing hidden layer [bits] (dotted: the margin)")
    ax.legend(fontsize=7, loc="lower right")
    return fig


def overview_cells(allc: pd.DataFrame) -> pd.DataFrame:
    """The heat map's numbers with their intervals, one row per setting and estimator."""
    if not len(allc):
        return pd.DataFrame({"result": ["no results found"]})
    cells = [fmt_ci(m, lo, hi).replace("-0.000", "0.000") for m, lo, hi in zip(allc["mean"], allc.ci_low, allc.ci_high)]
    tab = allc.assign(cell=cells).pivot_table(index="row", columns="layer", values="cell", aggfunc="first")
    return tab.reindex(list(dict.fromkeys(allc.row)))


def overview_dpi_phases(tables: Mapping[str, Any], *, dpi_share: float = 0.02) -> pd.DataFrame:
    """Per setting (not the cohort) and estimator: the shares of violated DPI checks with the upper
    ends of their intervals, whether the DPI holds (:func:`dpi_word`), and the share of a run's
    compressing layers that compress first with its interval (:func:`phase_share`)."""
    cols = ["setting", "estimator", "ixt_share", "ixt_hi", "ity_share", "ity_hi", "dpi", "compressing_pairs",
            "share_compression_first", "share_lo", "share_hi", "n_runs"]
    rows = []
    for s, t in tables.items():
        if s == COHORT or "dpi" not in t:
            continue
        d, ps = t["dpi"], t.get("phase_share")
        for est, g in d.groupby("estimator", sort=False):
            g = g.set_index("quantity")
            row = dict(setting=SETTINGS.get(s, s), estimator=est, ixt_share=g.loc["ixt", "share"],
                       ixt_hi=g.loc["ixt", "share_hi"], ity_share=g.loc["ity", "share"],
                       ity_hi=g.loc["ity", "share_hi"], dpi=dpi_word(d, est, margin=dpi_share))
            p = ps[ps.estimator == est] if ps is not None else ()
            if len(p):
                p = p.iloc[0]
                row.update(compressing_pairs=int(p.n_pairs), share_compression_first=p.share, share_lo=p.share_lo,
                           share_hi=p.share_hi, n_runs=int(p.n_runs))
            rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def _scale(tables, settings) -> dict:
    """The row's scale: the fewest seeds and epochs of the settings it reads, and the study's."""
    ms = [_setting(tables, s) for s in settings]
    if not ms or not all(ms):
        return dict(n_seeds=None, epochs=None, study_seeds=None, study_epochs=None)
    pick = {k: [m[k] for m in ms if k in m] for k in ("n_seeds", "epochs", "study_seeds", "study_epochs")}
    return {k: (min(v) if k in ("n_seeds", "epochs") else max(v)) if v else None for k, v in pick.items()}


def _row(claim, source, reported, measured, verdict, scale, note="") -> dict:
    """A claims row; "inconclusive" with the note "too few seeds" when the row's seeds are too few."""
    if scale.get("n_seeds") is not None and int(scale["n_seeds"]) < MIN_SEEDS:
        verdict, note = "inconclusive", "; ".join(x for x in (TOO_FEW, note) if x)
    return dict(claim=claim, source=source, reported=reported, measured=measured, verdict=verdict, note=note, **scale)


def _layers(tables, s, estimator) -> pd.DataFrame | None:
    c = tables.get(s, {}).get("compression")
    if c is None or estimator not in set(c.get("estimator", ())):
        return None
    return _hidden(c, estimator, readout=s != COHORT)


def _eff(c: pd.DataFrame, margin) -> pd.Series:
    return with_effects(c, margin=margin)["effect"]


def claims_summary(tables: Mapping[str, Mapping[str, pd.DataFrame]], *, margin: float = MARGIN_BITS,
                   dpi_share: float = 0.02, reported_best: float = 0.9878,
                   reported_worst: float = 0.884) -> list[dict]:
    """The chapter's claims (rows for :func:`ibutils.publish.report.claims_table`) from the tables of
    :func:`read_results`. Each rule is the rule book's (see the module docstring of
    :mod:`ibutils.publish.report`): a layer compresses when the interval of its mean cross-fitted drop
    lies above ``margin`` bits; the DPI is violated when the interval of the share of violated checks
    lies above ``dpi_share``. A setting that has not been run makes its rows "inconclusive"."""
    INC = "inconclusive"
    rows = []
    s2 = ["activations_tanh", "activations_relu", "activations_elu", "activations_relu6"]
    # 1: adaptive binning keeps the DPI (absent effect: verdict_none over activations x quantities)
    claim = "Adaptive binning keeps the DPI for tanh, ReLU, ELU and ReLU6"
    src, rep = "Rasmussen 2020, sec. 5.4.2", "DPI holds for all activations tested"
    d = [(s, tables[s]["dpi"]) for s in s2 if "dpi" in tables.get(s, {})]
    d = [(s, x[x.estimator == "adaptive"]) for s, x in d if (x.estimator == "adaptive").any()]
    if len(d) < len(s2):
        rows.append(_row(claim, src, rep, "no data", INC, _scale(tables, s2)))
    else:
        effs = pd.concat([dpi_effects(x, margin=dpi_share) for _, x in d]).effect
        meas = "; ".join(f"{SETTINGS[s]}: violated checks I(X;T) " + ", I(T;Y) ".join(
            fmt_ci(*x.set_index("quantity").loc[q, ["share", "share_lo", "share_hi"]]) for q in ("ixt", "ity"))
            for s, x in d)
        rows.append(_row(claim, src, rep, meas, verdict_none(effs), _scale(tables, s2),
                         note=f"violation: interval of the share of violated checks above {dpi_share:g}"))
    # 2: uniform binning breaks the DPI for ReLU and ELU (per activation: I(X;T) or I(T;Y) violated)
    claim = "Uniform binning (30 bins, [lo, run max]) breaks the DPI for the unbounded ReLU and ELU"
    src, rep = "Rasmussen 2020, Figs. 5.10a, 5.11a", "DPI broken for both"
    su = ["activations_relu", "activations_elu"]
    d = [(s, tables[s]["dpi"]) for s in su if "dpi" in tables.get(s, {})]
    d = [(s, x[x.estimator == "uniform"]) for s, x in d if (x.estimator == "uniform").any()]
    if len(d) < len(su):
        rows.append(_row(claim, src, rep, "no data", INC, _scale(tables, su)))
    else:
        v = verdict_parts(verdict_any(dpi_effects(x, margin=dpi_share).effect) for _, x in d)
        meas = "; ".join(f"{SETTINGS[s]}: violated checks I(X;T) " + ", I(T;Y) ".join(
            fmt_ci(*x.set_index("quantity").loc[q, ["share", "share_lo", "share_hi"]]) for q in ("ixt", "ity"))
            for s, x in d)
        rows.append(_row(claim, src, rep, meas, v, _scale(tables, su),
                         note=f"violation: interval of the share of violated checks above {dpi_share:g}"))
    # 3: tanh compresses under both estimators (some layer each)
    claim, src, rep = ("tanh compresses under uniform and under adaptive binning", "Rasmussen 2020, Fig. 5.9",
                       "both estimators show compression")
    cu, ca = _layers(tables, "activations_tanh", "uniform"), _layers(tables, "activations_tanh", "adaptive")
    sc = _scale(tables, ["activations_tanh"])
    if cu is None or ca is None:
        rows.append(_row(claim, src, rep, "no data", INC, sc))
    else:
        rows.append(_row(claim, src, rep, f"uniform: {_fmt_layers(cu)}; adaptive: {_fmt_layers(ca)}",
                         verdict_parts([verdict_any(_eff(cu, margin)), verdict_any(_eff(ca, margin))]), sc,
                         note="some hidden layer significant under each estimator"))
    # 4: ReLU: no net compression (absent effect over all hidden layers of both estimators)
    claim, src = "ReLU shows no net compression under either binning", "Rasmussen 2020, Fig. 5.10"
    rep = "uniform: fitting only; adaptive: layers end near their start"
    cu, ca = _layers(tables, "activations_relu", "uniform"), _layers(tables, "activations_relu", "adaptive")
    sc = _scale(tables, ["activations_relu"])
    if cu is None or ca is None:
        rows.append(_row(claim, src, rep, "no data", INC, sc))
    else:
        rows.append(_row(claim, src, rep, f"uniform: {_fmt_layers(cu)}; adaptive: {_fmt_layers(ca)}",
                         verdict_none(pd.concat([_eff(cu, margin), _eff(ca, margin)])), sc,
                         note=f"every interval must exclude a drop of {margin:g} bits"))
    # 5: ELU compresses under adaptive binning, compression before fitting
    claim, src = "ELU compresses under adaptive binning, compression before fitting", "Rasmussen 2020, Fig. 5.11b"
    rep = "compression despite an unbounded activation; phases swapped"
    ca = _layers(tables, "activations_elu", "adaptive")
    ps = tables.get("activations_elu", {}).get("phase_share")
    ps = ps[ps.estimator == "adaptive"] if ps is not None else None
    sc = _scale(tables, ["activations_elu"])
    if ca is None or ps is None or not len(ps):
        rows.append(_row(claim, src, rep, "no data", INC, sc))
    else:
        p = ps.iloc[0]
        v_comp = verdict_any(_eff(ca, margin))
        v_order = verdict_all([phase_effect(p)])
        rows.append(_row(claim, src, rep,
                         f"net compression {_fmt_layers(ca)}; share of a run's compressing layers that compress "
                         f"before fitting {fmt_ci(p.share, p.share_lo, p.share_hi)} ({int(p.n_runs)} runs)",
                         verdict_parts([v_comp, v_order]), sc,
                         note=f"compression: {v_comp}; order: {v_order} (interval beyond 0.5 +- {SHARE_MARGIN:g})"))
    # 6: ReLU6: uniform none, adaptive the last two hidden layers
    claim = "ReLU6: no compression with uniform bins, the last two hidden layers compress with adaptive bins"
    src, rep = "Rasmussen 2020, Fig. 5.12", "uniform: none; adaptive: layers 4 and 5"
    cu, ca = _layers(tables, "activations_relu6", "uniform"), _layers(tables, "activations_relu6", "adaptive")
    sc = _scale(tables, ["activations_relu6"])
    if cu is None or ca is None:
        rows.append(_row(claim, src, rep, "no data", INC, sc))
    else:
        last2 = ca[ca.layer >= ca.layer.max() - 1]
        v_u, v_a = verdict_none(_eff(cu, margin)), verdict_all(_eff(last2, margin))
        rows.append(_row(claim, src, rep, f"uniform: {_fmt_layers(cu)}; adaptive: {_fmt_layers(ca)}",
                         verdict_parts([v_u, v_a]), sc, note=f"uniform: {v_u}; adaptive, last two layers: {v_a}"))
    # 7: single runs differ in whether they compress
    claim = "Single runs differ: whether a network compresses depends on the initialisation"
    src, rep = "Rasmussen 2020, Fig. 5.13", "qualitatively different planes for single ReLU and ELU runs"
    sd = ["activations_relu", "activations_elu"]
    sp = [(s, tables[s]["seed_spread"]) for s in sd if "seed_spread" in tables.get(s, {})]
    if len(sp) < len(sd):
        rows.append(_row(claim, src, rep, "no data", INC, _scale(tables, sd)))
    else:
        parts, txt = [], []
        for s, x in sp:
            e, mci = runs_differ_effect(x)
            parts.append(verdict_all([e]))
            txt.append(f"{SETTINGS[s]}: {int((x.n_compressing > 0).sum())} of {len(x)} runs compress, share "
                       f"{fmt_ci(*mci)}; summed drop {x.total_drop.mean():.3f} +- "
                       f"{x.total_drop.std(ddof=1) if len(x) > 1 else 0.0:.3f} (SD) bits")
        rows.append(_row(claim, src, rep, "; ".join(txt), verdict_parts(parts), _scale(tables, sd),
                         note=f"share of compressing runs inside ({SHARE_MARGIN:g}, {1 - SHARE_MARGIN:g})"))
    # 8: appendix A: uniform (100 bins) underestimates I(X;T) against adaptive
    claim = "Uniform (100 bins) and adaptive binning give very different planes for a 12-12-12-12-12-2 ReLU net"
    src, rep = "Rasmussen 2020, App. A", "vastly different trajectories (uniform underestimates I(X;T))"
    mi_a = tables.get("activations_appendix_a", {}).get("mi")
    sc = _scale(tables, ["activations_appendix_a"])
    if mi_a is None:
        rows.append(_row(claim, src, rep, "no data", INC, sc))
    else:
        L = int(mi_a.layer.max())
        last = mi_a[(mi_a.epoch == mi_a.epoch.max()) & (mi_a.layer < L)]
        w = last.pivot_table(index=["seed", "layer"], columns="estimator", values="ixt").reset_index()
        diff = (w["uniform"] - w["adaptive"]).groupby(w.seed).mean().dropna()
        mci = mean_ci(diff)
        rows.append(_row(claim, src, rep, f"final I(X;T), uniform minus adaptive, mean over hidden layers: "
                                          f"{fmt_ci(*mci)} bits",
                         verdict_all([effect(mci, n=len(diff), margin=margin, direction=-1)]), sc))
    # 9: appendix B: ReLU layers compress on average in both networks
    claim = "ReLU layers compress on average in 12-12-12-10-8-2 and 12-12-12-10-8-7-2"
    src, rep = "Rasmussen 2020, App. B", "compression on average (adaptive, 30 runs)"
    sb = ["activations_appendix_b1", "activations_appendix_b2"]
    cb = [_layers(tables, s, "adaptive") for s in sb]
    if any(c is None for c in cb):
        rows.append(_row(claim, src, rep, "no data", INC, _scale(tables, sb)))
    else:
        rows.append(_row(claim, src, rep, f"B.1: {_fmt_layers(cb[0])}; B.2: {_fmt_layers(cb[1])}",
                         verdict_parts(verdict_any(_eff(c, margin)) for c in cb), _scale(tables, sb),
                         note="some hidden layer significant in each network"))
    # 10-12: the cohort
    t = tables.get(COHORT, {})
    rows += claims_cohort(t.get("compression"), t.get("accuracy_runs"), scale=_scale(tables, [COHORT]),
                          margin=margin, reported_best=reported_best, reported_worst=reported_worst)
    return rows


def claims_cohort(comp: pd.DataFrame | None, acc_runs: pd.DataFrame | None, *,
                  scale: Mapping[str, Any] | None = None, margin: float = MARGIN_BITS, reported_best: float = 0.9878,
                  reported_worst: float = 0.884) -> list[dict]:
    """The cohort's three claims (rows for :func:`ibutils.publish.report.claims_table`) from its
    compression table (hidden layers, KDE upper bound) and its final accuracies run by run.

    * "only double-saturating activations compress" and "only tanh clearly compresses":
      :func:`only_verdict` (absence outside the set decides "contradicted" or "inconclusive");
    * "ELU trains best, linear worst": :func:`accuracy_claim`.
    """
    scale = dict(scale or dict(n_seeds=None, epochs=None, study_seeds=None, study_epochs=None))
    src = "Deep Bottleneck cohort 5"
    specs = [("Only double-saturating activations compress (KDE, 11 activations)", "Saxe et al. 2018; " + src,
              "Saxe: yes; Deep Bottleneck: does not hold"),
             ("Only tanh clearly compresses among the 11 activations", src, "only tanh")]
    acc_claim = ("ELU trains best, linear worst", src, f"ELU {reported_best:.4f}, linear {reported_worst:.3f}")
    if comp is None:
        rows = [_row(c, s, r, "no data", "inconclusive", scale) for c, s, r in specs]
    else:
        sat = saturation_classes(list(dict.fromkeys(comp["activation"])))
        double = [a for a, k in sat.items() if k == "double"]
        rows = []
        for (c, s, r), members in zip(specs, (double, ["tanh"])):
            v = only_verdict(comp, members, margin=margin)
            rows.append(_row(c, s, r, f"compressing: {', '.join(v['compressing']) or 'none'} (of "
                                      f"{', '.join(sat)}; double-saturating: {', '.join(double) or 'none'})",
                             v["verdict"], scale,
                             note="absence elsewhere: every other interval must exclude a drop of "
                                  f"{margin:g} bits"))
    if acc_runs is None:
        rows.append(_row(*acc_claim, "no data", "inconclusive", scale))
    else:
        a = accuracy_claim(acc_runs)
        t = acc_runs[acc_runs["split"] == "test"]
        ci = {x: fmt_ci(*mean_ci(t.loc[t.activation == x, "accuracy"], bounds=ACCURACY_RANGE)) for x in dict.fromkeys(t["activation"])}
        meas = (f"test accuracy: best {a['best']} {ci.get(a['best'], 'n/a')}, worst {a['worst']} "
                f"{ci.get(a['worst'], 'n/a')}; ELU {ci.get('elu', 'n/a')}, linear {ci.get('linear', 'n/a')}")
        rows.append(_row(*acc_claim, meas, a["verdict"], scale,
                         note=f"ELU best: {a['verdict_best']}; linear worst: {a['verdict_worst']} (differences "
                              f"beyond {ACC_MARGIN:g})"))
    return rows


def cohort_words(rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The verdicts of :func:`claims_cohort`'s rows by short name (``saturation``, ``tanh``,
    ``accuracy``), as the cohort page glues them, and ``accuracy_note``, how the ranking's two ends
    fared; "inconclusive (too few seeds)" below :data:`MIN_SEEDS` seeds, as
    :func:`ibutils.publish.report.claims_table` would record it."""
    out = {}
    for key, r in zip(("saturation", "tanh", "accuracy"), rows):
        few = r.get("n_seeds") is not None and int(r["n_seeds"]) < MIN_SEEDS
        out[key] = "inconclusive (too few seeds)" if few else r["verdict"]
        if key == "accuracy":
            out["accuracy_note"] = "; ".join(x for x in r.get("note", "").split("; ") if x != TOO_FEW)
    return out
