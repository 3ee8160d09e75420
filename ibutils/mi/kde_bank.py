"""Several KDE bounds from one pass of pairwise distances (Kolchinsky & Tracey 2017; Saxe et al. 2018).

:func:`kde_multi` computes the KDE upper (KL) and lower (Bhattacharyya) bounds of Kolchinsky &
Tracey (2017, Sec. 4) on ``I(X;T)`` and ``I(T;Y)`` for *several* noise variances and both bounds
from **one** pass of pairwise squared distances, with the fused float32 TensorFlow/XLA kernel of
:func:`ibutils.mi.kde.kernel_row_sums` by default (distances once per row block, every
``(s^2, bound)`` from them, the class sums as one product with the one-hot labels; on the GPU
when there is one). It equals the float64 reference :func:`ibutils.mi.kde` (``precision="float64"``)
to 1e-5 bits and better (tests/mi/test_kde_bank.py); ``backend="numpy"`` runs a float64 NumPy
version of the same single pass (also the fallback without TensorFlow).

:class:`KDEBank` hands the trainer one estimator per ``(variance, bound)`` that share the
distance pass through a one-entry cache; :func:`estimator_name` is the naming convention of the
MNIST pages (``"kde_upper_0.1"``). All results in bits.
"""
from __future__ import annotations

import hashlib
import threading
from typing import Sequence

import numpy as np

from ..blas import blas_threads
from .base import MIPair
from .entropy import check_labels, check_layer
from .kde import BOUNDS, kernel_row_sums, mi_from_log_sums, sq_dist_blocks, tf_available, use_fused

_LN2 = np.log(2.0)
#: kernel denominator factor c in exp(-D / (c s^2)): KL upper bound 2, Bhattacharyya lower bound 8
#: (the same table as :data:`ibutils.mi.kde.BOUNDS`)
BOUND_FACTORS = BOUNDS


def _tf_available() -> bool:
    """Whether TensorFlow imports (:func:`ibutils.mi.kde.tf_available`)."""
    return tf_available()


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


def kde_multi(T, y, *, noise_variances: Sequence[float] = (0.1,), bounds: Sequence[str] = ("upper", "lower"),
              chunk_size: int | None = None, backend: str = "auto", dtype: str | None = None) -> dict:
    """KDE bounds on ``I(X;T)`` and ``I(T;Y)`` for several noise variances from one distance pass.

    The estimator is :func:`ibutils.mi.kde` (Kolchinsky & Tracey 2017, Sec. 4; Saxe et al.
    2018): ``I(X;T) = -(1/N) sum_i log2 (1/N) sum_j exp(-||t_i - t_j||^2 / (c s^2))`` with
    ``c = 2`` (KL, upper) or ``8`` (Bhattacharyya, lower), and ``I(T;Y)`` minus the same
    bound within each class. Here the squared distances are computed once per row block and
    reused for every ``(s^2, bound)``; the per-class kernel sums are one product with the
    one-hot labels.

    Parameters
    ----------
    T : array (N, d) or (B, N, d)
    y : array (N,) of class labels
    noise_variances : sequence of float
        The values of ``s^2``.
    bounds : sequence of {"upper", "lower"}
    chunk_size : int, optional
        Rows per block (default: about 16 M kernel entries per block fused, 8 M in NumPy).
    backend : {"auto", "numpy", "tf"}
        ``"auto"``/``"tf"``: the fused TensorFlow/XLA kernel (:func:`ibutils.mi.kde.kernel_row_sums`,
        GPU if visible) when TensorFlow is installed, else NumPy; ``"numpy"``: float64 NumPy.
    dtype : {None, "float32", "float64"}
        ``None``: the fused kernel with distances accurate to 1e-5 in the exponent, from
        :data:`ibutils.mi.kde.FUSED_MIN_ENTRIES` kernel entries on (below, the float64 NumPy
        pass; ``backend="tf"`` always fuses); ``"float32"``: fused with float32 matrix-product
        distances (fastest); ``"float64"``: the float64 NumPy pass.

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
    if dtype not in (None, "float32", "float64"):
        raise ValueError(f"dtype must be None, 'float32' or 'float64', got {dtype!r}")
    if chunk_size is not None and (not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1):
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    keys = [(v, b) for v in variances for b in bounds]
    scales = [BOUND_FACTORS[b] * v for v, b in keys]
    fused = backend == "tf" or dtype == "float32" or use_fused("auto", B * N * N * len(scales))
    if backend != "numpy" and dtype != "float64" and fused and _tf_available():
        log_all, log_own = kernel_row_sums(T3, codes, K, scales, distances="float32" if dtype == "float32" else "auto",
                                           chunk_size=None if chunk_size is None else int(chunk_size))
    else:
        order = np.argsort(codes, kind="stable")
        inv = np.argsort(order, kind="stable")
        cls = codes[order]
        Ts = T3[:, order].astype(np.float64)
        Ts = Ts - Ts.mean(axis=1, keepdims=True)  # centring: smaller norms, less cancellation
        onehot = np.eye(K)[cls]
        rows = int(chunk_size) if chunk_size is not None else max(1, int(8_000_000 // max(B * N, 1)))
        with blas_threads(1):  # identical bits however many CPUs the process may use (ibutils.blas)
            log_all, log_own = _kernel_sums_np(Ts, onehot, cls, scales, rows)
        log_all, log_own = log_all[:, :, inv], log_own[:, :, inv]
    out = {}
    for s, key in enumerate(keys):
        ixt, ity = mi_from_log_sums(log_all[s], log_own[s], codes, K)
        out[key] = MIPair(ixt, ity) if stacked else MIPair(float(ixt[0]), float(ity[0]))
    return out


class KDEBank:
    """Estimators for :func:`ibutils.nets.train_ensemble` that share one distance pass.

    ``bank.estimator(v, b)`` is a callable ``f(T, y) -> MIPair``; the first estimator called
    on a layer computes every ``(variance, bound)`` of the bank with :func:`kde_multi` and
    caches them under a hash of ``(T, y)``; the others read the cache.
    """

    def __init__(self, noise_variances: Sequence[float], bounds: Sequence[str] = ("upper", "lower"),
                 backend: str = "auto", chunk_size: int | None = None, dtype: str | None = None):
        self.noise_variances = [float(v) for v in noise_variances]
        self.bounds = list(bounds)
        self.backend = backend
        self.chunk_size = chunk_size
        self.dtype = dtype
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
                                        backend=self.backend, chunk_size=self.chunk_size, dtype=self.dtype)
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
