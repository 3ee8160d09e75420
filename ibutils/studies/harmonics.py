"""Running a named harmonics experiment: Shwartz-Ziv & Tishby's setting and its rebuttals.

One function, :func:`run_harmonics`, turns the parameters of a chapter page (activation,
estimators, batch size, learning rate, ...) into a trained ensemble of the 12-10-7-5-4-3-2
network on Tishby's harmonics data (:func:`ibutils.nets.train_ensemble`) and tidy tables.
Around it sit the analyses the chapter "Tishby's harmonics" needs:

* estimator specs (plain dicts from a params file) are turned into estimators by
  :func:`ibutils.mi.specs.make_estimators`, including MI restricted to the train/test rows of
  the probe and the per-run range ``[0, max activation of the run]`` of Rasmussen's thesis
  (Setting 1.2), which needs a *deterministic replay*
  (:func:`ibutils.studies._protocols.train_with_run_max`): the run's maximum is known only
  after training, so the ensemble is trained once to read each replica's maximum and
  again (same seeds, hence identical numbers) with bins on ``[0, max_r]`` per replica;
* :func:`error_curves`, :func:`max_activation`, :func:`split_by_max_activation`: the
  error and maximum-activation figures of Rasmussen's thesis (Figs. 5.4-5.6, 5.8);
* :func:`snr_transition`, :func:`loss_kink`, :func:`compression_timing`: the "drift to
  diffusion" transition of the gradient signal-to-noise ratio (Shwartz-Ziv & Tishby 2017,
  Sec. 4), the kink of the training loss, and whether compression starts there;
* :func:`loss_rate_check`: the identity ``E[dL] = -lr * sum(mean gradient^2)`` to first
  order in ``lr`` for minibatch SGD (the theorem of the CNN/SG study, 2019, Sec. 3.2.1),
  checked numerically with full-batch gradients in TensorFlow;
* the pages' figures and sentences, and :func:`claims`: the chapter's claims rows with verdicts
  by the rule book of :mod:`ibutils.publish.report` (unit-tested on constructed tables).

All information quantities are in bits; epochs count completed epochs.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..publish.page import fmt_ci, read_table
from ..publish.report import (
    MARGIN_BITS,
    MIN_SEEDS,
    effect,
    scale_words,
    verdict,
    verdict_all,
    verdict_any,
    verdict_none,
)
from ..quiet import quiet
from ..stats import compression, compression_summary, mean_ci, summarize
from ._protocols import (
    COINCIDE_DECADES,
    LAYERS,
    HarmonicsRun,
    epoch_ci,
    harmonics_run,
    loss_kink,
    snapshot_schedule,
    snr_transition,
    timing_verdict,
)

__all__ = [
    "LAYERS", "HarmonicsRun", "run_harmonics", "snapshot_schedule", "error_curves", "max_activation",
    "split_by_max_activation",
    "snr_transition", "loss_kink", "compression_timing", "timing_summary", "loss_rate_check", "describe_profile",
    "compression_table",
    "SETTINGS", "CHAPTER", "estimator_table", "hidden", "layer_effects", "describe_drops", "compress_sentence",
    "dpi_violation", "epoch_ci", "seed_gaps", "timing_verdict", "compare_word", "positive", "plot_errors",
    "plot_max_activation", "plot_snr", "setting_record", "load_results", "found_settings", "found_text",
    "hidden_compression", "scale_text",
    "overview_table", "run_drops", "paired_difference", "estimator_contrasts", "identity_check", "identity_summary",
    "claims",
]


# ----------------------------------------------------------------------------- running
def run_harmonics(*, activation: str = "tanh", estimators: Sequence[Mapping[str, Any]] = (), epochs: int = 8000,
                  n_seeds: int = 50, seed: int = 0, batch_size: int | None = 256, lr: float = 4e-4,
                  optimizer: str = "adam", split: str = "saxe", zero_mean: bool = False, init: str = "width",
                  initial_bias: float = 0.0, snapshots: Any = "tishby", layers: Sequence[int] = LAYERS,
                  probe_every: int = 1) -> HarmonicsRun:
    """Train the harmonics ensemble and measure MI on all 4,096 patterns (train rows, then test rows).

    ``estimators`` are specs of :func:`ibutils.mi.specs.parse_specs`. ``run_max`` estimators trigger
    the deterministic replay of :func:`ibutils.studies._protocols.train_with_run_max`: a first
    training records each replica's largest activation over all hidden layers, the probe epochs
    and the snapshots (the softmax layer excluded, as it is bounded by 1), a second identical
    training bins on ``[0, max_r]``. Estimators other than ``run_max`` are measured in the first pass.
    """
    with quiet():
        run, _ = harmonics_run(estimators, epochs=epochs, layers=layers, split=split, zero_mean=zero_mean,
                               snapshots=snapshots, activation=activation, n_seeds=n_seeds, seed=seed,
                               batch_size=batch_size, lr=lr, optimizer=optimizer, init=init,
                               initial_bias=initial_bias, probe_every=probe_every)
    return run


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

    The CNN/SG study (2019, Sec. 3.2.1; book: ``cnnsg2019``) proves that the expected loss change
    of an SGD step depends on the squared *mean* gradient, not on the gradient SNR. At weights ``w`` reached after
    ``warmup_epochs`` epochs of plain SGD (``warmup_lr``, the same minibatch order as the
    trainer), the training set is cut into the minibatches of one epoch; for each
    minibatch ``b`` the full-batch loss change of one SGD step with its gradient ``g_b`` is
    measured exactly, and the mean over ``b`` is compared with ``-lr sum(mean_b g_b)^2``
    and with ``-lr mean_b ||g_b||^2`` (what a noise-driven picture would predict).

    Returns one row per (warmup epoch, lr): ``dL`` (mean exact change), ``predicted``
    (``-lr ||mean g||^2``), ``rel_error`` of the prediction, ``naive`` (``-lr mean ||g_b||^2``),
    ``snr`` (``||mean g|| / ||std g||`` over all weights).
    """
    with quiet():
        import tensorflow as tf

    from .. import activations
    from ..nets import batch_order, models

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
def describe_profile(profile: str, *, n_seeds: int, epochs: int, n_snapshots: int, batch_size,
                     study_seeds: int | None = None, study_epochs: int | None = None) -> str:
    """One sentence on the scale a page ran at (glued into the text): the scale words of
    :func:`ibutils.publish.report.scale_words` (against the source study's seeds and epochs, from the
    params file), the batch and the number of snapshot epochs."""
    batch = "full batch" if batch_size is None else f"minibatches of {batch_size}"
    scale = scale_words(profile, n_seeds=n_seeds, epochs=epochs, study_seeds=study_seeds, study_epochs=study_epochs)
    return f"{scale}; {batch}, MI at {n_snapshots} snapshot epochs"


def compression_table(mi: pd.DataFrame, *, threshold: float = 0.1) -> pd.DataFrame:
    """:func:`ibutils.stats.compression_summary` of every estimator in ``mi`` (column ``estimator``)."""
    parts = []
    for name, g in mi.groupby("estimator", sort=False):
        s = compression_summary(g, threshold=threshold)
        s.insert(0, "estimator", name)
        parts.append(s)
    return pd.concat(parts, ignore_index=True)


# ----------------------------------------------------------------------------- pages: figures, text, claims
#: The chapter's settings (params file stems), in the order of the overview page.
SETTINGS = ["harmonics_tishby_tanh", "harmonics_saxe_relu", "harmonics_fullbatch_tanh", "harmonics_lr1e4_tanh",
            "harmonics_estimators_tanh", "harmonics_estimators_relu"]
#: The chapter's title in the claims table.
CHAPTER = "Tishby's harmonics"
#: The tables a setting page saves and the overview reads.
TABLES = ("setting", "compression", "snr_timing", "mi", "estimators")
#: Largest relative error of the first-order loss-rate prediction counted as the identity holding.
IDENTITY_TOL = 0.05
_NONE = ("excludes", "opposes")


def estimator_table(estimators: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """``name``, ``kind`` and ``subset`` (probe rows) of a page's estimator specs, saved by the page so
    that the overview compares estimators on the same rows only."""
    rows = [dict(name=s["name"], kind=s.get("kind"), subset=s.get("subset", "full")) for s in estimators]
    return pd.DataFrame(rows, columns=["name", "kind", "subset"])


def hidden(df: pd.DataFrame, estimator: str | None = None) -> pd.DataFrame:
    """The rows of the hidden layers (the read-out, the largest ``layer``, left out), of one estimator if given."""
    if estimator is not None:
        df = df[df["estimator"] == estimator]
    return df[df["layer"] < df["layer"].max()] if len(df) else df


def layer_effects(comp: pd.DataFrame, *, margin: float = MARGIN_BITS) -> list[str]:
    """:func:`ibutils.publish.report.effect` of each row's mean drop (columns ``mean``, ``ci_low``,
    ``ci_high``, ``n``, as :func:`compression_table` gives them): a drop beyond ``margin`` supports compression."""
    return [effect((r["mean"], r["ci_low"], r["ci_high"]), n=0 if pd.isna(r["n"]) else int(r["n"]), margin=margin)
            for _, r in comp.iterrows()]


def describe_drops(comp: pd.DataFrame, nd: int = 2) -> str:
    """``"L1 0.52 [0.31, 0.73]; L2 ..."``: each layer's mean drop and its 95% interval."""
    return "; ".join(f"L{int(r['layer'])} {fmt_ci(r['mean'], r['ci_low'], r['ci_high'], nd)}"
                     for _, r in comp.iterrows())


def compress_sentence(comp: pd.DataFrame, estimator: str, *, margin: float = MARGIN_BITS) -> tuple[int, int, str]:
    """How many hidden layers compress significantly under ``estimator`` (the rule book's
    :func:`~ibutils.publish.report.effect` with ``margin``), how many there are, and a sentence saying so."""
    c = hidden(comp, estimator)
    eff = layer_effects(c, margin=margin)
    layers = [int(l) for l, e in zip(c["layer"], eff) if e == "supports"]
    if not eff:
        text = "no hidden layer was measured"
    elif "too few" in eff:
        text = f"too few seeds to tell (fewer than {MIN_SEEDS})"
    elif len(layers) == len(eff):
        text = "every hidden layer compresses"
    elif layers:
        text = f"only some hidden layers compress (layer{'s' if len(layers) > 1 else ''} {', '.join(map(str, layers))})"
    elif all(e in _NONE for e in eff):
        text = f"no hidden layer compresses (every interval rules out a drop of more than {margin:g} bits)"
    else:
        text = "no hidden layer compresses significantly (some intervals are too wide to rule a drop out)"
    return len(layers), len(eff), text


def dpi_violation(mi: pd.DataFrame) -> float:
    """Largest increase of the seed-mean I(T;Y) from one layer to the next at the last epoch (0 when the
    data-processing inequality holds)."""
    m = mi[mi["epoch"] == mi["epoch"].max()].groupby("layer")["ity"].mean().sort_index().to_numpy()
    return float(max(0.0, np.max(np.diff(m)))) if len(m) > 1 else 0.0


def seed_gaps(timing: pd.DataFrame) -> pd.Series:
    """Per seed, the mean gap (decades) between the start of compression and the SNR transition over its
    hidden layers that compress and have a transition (see :func:`compression_timing`); seeds with none
    are left out. Seeds are the independent units; a seed's layers are not."""
    t = hidden(timing).dropna(subset=["gap_decades"])
    return t.groupby("seed")["gap_decades"].mean()


def compare_word(mci, target: float) -> str:
    """Where a 95% interval ``(mean, lo, hi)`` lies against ``target``: ``"falls short of"`` (entirely
    below), ``"exceeds"`` (entirely above) or ``"matches"`` (it covers the target); for the data page."""
    _, lo, hi = (float(x) for x in mci)
    return "falls short of" if hi < target else ("exceeds" if lo > target else "matches")


def positive(v: pd.Series) -> pd.Series:
    """``v`` where finite and > 0, NaN elsewhere (full batch: std 0, SNR infinite, not drawn on a log axis)."""
    return v.where(np.isfinite(v) & (v > 0))


def plot_errors(err: pd.DataFrame):
    """Training and test 0-1 error against epoch, mean over seeds with 95% bands."""
    import matplotlib.pyplot as plt

    from .. import plots

    s = summarize(err, ["split", "epoch"], "error")
    fig, ax = plt.subplots(figsize=(5.4, 3.3))
    drawn = False
    for i, (split_name, g) in enumerate(s.groupby("split")):
        ax.plot(g.epoch, g["mean"], color=f"C{i}", label=split_name)
        drawn |= plots.band(ax, g.epoch, g, f"C{i}", quantity="error")  # clipped to [0, 1], none below 3 seeds
    plots.no_band_note(ax, drawn)
    ax.set_xscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("0-1 error")
    ax.legend()
    fig.tight_layout()
    return fig


def planes_figure(mi: pd.DataFrame, estimators: Sequence[str]):
    """The information plane of each estimator (mean over seeds), at most 3 a row, titles in words and ONE
    epoch colour bar (:func:`ibutils.plots.planes_grid`); Shwartz-Ziv & Tishby (2017), Fig. 3."""
    from .. import plots

    return plots.planes_grid([(e, mi[mi.estimator == e]) for e in estimators], share=False)


def curves_figure(mi: pd.DataFrame, estimator: str):
    """I(X;T) and I(T;Y) of every layer against epoch for ``estimator``: means over seeds with clipped
    95% bands (:func:`ibutils.plots.mi_curves`), side by side at page width."""
    import matplotlib.pyplot as plt

    from .. import plots

    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.4), layout="constrained")
    plots.mi_curves(mi, value="ixt", estimator=estimator, ax=axes[0])
    plots.mi_curves(mi, value="ity", estimator=estimator, ax=axes[1])
    return fig


def plot_max_activation(run_max: pd.DataFrame, activity: pd.DataFrame, halves: pd.DataFrame, n_layers: int):
    """Rasmussen's Figs. 5.5, 5.8 and 5.6: maximum activation per run, per hidden layer against epoch, and
    the information planes of the small- and large-maximum halves. Returns the figure and, per half,
    the DPI violation at the last epoch and the mean I(X;T) at the first snapshot."""
    import matplotlib.pyplot as plt

    from .. import plots

    fig = plt.figure(figsize=(9.8, 5.2), layout="constrained")
    gs = fig.add_gridspec(2, 3)
    ax = fig.add_subplot(gs[:, 0])
    r = run_max.sort_values("max_activation")
    ax.bar(np.arange(len(r)), r.max_activation, color="C0")
    ax.set_xlabel("run (sorted)")
    ax.set_ylabel("max activation")
    ax = fig.add_subplot(gs[:, 1])
    ma = activity.groupby(["layer", "epoch"]).max_abs.mean().reset_index()
    for l, g in ma[ma.layer < n_layers].groupby("layer"):
        ax.plot(g.epoch, g.max_abs, label=f"layer {l}")
    ax.set_xscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("max |activation|")
    ax.legend(fontsize=7)
    stats = {}
    norm = plots.epoch_norm(halves.epoch)  # one epoch scale for both halves, one colour bar
    plane_axes, sc = [], None
    for i, half in enumerate(["small", "large"]):
        ax = fig.add_subplot(gs[i, 2])
        sub = halves[halves.half == half]
        mean = plots.plane_mean(sub.drop(columns="half"))
        sc = plots.draw_plane(ax, mean, norm, "viridis")
        plots.label_plane(ax, mean)
        ax.set_title(f"runs with a {half} maximum", fontsize=9)
        plane_axes.append(ax)
        stats[half] = dict(dpi=dpi_violation(sub), start=float(sub[sub.epoch == sub.epoch.min()].ixt.mean()))
    if sc is not None:
        plots.epoch_colorbar(fig, sc, plane_axes)
    return fig, stats


def plot_snr(grads: pd.DataFrame, *, snr_log_epoch: float = np.nan, kink_log_epoch: float = np.nan):
    """Per layer, mean over seeds: norms of the mean and std of the minibatch gradients (left) and their ratio
    (right) against epoch; dashed: the mean SNR transition, dotted: the loss kink (given as log10(epoch + 1))."""
    import matplotlib.pyplot as plt

    gr = grads.groupby(["layer", "epoch"])[["grad_mean", "grad_std", "snr"]].mean().reset_index()
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.6))
    for i, (l, g) in enumerate(gr.groupby("layer")):
        axes[0].plot(g.epoch, positive(g.grad_mean), color=f"C{i}", label=f"layer {l} mean")
        axes[0].plot(g.epoch, positive(g.grad_std), color=f"C{i}", ls="--", lw=0.8)
        axes[1].plot(g.epoch, positive(g.snr), color=f"C{i}", label=f"layer {l}")
    if not np.isfinite(positive(gr.snr)).any():
        axes[1].text(0.5, 0.5, "no minibatch noise:\nSNR undefined (full batch)", ha="center",
                     transform=axes[1].transAxes)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("epoch")
        if np.isfinite(ax.get_lines()[0].get_ydata().astype(float)).any():
            ax.set_yscale("log")
        for val, ls in ((snr_log_epoch, "--"), (kink_log_epoch, ":")):
            if np.isfinite(val):
                ax.axvline(10 ** val - 1, color="k", ls=ls, lw=0.8)
    axes[0].set_ylabel("gradient norm (solid: mean, dashed: std)")
    axes[1].set_ylabel("SNR")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def setting_record(*, setting: str, activation: str, batch_size, lr: float, optimizer: str, epochs: int, n_seeds: int,
                   main_estimator: str, split: str, zero_mean: bool, initial_bias: float, err: pd.DataFrame,
                   profile: str, study_seeds=None, study_epochs=None) -> pd.DataFrame:
    """The one-row ``setting`` table a page saves: its parameters, scale (profile, seeds, epochs and the
    source study's), and the final training and test errors (mean over seeds)."""
    last = err[err.epoch == err.epoch.max()]
    return pd.DataFrame([dict(setting=setting, activation=activation, batch_size=batch_size, lr=lr, optimizer=optimizer,
                              epochs=epochs, n_seeds=n_seeds, main_estimator=main_estimator, split=split,
                              zero_mean=zero_mean, initial_bias=initial_bias, profile=profile, study_seeds=study_seeds,
                              study_epochs=study_epochs,
                              err_train=float(last[last.split == "train"].error.mean()),
                              err_test=float(last[last.split == "test"].error.mean()))])


# ------------------------------------------------------------------ the overview page
def load_results(results_dir=None, settings: Sequence[str] = SETTINGS) -> dict:
    """``{setting: {table: DataFrame or None}}`` for the tables in :data:`TABLES`
    (:func:`ibutils.publish.page.read_table`; ``results_dir=""``: nothing available)."""
    return {s: {t: read_table(s, t, results_dir) for t in TABLES} for s in settings}


def found_settings(results: Mapping) -> list[str]:
    """The settings whose compression and setting tables were found."""
    return [s for s, t in results.items() if t.get("compression") is not None and t.get("setting") is not None]


def found_text(results: Mapping) -> str:
    """A sentence on which settings' results the overview found."""
    found = found_settings(results)
    if not found:
        return ("Results of the settings were not found: run `make book` (or `python -m ibutils run "
                "params/harmonics_*.yaml`) first; the claims below are then marked inconclusive.")
    return f"Results found for {len(found)} of {len(results)} settings."


def _meta(results: Mapping, setting: str) -> dict | None:
    t = results.get(setting, {})
    if t.get("setting") is None or t.get("compression") is None:
        return None
    m = t["setting"].iloc[0]

    def opt(key, cast=int, default=None):
        v = m.get(key, default)
        return default if v is None or (not isinstance(v, str) and pd.isna(v)) else cast(v)

    return dict(main_estimator=str(m["main_estimator"]), n_seeds=int(m["n_seeds"]), epochs=int(m["epochs"]),
                profile=opt("profile", str, "defaults"), study_seeds=opt("study_seeds"),
                study_epochs=opt("study_epochs"), err_test=float(m["err_test"]))


def hidden_compression(results: Mapping, setting: str, estimator: str | None = None) -> pd.DataFrame | None:
    """The compression rows of a setting's hidden layers, for ``estimator`` (default: its main estimator)."""
    meta = _meta(results, setting)
    if meta is None:
        return None
    return hidden(results[setting]["compression"], estimator or meta["main_estimator"])


#: The overview's headline: Tishby's tanh network beside Saxe et al.'s ReLU network.
HEADLINE_SETTINGS = ("harmonics_tishby_tanh", "harmonics_saxe_relu")


def headline_figure(results: Mapping, settings: Sequence[str] = HEADLINE_SETTINGS):
    """The chapter's headline: the information planes of the tanh and ReLU settings side by side (each
    with its main estimator, mean over seeds; Shwartz-Ziv & Tishby 2017, Fig. 3 against Saxe et al. 2018,
    Fig. 1), one shared epoch colour bar. Titles come from each setting's saved ``setting`` table
    (activation, estimator, seeds and epochs); a setting not run yet gets an empty panel that says so."""
    from .. import plots

    frames = []
    for s in settings:
        meta = _meta(results, s)
        mi = results.get(s, {}).get("mi")
        if meta is None or mi is None:
            frames.append((f"{s.removeprefix('harmonics_')}: not run yet", None))
            continue
        act = str(results[s]["setting"].iloc[0].get("activation", ""))
        est = meta["main_estimator"]
        title = (f"{plots.panel_title(act)}, {plots.panel_title(est)} "
                 f"({meta['n_seeds']} seeds, {meta['epochs']:,} epochs)")
        frames.append((title, mi[mi["estimator"] == est]))
    return plots.planes_grid(frames, share=False)


def scale_text(results: Mapping, setting: str = "harmonics_tishby_tanh") -> str:
    """The scale ``setting`` ran at, against its source study's, in :func:`ibutils.publish.report.scale_words`."""
    meta = _meta(results, setting)
    if meta is None:
        return "a scale not known yet (the settings' results were not found)"
    return scale_words(meta["profile"], n_seeds=meta["n_seeds"], epochs=meta["epochs"],
                       study_seeds=meta["study_seeds"], study_epochs=meta["study_epochs"])


def overview_table(results: Mapping, *, margin: float = MARGIN_BITS) -> pd.DataFrame:
    """One row per setting found: its main estimator, seeds, epochs, per-layer mean drops, the lowest
    interval end, ``n_sig`` (hidden layers whose drop is significant beyond ``margin``), the mean drop
    over hidden layers and the final test error."""
    cols = ["setting", "estimator", "n_seeds", "epochs", "drops", "ci_low_min", "n_sig", "mean_drop", "err_test"]
    rows = []
    for s in results:
        meta = _meta(results, s)
        if meta is None:
            continue
        c = hidden_compression(results, s)
        rows.append(dict(setting=s, estimator=meta["main_estimator"], n_seeds=meta["n_seeds"], epochs=meta["epochs"],
                         drops=" ".join(f"{m:.2f}" for m in c["mean"]), ci_low_min=float(c.ci_low.min()),
                         n_sig=layer_effects(c, margin=margin).count("supports"), mean_drop=float(c["mean"].mean()),
                         err_test=meta["err_test"]))
    return pd.DataFrame(rows, columns=cols)


def run_drops(mi: pd.DataFrame, *, threshold: float = MARGIN_BITS) -> pd.DataFrame:
    """Cross-fitted drop of I(X;T) (:func:`ibutils.stats.compression`) per estimator, seed and hidden layer."""
    out = compression(mi, by=("estimator", "seed", "layer"), threshold=threshold)
    return out[out["layer"] < out.groupby("estimator")["layer"].transform("max")].reset_index(drop=True)


def paired_difference(drops_a: pd.DataFrame, drops_b: pd.DataFrame) -> pd.DataFrame:
    """Per layer, the mean over the seeds both have of ``drop_a - drop_b`` with its 95% interval
    (columns ``layer``, ``n``, ``mean``, ``ci_low``, ``ci_high``). Paired by seed: the same seed is the
    same initial weights on every page of the chapter."""
    m = drops_a[["seed", "layer", "drop"]].merge(drops_b[["seed", "layer", "drop"]], on=["seed", "layer"],
                                                 suffixes=("_a", "_b"))
    m["diff"] = m["drop_a"] - m["drop_b"]
    return summarize(m, "layer", "diff")[["layer", "n", "mean", "ci_low", "ci_high"]]


def estimator_contrasts(mi: pd.DataFrame, estimators: pd.DataFrame | None = None, *, margin: float = MARGIN_BITS
                        ) -> pd.DataFrame:
    """Every pair of estimators measured on the same probe rows, per hidden layer, on the same runs.

    Per (pair, layer): n seeds, the mean drops ``drop_a``/``drop_b``, the paired difference with its
    interval, the rule-book effects of each drop and of the difference, and ``effect``, the unit's
    effect for the claim "the estimator decides": ``supports`` when one estimator's drop is significant
    (beyond ``margin``), the other's is ruled out (its interval inside the margin or below it) and the
    difference is significant; ``opposes`` when the difference is ruled out (the two estimators agree
    within the margin); ``too few`` below :data:`~ibutils.publish.report.MIN_SEEDS` seeds; else ``unclear``.
    """
    cols = ["subset", "layer", "a", "b", "n", "drop_a", "drop_b", "diff", "diff_lo", "diff_hi", "effect_a",
            "effect_b", "effect_diff", "effect"]
    drops = run_drops(mi)
    names = list(dict.fromkeys(drops["estimator"]))
    subset = {n: "full" for n in names}
    if estimators is not None and len(estimators):
        subset.update(dict(zip(estimators["name"], estimators["subset"])))
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if subset[a] != subset[b]:
                continue
            pair = drops[drops.estimator == a].merge(drops[drops.estimator == b], on=["seed", "layer"],
                                                     suffixes=("_a", "_b"))
            for layer, g in pair.groupby("layer", sort=True):
                n = int((np.isfinite(g.drop_a) & np.isfinite(g.drop_b)).sum())
                ma, mb, md = mean_ci(g.drop_a), mean_ci(g.drop_b), mean_ci(g.drop_a - g.drop_b)
                ea, eb, ed = (effect(x, n=n, margin=margin) for x in (ma, mb, md))
                if "too few" in (ea, eb, ed):
                    unit = "too few"
                elif (ea == "supports" and eb in _NONE and ed == "supports") or \
                        (eb == "supports" and ea in _NONE and ed == "opposes"):
                    unit = "supports"
                elif ed == "excludes":
                    unit = "opposes"
                else:
                    unit = "unclear"
                rows.append(dict(subset=subset[a], layer=int(layer), a=a, b=b, n=n, drop_a=ma[0], drop_b=mb[0],
                                 diff=md[0], diff_lo=md[1], diff_hi=md[2], effect_a=ea, effect_b=eb, effect_diff=ed,
                                 effect=unit))
    return pd.DataFrame(rows, columns=cols)


def identity_check(X, y, *, seeds: Sequence[int] = (0, 1, 2), **kwargs) -> pd.DataFrame:
    """:func:`loss_rate_check` at the initial weights of each seed (column ``seed``), for the overview."""
    parts = [loss_rate_check(X, y, seed=int(s), **kwargs).assign(seed=int(s)) for s in seeds]
    out = pd.concat(parts, ignore_index=True)
    return out[["seed"] + [c for c in out.columns if c != "seed"]]


def identity_summary(chk: pd.DataFrame, *, tol: float = IDENTITY_TOL) -> dict:
    """What the overview states about the loss-rate identity, and its verdict.

    A *weight state* is one (seed, warm-up epoch). The identity holds at a state when the relative error of
    the first-order prediction at the smallest learning rate is below ``tol``. Verdict (a yes/no fact per
    state, :func:`ibutils.publish.report.verdict`): reproduced when it holds at every state, partly when at
    some; inconclusive with fewer than :data:`MIN_SEEDS` seeds.
    """
    lr_small, lr_large = float(chk.lr.min()), float(chk.lr.max())
    small = chk[chk.lr == lr_small]
    large = chk[chk.lr == lr_large]
    ok = small.rel_error < tol
    n_seeds = int(chk["seed"].nunique()) if "seed" in chk else 1
    n_ok, n_states = int(ok.sum()), int(len(small))
    word = ("holds" if n_ok == n_states else f"holds at {n_ok} of {n_states} weight states" if n_ok
            else "does not hold")
    return dict(lr_small=lr_small, lr_large=lr_large, rel_err_small=float(small.rel_error.max()),
                rel_err_large=float(large.rel_error.max()), snr_min=float(chk.snr.min()), snr_max=float(chk.snr.max()),
                naive_factor=float((chk.naive / chk.predicted).max()), n_states=n_states, n_ok=n_ok, n_seeds=n_seeds,
                tol=tol, word=word, verdict=verdict(n_ok == n_states, n_ok > 0, n=n_seeds))


def _scale(meta: dict | None, n: int | None) -> dict:
    if meta is None:
        return {}
    return dict(n_seeds=n, epochs=meta["epochs"], study_seeds=meta["study_seeds"], study_epochs=meta["study_epochs"])


def _not_run(settings) -> dict:
    return dict(measured="not run", verdict="inconclusive", note=f"no results of {', '.join(settings)}")


def _n(comp: pd.DataFrame) -> int:
    return int(comp["n"].min()) if len(comp) else 0


def claims(results: Mapping, identity: pd.DataFrame | None = None, *, margin: float = MARGIN_BITS,
           coincide: float = COINCIDE_DECADES, tol: float = IDENTITY_TOL) -> list[dict]:
    """The chapter's claims rows (for :func:`ibutils.publish.report.claims_table`), verdicts by the rule book.

    Parameters
    ----------
    results : :func:`load_results` (settings not executed are ``None`` tables: their rows are inconclusive).
    identity : :func:`identity_check` (``None``: the identity row is inconclusive).
    margin : smallest drop (bits) that counts; :data:`~ibutils.publish.report.MARGIN_BITS`.
    coincide : decades within which the start of compression and the SNR transition coincide.
    tol : relative error of the loss-rate prediction below which the identity holds.

    Rules (units are hidden layers unless said): tanh compresses (Shwartz-Ziv & Tishby) and full batch
    compresses: :func:`~ibutils.publish.report.verdict_all`; ReLU with bins on [0, run max] does not
    compress: ``verdict_none``; full batch compresses more than batch 256 (paired by seed): ``verdict_all``
    over the layers' differences; compression starts at the SNR transition: ``verdict_none`` of a gap
    either way (per-seed gaps, margin ``coincide``); the loss-rate identity: ``verdict`` over weight
    states; "the estimator decides" (per setting): ``verdict_any`` over (estimator pair, layer) units of
    :func:`estimator_contrasts`.
    """
    rows = []

    # 1. tanh compresses in every hidden layer
    s = "harmonics_tishby_tanh"
    c, meta = hidden_compression(results, s), _meta(results, s)
    row = dict(claim="tanh hidden layers compress (I(X;T) falls after its peak), 30 bins on [-1, 1]",
               source="Shwartz-Ziv & Tishby 2017", reported="compression phase in all hidden layers")
    if c is None:
        row.update(_not_run([s]))
    else:
        eff = layer_effects(c, margin=margin)
        row.update(measured=f"drop in bits (95% CI): {describe_drops(c)}; significant in {eff.count('supports')} of "
                            f"{len(eff)} hidden layers", verdict=verdict_all(eff), **_scale(meta, _n(c)))
    rows.append(row)

    # 2. ReLU does not compress with bins on [0, run max]
    s = "harmonics_saxe_relu"
    c, c2 = hidden_compression(results, s, "run_max100"), hidden_compression(results, s, "fixed_pm1")
    meta = _meta(results, s)
    row = dict(claim="ReLU layers do not compress under fixed-range binning (100 bins on [0, run maximum])",
               source="Saxe et al. 2018; Rasmussen 2020 (Setting 1.2)", reported="fitting only, no compression")
    if c is None or not len(c):
        row.update(_not_run([s]))
    else:
        eff = layer_effects(c, margin=margin)
        extra = "" if c2 is None or not len(c2) else \
            f" (bins on [-1, 1]: {layer_effects(c2, margin=margin).count('supports')} of {len(c2)})"
        row.update(measured=f"{describe_drops(c)}; {eff.count('supports')} of {len(eff)} layers compress, "
                            f"{sum(e in _NONE for e in eff)} rule a drop out{extra}",
                   verdict=verdict_none(eff), **_scale(meta, _n(c)))
    rows.append(row)

    # 3a. full batch compresses
    s, sm = "harmonics_fullbatch_tanh", "harmonics_tishby_tanh"
    cf, meta = hidden_compression(results, s), _meta(results, s)
    row = dict(claim="tanh compresses without minibatch noise (full batch, same initial weights): every hidden layer",
               source="Saxe et al. 2018; Rasmussen 2020 (Setting 1.1)", reported="full batch compresses")
    if cf is None:
        row.update(_not_run([s]))
    else:
        eff = layer_effects(cf, margin=margin)
        row.update(measured=f"full batch: {describe_drops(cf)}; significant in {eff.count('supports')} of {len(eff)}",
                   verdict=verdict_all(eff), **_scale(meta, _n(cf)))
    rows.append(row)

    # 3b. full batch compresses more than batch 256 (paired by seed)
    row = dict(claim="full batch compresses more than minibatches of 256 (same seeds, paired): every hidden layer",
               source="Rasmussen 2020 (Setting 1.1)", reported="more compression for most layers with full batch",
               note="the rule book has no 'most': the claim is tested in every hidden layer")
    mi_f, mi_m = results.get(s, {}).get("mi"), results.get(sm, {}).get("mi")
    meta_m = _meta(results, sm)
    if meta is None or meta_m is None or mi_f is None or mi_m is None:
        row.update(_not_run([s, sm]))
        row["note"] = "; ".join([row["note"], "paired differences need both pages' mi tables"])
    else:
        d = paired_difference(run_drops(mi_f[mi_f.estimator == meta["main_estimator"]]),
                              run_drops(mi_m[mi_m.estimator == meta_m["main_estimator"]]))
        eff = layer_effects(d, margin=margin)
        row.update(measured=f"full batch minus batch 256, bits: {describe_drops(d)}; significant in "
                            f"{eff.count('supports')} of {len(eff)} (the opposite in {eff.count('opposes')})",
                   verdict=verdict_all(eff), **_scale(meta, _n(d)))
    rows.append(row)

    # 4. compression starts at the SNR transition
    s = "harmonics_tishby_tanh"
    t, meta = results.get(s, {}).get("snr_timing"), _meta(results, s)
    row = dict(claim="compression starts at the drop of the gradient SNR (drift to diffusion)",
               source="Shwartz-Ziv & Tishby 2017", reported="SNR drops at the loss kink, when compression starts")
    if t is None or meta is None:
        row.update(_not_run([s]))
    else:
        gaps = seed_gaps(t)
        v, _, (m, lo, hi), n = timing_verdict(gaps, coincide=coincide)
        (tr, trlo, trhi), _ = epoch_ci(hidden(t)["transition_epoch"].dropna())
        row.update(measured=f"SNR transition at epoch {fmt_ci(tr, trlo, trhi, 0)}; start of compression "
                            f"{fmt_ci(m, lo, hi, 2)} decades after it (mean over {n} seeds with a compressing layer; "
                            f"coincidence: within {coincide:g} decades)",
                   verdict=v, **_scale(meta, n))
    rows.append(row)

    # 5. the loss-rate identity
    row = dict(claim="E[dL] = -lr sum(mean gradient^2) to first order: the SNR is not needed for the loss dynamics",
               source="CNN/SG study 2019 (Sec. 3.2.1)", reported="identity (theorem)")
    if identity is None or not len(identity):
        row.update(measured="not run", verdict="inconclusive")
    else:
        idn = identity_summary(identity, tol=tol)
        row.update(measured=f"max relative error {idn['rel_err_small']:.3f} at lr {idn['lr_small']:g}; "
                            f"below {tol:g} at {idn['n_ok']} of {idn['n_states']} weight states "
                            f"({idn['n_seeds']} seeds)",
                   verdict=idn["verdict"], n_seeds=idn["n_seeds"], epochs=int(identity.warmup_epoch.max()),
                   note="an exact identity checked numerically; epochs: the longest SGD warm-up")
    rows.append(row)

    # 6. the estimator decides, per setting
    for s, what, source in (
            ("harmonics_saxe_relu", "ReLU: bins on [-1, 1], on [0, run maximum] and adaptive",
             "Saxe et al. 2018; Rasmussen 2020 (Settings 1.2, 2.2)"),
            ("harmonics_estimators_tanh", "tanh: binning (bin size 0.07), KDE upper bound and EDGE",
             "Deep Bottleneck 2020 (cohort 14)"),
            ("harmonics_estimators_relu", "ReLU: binning (bin size 0.07), KDE upper bound and EDGE",
             "Deep Bottleneck 2020 (cohort 14)")):
        meta, mi = _meta(results, s), results.get(s, {}).get("mi")
        row = dict(claim=f"the estimator decides ({what}): the same runs compress under one estimator and not "
                         "under another", source=source, reported="estimator-dependent information planes")
        if meta is None or mi is None:
            row.update(_not_run([s]))
        else:
            con = estimator_contrasts(mi, results[s].get("estimators"), margin=margin)
            sup = con[con.effect == "supports"]
            ex_ = "; ".join(f"L{r.layer}: {r.a if r.effect_a == 'supports' else r.b} compresses, "
                            f"{r.b if r.effect_a == 'supports' else r.a} does not" for r in sup.head(3).itertuples())
            row.update(measured=f"{len(sup)} of {len(con)} (estimator pair, layer) contrasts: one compresses, "
                                f"the other rules it out{': ' + ex_ if ex_ else ''}; agreeing within {margin:g} bits: "
                                f"{int((con.effect == 'opposes').sum())}",
                       verdict=verdict_any(list(con.effect)), **_scale(meta, int(con.n.min()) if len(con) else 0))
        rows.append(row)
    return rows
