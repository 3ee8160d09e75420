"""What several studies share: Shwartz-Ziv & Tishby's network and Rasmussen's run-max replay.

A study imports the library and this module, never another study. Here:

* :data:`LAYERS`, the hidden widths of Shwartz-Ziv & Tishby's (2017) 12-10-7-5-4-3-2 network;
* :func:`snapshot_schedule`, a schedule name or a number of log-spaced snapshot epochs;
* :func:`train_with_run_max`, the *deterministic replay* that bins on each replica's run
  maximum (Rasmussen 2020, Settings 1.2 and 2.2-2.3): the maximum activation of a run is known
  only after training, so the ensemble is trained once to read each replica's maximum (the
  trainer's per-epoch probe and a :class:`ibutils.nets.hooks.LayerMaxima` hook at the
  snapshots), then again with the same seeds (hence identical numbers) and the run-max estimators;
* :func:`harmonics_run`, estimator specs of a params file to a trained harmonics ensemble and its
  tables (:class:`HarmonicsRun`), with the replay when a spec needs it;
* the timing of Shwartz-Ziv & Tishby's "drift to diffusion" (the harmonics chapter's per-epoch gradient
  SNR and the convolutional chapter's parallel networks): :func:`snr_transition`, :func:`loss_kink`,
  :func:`epoch_ci` and :func:`timing_verdict` with its :data:`COINCIDE_DECADES`.

All information quantities are in bits; epochs count completed epochs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..mi.specs import RUN_MAX_KINDS, make_estimators, parse_specs
from ..nets.hooks import LayerMaxima
from ..publish.report import MIN_SEEDS, effect, verdict_none
from ..stats import mean_ci

#: The network of Shwartz-Ziv & Tishby (2017): hidden widths; the softmax read-out has 2 units.
LAYERS = [10, 7, 5, 4, 3]

__all__ = ["LAYERS", "HarmonicsRun", "snapshot_schedule", "train_with_run_max", "harmonics_run", "snr_transition",
           "loss_kink", "timing_verdict", "epoch_ci", "COINCIDE_DECADES"]


@dataclass
class HarmonicsRun:
    """Tidy tables of one experiment (see :class:`ibutils.nets.TrainResult`) plus the
    per-replica maximum activation used by run-max estimators (``run_max``, indexed by seed)."""

    mi: pd.DataFrame
    metrics: pd.DataFrame
    grads: pd.DataFrame
    activity: pd.DataFrame
    run_max: pd.Series
    snapshot_epochs: np.ndarray
    seeds: np.ndarray
    dropped_seeds: list
    data: Any

    def __repr__(self):
        return (f"HarmonicsRun(seeds={len(self.seeds)}, snapshots={len(self.snapshot_epochs)}, "
                f"dropped={self.dropped_seeds})")


def snapshot_schedule(snapshots, epochs: int):
    """``"tishby"``/``"saxe"``/... or an int ``n``: ``n`` log-spaced epochs (Tishby's rule with num=n)."""
    from ..nets.schedules import tishby_epochs

    if isinstance(snapshots, bool):
        raise ValueError(f"snapshots must be a schedule name or an int, got {snapshots!r}")
    if isinstance(snapshots, (int, np.integer)):
        if snapshots < 2:
            raise ValueError(f"snapshots: need at least 2 log-spaced epochs, got {snapshots}")
        e = tishby_epochs(epochs, num=int(snapshots))
        return sorted(set(e.tolist()) | {0, int(epochs)})
    return snapshots


def train_with_run_max(train: Callable[..., Any], estimators: Mapping[str, Callable],
                       replay: Callable[[np.ndarray], Mapping[str, Callable]] | None, *, n_hidden: int,
                       first_pass: Mapping[str, Any] | None = None):
    """Train, and replay the identical training with estimators that need each run's maximum.

    Parameters
    ----------
    train : callable
        ``train(estimators=..., hooks=..., **kwargs) -> TrainResult``: one deterministic call of
        :func:`ibutils.nets.train_ensemble` (same seeds and settings every time).
    estimators : mapping
        The estimators of the first pass.
    replay : callable or None
        ``replay(run_max) -> estimators`` for the second pass, given each replica's maximum
        activation ``(R,)`` in the trainer's replica order; ``None``: no second pass.
    n_hidden : int
        Hidden layers (the run maximum is taken over layers ``1..n_hidden``; the softmax read-out
        is bounded by 1 and left out).
    first_pass : mapping, optional
        Extra keyword arguments of the first call only (e.g. ``store_activations_at``).

    Returns
    -------
    (TrainResult, DataFrame, Series)
        The first pass's result, the MI table of both passes, and each seed's run maximum
        (``max_activation``, indexed by ``seed``): the largest activation over the hidden layers
        at every probed epoch (the trainer's ``max_abs``) and, when replaying, at every snapshot.
    """
    maxima = LayerMaxima() if replay is not None else None
    res = train(estimators=dict(estimators), hooks=[maxima] if maxima is not None else [], **dict(first_pass or {}))
    mi = res.mi
    act = res.unfiltered["activity"]
    run_max = act[act["layer"] <= n_hidden].groupby("seed")["max_abs"].max().reindex(res.seeds)
    if maxima is not None:
        t = maxima.table()
        snap = t[t["layer"] <= n_hidden].groupby("seed")["max"].max().reindex(res.seeds)
        # the snapshot maxima are float32 activations held as floats: the cast back is exact
        run_max = pd.Series(np.fmax(run_max.to_numpy(), snap.to_numpy().astype(run_max.dtype)), index=res.seeds)
        res2 = train(estimators=dict(replay(run_max.to_numpy())), hooks=[])
        mi = pd.concat([mi, res2.mi], ignore_index=True)
    run_max.index.name = "seed"
    return res, mi.reset_index(drop=True), run_max.rename("max_activation")


def harmonics_run(estimators: Sequence[Mapping[str, Any]], *, epochs: int, layers: Sequence[int] = LAYERS,
                  split: str = "saxe", zero_mean: bool = False, snapshots: Any = "tishby",
                  store_activations_at: Sequence[int] = (), **train_kwargs):
    """Train the harmonics ensemble and measure MI on all 4,096 patterns (train rows, then test rows).

    Parameters
    ----------
    estimators : estimator specs of a params file (:func:`ibutils.mi.specs.parse_specs`); the
        ``run_max``/``range_max`` kinds trigger :func:`train_with_run_max`'s replay, the others
        are measured in the first pass.
    epochs, layers, snapshots : training length, hidden widths, :func:`snapshot_schedule`.
    split, zero_mean : :func:`ibutils.data.load_harmonics`.
    store_activations_at : epochs whose raw activity the first pass keeps.
    **train_kwargs : the other arguments of :func:`ibutils.nets.train_ensemble` (``activation``,
        ``n_seeds``, ``seed``, ``batch_size``, ``lr``, ``optimizer``, ``init``, ...).

    Returns
    -------
    (HarmonicsRun, TrainResult)
        The tables, and the first pass's result (for its stored activations).
    """
    from ..data import load_harmonics
    from ..nets import train_ensemble

    specs = parse_specs(estimators)
    data = load_harmonics(split, zero_mean=zero_mean)
    X_probe = np.concatenate([data.X_train, data.X_test])
    common = dict(layers=list(layers), epochs=epochs, snapshot_epochs=snapshot_schedule(snapshots, epochs),
                  mi_data="full", progress=False, **train_kwargs)

    def train(**kw):
        return train_ensemble(data.X_train, data.y_train, data.X_test, data.y_test, **common, **kw)

    def make(chosen, run_max=None):
        return make_estimators(chosen, X_probe=X_probe, n_train=len(data.X_train), run_max=run_max)

    ranged = [s for s in specs if s.kind in RUN_MAX_KINDS]
    res, mi, run_max = train_with_run_max(
        train, make(specs), (lambda m: make(ranged, m)) if ranged else None, n_hidden=len(layers),
        first_pass=dict(store_activations_at=list(store_activations_at)))
    run = HarmonicsRun(mi=mi, metrics=res.metrics, grads=res.grads, activity=res.activity, run_max=run_max,
                       snapshot_epochs=res.snapshot_epochs, seeds=res.seeds, dropped_seeds=res.dropped_seeds, data=data)
    return run, res


# ----------------------------------------------------------------------------- drift to diffusion: timing
#: Gap (decades of epochs) between the start of compression and the SNR transition counted as coincidence.
COINCIDE_DECADES = 0.3


def _smooth_log(values: np.ndarray, window: int) -> np.ndarray:
    """Centered running mean of ``log10(values)`` (edges use the available points)."""
    v = np.log10(np.clip(values, 1e-30, None))
    if window <= 1:
        return v
    k = np.ones(window)
    num = np.convolve(v, k, mode="same")
    den = np.convolve(np.ones_like(v), k, mode="same")
    return num / den


def snr_transition(grads: pd.DataFrame, *, window: int = 9, tail: float = 0.2) -> pd.DataFrame:
    """Epoch of the drop of the gradient SNR ("drift to diffusion"), per seed and layer.

    The SNR ``||mean g|| / ||std g||`` of each layer's minibatch gradients is smoothed on
    a log scale (running mean over ``window`` epochs); its early level is the maximum of
    the smoothed curve, its late level the median over the last ``tail`` of the epochs.
    The transition is the first epoch after the maximum at which the smoothed log-SNR
    falls below the midpoint of the two levels (Shwartz-Ziv & Tishby 2017, Sec. 4: high
    SNR in the drift phase, low SNR in the diffusion phase). ``drop`` is the fall in
    decades. Full batch (``snr = inf``) gives NaN.
    """
    rows = []
    for (s, l), g in grads.sort_values("epoch").groupby(["seed", "layer"], sort=True):
        snr = g["snr"].to_numpy(dtype=float)
        ep = g["epoch"].to_numpy()
        ok = np.isfinite(snr) & (snr > 0)  # dead units (0/0) and full batch (inf) carry no SNR
        snr, ep = snr[ok], ep[ok]
        if len(snr) < 3:
            rows.append((s, l, np.nan, np.nan))
            continue
        sm = _smooth_log(snr, window)
        i_max = int(np.argmax(sm))
        late = float(np.median(sm[int(len(sm) * (1 - tail)):]))
        mid = 0.5 * (sm[i_max] + late)
        below = np.nonzero(sm[i_max:] < mid)[0]
        e = float(ep[i_max + below[0]]) if below.size and sm[i_max] > late else np.nan
        rows.append((s, l, e, sm[i_max] - late))
    return pd.DataFrame(rows, columns=["seed", "layer", "transition_epoch", "drop_decades"])


def loss_kink(metrics: pd.DataFrame, *, fraction: float = 0.9) -> pd.DataFrame:
    """Epoch at which the training loss has made ``fraction`` of its total decrease, per seed.

    The end of the fast phase of the loss ("the kink" of Shwartz-Ziv & Tishby's Fig. 4):
    the first epoch with ``L <= L_last + (1 - fraction) (L_first - L_last)``.
    """
    rows = []
    tr = metrics[metrics["split"] == "train"].sort_values("epoch")
    for s, g in tr.groupby("seed", sort=True):
        L = g["loss"].to_numpy()
        ep = g["epoch"].to_numpy()
        target = L[-1] + (1 - fraction) * (L[0] - L[-1])
        idx = np.nonzero(L <= target)[0]
        rows.append((s, float(ep[idx[0]]) if idx.size else np.nan))
    return pd.DataFrame(rows, columns=["seed", "kink_epoch"])


def epoch_ci(epochs) -> tuple[tuple[float, float, float], float]:
    """Geometric mean of epochs and its 95% interval (the t-interval of ``log10(epoch + 1)``, mapped back),
    and the log mean itself (NaN when no epoch is finite)."""
    m, lo, hi = mean_ci(np.log10(np.asarray(epochs, dtype=float) + 1))
    back = tuple(float(10 ** z - 1) if np.isfinite(z) else np.nan for z in (m, lo, hi))
    return back, m


def timing_verdict(gaps, *, coincide: float = COINCIDE_DECADES) -> tuple[str, str, tuple[float, float, float], int]:
    """Does compression start at the SNR transition? The claim is that the gap is *absent*: the rule book's
    :func:`~ibutils.publish.report.verdict_none` over the two directions (later, earlier) with margin
    ``coincide`` decades. Returns the verdict, a phrase for the page, the gap's mean and interval, and n."""
    g = np.asarray(gaps, dtype=float)
    g = g[np.isfinite(g)]
    n = int(g.size)
    mci = mean_ci(g)
    v = verdict_none([effect(mci, n=n, margin=coincide, direction=1), effect(mci, n=n, margin=coincide, direction=-1)])
    if v == "reproduced":
        word = "coincides"
    elif v == "contradicted":
        word = "does not coincide (it starts " + ("later)" if mci[1] > coincide else "earlier)")
    elif n < MIN_SEEDS:
        word = f"cannot be compared (fewer than {MIN_SEEDS} seeds with a compressing layer and an SNR transition)"
    else:
        word = "is not resolved (the interval is too wide)"
    return v, word, mci, n
