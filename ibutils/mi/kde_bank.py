"""Several KDE bounds from one pass of pairwise distances (Kolchinsky & Tracey 2017; Saxe et al. 2018).

:func:`kde_multi` computes the KDE upper (KL) and lower (Bhattacharyya) bounds of Kolchinsky &
Tracey (2017, Sec. 4) on ``I(X;T)`` and ``I(T;Y)`` for *several* noise variances and both bounds
from **one** pass of pairwise squared distances (matrix products; the class sums are one more
product with the one-hot labels), in TensorFlow by default: its exponentials are multi-threaded
and vectorised on a CPU and it uses the GPU when there is one. It equals :func:`ibutils.mi.kde`
to 1e-6 bits and better (tests/mi/test_kde_bank.py). Distances are float64 by default: in
float32 the cancellation in ``|a|^2 + |b|^2 - 2ab`` costs about ``eps * |t|^2 / s^2`` in the
exponent, measured as 7.5e-4 bits at s2 = 0.1 and 0.075 bits at s2 = 1e-3 for a 1,024-unit tanh
layer (``dtype="float32"`` is kept for speed on GPUs where that error is acceptable).

:class:`KDEBank` hands the trainer one estimator per ``(variance, bound)`` that share the
distance pass through a one-entry cache; :func:`estimator_name` is the naming convention of the
MNIST pages (``"kde_upper_0.1"``). All results in bits.
"""
from __future__ import annotations

import hashlib
import threading
from typing import Sequence

import numpy as np

from ..quiet import quiet
from .base import MIPair
from .entropy import check_labels, check_layer
from .kde import BOUNDS, sq_dist_blocks

_LN2 = np.log(2.0)
#: kernel denominator factor c in exp(-D / (c s^2)): KL upper bound 2, Bhattacharyya lower bound 8
#: (the same table as :data:`ibutils.mi.kde.BOUNDS`)
BOUND_FACTORS = BOUNDS


def _tf_available() -> bool:
    try:
        with quiet(ignore_warnings="IProgress not found"):
            import tensorflow  # noqa: F401

        return True
    except ImportError:  # pragma: no cover
        return False


def _kernel_sums_np(T3, onehot, cls, scales, chunk_size):
    """ln of the all-sample and own-class kernel sums per row for every scale (NumPy)."""
    B, N, d = T3.shape
    S = len(scales)
    log_all = np.empty((S, B, N))
    log_own = np.empty((S, B, N))
    rows = np.arange(N)
    for start, stop, dist in sq_dist_blocks(T3, chunk_size):
        for s, scale in enumerate(scales):
            k = np.exp(dist * (-1.0 / scale))
            per_class = np.matmul(k, onehot).astype(np.float64)  # (B, c, K) class sums
            log_all[s, :, start:stop] = np.log(per_class.sum(axis=2))
            log_own[s, :, start:stop] = np.log(per_class[:, rows[: stop - start], cls[start:stop]])
    return log_all, log_own


def _kernel_sums_tf(T3, onehot, cls, scales, chunk_size):
    """The same computed with TensorFlow: multi-threaded and vectorised on a CPU (about 6x faster
    exponentials than NumPy's here), on the GPU when there is one."""
    import tensorflow as tf

    B, N, d = T3.shape
    T = tf.constant(T3)
    Y = tf.constant(onehot)
    sq = tf.reduce_sum(T * T, axis=2)
    log_all = np.empty((len(scales), B, N))
    log_own = np.empty((len(scales), B, N))
    for start in range(0, N, chunk_size):
        stop = min(start + chunk_size, N)
        dist = tf.maximum(sq[:, start:stop, None] + sq[:, None, :]
                          - 2.0 * tf.linalg.matmul(T[:, start:stop], T, transpose_b=True), 0.0)
        rows = Y[start:stop][None]  # (1, c, K): each row's own class
        for s, scale in enumerate(scales):
            per_class = tf.linalg.matmul(tf.exp(dist * (-1.0 / scale)), Y)  # (B, c, K)
            log_all[s, :, start:stop] = tf.math.log(tf.reduce_sum(per_class, axis=2)).numpy()
            log_own[s, :, start:stop] = tf.math.log(tf.reduce_sum(per_class * rows, axis=2)).numpy()
    return log_all, log_own


def kde_multi(T, y, *, noise_variances: Sequence[float] = (0.1,), bounds: Sequence[str] = ("upper", "lower"),
              chunk_size: int | None = None, backend: str = "auto", dtype: str = "float64") -> dict:
    """KDE bounds on ``I(X;T)`` and ``I(T;Y)`` for several noise variances from one distance pass.

    The estimator is :func:`ibutils.mi.kde` (Kolchinsky & Tracey 2017, Sec. 4; Saxe et al.
    2018): ``I(X;T) = -(1/N) sum_i log2 (1/N) sum_j exp(-||t_i - t_j||^2 / (c s^2))`` with
    ``c = 2`` (KL, upper) or ``8`` (Bhattacharyya, lower), and ``I(T;Y)`` minus the same
    bound within each class. Here the squared distances are computed once per row block
    (``|a|^2 + |b|^2 - 2 a.b`` after centring the rows, one matrix product) and reused for
    every ``(s^2, bound)``; the per-class kernel sums are one product with the one-hot labels.

    Parameters
    ----------
    T : array (N, d) or (B, N, d)
    y : array (N,) of class labels
    noise_variances : sequence of float
        The values of ``s^2``.
    bounds : sequence of {"upper", "lower"}
    chunk_size : int, optional
        Rows per block (default: about 8 M kernel entries per block).
    backend : {"auto", "numpy", "tf"}
        ``"auto"``: TensorFlow when it is installed (GPU if visible), else NumPy.
    dtype : {"float64", "float32"}
        Precision of the distances and kernels (float32: see the module docstring).

    Returns
    -------
    dict
        ``(noise_variance, bound) -> MIPair`` (floats for 2-D ``T``, arrays ``(B,)`` for 3-D).
    """
    T3, stacked = check_layer(T)
    B, N, d = T3.shape
    codes, K = check_labels(y, N)
    variances = [float(v) for v in np.atleast_1d(noise_variances)]
    if not variances or any(not np.isfinite(v) or v <= 0 for v in variances):
        raise ValueError(f"noise_variances must be positive numbers, got {noise_variances!r}")
    bounds = list(bounds)
    bad = [b for b in bounds if b not in BOUND_FACTORS]
    if bad or not bounds:
        raise ValueError(f"bounds must be a non-empty list of 'upper'/'lower', got {bounds!r}")
    if backend not in ("auto", "numpy", "tf"):
        raise ValueError(f"backend must be 'auto', 'numpy' or 'tf', got {backend!r}")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    if chunk_size is None:
        chunk_size = max(1, int(8_000_000 // max(B * N, 1)))
    elif not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if backend == "auto":
        backend = "tf" if _tf_available() else "numpy"
    order = np.argsort(codes, kind="stable")
    cls = codes[order]
    Ts = T3[:, order].astype(np.float64)
    Ts = (Ts - Ts.mean(axis=1, keepdims=True)).astype(dtype)  # centring: smaller norms, less cancellation
    onehot = np.eye(K, dtype=dtype)[cls]
    keys = [(v, b) for v in variances for b in bounds]
    scales = [BOUND_FACTORS[b] * v for v, b in keys]
    if backend == "tf":
        with quiet(ignore_warnings="IProgress not found"):
            log_all, log_own = _kernel_sums_tf(Ts, onehot, cls, scales, int(chunk_size))
    else:
        log_all, log_own = _kernel_sums_np(Ts, onehot, cls, scales, int(chunk_size))
    n_k = np.bincount(cls, minlength=K).astype(np.float64)
    out = {}
    for s, key in enumerate(keys):
        ixt = (np.log(N) - log_all[s].mean(axis=1)) / _LN2
        cond = (n_k @ np.log(np.maximum(n_k, 1.0)) - log_own[s].sum(axis=1)) / N / _LN2
        ity = ixt - cond
        out[key] = MIPair(ixt + 0.0, ity + 0.0) if stacked else MIPair(float(ixt[0]), float(ity[0]))
    return out


class KDEBank:
    """Estimators for :func:`ibutils.nets.train_ensemble` that share one distance pass.

    ``bank.estimator(v, b)`` is a callable ``f(T, y) -> MIPair``; the first estimator called
    on a layer computes every ``(variance, bound)`` of the bank with :func:`kde_multi` and
    caches them under a hash of ``(T, y)``; the others read the cache.
    """

    def __init__(self, noise_variances: Sequence[float], bounds: Sequence[str] = ("upper", "lower"),
                 backend: str = "auto", chunk_size: int | None = None):
        self.noise_variances = [float(v) for v in noise_variances]
        self.bounds = list(bounds)
        self.backend = backend
        self.chunk_size = chunk_size
        self._key = None
        self._value = None
        self._lock = threading.Lock()
        self.passes = 0  # distance passes computed (for tests)

    @staticmethod
    def _digest(T, y) -> str:
        h = hashlib.blake2b(digest_size=16)
        T = np.ascontiguousarray(T)
        h.update(str((T.shape, T.dtype.str)).encode())
        h.update(T.view(np.uint8).reshape(-1).data)
        h.update(np.ascontiguousarray(np.asarray(y)).view(np.uint8).reshape(-1).data)
        return h.hexdigest()

    def __call__(self, T, y) -> dict:
        key = self._digest(T, y)
        with self._lock:
            if key != self._key:
                self._value = kde_multi(T, y, noise_variances=self.noise_variances, bounds=self.bounds,
                                        backend=self.backend, chunk_size=self.chunk_size)
                self._key = key
                self.passes += 1
            return self._value

    def estimator(self, noise_variance: float, bound: str):
        noise_variance = float(noise_variance)
        if noise_variance not in self.noise_variances or bound not in self.bounds:
            raise ValueError(f"({noise_variance}, {bound!r}) is not in this bank")

        def f(T, y):
            return self(T, y)[(noise_variance, bound)]

        return f


def estimator_name(noise_variance: float, bound: str) -> str:
    """E.g. ``"kde_upper"`` naming convention with the variance: ``"kde_upper_0.1"``."""
    return f"kde_{bound}_{noise_variance:g}"


__all__ = ["BOUND_FACTORS", "kde_multi", "KDEBank", "estimator_name"]
