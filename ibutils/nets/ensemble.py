"""The fast ensemble trainer: many seeds of one small network, trained at once.

:func:`train_ensemble` trains ``n_seeds`` fully connected networks that differ only in
their seed (initial weights and minibatch order). Their parameters are stacked along
a leading *replica* axis and every layer is one batched matmul; whole runs of epochs
(from one snapshot to the next) execute inside a single XLA program (a
``tf.while_loop`` over epochs around a ``tf.while_loop`` over minibatches), so Python
is entered only at snapshots. At each snapshot epoch the activity of every layer on
the MI data is computed for all replicas in one compiled forward pass and handed to
the MI estimators; only the MI numbers are kept.

Layout and numerics
-------------------
* Activations are feature-major, ``(R, width, samples)``: ``z = W h + b`` with
  ``W`` of shape ``(R, out, in)``, which keeps the long sample axis contiguous (about
  2x faster on CPU than ``(R, samples, width) @ (R, in, out)``).
* All parameters of a replica live in one flat float32 vector, so the optimizer is a
  single fused elementwise update. Adam follows Keras 3 exactly
  (``alpha = lr sqrt(1-b2^t)/(1-b1^t)``, ``w -= alpha m / (sqrt(v) + 1e-7)``); SGD is
  plain ``w -= lr g``. Max-norm follows ``keras.constraints.MaxNorm`` after every
  update on the hidden kernels.
* Minibatch order: replica ``r`` has seed ``s_r = seed + r``; its order in epoch ``e``
  is a keyed pseudo-random permutation (a 4-round Feistel network on 32-bit hashes of
  ``(s_r, e)`` with cycle walking, :func:`batch_order`), computed inside XLA without
  a sort (XLA's CPU sort would cost more than the training itself). Initial weights
  come from :func:`ibutils.nets.models.init_params` with ``seed=s_r``. Hence replica ``r``
  of an ensemble equals a network trained alone with ``seed=s_r``.
* A last partial minibatch is kept (as Keras does) through a mask.

Per-epoch measurements (all replicas, inside the compiled loop)
----------------------------------------------------------------
``metrics``
    ``train``: mean cross-entropy (nats) and accuracy over the epoch's minibatches,
    each measured before its update (what ``model.fit`` reports); ``eval``: loss and
    accuracy on ``(X_eval, y_eval)`` at the end of the epoch.
``grads``
    The gradient SNR protocol of Saxe et al. (``ibsgd``) and Shwartz-Ziv & Tishby:
    for each layer's kernel, the minibatch gradients ``g_b`` of the epoch give
    ``grad_mean = ||mean_b g_b||_F`` and ``grad_std = ||std_b g_b||_F`` (population
    std per weight, then the Frobenius norm), ``weight_norm = ||W||_F`` at the end of
    the epoch, and ``snr = grad_mean / grad_std``. Sums of ``g_b - g_1`` and of its
    square are accumulated (shifted by the first batch's gradient for accuracy in
    float32). Biases are excluded. Full batch gives ``grad_std = 0`` and ``snr = inf``.
``activity``
    ``max_abs``: the largest absolute activation of each layer on the MI data at the
    end of the epoch (the softmax layer's probabilities for the read-out);
    ``dead_fraction``: the share of a hidden layer's units that are exactly 0 on every
    MI sample (measured before batch norm; NaN for the read-out).

Per-replica settings
--------------------
``initial_bias`` and ``max_norm`` also take one value per replica, so the points of a
sweep that share an architecture train as one stacked ensemble. With ``batch_norm``
every hidden activation is followed by batch normalisation (Keras' momentum 0.99 and
epsilon 1e-3; minibatch statistics in training, moving averages for evaluation and MI).

Layers are numbered from 1 (first hidden layer) to ``L`` (the softmax layer); epochs
count completed epochs (``metrics``, ``grads``, ``activity``: 1..E; ``mi``: the
snapshot epochs, where 0 is the untrained network).
"""
from __future__ import annotations

import os
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from .. import activations
from ..mi.base import as_measure
from . import models
from .engine import MAX_CHUNK, _engine
from .hooks import Snapshot, SnapshotHook
from .result import TrainResult
from .schedules import Schedule, make_schedule

#: Most epochs whose raw activations may be stored.
MAX_STORED = 16


# ---------------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------------
def _labels(y, n_classes=None, name="y"):
    y = np.asarray(y)
    if y.ndim == 2:
        y = y.argmax(axis=1)
    if y.ndim != 1:
        raise ValueError(f"{name}: expected class ids (N,) or one-hot (N, C), got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise ValueError(f"{name}: class ids must be integers")
        y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise ValueError(f"{name}: class ids must be >= 0")
    return y.astype(np.int64)


def _features(X, name):
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"{name}: expected a non-empty 2-D array, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name}: contains NaN or inf")
    return X


def _as_pair(res, R):
    """(ixt, ity) arrays of shape (R,) from an estimator's return value."""
    if hasattr(res, "ixt"):
        a, b = res.ixt, res.ity
    else:
        a, b = res
    a = np.broadcast_to(np.asarray(a, dtype=float).reshape(-1), (R,))
    b = np.broadcast_to(np.asarray(b, dtype=float).reshape(-1), (R,))
    return a, b


def _per_replica_bias(initial_bias, R):
    """(R,) initial hidden biases from a number or a sequence of R numbers."""
    b = np.asarray(initial_bias, dtype=np.float64)
    if b.ndim == 0:
        b = np.full(R, float(b))
    if b.shape != (R,) or not np.all(np.isfinite(b)):
        raise ValueError(f"initial_bias: expected a finite number or {R} finite numbers (one per replica), "
                         f"got {initial_bias!r}")
    return b


def _per_replica_max_norm(max_norm, R):
    """(R,) max-norm bounds (inf: unconstrained) from None/False, a number, or R of those."""
    def one(x):
        if x is None or x is False:
            return np.inf
        try:
            x = float(x)
        except (TypeError, ValueError):
            raise ValueError(f"max_norm must be > 0 or None, got {x!r}") from None
        if not x > 0:
            raise ValueError(f"max_norm must be > 0 or None, got {x}")
        return x

    if isinstance(max_norm, (list, tuple, np.ndarray)):
        if len(max_norm) != R:
            raise ValueError(f"max_norm: expected one bound per replica ({R}), got {len(max_norm)}")
        return np.array([one(x) for x in max_norm], dtype=np.float64)
    return np.full(R, one(max_norm))
# Public entry point
# ---------------------------------------------------------------------------------
def train_ensemble(
    X_train,
    y_train,
    X_eval,
    y_eval,
    *,
    layers: Sequence[int],
    activation: str,
    n_seeds: int,
    epochs: int,
    batch_size: int | None,
    lr: float,
    optimizer: str = "adam",
    seed: int = 0,
    snapshot_epochs: Any = "tishby",
    init: str = "width",
    initial_bias: float | Sequence[float] = 0.0,
    max_norm: float | None | Sequence[float | None] = None,
    batch_norm: bool = False,
    quantize_bits: int | None = None,
    mi_data: Any = "full",
    estimators: Mapping[str, Callable] | None = None,
    hooks: Sequence[SnapshotHook] = (),
    store_activations_at: Sequence[int] = (),
    n_shards: int | str = "auto",
    probe_every: int = 1,
    progress: bool = True,
) -> TrainResult:
    """Train ``n_seeds`` copies of a fully connected classifier at once and measure MI.

    Parameters
    ----------
    X_train, y_train, X_eval, y_eval : array
        Features ``(N, d)`` and labels (class ids ``(N,)`` or one-hot ``(N, C)``).
    layers : list of int
        Hidden widths (the softmax read-out is added), e.g. ``[10, 7, 5, 4, 3]``.
    activation : str
        Hidden activation, a name of :mod:`ibutils.activations`.
    n_seeds : int
        Number of replicas; replica ``r`` uses seed ``seed + r`` for its initial weights
        and its minibatch order, so it equals a network trained alone with that seed.
    epochs : int
        Training epochs.
    batch_size : int or None
        Minibatch size (``None``: full batch). A last partial batch is kept.
    lr : float
        Learning rate.
    optimizer : {"adam", "sgd"}
        Adam with Keras' defaults (beta 0.9/0.999, epsilon 1e-7) or plain SGD.
    seed : int
        Seed of replica 0.
    snapshot_epochs : str, list of int or :class:`ibutils.nets.schedules.Schedule`
        ``"tishby"`` (274 log-spaced epochs of 8000), ``"saxe"``, ``"deep_bottleneck"``,
        ``"every"``, ``"delta_skip"`` (adaptive), an explicit list, or a schedule
        object (see :mod:`ibutils.nets.schedules`).
    init : see :func:`ibutils.nets.models.init_params`.
    initial_bias : float or sequence of float
        Constant initial bias of the hidden layers; a sequence of ``n_seeds`` values gives
        each replica its own (replica ``r`` then equals a lone network with
        ``initial_bias=initial_bias[r]`` and ``seed=seed + r``), so a bias sweep trains as
        one stacked ensemble.
    max_norm : float, None or sequence
        ``keras.constraints.MaxNorm`` on every hidden kernel (each unit's incoming weight
        vector), applied after every update; a sequence of ``n_seeds`` bounds (``None``
        for an unconstrained replica) gives each replica its own bound (an ``(R,)``
        vector inside the compiled update).
    batch_norm : bool
        Keras ``BatchNormalization()`` (momentum 0.99, epsilon 1e-3, gamma 1, beta 0)
        after each hidden layer's activation, as :func:`ibutils.nets.models.build_model`
        (``Dense(activation) -> BatchNormalization``, the Deep Bottleneck
        ``feedforward_batchnorm`` model). Training steps normalise with the moments of
        the minibatch (biased variance; the last partial minibatch over its valid
        samples), then update the moving statistics; the probe, the eval metrics and
        the MI snapshots use the moving statistics (inference mode). The measured
        output of a hidden layer is the batch-norm output (what the next layer
        receives); ``dead_fraction`` is measured on the activation before it.
    quantize_bits : int or None
        ``None`` (default): a float network, as always. ``k``: quantization-aware training
        (Lorenzen, Igel & Nielsen, ICLR 2022, arXiv 2106.12912): in every forward pass (training,
        probe, MI snapshots) every kernel and every layer's output is fake-quantized to ``2**k``
        levels spaced evenly on a range, with a straight-through gradient (1 inside the range, 0
        outside); biases stay float. Ranges: a kernel uses its current ``[min, max]`` (with 0),
        as tensorflow-model-optimization's ``LastValueQuantizer``; a hidden activation bounded on
        both sides uses its fixed output range (tanh: ``[-1, 1]``; the authors' code uses the
        minibatch's min and max of the tanh output, which makes a sample's value depend on its
        batch); any other hidden activation (ReLU) and the softmax read-out use a running range, an
        exponential moving average (decay 0.999, the toolkit's ``MovingAverageQuantizer``) of the
        minibatch's min and max (widened to include 0), started at the untrained network's range on
        the training set, updated before each training step quantizes and frozen for evaluation. The
        network's output is the quantized softmax, so the loss is Keras' cross-entropy on the
        (renormalised, clipped) quantized probabilities, as the authors trained. Every layer's
        activity handed to estimators and hooks then takes at most ``2**k`` values per unit, so
        :func:`ibutils.mi.exact.exact_mi` gives exact information. ``weights`` returns the float
        (shadow) parameters. Not combinable with ``batch_norm``.
    mi_data : {"full", "train", "test"} or (X, y)
        Samples whose layer activity is measured: train and eval concatenated (Shwartz-Ziv
        & Tishby), the training set, the eval set (Saxe et al.), or an explicit pair.
    estimators : mapping name -> callable or :class:`ibutils.mi.base.Measure`, optional
        Pure estimators ``f(T, y) -> MIPair`` with ``T`` of shape ``(R, N, d)`` and ``y`` the
        MI labels ``(N,)``, returning ``ixt``/``ity`` arrays of shape ``(R,)`` in bits (e.g.
        ``functools.partial(ibutils.mi.binning, n_bins=30)``); a ``Measure(f, layers=...)``
        is applied to its layers only (NaN elsewhere). Replicas that diverged are left out
        of the call and get NaN. The ``mi`` table holds these estimators only.
    hooks : sequence of :class:`ibutils.nets.hooks.SnapshotHook`
        Called as ``hook.on_snapshot(Snapshot(epoch, layer, n_layers, seeds, T, y))`` for
        every layer of every snapshot epoch, in layer order, with the seeds and activity of
        the replicas that are finite at that snapshot (none: empty arrays; the hook is still
        called). Read their results with ``hook.table()``.
    store_activations_at : list of int
        At most 16 epochs at which the raw activity is kept (``result.activations``).
    n_shards : int or "auto"
        Replica groups run concurrently in threads (one XLA program each); ``"auto"``
        uses 2 on a machine with at least 2 CPUs when there are at least 16 replicas.
    probe_every : int
        Run the end-of-epoch probe (eval loss/accuracy and max |activation| on the MI
        data, a forward pass over all MI samples) every ``probe_every`` epochs and at
        the last one; other epochs have no ``eval`` / ``activity`` rows. Default: every
        epoch (it costs about as much as the training steps when the MI data is the
        whole dataset).
    progress : bool
        Show a tqdm bar over epochs.

    Returns
    -------
    TrainResult

    Raises
    ------
    ValueError
        For an unknown activation, optimizer, init, schedule or ``mi_data``, and for
        badly shaped data.
    """
    import tensorflow as tf
    from tqdm.auto import tqdm

    t_start = time.perf_counter()
    activations.get(activation)
    optimizer = models.check_optimizer(optimizer)
    init = models.resolve_init(init)
    n_seeds, epochs = int(n_seeds), int(epochs)
    if n_seeds < 1:
        raise ValueError(f"n_seeds must be >= 1, got {n_seeds}")
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if batch_size is not None and int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1 or None, got {batch_size}")
    biases = _per_replica_bias(initial_bias, n_seeds)
    bounds_mn = _per_replica_max_norm(max_norm, n_seeds)
    has_max_norm = bool(np.isfinite(bounds_mn).any())
    batch_norm = bool(batch_norm)
    if quantize_bits is not None:
        if isinstance(quantize_bits, bool) or int(quantize_bits) != quantize_bits or not 1 <= int(quantize_bits) <= 16:
            raise ValueError(f"quantize_bits must be an integer in [1, 16] or None, got {quantize_bits!r}")
        if batch_norm:
            raise ValueError("quantize_bits: quantized training does not support batch_norm")
        quantize_bits = int(quantize_bits)
    Xtr, Xev = _features(X_train, "X_train"), _features(X_eval, "X_eval")
    ytr, yev = _labels(y_train, name="y_train"), _labels(y_eval, name="y_eval")
    if len(ytr) != len(Xtr) or len(yev) != len(Xev):
        raise ValueError("X_train/y_train or X_eval/y_eval have different lengths")
    if Xev.shape[1] != Xtr.shape[1]:
        raise ValueError("X_eval: feature count differs from X_train")
    n_classes = int(max(ytr.max(), yev.max()) + 1)
    if np.asarray(y_train).ndim == 2:
        n_classes = max(n_classes, np.asarray(y_train).shape[1])
    n_classes = max(n_classes, 2)
    sizes = models.layer_sizes(Xtr.shape[1], layers, n_classes)

    # MI data (the probe) and where the eval samples sit inside it
    if isinstance(mi_data, str):
        if mi_data == "full":
            Xp, yp, ev_in = np.concatenate([Xtr, Xev]), np.concatenate([ytr, yev]), (len(Xtr), len(Xtr) + len(Xev))
        elif mi_data == "train":
            Xp, yp, ev_in = Xtr, ytr, None
        elif mi_data == "test":
            Xp, yp, ev_in = Xev, yev, (0, len(Xev))
        else:
            raise ValueError(f"unknown mi_data {mi_data!r}; valid: 'full', 'train', 'test' or an (X, y) pair")
    else:
        try:
            Xp, yp = mi_data
        except (TypeError, ValueError):
            raise ValueError("mi_data: expected 'full', 'train', 'test' or an (X, y) pair") from None
        Xp, yp, ev_in = _features(Xp, "mi_data X"), _labels(yp, name="mi_data y"), None
        if len(Xp) != len(yp) or Xp.shape[1] != Xtr.shape[1]:
            raise ValueError("mi_data: X and y lengths or feature count do not match")

    estimators = dict(estimators or {})
    for name, f in estimators.items():
        if not callable(f):
            raise ValueError(f"estimators[{name!r}] is not callable")
    measures = {name: as_measure(f) for name, f in estimators.items()}
    hooks = list(hooks)
    for i, h in enumerate(hooks):
        if not callable(getattr(h, "on_snapshot", None)):
            raise ValueError(f"hooks[{i}] has no on_snapshot(snapshot) method")
    store = sorted({int(e) for e in store_activations_at})
    if len(store) > MAX_STORED or any(e < 0 or e > epochs for e in store):
        raise ValueError(f"store_activations_at: at most {MAX_STORED} epochs in [0, {epochs}], got {store}")
    schedule: Schedule = make_schedule(snapshot_epochs, epochs)

    seeds = np.arange(n_seeds, dtype=np.int64) + int(seed)
    if n_shards == "auto":
        n_shards = 2 if (os.cpu_count() or 1) >= 2 and n_seeds >= 16 else 1
    n_shards = max(1, min(int(n_shards), n_seeds))
    bounds = np.linspace(0, n_seeds, n_shards + 1).round().astype(int)
    shards = [slice(bounds[i], bounds[i + 1]) for i in range(n_shards)]

    probe_every = int(probe_every)
    if probe_every < 1:
        raise ValueError(f"probe_every must be >= 1, got {probe_every}")
    # batch_norm / quantize_bits are passed only when set, so engine subclasses with the older signature keep working
    extra = (batch_norm, quantize_bits) if quantize_bits is not None else ((True,) if batch_norm else ())
    engine = _engine(sizes, activation, optimizer, lr, batch_size, len(Xtr), True if has_max_norm else None, ev_in,
                     probe_every, *extra)
    params0 = [models.init_params(sizes[0], sizes[1:-1], sizes[-1], init=init, initial_bias=float(b), seed=int(s))
               for s, b in zip(seeds, biases)]
    theta0 = engine.pack(params0)
    bn0 = np.zeros((n_seeds, engine.n_bn_state), np.float32)
    if batch_norm:  # moving means 0, moving variances 1 (Keras' initial values)
        bn0[:, engine.n_bn_state // 2:] = 1.0
    eye = np.eye(n_classes, dtype=np.float32)
    consts = dict(
        XT=tf.constant(Xtr.T.copy()), YT=tf.constant(eye[ytr].T.copy()), XP=tf.constant(Xp.T.copy()),
        XE=tf.constant(Xev.T.copy()), YE=tf.constant(eye[yev].T.copy()),
    )
    states = []
    for sl in shards:
        th = tf.constant(theta0[sl])
        states.append([th, tf.zeros_like(th), tf.zeros_like(th), tf.constant(0.0), tf.constant(bn0[sl]),
                       tf.constant(seeds[sl].astype(np.uint32)), tf.constant(bounds_mn[sl].astype(np.float32))])
    if quantize_bits is not None:  # initial running ranges: the untrained network's on the training set
        for st in states:
            st[4] = engine.calibrate(st[0], st[4], consts["XT"])
    pool = ThreadPoolExecutor(n_shards) if n_shards > 1 else None

    def run_shards(fn):
        if pool is None:
            return [fn(i) for i in range(n_shards)]
        return list(pool.map(fn, range(n_shards)))

    timing = dict(compile=0.0, train=0.0, forward=0.0, mi=0.0)
    stats_chunks = []  # list of (per-shard list of 8 arrays (k, R_s, ...))

    def run_epochs(e0, k):
        def one(i):
            th, m, v, t, bn, sd, mn = states[i]
            th, m, v, t, bn, st = engine.chunk(th, m, v, t, bn, sd, mn, tf.constant(e0, tf.int32), tf.constant(k, tf.int32),
                                           tf.constant(epochs, tf.int32), **consts)
            states[i][:5] = [th, m, v, t, bn]
            return [s.numpy()[:k] for s in st]

        return run_shards(one)

    # compile (k = 0 runs no epoch)
    tc = time.perf_counter()
    run_epochs(0, 0)
    run_shards(lambda i: engine.forward_all(states[i][0], consts["XP"], states[i][4]))
    timing["compile"] = time.perf_counter() - tc

    mi_rows = {name: [] for name in estimators}
    snap_done: list[int] = []
    stored: dict[int, list[np.ndarray]] = {}
    bar = tqdm(total=epochs, disable=not progress, desc="epochs", leave=False)
    cur = 0
    nxt = schedule.first()
    store_left = list(store)
    try:
        while True:
            targets = [e for e in ([nxt] if nxt is not None and nxt <= epochs else []) + store_left[:1]]
            target = min(targets) if targets else epochs
            target = max(target, cur)
            while cur < target:
                k = min(MAX_CHUNK, target - cur)
                t0 = time.perf_counter()
                stats_chunks.append(run_epochs(cur, k))
                timing["train"] += time.perf_counter() - t0
                cur += k
                bar.update(k)
            is_snap = nxt is not None and cur == nxt
            is_store = bool(store_left) and cur == store_left[0]
            if is_snap or is_store:
                t0 = time.perf_counter()
                acts = [np.concatenate(z) for z in zip(*run_shards(
                    lambda i: [o.numpy() for o in engine.forward_all(states[i][0], consts["XP"], states[i][4])]))]
                timing["forward"] += time.perf_counter() - t0
                if is_store:
                    stored[cur] = acts
                    store_left.pop(0)
                if is_snap:
                    t0 = time.perf_counter()
                    ok = np.all([np.isfinite(a).all(axis=(1, 2)) for a in acts], axis=0)
                    cur_mi = {}
                    n_layers = len(acts)
                    for name, est in measures.items():
                        ixt = np.full((n_seeds, n_layers), np.nan)
                        ity = np.full((n_seeds, n_layers), np.nan)
                        if ok.any():
                            for l, a in enumerate(acts):
                                if est.measures(l + 1, n_layers):
                                    ixt[ok, l], ity[ok, l] = _as_pair(est(a[ok], yp), int(ok.sum()))
                        mi_rows[name].append((cur, ixt, ity))
                        cur_mi[name] = (ixt, ity)
                    for l, a in enumerate(acts):
                        snap = Snapshot(epoch=int(cur), layer=l + 1, n_layers=n_layers, seeds=seeds[ok], T=a[ok], y=yp)
                        for h in hooks:
                            h.on_snapshot(snap)
                    snap_done.append(cur)
                    timing["mi"] += time.perf_counter() - t0
                    nxt = schedule.next(cur, cur_mi)
                    if nxt is not None and nxt <= cur:
                        raise ValueError(f"snapshot schedule returned epoch {nxt} after {cur}")
            elif nxt is not None and nxt > epochs:
                nxt = None
            if cur >= epochs and (nxt is None or nxt > epochs) and not store_left:
                break
    finally:
        bar.close()
        if pool is not None:
            pool.shutdown()

    # ---- assemble tables ------------------------------------------------------------
    L = engine.L
    layer_ids = np.arange(1, L + 1)
    if stats_chunks:
        cols = [np.concatenate([np.concatenate([sh[c] for sh in ch], axis=1) for ch in stats_chunks]) for c in range(9)]
    else:
        cols = [np.zeros((0, n_seeds))] * 4 + [np.zeros((0, n_seeds, L))] * 5
    tl, ta, el, ea, gm, gs, wn, ma, dead = cols
    E = tl.shape[0]
    ep = np.arange(1, E + 1)
    ee, ss = np.meshgrid(ep, seeds, indexing="ij")
    metrics = pd.concat(
        [
            pd.DataFrame({"seed": ss.ravel(), "epoch": ee.ravel(), "split": split, "loss": lo.ravel(), "accuracy": ac.ravel()})
            for split, lo, ac in [("train", tl, ta), ("eval", el, ea)]
        ],
        ignore_index=True,
    ).sort_values(["seed", "epoch", "split"], kind="stable", ignore_index=True)
    e3, s3, l3 = np.meshgrid(ep, seeds, layer_ids, indexing="ij")
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = gm / gs
    grads = pd.DataFrame(
        {"seed": s3.ravel(), "epoch": e3.ravel(), "layer": l3.ravel(), "grad_mean": gm.ravel(),
         "grad_std": gs.ravel(), "weight_norm": wn.ravel(), "snr": snr.ravel()}
    )
    activity = pd.DataFrame({"seed": s3.ravel(), "epoch": e3.ravel(), "layer": l3.ravel(), "max_abs": ma.ravel(),
                             "dead_fraction": dead.ravel()})
    mi_frames = []
    for name, rows in mi_rows.items():
        for e, ixt, ity in rows:
            s2, l2 = np.meshgrid(seeds, layer_ids, indexing="ij")
            mi_frames.append(pd.DataFrame({"seed": s2.ravel(), "epoch": e, "layer": l2.ravel(), "estimator": name,
                                           "ixt": ixt.ravel(), "ity": ity.ravel()}))
    mi = (
        pd.concat(mi_frames, ignore_index=True).sort_values(["estimator", "seed", "epoch", "layer"], kind="stable", ignore_index=True)
        if mi_frames
        else pd.DataFrame({"seed": [], "epoch": [], "layer": [], "estimator": [], "ixt": [], "ity": []})
    )
    for df in (metrics, grads, activity, mi):
        for c in ("seed", "epoch", "layer"):
            if c in df:
                df[c] = df[c].astype(np.int64)
    for df in (grads, activity, mi):
        df.sort_values(["seed", "epoch", "layer"] if "estimator" not in df else ["estimator", "seed", "epoch", "layer"],
                       kind="stable", ignore_index=True, inplace=True)

    theta = np.concatenate([s[0].numpy() for s in states])
    bn_state = np.concatenate([s[4].numpy() for s in states])
    bad = ~np.isfinite(theta).all(axis=1)
    if E:
        bad |= ~np.isfinite(tl).all(axis=0)
    dropped = [int(s) for s in seeds[bad]]
    unfiltered = dict(mi=mi, grads=grads, metrics=metrics, activity=activity)
    if dropped:
        warnings.warn(
            f"train_ensemble: {len(dropped)} replica(s) diverged (non-finite loss or weights) and are "
            f"dropped from the tables: seeds {dropped}",
            RuntimeWarning,
            stacklevel=2,
        )
        keep = lambda df: df[~df["seed"].isin(dropped)].reset_index(drop=True)  # noqa: E731
        mi, grads, metrics, activity = keep(mi), keep(grads), keep(metrics), keep(activity)
    if probe_every > 1:
        metrics = metrics[~((metrics["split"] == "eval") & metrics["loss"].isna()
                            & ((metrics["epoch"] % probe_every != 0) & (metrics["epoch"] != epochs)))]
        metrics = metrics.reset_index(drop=True)
        activity = activity[(activity["epoch"] % probe_every == 0) | (activity["epoch"] == epochs)].reset_index(drop=True)
    timing["total"] = time.perf_counter() - t_start
    return TrainResult(
        mi=mi,
        grads=grads,
        metrics=metrics,
        activity=activity,
        activations=stored,
        snapshot_epochs=np.asarray(snap_done, dtype=np.int64),
        seeds=seeds,
        dropped_seeds=dropped,
        unfiltered=unfiltered,
        weights=engine.unpack_np(theta),
        timing=timing,
        batch_norm=engine.unpack_bn_np(theta, bn_state),
    )


__all__ = ["train_ensemble", "MAX_STORED"]
