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
its own initial weights, minibatches and shuffles. Estimates are in bits.
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
    sd = a.std(axis=0)
    return (a - a.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def mine(x, z, *, n_seeds: int = 3, seed: int = 0, steps: int = 1000, batch_size: int = 256, lr: float = 1e-3,
         hidden: Sequence[int] = (64, 64), ema_decay: float = 0.99, eval_every: int = 50, final_fraction: float = 0.2,
         n_shuffles: int = 1, standardize: bool = True) -> MineResult:
    """Estimate ``I(X; Z)`` in bits with MINE (Belghazi et al. 2018, Algorithm 1, bias-corrected gradient).

    Parameters
    ----------
    x : array (N, dx)
    z : array (N, dz) or (N,) (e.g. class ids: pass a one-hot matrix for a categorical variable)
        Row ``i`` of ``x`` and of ``z`` form one joint sample.
    n_seeds, seed : critic ``r`` uses seed ``seed + r`` for its weights, minibatches and shuffles.
    steps : gradient steps (Adam, ``lr``).
    batch_size : joint pairs per step (at most ``N``).
    hidden : widths of the critic's ELU layers (input: ``[x, z]`` concatenated).
    ema_decay : ``1 - alpha`` of the moving average in the gradient correction (eq. 12); 0 turns
        the correction off (plain minibatch gradient of the bound).
    eval_every : steps between evaluations of the bound on all ``N`` pairs (``curve``).
    final_fraction : share of the evaluations averaged into ``estimate``.
    n_shuffles : fixed shuffles of ``z`` forming the marginal sample of an evaluation.
    standardize : centre and scale every column of ``x`` and ``z`` first (an invertible map: MI unchanged).

    Returns
    -------
    MineResult
    """
    import tensorflow as tf

    x = np.asarray(x, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    z = z[:, None] if z.ndim == 1 else z
    if x.ndim != 2 or z.ndim != 2 or x.shape[0] != z.shape[0]:
        raise ValueError(f"x and z must have the same number of rows, got shapes {x.shape} and {z.shape}")
    N = x.shape[0]
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
    dx = x.shape[1]
    params = [tf.Variable(p) for p in _critic_params(dx + z.shape[1], hidden, seeds)]
    opt = tf.keras.optimizers.Adam(learning_rate=lr)
    X, Z = tf.constant(x, tf.float32), tf.constant(z, tf.float32)
    alpha = tf.constant(1.0 - float(ema_decay), tf.float32)
    ma = tf.Variable(tf.zeros(R), trainable=False)
    started = tf.Variable(False, trainable=False)
    rng = np.random.default_rng([int(seed), R, 2018])
    eval_perm = tf.constant(np.stack([np.stack([np.random.default_rng([int(s), k, 7]).permutation(N)
                                                for k in range(int(n_shuffles))]) for s in seeds]))  # (R, K, N)

    def critic(xi, zi):  # xi (R, n, dx), zi (R, n, dz)
        return _critic(params, tf.concat([xi, zi], axis=2))

    @tf.function
    def step(idx, perm):  # idx (R, B) joint rows; perm (R, B) shuffle within the batch
        xb, zb = tf.gather(X, idx), tf.gather(Z, idx)
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
        xr = tf.broadcast_to(X[None], (R, N, dx))
        tj = critic(xr, tf.broadcast_to(Z[None], (R, N, Z.shape[1])))
        vals = []
        for k in range(int(n_shuffles)):
            tm = critic(xr, tf.gather(Z, eval_perm[:, k]))
            vals.append(dv_bound(tj, tm))
        return tf.reduce_mean(tf.stack(vals), axis=0) / _LN2

    rows = []
    for s in range(int(steps) + 1):
        if s % int(eval_every) == 0 or s == int(steps):
            v = evaluate().numpy()
            rows += [(int(sd), s, float(a)) for sd, a in zip(seeds, v)]
        if s < int(steps):
            idx = np.stack([rng.choice(N, size=B, replace=False) for _ in range(R)])
            perm = np.argsort(rng.random((R, B)), axis=1)
            step(tf.constant(idx), tf.constant(perm))
    curve = pd.DataFrame(rows, columns=["seed", "step", "mi"])
    n_eval = curve.step.nunique()
    k = max(1, int(round(final_fraction * n_eval)))
    last = np.sort(curve.step.unique())[-k:]
    tail = curve[curve.step.isin(last)].groupby("seed").mi
    est = tail.mean().reindex(seeds).to_numpy()
    bad = ~tail.apply(lambda v: bool(np.all(np.isfinite(v)))).reindex(seeds).to_numpy()
    est[bad] = np.nan
    return MineResult(estimate=est, curve=curve, seeds=seeds)


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
