"""Speed of the stacked-replica ensemble trainer (ibutils.nets.train_ensemble).

One run prints everything, with ratios against baselines measured in the same process:

1. Keras ``model.fit`` on one 12-10-7-5-4-3-2 tanh network (4096 random 12-bit
   patterns, batch 256, Adam lr 4e-4): ms per epoch.
2. A plain stacked-replica XLA loop (the obvious version: one jit-compiled
   ``tf.function`` per epoch, ``(R, B, in) @ (R, in, out)`` batched matmuls, argsort
   permutations, Keras-style Adam on 12 variables), 50 replicas: ms per replica-epoch.
3. ``train_ensemble`` with 50 replicas on the same data: ms per replica-epoch, with
   per-epoch logging on an 819-sample eval set (``mi_data="test"``) and with the full
   protocol (``mi_data="full"``: eval metrics and max |activation| on all samples
   every epoch). Target: >= 80x faster per replica-epoch than (1).
4. The full Shwartz-Ziv & Tishby setting: 50 seeds x 8000 epochs, 3277/819 split,
   30-bin MI of all 6 layers on all 4096 samples at the 274 "tishby" snapshot epochs.
   Target: <= 4 minutes. ``--quick`` runs 500 epochs and extrapolates.

Usage: ``python benchmarks/train_bench.py [--quick] [--epochs N] [--seeds R]``
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402

SIZES = [12, 10, 7, 5, 4, 3, 2]
LAYERS = SIZES[1:-1]
MACS = sum(a * b for a, b in zip(SIZES[:-1], SIZES[1:]))  # 263 multiply-adds per sample forward


def data(n=4096, seed=0):
    """All 4096 binary 12-bit patterns with a fixed pseudo-random rule label."""
    X = ((np.arange(n)[:, None] >> np.arange(12)[None]) & 1).astype(np.float32)
    rng = np.random.default_rng(seed)
    w = rng.normal(size=12)
    y = (X @ w > np.median(X @ w)).astype(np.int64)
    return X, y


def keras_fit(X, y, epochs=20):
    from ibutils.nets import models

    m = models.build_model(12, LAYERS, 2, activation="tanh", init="width", lr=4e-4, seed=0)
    Y = np.eye(2, dtype=np.float32)[y]
    m.fit(X, Y, batch_size=256, epochs=2, verbose=0)  # warm-up (tracing)
    t = time.perf_counter()
    m.fit(X, Y, batch_size=256, epochs=epochs, verbose=0)
    return (time.perf_counter() - t) / epochs * 1e3


def plain_xla(X, y, R=50, epochs=30):
    """The obvious stacked-replica version, for comparison."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    Ws = [tf.Variable(rng.normal(0, 1 / np.sqrt(b), (R, a, b)).astype(np.float32)) for a, b in zip(SIZES[:-1], SIZES[1:])]
    bs = [tf.Variable(np.zeros((R, 1, b), np.float32)) for b in SIZES[1:]]
    var = Ws + bs
    ms = [tf.Variable(tf.zeros_like(v)) for v in var]
    vs = [tf.Variable(tf.zeros_like(v)) for v in var]
    it = tf.Variable(0.0)
    Xt, Yt = tf.constant(X), tf.constant(np.eye(2, dtype=np.float32)[y])
    N, B = len(X), 256

    @tf.function(jit_compile=True)
    def epoch(e):
        perm = tf.argsort(tf.random.stateless_uniform((R, N), seed=tf.stack([e, 0])), axis=1)
        for i in range(N // B):
            idx = perm[:, i * B : (i + 1) * B]
            xb, yb = tf.gather(Xt, idx), tf.gather(Yt, idx)
            with tf.GradientTape() as tape:
                h = xb
                for k, (W, b) in enumerate(zip(Ws, bs)):
                    z = tf.linalg.matmul(h, W) + b
                    h = tf.tanh(z) if k < len(Ws) - 1 else z
                loss = -tf.reduce_sum(yb * tf.nn.log_softmax(h, axis=2)) / B
            gs = tape.gradient(loss, var)
            it.assign_add(1.0)
            a = 4e-4 * tf.sqrt(1 - tf.pow(0.999, it)) / (1 - tf.pow(0.9, it))
            for v, m, s, g in zip(var, ms, vs, gs):
                m.assign_add((g - m) * 0.1)
                s.assign_add((g * g - s) * 0.001)
                v.assign_sub(a * m / (tf.sqrt(s) + 1e-7))
        return loss

    epoch(tf.constant(0)).numpy()
    t = time.perf_counter()
    for e in range(1, epochs + 1):
        epoch(tf.constant(e))
    epoch(tf.constant(0)).numpy()
    return (time.perf_counter() - t) / (epochs + 1) / R * 1e3


def ensemble(X, y, Xe, ye, R, epochs, mi_data, estimators=None, schedule=(), probe_every=1):
    from ibutils.nets import train_ensemble

    return train_ensemble(
        X, y, Xe, ye, layers=LAYERS, activation="tanh", n_seeds=R, epochs=epochs, batch_size=256, lr=4e-4,
        optimizer="adam", seed=0, init="width", snapshot_epochs=schedule, mi_data=mi_data,
        estimators=estimators or {}, progress=False, probe_every=probe_every,
    )


def binning_estimator():
    try:
        from ibutils.mi import binning

        return lambda T, y: binning(T, y, n_bins=30, value_range=(-1, 1))
    except ImportError:  # pragma: no cover - before ibutils.mi.binning landed
        from ibutils.mi.entropy import pattern_entropy

        def est(T, y):
            codes = np.clip(np.floor((T + 1) / 2 * 30), 0, 29).astype(np.int64)
            hx = np.array([pattern_entropy(c) for c in codes])
            hc = np.array([sum((y == k).mean() * pattern_entropy(c[y == k]) for k in np.unique(y)) for c in codes])
            return hx, hx - hc

        return est


def cpu_peak_gflops():
    """Theoretical FP32 peak: cores x 2 AVX-512 FMA units x 16 lanes x 2 flops x clock."""
    mhz = None
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("cpu MHz"):
                mhz = float(line.split(":")[1])
                break
    except OSError:
        pass
    flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    lanes = 16 if "avx512f" in flags else 8
    cores = os.cpu_count() or 1
    return cores * 2 * lanes * 2 * (mhz or 2000.0) / 1e3, cores, mhz, lanes


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="run 500 epochs of the full setting and extrapolate")
    ap.add_argument("--epochs", type=int, default=8000)
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--probe-every", type=int, default=1,
                    help="per-epoch probe (eval metrics, max |activation|) every N epochs in [4]")
    args = ap.parse_args(argv)
    import tensorflow as tf  # noqa: F401

    from ibutils.nets.schedules import snapshot_epochs

    X, y = data()
    print(f"machine: {os.cpu_count()} CPUs; TensorFlow {tf.__version__}")

    # (1) Keras
    k_ms = keras_fit(X, y)
    print(f"[1] keras model.fit, 1 network, 4096 samples, batch 256: {k_ms:8.2f} ms/epoch")
    # (2) plain XLA loop
    p_ms = plain_xla(X, y)
    print(f"[2] plain stacked XLA loop, 50 replicas:               {p_ms:8.3f} ms/replica-epoch  "
          f"({k_ms / p_ms:5.1f}x keras)")
    # (3) train_ensemble
    R, E3 = 50, 300
    Xe, ye = X[:819], y[:819]
    ensemble(X, y, Xe, ye, R, 1, "test")  # compile outside the timing
    r = ensemble(X, y, Xe, ye, R, E3, "test")
    e_ms = r.timing["train"] / (R * E3) * 1e3
    print(f"[3] train_ensemble, 50 replicas, eval-set logging:      {e_ms:8.3f} ms/replica-epoch  "
          f"({k_ms / e_ms:5.1f}x keras, {p_ms / e_ms:4.1f}x plain XLA)  target >= 80x: "
          f"{'met' if k_ms / e_ms >= 80 else 'NOT met'}")
    ensemble(X, y, Xe, ye, R, 1, "full")
    r = ensemble(X, y, Xe, ye, R, E3, "full")
    f_ms = r.timing["train"] / (R * E3) * 1e3
    print(f"    train_ensemble, full protocol (probe all samples):  {f_ms:8.3f} ms/replica-epoch  "
          f"({k_ms / f_ms:5.1f}x keras)")

    # (4) the full Shwartz-Ziv & Tishby setting
    E = 500 if args.quick else args.epochs
    R = args.seeds
    rng = np.random.default_rng(1)
    perm = rng.permutation(len(X))
    tr, te = perm[:3277], perm[3277:]
    sched = snapshot_epochs("tishby", args.epochs)
    sched_run = sched[sched <= E]
    est = {"binning30": binning_estimator()}
    t0 = time.perf_counter()
    ensemble(X[tr], y[tr], X[te], y[te], R, 1, "full", probe_every=args.probe_every)  # warm the compile cache
    res = ensemble(X[tr], y[tr], X[te], y[te], R, E, "full", est, sched_run, probe_every=args.probe_every)
    wall = time.perf_counter() - t0
    tm = res.timing
    scale_t = args.epochs / E
    scale_mi = len(sched) / max(len(sched_run), 1)
    train_s = tm["train"] * scale_t
    mi_s = (tm["mi"] + tm["forward"]) * scale_mi
    other = tm["total"] - sum(tm[k] for k in ("compile", "train", "mi", "forward"))
    total = tm["compile"] + train_s + mi_s + (wall - tm["total"]) + other
    flops = R * args.epochs * 2 * MACS * (3 * len(tr) + (len(tr) + len(te)) / args.probe_every)  # fwd+2 bwd matmuls + per-epoch probe
    flops += R * len(sched) * 2 * MACS * 4096
    peak, cores, mhz, lanes = cpu_peak_gflops()
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tag = f"(measured {E} epochs, {len(sched_run)} snapshots; extrapolated)" if E != args.epochs else "(measured)"
    print(f"[4] Shwartz-Ziv & Tishby setting: {R} seeds x {args.epochs} epochs, {len(sched)} snapshots, "
          f"6 layers, 30 bins, 4096 MI samples, probe every {args.probe_every} epoch(s) {tag}")
    print(f"    compile {tm['compile']:6.1f} s | training {train_s:6.1f} s | snapshot forward + MI {mi_s:6.1f} s "
          f"(MI alone {tm['mi'] * scale_mi:5.1f} s) | total {total:6.1f} s  target <= 240 s: "
          f"{'met' if total <= 240 else 'NOT met'}")
    print(f"    peak memory (max RSS of this process): {maxrss_mb:.0f} MB")
    gf = flops / train_s / 1e9
    print(f"    arithmetic: {flops / 1e12:.2f} TFLOP (matmuls); {gf:.1f} GFLOP/s during training = "
          f"{100 * gf / peak:.1f}% of a {peak:.0f} GFLOP/s FP32 peak ({cores} cores x 2 FMA x {lanes} lanes"
          f" @ {mhz or 0:.0f} MHz)")
    final = res.metrics.query("split == 'eval' and epoch == @E").accuracy
    print(f"    sanity: mean eval accuracy after {E} epochs {final.mean():.3f}; dropped seeds {res.dropped_seeds}")


if __name__ == "__main__":
    main()
