"""Speed of quantized training (``train_ensemble(..., quantize_bits=k)``) against the float trainer.

Lorenzen, Igel & Nielsen (ICLR 2022) train the 12-10-7-5-4-3-2 network quantization-aware.
Both trainers here run in the same process on the same data (4096 random 12-bit patterns,
80/20 split, batch 256, Adam lr 1e-4, MI probe on all 4096 samples every epoch, no MI
estimators): ms per replica-epoch of the compiled training loop (``timing["train"]``, compile
time excluded), for tanh and ReLU at 4 and 8 bits. Target: the quantized trainer within 2x of
the float trainer per replica-epoch ("met" / "not met").

Usage: ``python benchmarks/quantized_bench.py [--epochs N] [--seeds R]``
"""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402

LAYERS = [10, 7, 5, 4, 3]
TARGET = 2.0


def data(n=4096, seed=0):
    """All 4096 binary 12-bit patterns with a fixed pseudo-random rule label, split 80/20."""
    X = ((np.arange(n)[:, None] >> np.arange(12)[None]) & 1).astype(np.float32)
    rng = np.random.default_rng(seed)
    y = (X @ rng.normal(size=12) > 0).astype(np.int64)
    idx = rng.permutation(n)
    tr, te = idx[: int(0.8 * n)], idx[int(0.8 * n):]
    return X[tr], y[tr], X[te], y[te]


def per_replica_epoch(activation, bits, epochs, seeds, Xtr, ytr, Xte, yte):
    """ms per replica-epoch of the compiled training loop (best of two runs)."""
    from ibutils.nets import train_ensemble
    from ibutils.quiet import quiet

    best = np.inf
    for _ in range(2):
        with quiet():
            r = train_ensemble(Xtr, ytr, Xte, yte, layers=LAYERS, activation=activation, n_seeds=seeds, epochs=epochs,
                               batch_size=256, lr=1e-4, snapshot_epochs=[], quantize_bits=bits, progress=False)
        best = min(best, r.timing["train"])
    return best / (epochs * seeds) * 1e3


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--seeds", type=int, default=20)
    a = ap.parse_args(argv)
    Xtr, ytr, Xte, yte = data()
    print(f"{a.seeds} replicas x {a.epochs} epochs, 3277/819 split, batch 256; ms per replica-epoch (train loop)")
    ok = True
    for act in ("tanh", "relu"):
        base = per_replica_epoch(act, None, a.epochs, a.seeds, Xtr, ytr, Xte, yte)
        print(f"{act:5s} float     {base:8.3f} ms")
        for bits in (8, 4):
            t = per_replica_epoch(act, bits, a.epochs, a.seeds, Xtr, ytr, Xte, yte)
            ratio = t / base
            ok &= ratio <= TARGET
            print(f"{act:5s} {bits}-bit     {t:8.3f} ms   ratio {ratio:5.2f}x  (target <= {TARGET:g}x: "
                  f"{'met' if ratio <= TARGET else 'not met'})")
    print(f"overall: {'met' if ok else 'not met'}")


if __name__ == "__main__":
    main()
