"""The compiled engine of the ensemble trainer: one XLA program per network configuration."""
from __future__ import annotations

import numpy as np

from .. import activations
from . import models
from .order import _tf_batch_order

#: Most epochs one compiled call runs (its per-epoch buffers have this length).
MAX_CHUNK = 256




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

