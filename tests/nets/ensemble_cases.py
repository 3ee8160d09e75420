"""Shared pieces of the trainer tests: a small 12-bit toy task and the replica-vs-lone-network check."""
import numpy as np
import pandas as pd

LAYERS = [10, 7, 5, 4, 3]


def toy_data(n=200, n_eval=50, seed=0):
    """``n`` training and ``n_eval`` evaluation rows of random 12-bit patterns with a fixed rule."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 2, (n + n_eval, 12)).astype(np.float32)
    y = ((X[:, :6].sum(1) + 0.5 * X[:, 6]) > X[:, 6:].sum(1)).astype(np.int64)
    return X[:n], y[:n], X[n:], y[n:]


def assert_replica_matches(ens, one, r, seed):
    """Replica ``r`` of ensemble ``ens`` has the weights and metrics of the lone network ``one``
    (trained alone with ``seed``)."""
    for (We, be), (W1, b1) in zip(ens.weights, one.weights):
        np.testing.assert_allclose(We[r], W1[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(be[r], b1[0], rtol=1e-5, atol=1e-6)
    m1 = one.metrics.drop(columns="seed").reset_index(drop=True)
    me = ens.metrics[ens.metrics.seed == seed].drop(columns="seed").reset_index(drop=True)
    pd.testing.assert_frame_equal(me, m1, rtol=1e-5, atol=1e-6)
