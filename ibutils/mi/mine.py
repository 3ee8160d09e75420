"""MINE: mutual information neural estimation (Belghazi et al., ICML 2018).

A critic network ``T_theta(x, z)`` is trained by gradient ascent on the Donsker-Varadhan lower bound
(Belghazi et al. eq. 10; Landsverk 2021 eq. 3.21)

.. math::

   I(X; Z) \\ge \\hat I_\\theta = \\mathbb E_{P_{XZ}}[T_\\theta] - \\log \\mathbb E_{P_X \\otimes P_Z}[e^{T_\\theta}],

with the expectations replaced by minibatch means; samples of the product of the marginals are the
batch's ``z`` rows shuffled against its ``x`` rows (Algorithm 1). The gradient of the second term,
``E_marg[e^T grad T] / E_marg[e^T]``, is biased on a minibatch; MINE divides by a moving average of
the denominator instead (Sec. 3.2, eq. 12): ``ma <- (1 - alpha) ma + alpha mean_b e^T``, with
``alpha = 1 - ema_decay`` (the paper's 0.01 by default). Here the surrogate loss
``-(mean T_joint - mean e^{T_marg} / stop_gradient(ma))`` has exactly that gradient.

Several critics (seeds) train at once as stacked replicas (one batched matmul per layer), each with
its own initial weights, minibatches and shuffles; with ``x`` and ``z`` of shape ``(R, N, d)`` each
critic also has its own sample (one program for ``R`` independent estimates, e.g. one a sample seed).
Estimates are in bits.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

_LN2 = np.log(2.0)


@dataclass
class MineResult:
    """What :func:`mine` returns.

    Attributes
    ----------
    estimate : ndarray (R,)
        The Donsker-Varadhan bound of each critic on all ``N`` pairs (marginals: ``n_shuffles`` fixed
        shuffles of ``z``), in bits, averaged over the last ``final_fraction`` of the evaluations
        (the paper's moving-average read-out); NaN for a critic that diverged.
    curve : DataFrame
        ``seed, step, mi`` (bits): the bound on all pairs every ``eval_every`` steps.
    seeds : ndarray
    """

    estimate: np.ndarray
    curve: pd.DataFrame
    seeds: np.ndarray


def dv_bound(t_joint, t_marg):
    """Donsker-Varadhan bound in nats from critic values ``(..., n)`` on joint and marginal samples."""
    import tensorflow as tf

    n = tf.cast(tf.shape(t_marg)[-1], t_marg.dtype)
    return tf.reduce_mean(t_joint, axis=-1) - (tf.reduce_logsumexp(t_marg, axis=-1) - tf.math.log(n))


def corrected_loss(t_joint, t_marg, ma):
    """Surrogate loss whose gradient is MINE's bias-corrected one (Belghazi et al. 2018, eq. 12).

    ``-(mean t_joint - mean exp(t_marg) / ma)`` with ``ma`` held constant: its gradient is
    ``-(E[grad T_joint] - E[e^T grad T_marg] / ma)``. Shapes ``(R, B)``, ``ma`` ``(R,)``; summed
    over replicas (they are independent).
    """
    import tensorflow as tf

    ma = tf.stop_gradient(ma)
    return -tf.reduce_sum(tf.reduce_mean(t_joint, axis=1) - tf.reduce_mean(tf.exp(t_marg), axis=1) / ma)


def _critic_params(dim: int, hidden: Sequence[int], seeds) -> list:
    per = []
    for s in seeds:
        rng = np.random.default_rng(int(s))
        ps, d = [], dim
        for h in list(hidden) + [1]:
            lim = np.sqrt(6.0 / (d + h))
            ps += [rng.uniform(-lim, lim, size=(d, h)), np.zeros(h)]
            d = h
        per.append(ps)
    return [np.stack([p[i] for p in per]).astype(np.float32) for i in range(len(per[0]))]


def _critic(params, xz):
    import tensorflow as tf

    h = xz
    n = len(params) // 2
    for i in range(n):
        h = tf.matmul(h, params[2 * i]) + params[2 * i + 1][:, None, :]
        if i < n - 1:
            h = tf.nn.elu(h)
    return h[..., 0]


def _standardize(a: np.ndarray) -> np.ndarray:
    """Every column centred and scaled over the samples (axis -2: ``(N, d)``, or ``(R, N, d)`` per critic)."""
    sd = a.std(axis=-2, keepdims=True)
    return (a - a.mean(axis=-2, keepdims=True)) / np.where(sd > 0, sd, 1.0)


def _streams(seed: int, seeds, N: int, n_shuffles: int):
    """The random streams of :func:`mine` (both paths): the minibatch generator and the fixed evaluation
    shuffles ``(R, n_shuffles, N)`` of ``z``, one set per critic seed."""
    rng = np.random.default_rng([int(seed), len(seeds), 2018])
    eval_perm = np.stack([np.stack([np.random.default_rng([int(s), k, 7]).permutation(N)
                                    for k in range(int(n_shuffles))]) for s in seeds])
    return rng, eval_perm


def _minibatch(rng, R: int, N: int, B: int) -> tuple[np.ndarray, np.ndarray]:
    """One step's joint rows ``idx (R, B)`` (without replacement, per critic) and the shuffle ``perm (R, B)``
    within each batch that pairs them into marginal samples (Belghazi et al. 2018, Algorithm 1)."""
    idx = np.stack([rng.choice(N, size=B, replace=False) for _ in range(R)])
    return idx, np.argsort(rng.random((R, B)), axis=1)


def mine(x, z, *, n_seeds: int | None = None, seed: int = 0, steps: int = 1000, batch_size: int = 256, lr: float = 1e-3,
         hidden: Sequence[int] = (64, 64), ema_decay: float = 0.99, eval_every: int = 50, final_fraction: float = 0.2,
         n_shuffles: int = 1, standardize: bool = True, fused: bool = False, pad_to: tuple[int, int] | None = None) -> MineResult:
    """Estimate ``I(X; Z)`` in bits with MINE (Belghazi et al. 2018, Algorithm 1, bias-corrected gradient).

    Parameters
    ----------
    x : array (N, dx), or (R, N, dx): one sample per critic
    z : array (N, dz) or (N,) (e.g. class ids: pass a one-hot matrix for a categorical variable), or
        (R, N, dz) with a 3-d ``x``. Row ``i`` of ``x`` and of ``z`` form one joint sample.
    n_seeds, seed : critic ``r`` uses seed ``seed + r`` for its weights, minibatches and shuffles.
        ``n_seeds`` defaults to 3 critics on one sample, and to ``R`` (the only value allowed) with
        per-critic samples.
    steps : gradient steps (Adam, ``lr``).
    batch_size : joint pairs per step (at most ``N``).
    hidden : widths of the critic's ELU layers (input: ``[x, z]`` concatenated).
    ema_decay : ``1 - alpha`` of the moving average in the gradient correction (eq. 12); 0 turns
        the correction off (plain minibatch gradient of the bound).
    eval_every : steps between evaluations of the bound on all ``N`` pairs (``curve``).
    final_fraction : share of the evaluations averaged into ``estimate``.
    n_shuffles : fixed shuffles of ``z`` forming the marginal sample of an evaluation.
    standardize : centre and scale every column of ``x`` and ``z`` first (an invertible map: MI unchanged;
        per critic with per-critic samples).
    fused : run the ``eval_every`` steps between two evaluations as one XLA program (:func:`_fused_chunk`:
        the same minibatches, initial weights, corrected gradient and Adam update, written out), cached
        per process by shape, and evaluate the bound eagerly. The default (``False``) is the
        step-by-step TensorFlow graph; the two agree up to float32 rounding (``tests/mi/test_mine.py``).
    pad_to : ``(px, pz)`` with ``fused``: append zero columns to ``x`` up to ``px`` and to ``z`` up to ``pz``
        (after standardising), so tasks of different widths share one compiled program. The estimate is
        mathematically unchanged: a zero input adds nothing to the critic, its first-layer weights start at
        0 and get zero gradients (and zero Adam updates), and the initial weights of the real columns are
        drawn as without padding.

    Returns
    -------
    MineResult
    """
    import tensorflow as tf

    x = np.asarray(x, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    stacked = x.ndim == 3
    if stacked:
        if z.ndim != 3 or z.shape[:2] != x.shape[:2]:
            raise ValueError(f"x and z must both be (R, N, d) with the same R and N, got shapes {x.shape} and {z.shape}")
        if n_seeds is not None and int(n_seeds) != x.shape[0]:
            raise ValueError(f"n_seeds must equal the {x.shape[0]} per-critic samples of x, got {n_seeds!r}")
        n_seeds = x.shape[0]
    else:
        x = x[:, None] if x.ndim == 1 else x
        z = z[:, None] if z.ndim == 1 else z
        if x.ndim != 2 or z.ndim != 2 or x.shape[0] != z.shape[0]:
            raise ValueError(f"x and z must have the same number of rows, got shapes {x.shape} and {z.shape}")
        n_seeds = 3 if n_seeds is None else n_seeds
    N = x.shape[-2]
    if N < 2:
        raise ValueError(f"x needs at least 2 rows, got {N}")
    for name, v in (("n_seeds", n_seeds), ("steps", steps), ("batch_size", batch_size), ("eval_every", eval_every),
                    ("n_shuffles", n_shuffles)):
        if int(v) < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if not 0 <= ema_decay < 1:
        raise ValueError(f"ema_decay must be in [0, 1), got {ema_decay!r}")
    if not 0 < final_fraction <= 1:
        raise ValueError(f"final_fraction must be in (0, 1], got {final_fraction!r}")
    if standardize:
        x, z = _standardize(x), _standardize(z)
    seeds = np.arange(int(n_seeds)) + int(seed)
    R, B = len(seeds), min(int(batch_size), N)
    if pad_to is not None and not fused:
        raise ValueError("pad_to needs fused=True")
    if fused:
        return _mine_fused(x if stacked else np.broadcast_to(x, (R,) + x.shape),
                           z if stacked else np.broadcast_to(z, (R,) + z.shape), seeds=seeds, seed=int(seed), B=B,
                           steps=int(steps), lr=float(lr), hidden=tuple(int(h) for h in hidden), ema_decay=float(ema_decay),
                           eval_every=int(eval_every), final_fraction=float(final_fraction), n_shuffles=int(n_shuffles),
                           pad_to=pad_to, stacked=stacked)
    dx = x.shape[-1]
    params = [tf.Variable(p) for p in _critic_params(dx + z.shape[-1], hidden, seeds)]
    opt = tf.keras.optimizers.Adam(learning_rate=lr)
    X, Z = tf.constant(x, tf.float32), tf.constant(z, tf.float32)
    alpha = tf.constant(1.0 - float(ema_decay), tf.float32)
    ma = tf.Variable(tf.zeros(R), trainable=False)
    started = tf.Variable(False, trainable=False)
    rng, eval_perm = _streams(seed, seeds, N, n_shuffles)
    eval_perm = tf.constant(eval_perm)  # (R, K, N)

    def critic(xi, zi):  # xi (R, n, dx), zi (R, n, dz)
        return _critic(params, tf.concat([xi, zi], axis=2))

    @tf.function
    def step(idx, perm):  # idx (R, B) joint rows; perm (R, B) shuffle within the batch
        xb, zb = (tf.gather(X, idx, batch_dims=1), tf.gather(Z, idx, batch_dims=1)) if stacked else (
            tf.gather(X, idx), tf.gather(Z, idx))
        zm = tf.gather(zb, perm, batch_dims=1)
        with tf.GradientTape() as tape:
            tj, tm = critic(xb, zb), critic(xb, zm)
            mean_exp = tf.reduce_mean(tf.exp(tm), axis=1)
            new_ma = tf.where(started, (1.0 - alpha) * ma + alpha * tf.stop_gradient(mean_exp), tf.stop_gradient(mean_exp))
            loss = corrected_loss(tj, tm, new_ma)
        grads = tape.gradient(loss, params)
        opt.apply_gradients(zip(grads, params))
        ma.assign(new_ma)
        started.assign(True)

    @tf.function
    def evaluate():
        xr = X if stacked else tf.broadcast_to(X[None], (R, N, dx))
        tj = critic(xr, Z if stacked else tf.broadcast_to(Z[None], (R, N, Z.shape[1])))
        vals = []
        for k in range(int(n_shuffles)):
            tm = critic(xr, tf.gather(Z, eval_perm[:, k], batch_dims=1) if stacked else tf.gather(Z, eval_perm[:, k]))
            vals.append(dv_bound(tj, tm))
        return tf.reduce_mean(tf.stack(vals), axis=0) / _LN2

    rows = []
    for s in range(int(steps) + 1):
        if s % int(eval_every) == 0 or s == int(steps):
            v = evaluate().numpy()
            rows += [(int(sd), s, float(a)) for sd, a in zip(seeds, v)]
        if s < int(steps):
            idx, perm = _minibatch(rng, R, N, B)
            step(tf.constant(idx), tf.constant(perm))
    return _result(rows, seeds, final_fraction)


def _result(rows, seeds, final_fraction) -> MineResult:
    curve = pd.DataFrame(rows, columns=["seed", "step", "mi"])
    n_eval = curve.step.nunique()
    k = max(1, int(round(final_fraction * n_eval)))
    last = np.sort(curve.step.unique())[-k:]
    tail = curve[curve.step.isin(last)].groupby("seed").mi
    est = tail.mean().reindex(seeds).to_numpy()
    bad = ~tail.apply(lambda v: bool(np.all(np.isfinite(v)))).reindex(seeds).to_numpy()
    est[bad] = np.nan
    return MineResult(estimate=est, curve=curve, seeds=seeds)


_CHUNKS: dict = {}


def _fused_chunk(lr: float, alpha: float):
    """The XLA program of ``S`` MINE steps (Belghazi et al. 2018, Algorithm 1 with the eq. 12 correction) on
    stacked critics, cached per ``(lr, alpha)`` (TensorFlow compiles it once per input shape).

    ``chunk(params, m, v, ma, t, started, xb, zb, zm)``: ``xb (S, R, B, dx)``, ``zb``/``zm (S, R, B, dz)`` the
    joint and shuffled minibatches of the ``S`` steps; ``m``/``v`` Adam's moments, ``t`` its step count
    (Kingma & Ba 2015, Algorithm 1, with Keras' ``epsilon = 1e-7`` on ``sqrt(v)``); returns the new state.
    """
    key = (float(lr), float(alpha))
    if key in _CHUNKS:
        return _CHUNKS[key]
    import tensorflow as tf

    b1, b2, eps = 0.9, 0.999, 1e-7

    @tf.function(jit_compile=True)
    def chunk(params, m, v, ma, t, started, xb, zb, zm):
        def body(i, params, m, v, ma, t, started):
            with tf.GradientTape() as tape:
                tape.watch(params)
                tj = _critic(params, tf.concat([xb[i], zb[i]], axis=2))
                tm = _critic(params, tf.concat([xb[i], zm[i]], axis=2))
                mean_exp = tf.stop_gradient(tf.reduce_mean(tf.exp(tm), axis=1))
                new_ma = tf.where(started, (1.0 - alpha) * ma + alpha * mean_exp, mean_exp)
                loss = corrected_loss(tj, tm, new_ma)
            g = tape.gradient(loss, params)
            t = t + 1.0
            a = lr * tf.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t)
            m = [mi + (gi - mi) * (1.0 - b1) for mi, gi in zip(m, g)]
            v = [vi + (gi * gi - vi) * (1.0 - b2) for vi, gi in zip(v, g)]
            params = [p - a * mi / (tf.sqrt(vi) + eps) for p, mi, vi in zip(params, m, v)]
            return i + 1, params, m, v, new_ma, t, tf.constant(True)

        out = tf.while_loop(lambda i, *_: i < tf.shape(xb)[0], body, (tf.constant(0), params, m, v, ma, t, started))
        return out[1:]

    _CHUNKS[key] = chunk
    return chunk


def _mine_fused(x, z, *, seeds, seed, B, steps, lr, hidden, ema_decay, eval_every, final_fraction, n_shuffles, pad_to,
                stacked) -> MineResult:
    """:func:`mine` with ``fused=True``: ``x (R, N, dx)``, ``z (R, N, dz)`` (standardised)."""
    import tensorflow as tf

    R, N, dx = x.shape
    dz = z.shape[2]
    px, pz = (dx, dz) if pad_to is None else (int(pad_to[0]), int(pad_to[1]))
    if px < dx or pz < dz:
        raise ValueError(f"pad_to must be at least the widths ({dx}, {dz}) of x and z, got {pad_to!r}")
    init = _critic_params(dx + dz, hidden, seeds)
    w0 = np.zeros((R, px + pz, init[0].shape[2]), dtype=np.float32)
    w0[:, :dx], w0[:, px:px + dz] = init[0][:, :dx], init[0][:, dx:]
    params = [tf.constant(p) for p in [w0] + init[1:]]
    m = [tf.zeros_like(p) for p in params]
    v = [tf.zeros_like(p) for p in params]
    ma, t, started = tf.zeros(R), tf.constant(0.0), tf.constant(False)
    xp = np.zeros((R, N, px), dtype=np.float32)
    zp = np.zeros((R, N, pz), dtype=np.float32)
    xp[..., :dx], zp[..., :dz] = x, z
    rng, eval_perm = _streams(seed, seeds, N, n_shuffles)  # eval_perm (R, K, N)
    chunk = _fused_chunk(lr, 1.0 - ema_decay)
    r_ix = np.arange(R)[:, None]

    X, Z = tf.constant(x, tf.float32), tf.constant(z, tf.float32)
    perms = tf.constant(eval_perm)

    def evaluate():  # eager float32, as mine()'s evaluate(); the padded weight rows are zero and dropped
        p = [tf.concat([params[0][:, :dx], params[0][:, px:px + dz]], axis=1)] + list(params[1:])
        tj = _critic(p, tf.concat([X, Z], axis=2))
        vals = [dv_bound(tj, _critic(p, tf.concat([X, tf.gather(Z, perms[:, k], batch_dims=1)], axis=2)))
                for k in range(int(n_shuffles))]
        return (tf.reduce_mean(tf.stack(vals), axis=0) / _LN2).numpy()

    rows, s = [], 0
    while True:
        v_ = evaluate()
        rows += [(int(sd), s, float(a)) for sd, a in zip(seeds, v_)]
        if s >= steps:
            break
        S = min(eval_every, steps - s)
        idx = np.empty((S, R, B), dtype=np.int64)
        perm = np.empty((S, R, B), dtype=np.int64)
        for i in range(S):  # the minibatches of mine(): the same random stream
            idx[i], perm[i] = _minibatch(rng, R, N, B)
        xb, zb = xp[r_ix, idx], zp[r_ix, idx]  # (S, R, B, d)
        zm = np.take_along_axis(zb, perm[..., None], axis=2)
        params, m, v, ma, t, started = chunk(params, m, v, ma, t, started, tf.constant(xb), tf.constant(zb),
                                             tf.constant(zm))
        params, m, v = list(params), list(m), list(v)
        s += S
    return _result(rows, seeds, final_fraction)


def gaussian_mi(rho: float, dim: int = 1) -> float:
    """Closed-form ``I(X; Z)`` in bits of ``dim`` independent pairs with correlation ``rho``: ``-dim/2 log2(1 - rho^2)``."""
    if not -1 < rho < 1:
        raise ValueError(f"rho must be in (-1, 1), got {rho!r}")
    return float(-0.5 * dim * np.log2(1.0 - rho * rho)) + 0.0  # no "-0.0" at rho = 0


def correlated_gaussians(n: int, rho: float, dim: int = 1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` samples of ``(X, Z)`` with ``X, E ~ N(0, I_dim)`` and ``Z = rho X + sqrt(1 - rho^2) E``."""
    if not -1 < rho < 1:
        raise ValueError(f"rho must be in (-1, 1), got {rho!r}")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((int(n), int(dim)))
    z = rho * x + np.sqrt(1 - rho * rho) * rng.standard_normal((int(n), int(dim)))
    return x, z


__all__ = ["MineResult", "mine", "dv_bound", "corrected_loss", "gaussian_mi", "correlated_gaussians"]
