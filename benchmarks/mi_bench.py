"""Speed of ibutils.mi against the previous implementations, run in the same process (issue 23).

Run: ``python benchmarks/mi_bench.py [--quick]``. Prints measured times, ratios and whether each
target is met:

1. KDE, N = 4,096, d = 10, 10 stacked items, both bounds with I(X;T) and I(T;Y): the fused
   float32 kernel (:func:`ibutils.mi.kde_multi`, one distance pass for both bounds) against the
   float64 NumPy reference (``mi.kde(..., precision="float64")``, one call per bound, what
   ``mi.kde`` was before). Target: >= 10x.
2. KDE on an MNIST snapshot: N = 10,000, a 1,024-unit tanh layer, 4 noise variances x 2 bounds
   (:func:`ibutils.mi.kde_multi`), against the float64 single pass (``backend="numpy"``, what the
   MNIST pages used). Target: <= 10 s.
3. Binning, Shwartz-Ziv & Tishby's workload: 50 seeds x 274 snapshots x 6 layers of the
   12-10-7-5-4-3-2 net on all 4,096 inputs (seeds stacked in each call). Target: <= 20 s. Also
   one snapshot against Saxe et al.'s ``bin_calc_information2`` (void-view ``np.unique``) and
   Shwartz-Ziv & Tishby's loop over the inputs (``calc_information_from_mat``).
4. KDE of a conv-sized layer, N = 1,000, d = 36,864: seconds and the process's peak resident
   memory during the call (``VmHWM`` after resetting it), against ``N x N x d`` floats.

The fused kernel's first call for a new shape compiles an XLA program; the times below are
for a second call with the same shape (the trainer calls one shape once per snapshot), and the
compile-inclusive first call is printed beside it. ``--quick`` (for ``device_check.sh``) runs
smaller sizes of 2 and 4 and skips the float64 snapshot baseline.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from ibutils import mi
from ibutils.mi.kde import kernel_row_sums  # noqa: F401  (imported so the compile time is not an import)
from ibutils.publish.cpukind import cpu_kind

WIDTHS = [12, 10, 7, 5, 4, 3, 2]
N_BINS = 30


CPU_S = {}  # id(fn) -> CPU seconds (all threads) of the best run: under other load, wall time is not CPU time


def timeit(fn, repeat=3):
    best, cpu = np.inf, np.nan
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        wall = time.perf_counter() - t
        if wall < best:
            best, cpu = wall, time.process_time() - c
    CPU_S["last"] = cpu
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


def _peak_rss_reset():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:  # not Linux, or not allowed
        return False


def _peak_rss_mb():
    try:
        with open("/proc/self/status") as f:
            line = next(l for l in f if l.startswith("VmHWM"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        return float("nan")


def _target(quick: bool, text: str) -> str:
    """The target verdict, or a note that the targets are stated for the full sizes (not ``--quick``)."""
    return "--quick: the target is for the full size" if quick else text


def _max_diff(a: dict, b: dict) -> float:
    return max(max(float(np.max(np.abs(a[k].ixt - b[k].ixt))), float(np.max(np.abs(a[k].ity - b[k].ity)))) for k in b)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes, no float64 snapshot baseline")
    ap.add_argument("--json", metavar="PATH", help="also write the measured seconds to this JSON file")
    args = ap.parse_args(argv)
    q = args.quick
    rng = np.random.default_rng(0)
    lines = []
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"ibutils.mi benchmark, {os.cpu_count()} CPU cores ({cpu_kind()}), load average {load:.1f} at the start"
          f"{' (--quick)' if q else ''}")

    # ---- (1) KDE N = 4096, d = 10, 10 stacked items, both bounds ------------------------------
    R1, N1 = (5, 2048) if q else (10, 4096)
    T = np.tanh(rng.normal(0, 1, size=(R1, N1, 10))).astype(np.float32)
    yk = rng.choice(2, size=N1, p=[0.6, 0.4])
    bounds = ("upper", "lower")
    t = time.perf_counter()
    fused = mi.kde_multi(T, yk, noise_variances=[0.1], bounds=bounds, backend="tf")
    t_first = time.perf_counter() - t
    t_fused, fused = timeit(lambda: mi.kde_multi(T, yk, noise_variances=[0.1], bounds=bounds, backend="tf"), 2)
    c_fused = CPU_S["last"]
    t_ref, ref = timeit(lambda: {(0.1, b): mi.kde(T, yk, noise_variance=0.1, bound=b, precision="float64")
                                 for b in bounds}, 1)
    c_ref = CPU_S["last"]
    err1 = _max_diff(fused, ref)
    ratio = t_ref / t_fused
    lines.append(f"[1] KDE N={N1:,} d=10, {R1} stacked, upper+lower, I(X;T) and I(T;Y): fused {t_fused:.3f} s "
                 f"(first call incl. compile {t_first:.2f} s), float64 reference {t_ref:.3f} s: {ratio:.1f}x "
                 f"({_target(q, 'target >= 10x: ' + ('met' if ratio >= 10 else 'NOT met'))}); max |fused - float64| = {err1:.1e} bits; "
                 f"CPU seconds (all threads) {c_fused:.2f} vs {c_ref:.2f}")

    # ---- (2) MNIST snapshot N = 10,000, d = 1,024, 4 variances x 2 bounds ----------------------
    N2 = 2500 if q else 10_000
    y2 = np.repeat(np.arange(10), N2 // 10)
    spread = 0.05 * np.exp(rng.normal(0, 0.5, size=(N2, 1)))  # classes as clusters of varying tightness
    T2 = np.tanh(0.5 * (rng.normal(size=(10, 1024))[y2] + spread * rng.normal(size=(N2, 1024)))).astype(np.float32)
    variances = [1e-3, 1e-2, 0.1, 1.0]
    t = time.perf_counter()
    mi.kde_multi(T2, y2, noise_variances=variances, bounds=bounds)
    t_first2 = time.perf_counter() - t
    t_snap, snap = timeit(lambda: mi.kde_multi(T2, y2, noise_variances=variances, bounds=bounds), 1)
    c_snap = CPU_S["last"]
    t_fast, fast = timeit(lambda: mi.kde_multi(T2, y2, noise_variances=variances, bounds=bounds, dtype="float32"), 1)
    if q:
        base = "float64 baseline skipped (--quick)"
        err2 = float("nan")
    else:
        t_np, ref2 = timeit(lambda: mi.kde_multi(T2, y2, noise_variances=variances, bounds=bounds, backend="numpy"), 1)
        err2 = _max_diff(snap, ref2)
        base = f"float64 single pass (backend='numpy') {t_np:.1f} s ({t_np / t_snap:.1f}x; CPU {CPU_S['last']:.1f} s)"
    err_fast = _max_diff(fast, snap)
    lines.append(f"[2] KDE MNIST snapshot N={N2:,} d=1,024, 4 variances x 2 bounds: fused {t_snap:.2f} s (first call "
                 f"{t_first2:.2f} s; CPU {c_snap:.1f} s; {_target(q, 'target <= 10 s: ' + ('met' if t_snap <= 10 else 'NOT met'))}); "
                 f"{base}; "
                 f"max |fused - float64| = {err2:.1e} bits")
    lines.append(f"    the same with float32 matrix-product distances (dtype='float32'): {t_fast:.2f} s, "
                 f"max |float32 distances - fused default| = {err_fast:.1e} bits (why the default is not float32)")

    # ---- (3) binning: one snapshot vs the original algorithms, then the whole workload --------
    X, layers = activities(rng)
    y = rng.integers(0, 2, size=4096)
    t_ours, res = timeit(lambda: [mi.binning(T, y, n_bins=N_BINS, value_range=(-1, 1)) for T in layers], 5)
    t_saxe, refb = timeit(lambda: [saxe_style(T, y) for T in layers], 3)
    t_tish, refb2 = timeit(lambda: [tishby_style(X, T, y) for T in layers], 1)
    errb = max(max(abs(a.ixt - b[0]), abs(a.ity - b[1]), abs(a.ixt - c[0]), abs(a.ity - c[1]))
               for a, b, c in zip(res, refb, refb2))
    n_seeds, n_epochs = (10, 274) if q else (50, 274)
    pools = activities(rng, n_items=n_seeds)[1]  # (n_seeds, 4096, d) per layer
    shifted = [[np.clip(p + np.float32(0.01 * e), -1, 1) for e in range(4)] for p in pools]
    t0, c0 = time.perf_counter(), time.process_time()
    for e in range(n_epochs):  # loop over snapshots and layers, seeds stacked in each call
        for k in range(6):
            mi.binning(shifted[k][e % 4], y, n_bins=N_BINS, value_range=(-1, 1))
    t_work, c_work = time.perf_counter() - t0, time.process_time() - c0
    lines.append(f"[3] binning workload {n_seeds} seeds x {n_epochs} snapshots x 6 layers (seeds stacked, "
                 f"{n_epochs * 6} calls): {t_work:.1f} s (CPU {c_work:.1f} s; "
                 f"{_target(q, 'target <= 20 s: ' + ('met' if t_work <= 20 else 'NOT met'))}); "
                 f"one snapshot {t_ours * 1e3:.1f} ms vs Saxe et al. {t_saxe * 1e3:.1f} ms ({t_saxe / t_ours:.1f}x) "
                 f"vs Shwartz-Ziv & Tishby {t_tish * 1e3:.0f} ms ({t_tish / t_ours:.0f}x); max difference {errb:.1e} bits")

    # ---- (4) conv-sized layer: memory bounded ----------------------------------------------------
    N4, d4 = (500, 36_864) if q else (1000, 36_864)
    T4 = np.maximum(rng.normal(size=(N4, d4)), 0).astype(np.float32)  # ReLU-like conv activity
    y4 = rng.integers(0, 10, N4)
    mi.kde_multi(T4[:, :64], y4, noise_variances=[0.1], bounds=bounds)  # TensorFlow warm
    base_mb = T4.nbytes / 2**20
    ok = _peak_rss_reset()
    t = time.perf_counter()
    mi.kde_multi(T4, y4, noise_variances=[0.1, 1.0], bounds=bounds)
    t4 = time.perf_counter() - t
    peak = _peak_rss_mb()
    lines.append(f"[4] KDE N={N4:,} d={d4:,} (2 variances x 2 bounds): {t4:.2f} s incl. compile, peak resident memory "
                 f"{peak:,.0f} MB{'' if ok else ' (process peak, not reset)'} (the input alone: {base_mb:,.0f} MB; "
                 f"an N x N x d array would be {N4 * N4 * d4 * 4 / 2**30:,.0f} GB)")
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"kde_stacked_fused_s": t_fused, "kde_stacked_float64_s": t_ref, "kde_snapshot_fused_s": t_snap,
                       "kde_snapshot_float32_distances_s": t_fast, "binning_workload_s": t_work, "kde_conv_s": t4}, f)


if __name__ == "__main__":
    main()
