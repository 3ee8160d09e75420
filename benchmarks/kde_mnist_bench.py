"""Speed of the MNIST KDE (ibutils.mi.kde_bank.kde_multi) against ibutils.mi.kde, same process.

Run: ``python benchmarks/kde_mnist_bench.py [N] [R]`` (defaults N=2000 MI samples, R=3 replicas).
One *snapshot* of Saxe et al.'s MNIST network is the activity of its five layers
(1024, 20, 20, 20 tanh units and the 10-unit softmax) on N test images for R replicas; the
chapter measures the KDE upper and lower bounds at s2 = 0.1 (5 settings) and, on the
noise-variance page, both bounds at four variances. Prints seconds per snapshot for

* ``ibutils.mi.kde(..., precision="float64")``, one call per (variance, bound), the float64 NumPy reference;
* ``kde_multi`` with NumPy (float64) and with the fused float32 TensorFlow/XLA kernel (GPU when there
  is one), one distance pass per layer for every (variance, bound);

and the largest difference from the reference in bits (the fused kernel's target is 1e-4; tests hold 1e-5).
"""
from __future__ import annotations

import sys
import time

import numpy as np

from ibutils.mi import kde
from ibutils.mi.kde_bank import kde_multi

WIDTHS = [1024, 20, 20, 20, 10]


def snapshot(rng, N, R):
    y = np.repeat(np.arange(10), N // 10)
    layers = [np.tanh(rng.normal(size=(R, len(y), d)) * 0.5).astype(np.float32) for d in WIDTHS]
    return layers, y


def run(N=2000, R=3):
    rng = np.random.default_rng(0)
    layers, y = snapshot(rng, N, R)
    kde_multi(layers[1][:, :50], y[:50], backend="tf")  # warm up TensorFlow
    print(f"N = {len(y)} MI samples, R = {R} replicas, layers {WIDTHS}")
    print(f"{'case':<34}{'kde (s)':>10}{'multi np (s)':>14}{'multi tf (s)':>14}{'max diff (bits)':>17}")
    for variances, bounds in [([0.1], ["upper", "lower"]), ([1e-3, 1e-2, 0.1, 1.0], ["upper", "lower"])]:
        t = time.perf_counter()
        ref = [{(v, b): kde(T, y, noise_variance=v, bound=b, precision="float64") for v in variances for b in bounds}
               for T in layers]
        t_ref = time.perf_counter() - t
        times, diff = {}, 0.0
        for backend in ("numpy", "tf"):
            t = time.perf_counter()
            out = [kde_multi(T, y, noise_variances=variances, bounds=bounds, backend=backend) for T in layers]
            times[backend] = time.perf_counter() - t
            for r, o in zip(ref, out):
                for k in r:
                    diff = max(diff, float(np.max(np.abs(r[k].ixt - o[k].ixt))),
                               float(np.max(np.abs(r[k].ity - o[k].ity))))
        name = f"{len(variances)} variance(s) x {len(bounds)} bounds"
        print(f"{name:<34}{t_ref:>10.2f}{times['numpy']:>14.2f}{times['tf']:>14.2f}{diff:>17.1e}")
    big = layers[0][:1]
    t = time.perf_counter()
    kde(big, y, noise_variance=0.1, precision="float64")
    print(f"one 1024-unit layer, one replica, one bound (ibutils.mi.kde): {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    run(*args)
