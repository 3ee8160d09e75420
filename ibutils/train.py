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
  come from :func:`ibutils.models.init_params` with ``seed=s_r``. Hence replica ``r``
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
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from . import activations, models
from .schedules import Schedule, make_schedule

#: Most epochs one compiled call runs (its per-epoch buffers have this length).
MAX_CHUNK = 256
#: Most epochs whose raw activations may be stored.
MAX_STORED = 16

# ---------------------------------------------------------------------------------
# Minibatch order: a keyed Feistel permutation (NumPy and TensorFlow twins)
# ---------------------------------------------------------------------------------
_ROUNDS = 4
_GOLDEN = 0x9E3779B9


def _half_bits(n: int) -> int:
    h = 1
    while 4**h < n:
        h += 1
    return h


def _np_mix(x):
    x = np.asarray(x, dtype=np.uint32)
    x = x ^ (x >> np.uint32(16))
    x = x * np.uint32(0x85EBCA6B)
    x = x ^ (x >> np.uint32(13))
    x = x * np.uint32(0xC2B2AE35)
    return x ^ (x >> np.uint32(16))


def _np_round_keys(seeds, epoch):
    seeds = np.asarray(seeds, dtype=np.int64).astype(np.uint32)
    e = np.uint32(int(epoch) & 0xFFFFFFFF)
    base = _np_mix(_np_mix(seeds) ^ _np_mix(e * np.uint32(_GOLDEN) + np.uint32(1)))
    return [_np_mix(base + np.uint32((j + 1) * 0x632BE5AB & 0xFFFFFFFF)) for j in range(_ROUNDS)]


def batch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The order in which a replica with seed ``seed`` visits ``n`` samples in ``epoch``.

    ``epoch`` counts from 0 (the first training epoch). Minibatch ``i`` of size ``B`` is
    ``batch_order(...)[i * B:(i + 1) * B]``. This is the NumPy twin of the permutation
    computed inside the compiled trainer (used to feed a Keras reference model the same
    batches).
    """
    with np.errstate(over="ignore"):
        h = _half_bits(n)
        mask = np.uint32((1 << h) - 1)
        keys = [k[0] for k in _np_round_keys([seed], epoch)]
        x = np.arange(n, dtype=np.uint32)

        def feistel(x):
            lo, hi = x & mask, x >> np.uint32(h)
            for k in keys:
                lo, hi = hi ^ (_np_mix(lo ^ k) & mask), lo
            return (hi << np.uint32(h)) | lo

        x = feistel(x)
        while (x >= n).any():
            x = np.where(x >= n, feistel(x), x)
        return x.astype(np.int64)


def _tf_mix(x):
    import tensorflow as tf

    B = tf.bitwise
    u = lambda c: tf.constant(c, tf.uint32)  # noqa: E731
    x = B.bitwise_xor(x, B.right_shift(x, u(16)))
    x = x * u(0x85EBCA6B)
    x = B.bitwise_xor(x, B.right_shift(x, u(13)))
    x = x * u(0xC2B2AE35)
    return B.bitwise_xor(x, B.right_shift(x, u(16)))


def _tf_batch_order(seeds_u32, epoch, n):
    """(R, n) int32 permutations, one per replica, for the (int32) ``epoch``."""
    import tensorflow as tf

    B = tf.bitwise
    u = lambda c: tf.constant(c, tf.uint32)  # noqa: E731
    h = _half_bits(n)
    mask = u((1 << h) - 1)
    e = tf.cast(epoch, tf.uint32)
    base = _tf_mix(B.bitwise_xor(_tf_mix(seeds_u32), _tf_mix(e * u(_GOLDEN) + u(1))))
    keys = [_tf_mix(base + u((j + 1) * 0x632BE5AB & 0xFFFFFFFF))[:, None] for j in range(_ROUNDS)]

    def feistel(x):
        lo, hi = B.bitwise_and(x, mask), B.right_shift(x, u(h))
        for k in keys:
            lo, hi = B.bitwise_xor(hi, B.bitwise_and(_tf_mix(B.bitwise_xor(lo, k)), mask)), lo
        return B.bitwise_or(B.left_shift(hi, u(h)), lo)

    R = tf.shape(seeds_u32)[0]
    x = feistel(tf.broadcast_to(tf.cast(tf.range(n), tf.uint32)[None, :], tf.stack([R, n])))
    if 4**h > n:
        nn = u(n)
        x = tf.while_loop(
            lambda x: tf.reduce_any(x >= nn),
            lambda x: (tf.where(x >= nn, feistel(x), x),),
            (x,),
        )[0]
    return tf.cast(x, tf.int32)


# ---------------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------------
@dataclass
class TrainResult:
    """What :func:`train_ensemble` returns.

    Attributes
    ----------
    mi : DataFrame
        ``seed, epoch, layer, estimator, ixt, ity`` (bits) at the snapshot epochs.
    grads : DataFrame
        ``seed, epoch, layer, grad_mean, grad_std, weight_norm, snr`` per epoch.
    metrics : DataFrame
        ``seed, epoch, split, loss, accuracy`` per epoch, ``split`` in train/eval.
    activity : DataFrame
        ``seed, epoch, layer, max_abs, dead_fraction`` per epoch (``dead_fraction``: share
        of the layer's units whose activation is exactly 0 on every MI sample; NaN for the
        read-out).
    activations : dict
        ``epoch -> list`` (one array ``(R, N, d)`` per layer) for the epochs named in
        ``store_activations_at``; empty otherwise.
    snapshot_epochs : ndarray
        Epochs at which MI was measured.
    seeds : ndarray
        The replicas' seeds (``seed + r``).
    dropped_seeds : list of int
        Replicas whose loss or weights became non-finite; their rows are removed from
        the four tables above (they remain in ``unfiltered``).
    unfiltered : dict of DataFrame
        The four tables with every replica.
    weights : list of (ndarray, ndarray)
        Final ``(kernels (R, in, out), biases (R, out))`` per layer (Keras layout).
    timing : dict
        Seconds: ``compile``, ``train`` (compiled epochs), ``forward`` (snapshot
        passes), ``mi`` (estimators), ``total``.
    batch_norm : list of dict
        With ``batch_norm=True``: per hidden layer the final ``gamma``, ``beta``,
        ``moving_mean`` and ``moving_variance``, each ``(R, width)``; empty otherwise.
    """

    mi: pd.DataFrame
    grads: pd.DataFrame
    metrics: pd.DataFrame
    activity: pd.DataFrame
    activations: dict
    snapshot_epochs: np.ndarray
    seeds: np.ndarray
    dropped_seeds: list
    unfiltered: dict
    weights: list
    timing: dict = field(default_factory=dict)
    batch_norm: list = field(default_factory=list)

    @property
    def train_seconds(self) -> float:
        return self.timing.get("train", 0.0)

    @property
    def mi_seconds(self) -> float:
        return self.timing.get("mi", 0.0)

    def __repr__(self):  # keep notebook outputs short and timing-free
        return (
            f"TrainResult(seeds={len(self.seeds)}, snapshots={len(self.snapshot_epochs)}, "
            f"dropped={self.dropped_seeds})"
        )


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


# ---------------------------------------------------------------------------------
# The compiled engine
# ---------------------------------------------------------------------------------
class _Engine:
    """Compiled programs for one network configuration (any replica count).

    ``max_norm`` is a flag here (truthy: the compiled update applies the constraint);
    the per-replica bounds are a tensor argument of the programs, so one engine serves
    every bound. ``batch_norm`` adds Keras ``BatchNormalization`` after each hidden
    activation (see :func:`train_ensemble`).
    """

    def __init__(self, sizes, activation, optimizer, lr, batch_size, n_train, max_norm, eval_in_probe, probe_every=1,
                 batch_norm=False):
        import tensorflow as tf

        self.tf = tf
        self.sizes = list(sizes)
        self.L = len(sizes) - 1
        self.act = activations.get(activation)
        self.optimizer = optimizer
        self.lr = float(lr)
        self.n_train = int(n_train)
        self.B = self.n_train if batch_size is None else int(min(batch_size, n_train))
        self.nb = -(-self.n_train // self.B)
        self.max_norm = bool(max_norm) or None
        self.batch_norm = bool(batch_norm)
        self.eval_in_probe = eval_in_probe  # (start, stop) of the eval samples inside the probe, or None
        self.probe_every = int(probe_every)
        # flat layout: kernels (out, in), biases (out, 1), then (batch norm) gammas and betas (width, 1)
        self.kshapes = [(b, a) for a, b in zip(sizes[:-1], sizes[1:])]
        self.bshapes = [(b, 1) for b in sizes[1:]]
        counts = [a * b for a, b in self.kshapes] + [b for b, _ in self.bshapes]
        if self.batch_norm:
            counts += 2 * list(sizes[1:-1])
        self.offs = np.concatenate(([0], np.cumsum(counts))).astype(int)
        self.P = int(self.offs[-1])
        kind = np.zeros((self.P, self.L), np.float32)  # kernel entries of each layer
        for l in range(self.L):
            kind[self.offs[l] : self.offs[l + 1], l] = 1.0
        self.kind = kind
        self.chunk = tf.function(self._chunk, jit_compile=True, reduce_retracing=True)
        self.forward_all = tf.function(self._forward_all, jit_compile=True, reduce_retracing=True)

    # -- packing -------------------------------------------------------------------
    @property
    def hidden(self):
        return [b for b, _ in self.bshapes[:-1]]

    @property
    def n_bn_state(self):
        """Length of the moving-statistics vector per replica (means, then variances)."""
        return 2 * sum(self.hidden) if getattr(self, "batch_norm", False) else 0

    def pack(self, params_list):
        """(R, P) flat vector from a list (per replica) of Keras-layout params (BN: gamma 1, beta 0)."""
        flat = []
        for params in params_list:
            ks = [np.asarray(W, np.float32).T.ravel() for W, _ in params]
            bs = [np.asarray(b, np.float32).ravel() for _, b in params]
            extra = []
            if getattr(self, "batch_norm", False):
                extra = [np.ones(w, np.float32) for w in self.hidden] + [np.zeros(w, np.float32) for w in self.hidden]
            flat.append(np.concatenate(ks + bs + extra))
        return np.stack(flat).astype(np.float32)

    def unpack_np(self, theta):
        R = theta.shape[0]
        out = []
        for l in range(self.L):
            W = theta[:, self.offs[l] : self.offs[l + 1]].reshape((R,) + self.kshapes[l]).transpose(0, 2, 1)
            b = theta[:, self.offs[self.L + l] : self.offs[self.L + l + 1]]
            out.append((np.ascontiguousarray(W), np.ascontiguousarray(b)))
        return out

    def unpack_bn_np(self, theta, bn):
        """Per hidden layer: dict of gamma, beta, moving_mean, moving_variance, each (R, width)."""
        if not getattr(self, "batch_norm", False):
            return []
        H = len(self.hidden)
        g0 = self.offs[2 * self.L]
        cum = np.concatenate(([0], np.cumsum(self.hidden))).astype(int)
        tot = int(cum[-1])
        out = []
        for l in range(H):
            a, b = cum[l], cum[l + 1]
            out.append(dict(gamma=theta[:, g0 + a : g0 + b].copy(), beta=theta[:, g0 + tot + a : g0 + tot + b].copy(),
                            moving_mean=bn[:, a:b].copy(), moving_variance=bn[:, tot + a : tot + b].copy()))
        return out

    def _unpack(self, theta):
        tf = self.tf
        R = tf.shape(theta)[0]
        Ws = [tf.reshape(theta[:, self.offs[l] : self.offs[l + 1]], tf.stack([R, *self.kshapes[l]])) for l in range(self.L)]
        bs = [
            tf.reshape(theta[:, self.offs[self.L + l] : self.offs[self.L + l + 1]], tf.stack([R, *self.bshapes[l]]))
            for l in range(self.L)
        ]
        return Ws, bs

    def _split_bn(self, flat, start):
        """Per hidden layer (R, width, 1) slices of ``flat[:, start:]`` (layers back to back)."""
        tf = self.tf
        R = tf.shape(flat)[0]
        out, pos = [], start
        for w in self.hidden:
            out.append(tf.reshape(flat[:, pos : pos + w], tf.stack([R, w, 1])))
            pos += w
        return out

    def _forward(self, theta, h, bn=None, w=None, extras=False):
        """Per-layer outputs (R, width, n); the last entry holds the logits.

        With batch norm, ``w`` (a (1, n) mask) selects training mode: batch moments over
        the valid samples (returned when ``extras``); otherwise the moving statistics
        ``bn`` are used. ``extras`` also returns the hidden activations before batch norm.
        """
        tf = self.tf
        Ws, bs = self._unpack(theta)
        use_bn = getattr(self, "batch_norm", False)
        if use_bn:
            tot = sum(self.hidden)
            g0 = int(self.offs[2 * self.L])
            gammas, betas = self._split_bn(theta, g0), self._split_bn(theta, g0 + tot)
            if w is None:
                mmeans, mvars = self._split_bn(bn, 0), self._split_bn(bn, tot)
        outs, acts, moments = [], [], []
        for l in range(self.L):
            z = tf.linalg.matmul(Ws[l], h) + bs[l]
            if l < self.L - 1:
                a = self.act.tf(z)
                acts.append(a)
                if use_bn:
                    if w is not None:  # training mode: (masked) batch moments, biased variance (tf.nn.moments)
                        nval = tf.reduce_sum(w)
                        mean = tf.reduce_sum(a * w, axis=2, keepdims=True) / nval
                        var = tf.reduce_sum(tf.square(a - tf.stop_gradient(mean)) * w, axis=2, keepdims=True) / nval
                        moments.append((mean, var))
                    else:
                        mean, var = mmeans[l], mvars[l]
                    inv = tf.math.rsqrt(var + models.BN_EPSILON) * gammas[l]
                    h = a * inv + (betas[l] - mean * inv)
                else:
                    h = a
            else:
                h = z
            outs.append(h)
        if extras:
            return outs, acts, moments
        return outs

    # -- compiled programs -------------------------------------------------------------
    def _forward_all(self, theta, XP, bn=None):
        """Activity of every layer on the probe, sample-major: tuple of (R, N, d)."""
        tf = self.tf
        R = tf.shape(theta)[0]
        h0 = tf.broadcast_to(XP[None], tf.stack([R, *XP.shape]))
        outs = self._forward(theta, h0, bn)
        outs[-1] = tf.nn.softmax(outs[-1], axis=1)
        return tuple(tf.transpose(o, [0, 2, 1]) for o in outs)

    def _probe(self, theta, bn, XP, XE, YE):
        """End-of-epoch max |activation| and dead-unit fraction per layer (R, L), eval loss/acc (R,).

        A hidden unit is dead when its activation (before batch norm) is exactly 0 on every
        probe sample; the read-out's entry is NaN.
        """
        tf = self.tf
        R = tf.shape(theta)[0]
        outs, acts, _ = self._forward(theta, tf.broadcast_to(XP[None], tf.stack([R, *XP.shape])), bn, extras=True)
        maxabs = [tf.reduce_max(tf.abs(o), axis=[1, 2]) for o in outs[:-1]]
        maxabs.append(tf.reduce_max(tf.nn.softmax(outs[-1], axis=1), axis=[1, 2]))
        dead = [tf.reduce_mean(tf.cast(tf.reduce_all(tf.equal(a, 0.0), axis=2), tf.float32), axis=1) for a in acts]
        dead.append(tf.fill(tf.stack([R]), np.float32(np.nan)))
        if self.eval_in_probe is not None:
            a, b = self.eval_in_probe
            logits = outs[-1][:, :, a:b]
        else:
            logits = self._forward(theta, tf.broadcast_to(XE[None], tf.stack([R, *XE.shape])), bn)[-1]
        logp = tf.nn.log_softmax(logits, axis=1)
        loss = -tf.reduce_mean(tf.reduce_sum(YE[None] * logp, axis=1), axis=1)
        acc = tf.reduce_mean(
            tf.cast(tf.equal(tf.argmax(logits, axis=1), tf.argmax(YE, axis=0)[None]), tf.float32), axis=1
        )
        return tf.stack(maxabs, axis=1), tf.stack(dead, axis=1), loss, acc

    def _apply_max_norm(self, theta, mn):
        """``keras.constraints.MaxNorm`` on each hidden kernel with per-replica bounds ``mn`` (R,);
        replicas with an infinite bound are left unchanged."""
        tf = self.tf
        R = tf.shape(theta)[0]
        on = tf.math.is_finite(mn)[:, None]
        bound = tf.where(on, mn[:, None], 0.0)
        pieces = []
        for l in range(self.L - 1):
            out, inn = self.kshapes[l]
            W = tf.reshape(theta[:, self.offs[l] : self.offs[l + 1]], tf.stack([R, out, inn]))
            norms = tf.sqrt(tf.reduce_sum(tf.square(W), axis=2))  # (R, out): each unit's incoming weights
            desired = tf.clip_by_value(norms, 0.0, bound)
            scale = tf.where(on, desired / (models.MAX_NORM_EPSILON + norms), 1.0)
            pieces.append(tf.reshape(W * scale[:, :, None], tf.stack([R, out * inn])))
        out = tf.concat(pieces + [theta[:, self.offs[self.L - 1] :]], axis=1)
        out.set_shape(theta.shape)
        return out

    def _chunk(self, theta, m, v, t, bn, seeds_u32, mn, e0, k, n_epochs, XT, YT, XP, XE, YE):
        """Run ``k`` (<= MAX_CHUNK) epochs starting at global epoch ``e0``."""
        tf = self.tf
        R = tf.shape(theta)[0]
        N, B, nb, L = self.n_train, self.B, self.nb, self.L
        kind = tf.constant(self.kind)
        lr = tf.constant(self.lr, tf.float32)
        b1 = tf.constant(models.ADAM_BETA_1, tf.float32)
        b2 = tf.constant(models.ADAM_BETA_2, tf.float32)
        pos = tf.range(B)
        f32 = tf.float32
        use_bn = getattr(self, "batch_norm", False)
        mom = models.BN_MOMENTUM

        def bufs():
            return [tf.TensorArray(f32, size=MAX_CHUNK, element_shape=s) for s in
                    [(None,), (None,), (None,), (None,), (None, L), (None, L), (None, L), (None, L), (None, L)]]

        def epoch_body(j, theta, m, v, t, bn, tas):
            perm = _tf_batch_order(seeds_u32, e0 + j, N)  # (R, N)

            def step(i, theta, m, v, t, bn, g0, S, Q, lsum, csum):
                p = i * B + pos
                valid = p < N
                idx = tf.gather(perm, tf.minimum(p, N - 1), axis=1)  # (R, B)
                xb = tf.transpose(tf.gather(XT, idx, axis=1), [1, 0, 2])  # (R, d, B)
                yb = tf.transpose(tf.gather(YT, idx, axis=1), [1, 0, 2])  # (R, C, B)
                w = tf.cast(valid, f32)[None, :]
                nvalid = tf.reduce_sum(w)
                with tf.GradientTape() as tape:
                    tape.watch(theta)
                    if use_bn:
                        outs, _, moments = self._forward(theta, xb, bn, w=w[None], extras=True)
                        logits = outs[-1]
                    else:
                        logits = self._forward(theta, xb)[-1]
                    ce = -tf.reduce_sum(yb * tf.nn.log_softmax(logits, axis=1), axis=1)  # (R, B)
                    loss = tf.reduce_sum(ce * w) / nvalid
                g = tape.gradient(loss, theta)
                if use_bn:  # Keras: moving = moving * momentum + batch * (1 - momentum)
                    batch = tf.concat([tf.reshape(mo[0], tf.stack([R, -1])) for mo in moments]
                                      + [tf.reshape(mo[1], tf.stack([R, -1])) for mo in moments], axis=1)
                    new_bn = bn * mom + batch * (1.0 - mom)
                    new_bn.set_shape(bn.shape)
                    bn = new_bn
                correct = tf.cast(tf.equal(tf.argmax(logits, axis=1), tf.argmax(yb, axis=1)), f32)
                lsum = lsum + tf.reduce_sum(ce * w, axis=1)
                csum = csum + tf.reduce_sum(correct * w, axis=1)
                g0 = tf.where(tf.equal(i, 0), g, g0)
                d = g - g0
                S, Q = S + d, Q + d * d
                t = t + 1.0
                if self.optimizer == "adam":
                    alpha = lr * tf.sqrt(1.0 - tf.pow(b2, t)) / (1.0 - tf.pow(b1, t))
                    m = m + (g - m) * (1.0 - models.ADAM_BETA_1)
                    v = v + (tf.square(g) - v) * (1.0 - models.ADAM_BETA_2)
                    theta = theta - (m * alpha) / (tf.sqrt(v) + models.ADAM_EPSILON)
                else:
                    theta = theta - lr * g
                if self.max_norm:
                    theta = self._apply_max_norm(theta, mn)
                return i + 1, theta, m, v, t, bn, g0, S, Q, lsum, csum

            zP = tf.zeros_like(theta)
            zR = tf.zeros(tf.stack([R]), f32)
            _, theta, m, v, t, bn, g0, S, Q, lsum, csum = tf.while_loop(
                lambda i, *a: i < nb, step, (tf.constant(0), theta, m, v, t, bn, zP, zP, zP, zR, zR)
            )
            mean = g0 + S / nb
            var = tf.maximum(Q / nb - tf.square(S / nb), 0.0)
            gmean = tf.sqrt(tf.linalg.matmul(tf.square(mean), kind))
            gstd = tf.sqrt(tf.linalg.matmul(var, kind))
            wnorm = tf.sqrt(tf.linalg.matmul(tf.square(theta), kind))
            if self.probe_every == 1:
                maxabs, dead, eloss, eacc = self._probe(theta, bn, XP, XE, YE)
            else:
                done = e0 + j + 1
                nanRL = lambda: tf.fill(tf.stack([R, L]), np.float32(np.nan))  # noqa: E731
                nanR = lambda: tf.fill(tf.stack([R]), np.float32(np.nan))  # noqa: E731
                maxabs, dead, eloss, eacc = tf.cond(
                    tf.logical_or(tf.equal(done % self.probe_every, 0), tf.equal(done, n_epochs)),
                    lambda: self._probe(theta, bn, XP, XE, YE),
                    lambda: (nanRL(), nanRL(), nanR(), nanR()),
                )
            vals = [lsum / N, csum / N, eloss, eacc, gmean, gstd, wnorm, maxabs, dead]
            tas = [ta.write(j, x) for ta, x in zip(tas, vals)]
            return j + 1, theta, m, v, t, bn, tas

        _, theta, m, v, t, bn, tas = tf.while_loop(
            lambda j, *a: j < k, epoch_body, (tf.constant(0), theta, m, v, t, bn, bufs())
        )
        return theta, m, v, t, bn, tuple(ta.stack() for ta in tas)


_ENGINES: dict = {}


def _engine(*key):
    """A cached :class:`_Engine` (its XLA programs are reused by later calls)."""
    key = tuple(tuple(k) if isinstance(k, list) else k for k in key)
    if key not in _ENGINES:
        if len(_ENGINES) >= 8:
            _ENGINES.pop(next(iter(_ENGINES)))
        _ENGINES[key] = _Engine(*key)
    return _ENGINES[key]


# ---------------------------------------------------------------------------------
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
    mi_data: Any = "full",
    estimators: Mapping[str, Callable] | None = None,
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
    snapshot_epochs : str, list of int or :class:`ibutils.schedules.Schedule`
        ``"tishby"`` (274 log-spaced epochs of 8000), ``"saxe"``, ``"deep_bottleneck"``,
        ``"every"``, ``"delta_skip"`` (adaptive), an explicit list, or a schedule
        object (see :mod:`ibutils.schedules`).
    init : see :func:`ibutils.models.init_params`.
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
        after each hidden layer's activation, as :func:`ibutils.models.build_model`
        (``Dense(activation) -> BatchNormalization``, the Deep Bottleneck
        ``feedforward_batchnorm`` model). Training steps normalise with the moments of
        the minibatch (biased variance; the last partial minibatch over its valid
        samples), then update the moving statistics; the probe, the eval metrics and
        the MI snapshots use the moving statistics (inference mode). The measured
        output of a hidden layer is the batch-norm output (what the next layer
        receives); ``dead_fraction`` is measured on the activation before it.
    mi_data : {"full", "train", "test"} or (X, y)
        Samples whose layer activity is measured: train and eval concatenated (Shwartz-Ziv
        & Tishby), the training set, the eval set (Saxe et al.), or an explicit pair.
    estimators : mapping name -> callable, optional
        ``f(T, y) -> MIPair`` with ``T`` of shape ``(R, N, d)`` and ``y`` the MI labels
        ``(N,)``, returning ``ixt``/``ity`` arrays of shape ``(R,)`` in bits (e.g.
        ``functools.partial(ibutils.mi.binning, n_bins=30)``). Replicas that diverged
        are left out of the call and get NaN.
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
    # batch_norm is passed only when set, so engine subclasses with the older signature keep working
    engine = _engine(sizes, activation, optimizer, lr, batch_size, len(Xtr), True if has_max_norm else None, ev_in,
                     probe_every, *((True,) if batch_norm else ()))
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
                    for name, est in estimators.items():
                        ixt = np.full((n_seeds, len(acts)), np.nan)
                        ity = np.full((n_seeds, len(acts)), np.nan)
                        if ok.any():
                            for l, a in enumerate(acts):
                                ixt[ok, l], ity[ok, l] = _as_pair(est(a[ok], yp), int(ok.sum()))
                        mi_rows[name].append((cur, ixt, ity))
                        cur_mi[name] = (ixt, ity)
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


__all__ = ["train_ensemble", "TrainResult", "batch_order", "MAX_CHUNK"]
