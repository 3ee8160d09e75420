"""The compiled engine of the ensemble trainer: one XLA program per network configuration."""
from __future__ import annotations

import numpy as np

from .. import activations
from . import models
from .order import _tf_batch_order

#: Most epochs one compiled call runs (its per-epoch buffers have this length).
MAX_CHUNK = 256
#: Decay of the running (exponential moving average) quantization ranges, tensorflow-model-optimization's
#: ``MovingAverageQuantizer`` default (Lorenzen et al. 2022 train with that toolkit).
QUANT_EMA_DECAY = 0.999
#: Keras' ``CategoricalCrossentropy`` clip of probabilities (the quantized read-out is trained on probabilities).
PROB_EPSILON = 1e-7

# ---------------------------------------------------------------------------------
# The compiled engine
# ---------------------------------------------------------------------------------
class _Engine:
    """Compiled programs for one network configuration (any replica count).

    ``max_norm`` is a flag here (truthy: the compiled update applies the constraint);
    the per-replica bounds are a tensor argument of the programs, so one engine serves
    every bound. ``batch_norm`` adds Keras ``BatchNormalization`` after each hidden
    activation (see :func:`train_ensemble`). ``quantize_bits`` (``k``) makes the network a
    quantized one (quantization-aware training, Lorenzen, Igel & Nielsen 2022): every layer's
    output and every kernel is fake-quantized to ``2**k`` levels with a straight-through
    gradient (see :meth:`_fq`); the running quantization ranges then travel in the state slot
    that batch norm uses for its moving statistics (the two are exclusive).
    """

    def __init__(self, sizes, activation, optimizer, lr, batch_size, n_train, max_norm, eval_in_probe, probe_every=1,
                 batch_norm=False, quantize_bits=None):
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
        self.quant = None if quantize_bits is None else int(quantize_bits)
        if self.quant is not None:
            if self.batch_norm:
                raise ValueError("quantize_bits: quantized training does not support batch_norm")
            if not 1 <= self.quant <= 16:
                raise ValueError(f"quantize_bits must be an integer in [1, 16] or None, got {quantize_bits!r}")
            lo, hi = self.act.output_range
            # a bounded activation is quantized on its fixed output range, any other on a running range
            self.fixed_range = (float(lo), float(hi)) if np.isfinite(lo) and np.isfinite(hi) else None
            # a running low end that can only be min(bound, 0) is not tracked (ReLU: 0; the softmax: 0)
            self.fixed_low = min(float(lo), 0.0) if np.isfinite(lo) else None
            self.calibrate = tf.function(self._calibrate, jit_compile=True, reduce_retracing=True, autograph=False)
        # autograph=False: the loops are explicit tf.while_loop / tf.cond and every Python `if` tests a Python
        # value, so there is nothing to convert; converting _chunk took about 10 s of each page's start-up
        self.chunk = tf.function(self._chunk, jit_compile=True, reduce_retracing=True, autograph=False)
        self.forward_all = tf.function(self._forward_all, jit_compile=True, reduce_retracing=True, autograph=False)

    # -- packing -------------------------------------------------------------------
    @property
    def hidden(self):
        return [b for b, _ in self.bshapes[:-1]]

    @property
    def n_bn_state(self):
        """Length of the state vector per replica: batch norm's moving statistics (means, then
        variances), or for a quantized network the running ranges (``L`` lows, then ``L`` highs)."""
        if getattr(self, "quant", None) is not None:
            return 2 * self.L
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

    # -- quantization (Lorenzen, Igel & Nielsen 2022) ----------------------------------
    def _fq(self, x, lo, hi):
        """Fake-quantize ``x`` to ``2**k`` levels on ``[lo, hi]`` with a straight-through gradient.

        The levels are ``lo + i (hi - lo) / (2**k - 1)``, ``i = 0 .. 2**k - 1`` (``x`` is clipped to
        the range, then rounded to the nearest level, ties to even); the gradient is 1 inside the
        range and 0 outside (the gradient of the clip), as ``tf.quantization.fake_quant_with_min_max_vars``.
        ``lo``/``hi`` broadcast against ``x`` (per replica) and receive no gradient. Unlike
        TensorFlow's op the range is not nudged to put 0 on a level (running ranges include 0 anyway).
        """
        tf = self.tf
        lo, hi = tf.stop_gradient(lo), tf.stop_gradient(hi)
        scale = tf.maximum((hi - lo) / float(2 ** self.quant - 1), 1e-30)
        xc = tf.clip_by_value(x, lo, hi)
        q = lo + tf.round((xc - lo) / scale) * scale
        return xc + tf.stop_gradient(q - xc)

    def _fq_kernel(self, W):
        """A kernel ``(R, out, in)`` quantized on its own per-replica range ``[min(W, 0), max(W, 0)]``
        (tensorflow-model-optimization's ``LastValueQuantizer``: the current min and max)."""
        tf = self.tf
        lo = tf.minimum(tf.reduce_min(W, axis=[1, 2], keepdims=True), 0.0)
        hi = tf.maximum(tf.reduce_max(W, axis=[1, 2], keepdims=True), 0.0)
        return self._fq(W, lo, hi)

    def _forward_q(self, theta, h, q, mode="eval"):
        """Quantized per-layer outputs ``(R, width, n)``, the last the quantized softmax, and the new ranges.

        ``q`` ``(R, 2L)`` holds each layer's running range (lows, then highs). ``mode``: ``"eval"``
        quantizes with the stored ranges; ``"train"`` first moves each running range towards the
        batch's (``range <- d range + (1 - d) batch range``, ``d`` = :data:`QUANT_EMA_DECAY`) and
        quantizes with the updated one (``MovingAverageQuantizer`` in training); ``"init"`` sets
        the ranges to the batch's. A hidden layer whose activation is bounded on both sides (tanh:
        ``[-1, 1]``) uses that fixed range instead (its entries of ``q`` are kept as they are).
        Running ranges are widened to include 0; a low end that can only be 0 (ReLU, the softmax)
        is not tracked (the same numbers, fewer reductions).
        """
        tf = self.tf
        Ws, bs = self._unpack(theta)
        L = self.L
        d = QUANT_EMA_DECAY
        outs, los, his = [], [], []
        for l in range(L):
            z = tf.linalg.matmul(self._fq_kernel(Ws[l]), h) + bs[l]
            a = self.act.tf(z) if l < L - 1 else tf.nn.softmax(z, axis=1)
            if l < L - 1 and self.fixed_range is not None:
                lo_v, hi_v = q[:, l], q[:, L + l]
                lo, hi = self.fixed_range
            else:
                if mode == "eval":
                    lo_v, hi_v = q[:, l], q[:, L + l]
                else:
                    a_sg = tf.stop_gradient(a)
                    low = self.fixed_low if l < L - 1 else 0.0
                    if low is None:
                        bmin = tf.minimum(tf.reduce_min(a_sg, axis=[1, 2]), 0.0)
                    bmax = tf.maximum(tf.reduce_max(a_sg, axis=[1, 2]), 0.0)
                    if mode == "init":
                        lo_v = tf.fill(tf.shape(bmax), low) if low is not None else bmin
                        hi_v = bmax
                    else:
                        lo_v = q[:, l] if low is not None else q[:, l] * d + bmin * (1.0 - d)
                        hi_v = q[:, L + l] * d + bmax * (1.0 - d)
                lo, hi = lo_v[:, None, None], hi_v[:, None, None]
            los.append(lo_v)
            his.append(hi_v)
            h = self._fq(a, lo, hi)
            outs.append(h)
        return outs, tf.stack(los + his, axis=1)

    def _prob_ce(self, probs, Y):
        """Keras ``CategoricalCrossentropy`` on (quantized) probabilities ``(R, C, n)``: renormalise,
        clip to ``[eps, 1 - eps]``, ``-sum y log p``; returns ``(R, n)`` in nats."""
        tf = self.tf
        p = probs / tf.maximum(tf.reduce_sum(probs, axis=1, keepdims=True), PROB_EPSILON)
        p = tf.clip_by_value(p, PROB_EPSILON, 1.0 - PROB_EPSILON)
        return -tf.reduce_sum(Y * tf.math.log(p), axis=1)

    def _calibrate(self, theta, q, XT):
        """Initial running ranges: each layer's range on the whole training set (untrained network)."""
        tf = self.tf
        R = tf.shape(theta)[0]
        _, qn = self._forward_q(theta, tf.broadcast_to(XT[None], tf.stack([R, *XT.shape])), q, mode="init")
        qn.set_shape(q.shape)
        return qn

    # -- compiled programs -------------------------------------------------------------
    def _forward_all(self, theta, XP, bn=None):
        """Activity of every layer on the probe, sample-major: tuple of (R, N, d)."""
        tf = self.tf
        R = tf.shape(theta)[0]
        h0 = tf.broadcast_to(XP[None], tf.stack([R, *XP.shape]))
        if getattr(self, "quant", None) is not None:
            return tuple(tf.transpose(o, [0, 2, 1]) for o in self._forward_q(theta, h0, bn)[0])
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
        if getattr(self, "quant", None) is not None:
            return self._probe_q(theta, bn, XP, XE, YE)
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

    def _probe_q(self, theta, q, XP, XE, YE):
        """:meth:`_probe` of a quantized network: quantized outputs, loss and accuracy from the
        quantized softmax (the network's output)."""
        tf = self.tf
        R = tf.shape(theta)[0]
        outs, _ = self._forward_q(theta, tf.broadcast_to(XP[None], tf.stack([R, *XP.shape])), q)
        maxabs = [tf.reduce_max(tf.abs(o), axis=[1, 2]) for o in outs]
        dead = [tf.reduce_mean(tf.cast(tf.reduce_all(tf.equal(o, 0.0), axis=2), tf.float32), axis=1) for o in outs[:-1]]
        dead.append(tf.fill(tf.stack([R]), np.float32(np.nan)))
        if self.eval_in_probe is not None:
            a, b = self.eval_in_probe
            probs = outs[-1][:, :, a:b]
        else:
            probs = self._forward_q(theta, tf.broadcast_to(XE[None], tf.stack([R, *XE.shape])), q)[0][-1]
        loss = tf.reduce_mean(self._prob_ce(probs, YE[None]), axis=1)
        acc = tf.reduce_mean(
            tf.cast(tf.equal(tf.argmax(probs, axis=1), tf.argmax(YE, axis=0)[None]), tf.float32), axis=1
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
        quant = getattr(self, "quant", None) is not None
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
                    if quant:  # the network's output is the quantized softmax; Keras' loss on probabilities
                        outs, q_new = self._forward_q(theta, xb, bn, mode="train")
                        logits = outs[-1]  # (quantized probabilities: argmax as for logits)
                        ce = self._prob_ce(logits, yb)
                    else:
                        if use_bn:
                            outs, _, moments = self._forward(theta, xb, bn, w=w[None], extras=True)
                            logits = outs[-1]
                        else:
                            logits = self._forward(theta, xb)[-1]
                        ce = -tf.reduce_sum(yb * tf.nn.log_softmax(logits, axis=1), axis=1)  # (R, B)
                    loss = tf.reduce_sum(ce * w) / nvalid
                g = tape.gradient(loss, theta)
                if quant:
                    q_new.set_shape(bn.shape)
                    bn = q_new
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

