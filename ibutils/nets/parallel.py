"""The parallel-network protocol of the gradient SNR (the CNN/SG study, 2019, Sec. 2.3.3).

The CNN and stochastic-gradient study reads Shwartz-Ziv & Tishby's (2017) gradient plot as coming from "a
series of neural networks [trained] in parallel with identical architecture on different minibatches of
the training data. Each neural network has one minibatch, and only that minibatch to train on." With
``theta^{lbt}`` the parameters of layer ``l`` of the network trained on minibatch ``b`` at step ``t`` and
``g^{lbt}`` the gradient of that network's loss on its own minibatch,

    mu^{lt} = || mean_b g^{lbt} ||,   sigma^{lt} = || std_b g^{lbt} ||,   SNR^{lt} = mu^{lt} / sigma^{lt}

(Euclidean norms over the layer's weights and biases together, the standard deviation over the ``B``
networks, per parameter, population form). This is not minibatch SGD: each network does full-batch
descent on its one minibatch.

:func:`train_parallel` runs the ``B`` networks of every seed as replicas of one stacked program: the
``S x B`` networks share no parameters; the networks of one seed start from the same initial weights
(the seed's, :func:`ibutils.nets.models.init_params`) and differ only in their minibatch, the minibatches
of a seed being a seeded permutation of the training set cut into ``floor(N / batch_size)`` pieces (the
remainder is left out). Adam's moments are elementwise, so one Adam over the stacked variables is an
independent Adam per network (all networks step together); it is written out here (Kingma & Ba's
Algorithm 1 with Keras' defaults) so that the whole loop between two recorded steps compiles to one XLA program.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd

OPTIMIZERS = ("adam", "sgd")


def fixed_minibatches(n: int, batch_size: int, seed: int) -> np.ndarray:
    """Indices ``(B, batch_size)`` of the fixed minibatches of one seed: a permutation of ``range(n)``
    (``numpy.random.default_rng([seed, 2])``) cut into ``B = n // batch_size`` pieces; the rest is left out."""
    n, m = int(n), int(batch_size)
    if m < 1 or m > n:
        raise ValueError(f"batch_size must be in 1..{n} (the training set's size), got {batch_size!r}")
    perm = np.random.default_rng([int(seed), 2]).permutation(n)
    B = n // m
    return perm[:B * m].reshape(B, m)


def log_steps(steps: int, k: int) -> np.ndarray:
    """About ``k`` log-spaced steps in ``1..steps`` (distinct integers, ``steps`` included)."""
    if int(steps) < 1:
        raise ValueError(f"steps must be >= 1, got {steps!r}")
    return np.unique(np.round(np.logspace(0, np.log10(int(steps)), int(k))).astype(np.int64))


@dataclass
class ParallelResult:
    """Tables of :func:`train_parallel`.

    ``grads``: ``seed, step, layer, grad_mean, grad_std, snr`` (layers 1..L, L the read-out; the gradient
    at ``step`` is the one that step applies). ``loss``: ``seed, step, loss, loss_all`` (mean over the seed's
    networks of each network's cross-entropy on its own minibatch, its training set, and on the whole
    training set, after ``step`` updates; step 0 is the start). ``mi``: ``seed, step, layer, ixt, ity`` (the
    estimator on each network's activity on ``X_probe``, then the mean over the seed's networks), empty without
    an estimator.
    """

    grads: pd.DataFrame
    loss: pd.DataFrame
    mi: pd.DataFrame
    n_parallel: int
    batch_size: int


def train_parallel(X, y, *, layers: Sequence[int], activation: str = "tanh", batch_size: int = 256,
                   seeds: Sequence[int] = (0,), steps: int = 8000, lr: float = 4e-4, optimizer: str = "adam",
                   init: str = "width", record_steps: Sequence[int] | None = None,
                   snapshot_steps: Sequence[int] = (), X_probe=None, y_probe=None,
                   estimator: Callable | None = None) -> ParallelResult:
    """Train, per seed, one network per fixed minibatch and record the gradient statistics across them.

    Parameters
    ----------
    X, y : training inputs ``(N, d)`` and class ids ``(N,)``.
    layers, activation : hidden widths and their activation (:mod:`ibutils.activations`); a softmax
        read-out with one unit per class.
    batch_size : size of each fixed minibatch (``B = N // batch_size`` networks per seed).
    seeds : the seeds (initial weights and minibatches).
    steps : updates of every network (each one a full-batch step on its minibatch).
    lr, optimizer : ``"adam"`` (Adam with Keras' default betas and epsilon) or ``"sgd"`` (plain gradient descent), the learning rate.
    init : initial weights, :func:`ibutils.nets.models.init_params`.
    record_steps : steps whose gradients and training loss are recorded (default: every step).
    snapshot_steps : steps (0 = before training) at which ``estimator(T, y_probe)`` is measured on each
        layer's activity on ``X_probe`` (``T`` of shape ``(S*B, N_probe, w)``; it returns an ``MIPair`` of
        arrays ``(S*B,)``, :mod:`ibutils.mi.base`).

    Returns
    -------
    ParallelResult
    """
    from .. import activations
    from ..quiet import quiet
    from . import models

    with quiet():
        import tensorflow as tf

    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    X = np.asarray(X, np.float32)
    y = np.asarray(y, np.int64)
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError(f"X must be (N, d) with one label per row, got {X.shape} and {y.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X holds NaN or infinite values")
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    steps = int(steps)
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps!r}")
    act = activations.get(activation)
    n_classes = max(int(y.max()) + 1, 2)
    batches = [fixed_minibatches(len(X), batch_size, s) for s in seeds]
    S, B, m = len(seeds), batches[0].shape[0], batches[0].shape[1]
    idx = np.concatenate(batches)  # (S * B, m): replica r = seed r // B, minibatch r % B
    Xb = tf.constant(X[idx])
    Yb = tf.constant(np.eye(n_classes, dtype=np.float32)[y[idx]])
    Xall = tf.constant(X)
    Yall = tf.constant(np.eye(n_classes, dtype=np.float32)[y])
    params = [models.init_params(X.shape[1], list(layers), n_classes, init=init, seed=s) for s in seeds]
    ws = []
    for k in range(len(params[0])):  # loop over layers: stack each seed's (kernel, bias) B times
        ws.append(tf.Variable(np.repeat(np.stack([p[k][0] for p in params]), B, axis=0).astype(np.float32)))
        ws.append(tf.Variable(np.repeat(np.stack([p[k][1] for p in params]), B, axis=0).astype(np.float32)))
    # Adam (Kingma & Ba 2015, Algorithm 1; Keras' defaults beta1 0.9, beta2 0.999, epsilon 1e-7), elementwise,
    # hence one independent Adam per network; or plain gradient descent
    ms = [tf.Variable(tf.zeros_like(w)) for w in ws]
    vs = [tf.Variable(tf.zeros_like(w)) for w in ws]
    it = tf.Variable(0.0)
    lr_t, b1, b2, eps = tf.constant(float(lr)), 0.9, 0.999, 1e-7
    L = len(ws) // 2

    def forward(x, keep=False):  # x: (R, n, d) or (n, d) shared by every replica
        h, outs = x, []
        for i in range(L):
            eq = "rni,rio->rno" if len(h.shape) == 3 else "ni,rio->rno"
            z = tf.einsum(eq, h, ws[2 * i]) + ws[2 * i + 1][:, None, :]
            h = act.tf(z) if i < L - 1 else z
            if keep:
                outs.append(tf.nn.softmax(h, axis=-1) if i == L - 1 else h)
        return h, outs

    def per_replica_loss(logits, Y):
        return -tf.reduce_mean(tf.reduce_sum(Y * tf.nn.log_softmax(logits, axis=-1), axis=-1), axis=-1)  # (R,)

    @tf.function(jit_compile=True)
    def update():
        with tf.GradientTape() as tape:
            logits, _ = forward(Xb)
            loss = tf.reduce_sum(per_replica_loss(logits, Yb))  # replicas share no parameters
        g = tape.gradient(loss, ws)
        if optimizer == "sgd":
            for w, gi in zip(ws, g):
                w.assign_sub(lr_t * gi)
            return g
        it.assign_add(1.0)
        a = lr_t * tf.sqrt(1.0 - b2 ** it) / (1.0 - b1 ** it)
        for w, gi, m1, m2 in zip(ws, g, ms, vs):
            m1.assign(b1 * m1 + (1.0 - b1) * gi)
            m2.assign(b2 * m2 + (1.0 - b2) * tf.square(gi))
            w.assign_sub(a * m1 / (tf.sqrt(m2) + eps))
        return g

    @tf.function  # the loop count varies: XLA would compile once per count, so only the update is compiled
    def advance(k):
        """``k`` updates; the statistics of the last one's gradients: mu and sigma across the B networks of
        each seed, weights and biases together, ``(S, L)`` each."""
        for _ in tf.range(k - 1):
            update()
        g = update()
        mus, sds = [], []
        for i in range(L):
            gl = tf.concat([tf.reshape(g[2 * i], (S, B, -1)), tf.reshape(g[2 * i + 1], (S, B, -1))], axis=-1)
            mus.append(tf.norm(tf.reduce_mean(gl, axis=1), axis=-1))
            sds.append(tf.norm(tf.math.reduce_std(gl, axis=1), axis=-1))
        return tf.stack(mus, 1), tf.stack(sds, 1)

    @tf.function(jit_compile=True)
    def losses():
        """Mean over each seed's networks of the loss on its own minibatch and on the whole training set, (S,) each."""
        own = per_replica_loss(forward(Xb)[0], Yb)
        every = per_replica_loss(forward(Xall)[0], Yall[None])
        return tf.reduce_mean(tf.reshape(own, (S, B)), axis=1), tf.reduce_mean(tf.reshape(every, (S, B)), axis=1)

    def loss_rows(t):
        own, every = losses()
        l_rows.append(pd.DataFrame({"seed": seeds_arr, "step": t, "loss": own.numpy(), "loss_all": every.numpy()}))

    rec = set(range(1, steps + 1)) if record_steps is None else {int(s) for s in record_steps if 1 <= int(s) <= steps}
    snaps = sorted({int(s) for s in snapshot_steps if 0 <= int(s) <= steps})
    if snaps and (estimator is None or X_probe is None or y_probe is None):
        raise ValueError("snapshot_steps need an estimator, X_probe and y_probe")
    Xp = None if X_probe is None else tf.constant(np.asarray(X_probe, np.float32))
    g_rows, l_rows, mi_rows = [], [], []
    seeds_arr = np.asarray(seeds)

    def snapshot(t):
        _, outs = forward(Xp, keep=True)
        for layer, T in enumerate(outs, start=1):  # loop over layers
            res = estimator(T.numpy(), y_probe)
            ixt = np.asarray(res.ixt, float).reshape(S, B).mean(1)
            ity = np.asarray(res.ity, float).reshape(S, B).mean(1)
            mi_rows.append(pd.DataFrame({"seed": seeds_arr, "step": t, "layer": layer, "ixt": ixt, "ity": ity}))

    loss_rows(0)
    if 0 in snaps:
        snapshot(0)
    stops = sorted(rec | set(snaps) | {steps})
    done = 0
    for t in stops:  # loop over the steps where something is recorded; the updates between run compiled
        if t == 0:
            continue
        mu, sd = advance(tf.constant(t - done, tf.int32))
        done = t
        if t in rec:
            mu, sd = mu.numpy(), sd.numpy()
            for layer in range(L):
                g_rows.append(pd.DataFrame({"seed": seeds_arr, "step": t, "layer": layer + 1, "grad_mean": mu[:, layer],
                                            "grad_std": sd[:, layer]}))
            loss_rows(t)
        if t in snaps:
            snapshot(t)
    grads = pd.concat(g_rows, ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        grads["snr"] = grads.grad_mean / grads.grad_std
    mi = pd.concat(mi_rows, ignore_index=True) if mi_rows else pd.DataFrame(columns=["seed", "step", "layer", "ixt", "ity"])
    return ParallelResult(grads=grads, loss=pd.concat(l_rows, ignore_index=True), mi=mi, n_parallel=B, batch_size=m)


__all__ = ["fixed_minibatches", "log_steps", "ParallelResult", "train_parallel"]
