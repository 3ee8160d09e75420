"""Minibatch order: a keyed Feistel permutation, the NumPy twin and the one compiled into the trainer.

Replica ``r`` with seed ``s_r`` visits the samples of epoch ``e`` in the order of a 4-round Feistel
network on 32-bit hashes of ``(s_r, e)`` with cycle walking, computed inside XLA without a sort.
"""
from __future__ import annotations

import numpy as np

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



__all__ = ["batch_order"]
