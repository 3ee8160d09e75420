"""Speed of ibutils.mi against the original algorithms, re-implemented here and run in the same process.

Run: ``python benchmarks/mi_bench.py``. Prints a table of measured times, ratios and
whether each target is met. Baselines:

* Saxe et al.'s ``bin_calc_information2`` approach (artemyk/ibsgd): ``np.unique`` over a
  void view of the binned rows, once for T and once per class.
* Shwartz-Ziv & Tishby's approach (ravidziv/IDNNs): ``H(T|X)`` by a loop over the distinct
  inputs ``x`` computing ``p(t|x)``, and ``H(T|Y)`` over the classes.
* a bare numpy KDE: broadcast pairwise differences ``(N, N, d)``, then ``scipy.special.logsumexp``.
"""
from __future__ import annotations

import time
import tracemalloc

import numpy as np
from scipy.special import logsumexp

from ibutils import mi

WIDTHS = [12, 10, 7, 5, 4, 3, 2]
N_BINS = 30


def timeit(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def activities(rng, n_items=1, scale=2.0):
    """Activity of the 12-10-7-5-4-3-2 tanh net (softmax output) on all 4,096 binary inputs."""
    x = ((np.arange(4096)[:, None] >> np.arange(12)) & 1).astype(np.float64)
    layers = [[] for _ in WIDTHS[1:]]
    for _ in range(n_items):
        h = x
        for k, (a, b) in enumerate(zip(WIDTHS[:-1], WIDTHS[1:])):
            z = h @ rng.normal(0, scale / np.sqrt(a), size=(a, b))
            if k == len(WIDTHS) - 2:
                z = np.exp(z - z.max(1, keepdims=True))
                h = z / z.sum(1, keepdims=True)
            else:
                h = np.tanh(z)
            layers[k].append(h.astype(np.float32))
    return x, [np.stack(l) if n_items > 1 else l[0] for l in layers]


def _codes(T):
    return np.clip(np.floor((T.astype(np.float64) + 1) / (2.0 / N_BINS)), 0, N_BINS - 1).astype(np.int64)


def _unique_probs(a):
    v = np.ascontiguousarray(a).view(np.dtype((np.void, a.dtype.itemsize * a.shape[1])))
    _, inv, counts = np.unique(v, return_inverse=True, return_counts=True)
    return counts / counts.sum(), inv.ravel()


def saxe_style(T, y):
    """bin_calc_information2: void-view unique of the binned rows; H(T|Y) per class."""
    d = _codes(T)
    def h(a):
        p, _ = _unique_probs(a)
        return -np.sum(p * np.log2(p))
    ht = h(d)
    hty = sum((y == k).mean() * h(d[y == k]) for k in np.unique(y))
    return ht, ht - hty


def tishby_style(X, T, y):
    """IDNNs calc_information_from_mat: loops over distinct x for H(T|X), over y for H(T|Y)."""
    d = _codes(T)
    p_ts, _ = _unique_probs(d)
    ht = -np.sum(p_ts * np.log2(p_ts))
    p_xs, inv_x = _unique_probs(X)
    htx = 0.0
    for xv in range(len(p_xs)):
        p, _ = _unique_probs(d[inv_x == xv])
        htx += -p_xs[xv] * np.sum(p * np.log2(p))
    hty = 0.0
    for k in np.unique(y):
        p, _ = _unique_probs(d[y == k])
        hty += -(y == k).mean() * np.sum(p * np.log2(p))
    return ht - htx, ht - hty


def kde_reference(T, y, var, bound):
    c = 2.0 if bound == "upper" else 8.0
    def neg_mean_lse(x):
        dist = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
        return np.log(len(x)) - logsumexp(-dist / (c * var), axis=1).mean()
    hx = neg_mean_lse(T)
    hy = sum((y == k).mean() * neg_mean_lse(T[y == k]) for k in np.unique(y))
    return hx / np.log(2), (hx - hy) / np.log(2)


def main():
    rng = np.random.default_rng(0)
    rows = []

    def row(name, ours, base, target):
        ratio = base / ours
        rows.append((name, ours, base, ratio, target, ratio >= target))

    # ---- (1) binning on every layer of the 12-10-7-5-4-3-2 net --------------------------
    X, layers = activities(rng)
    y = rng.integers(0, 2, size=4096)
    t_ours, res = timeit(lambda: [mi.binning(T, y, n_bins=N_BINS, value_range=(-1, 1)) for T in layers], 5)
    t_saxe, ref = timeit(lambda: [saxe_style(T, y) for T in layers], 3)
    t_tish, ref2 = timeit(lambda: [tishby_style(X, T, y) for T in layers], 1)
    err = max(max(abs(a.ixt - b[0]), abs(a.ity - b[1]), abs(a.ixt - c[0]), abs(a.ity - c[1]))
              for a, b, c in zip(res, ref, ref2))
    row("binning 6 layers vs Saxe (void unique)", t_ours, t_saxe, 3)
    row("binning 6 layers vs Tishby (loop over x)", t_ours, t_tish, 100)

    # whole workload: 50 seeds x 274 epochs x 6 layers, seeds stacked in each call
    n_seeds, n_epochs = 50, 274
    pools = activities(rng, n_items=n_seeds)[1]  # (50, 4096, d) per layer
    shifted = [[np.clip(p + np.float32(0.01 * e), -1, 1) for e in range(4)] for p in pools]
    t0 = time.perf_counter()
    for e in range(n_epochs):
        for k in range(6):
            mi.binning(shifted[k][e % 4], y, n_bins=N_BINS, value_range=(-1, 1))
    t_work = time.perf_counter() - t0

    # ---- (2) KDE N = 4096, d = 10 --------------------------------------------------------
    T = np.tanh(rng.normal(0, 1, size=(4096, 10)))
    yk = rng.integers(0, 2, size=4096)
    kde_err = 0.0
    for bound in ("upper", "lower"):
        t_k, r = timeit(lambda: mi.kde(T, yk, noise_variance=1e-1, bound=bound), 2)
        t_r, rr = timeit(lambda: kde_reference(T, yk, 1e-1, bound), 1)
        kde_err = max(kde_err, abs(r.ixt - rr[0]), abs(r.ity - rr[1]))
        row(f"kde {bound} N=4096 d=10 vs numpy broadcast", t_k, t_r, 2)
    T10 = np.tanh(rng.normal(0, 1, size=(10_000, 10)))
    y10 = rng.integers(0, 2, size=10_000)
    tracemalloc.start()
    t0 = time.perf_counter()
    mi.kde(T10, y10, noise_variance=1e-3)
    t_10k = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()

    print(f"{'benchmark':46s} {'ours s':>9s} {'baseline s':>11s} {'ratio':>8s} {'target':>7s}  met")
    for name, o, b, r, tgt, ok in rows:
        print(f"{name:46s} {o:9.4f} {b:11.4f} {r:7.1f}x {tgt:6d}x  {'yes' if ok else 'NO'}")
    print(f"max |ours - baselines| binning: {err:.2e} bits; kde: {kde_err:.2e} bits (target 1e-6: "
          f"{'yes' if kde_err < 1e-6 else 'NO'})")
    print(f"whole workload {n_seeds} seeds x {n_epochs} epochs x 6 layers (seeds stacked, "
          f"{n_epochs * 6} calls): {t_work:.1f} s (target <= 20 s: {'yes' if t_work <= 20 else 'NO'})")
    print(f"kde N=10,000 d=10 upper: {t_10k:.2f} s, peak traced memory {peak:.0f} MB "
          f"(target: a few hundred MB: {'yes' if peak <= 500 else 'NO'})")


if __name__ == "__main__":
    main()
