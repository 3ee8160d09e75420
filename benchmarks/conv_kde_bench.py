"""Speed of the wide-layer KDE (ibutils.mi.kde_wide) against the existing KDE path, same process.

Run: ``python benchmarks/conv_kde_bench.py [N ...]`` (default: N = 1000 4000).
One *snapshot* of seed 003's CNN (Keras ``mnist_cnn`` without dropout, untrained, seed 0) is the
activity of its six layers on N MNIST test images: conv-32 (21,632 units), conv-64 (36,864), max-pool
(9,216), flatten (9,216), dense-128 and the softmax. Both KDE bounds at s2 = 0.0735 (the study's value)
are computed for every layer, by the **concat** method (one estimate of the flattened layer) with

* ``kde_wide``: :func:`ibutils.mi.kde_wide.pairwise_sq_dists` (float32 Gram products in row and feature
  blocks, never ``N x N x d``) and :func:`ibutils.mi.kde_wide.kde_from_dists` (both bounds from one
  distance matrix);
* the baseline ``kde_multi``: :func:`ibutils.mi.kde_multi` (the existing path, ``precision="auto"``:
  the fused TensorFlow/XLA kernel with float64 distances where float32 would lose more than 1e-5 in the
  exponent, i.e. for these wide layers),

and the **mean** method (one estimate per channel of layers 0-3, :func:`ibutils.mi.kde_channels`).
Prints CPU and wall seconds per snapshot, the ratio baseline / kde_wide and the largest difference in
bits between the two concat results. Let it run alone (it uses every core it gets).
"""
from __future__ import annotations

import sys
import time

import numpy as np

from ibutils.mi import kde_multi
from ibutils.mi.kde_wide import kde_channels, kde_from_dists, pairwise_sq_dists

S2 = 0.0735


def snapshot(N: int):
    """The six layers of the untrained CNN on ``N`` stratified MNIST test images, and their labels."""
    from ibutils.data import load_mnist
    from ibutils.nets import conv

    ds = load_mnist(scale="unit", source="auto")
    rng = np.random.default_rng(0)
    idx = np.sort(rng.choice(len(ds.y_test), N, replace=False))
    model = conv.build("mnist_cnn", seed=0)
    X = ds.X_test[idx].reshape(-1, 28, 28, 1)
    outs = [model(X[i:i + 250], training=False) for i in range(0, N, 250)]
    layers = [np.concatenate([np.asarray(o[k]) for o in outs]) for k in range(6)]
    return layers, ds.y_test[idx]


def timed(f):
    c, w = time.process_time(), time.perf_counter()
    out = f()
    return out, time.process_time() - c, time.perf_counter() - w


def run(N: int) -> None:
    layers, y = snapshot(N)
    print(f"N = {N}: layers {[int(np.prod(a.shape[1:])) for a in layers]} units, both bounds at s2 = {S2}")
    new, c_new, w_new = timed(lambda: [kde_from_dists(pairwise_sq_dists(a), y, noise_variances=[S2]) for a in layers])
    old, c_old, w_old = timed(lambda: [kde_multi(a.reshape(N, -1), y, noise_variances=[S2]) for a in layers])
    diff = max(abs(getattr(n[(S2, b)], q) - getattr(o[(S2, b)], q))
               for n, o in zip(new, old) for b in ("upper", "lower") for q in ("ixt", "ity"))
    _, c_mean, w_mean = timed(lambda: [kde_channels(a, y, noise_variances=[S2]) for a in layers[:3]])
    print(f"  {'concat, kde_wide':<28}{c_new:>9.1f} CPU-s{w_new:>9.1f} wall-s")
    print(f"  {'concat, kde_multi (baseline)':<28}{c_old:>9.1f} CPU-s{w_old:>9.1f} wall-s   "
          f"ratio {c_old / c_new:.1f}x CPU, {w_old / w_new:.1f}x wall; max diff {diff:.2e} bits")
    print(f"  {'mean (channels of 0-2)':<28}{c_mean:>9.1f} CPU-s{w_mean:>9.1f} wall-s")


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 4000]
    for n in sizes:
        run(n)
