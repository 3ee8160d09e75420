"""Kolchinsky & Tracey pairwise-distance bounds on MI, as used by Saxe et al. (2018).

Gaussian noise ``Z ~ N(0, s^2 I)`` is added to the layer for the analysis, so ``T + Z``
is a mixture of ``N`` Gaussians centred on the rows ``t_i``. Kolchinsky & Tracey (Entropy
2017, Sec. 4; Nonlinear IB 2017, eq. 10) bound its entropy with pairwise distances:

.. math::

   \\hat H_{KL} = \\tfrac d2 + \\tfrac d2 \\ln(2\\pi s^2)
       - \\frac1N \\sum_i \\ln \\frac1N \\sum_j e^{-\\lVert t_i-t_j\\rVert^2 / (2 s^2)}
   \\quad\\text{(upper)}, \\qquad
   \\hat H_{BD} = \\hat H_{KL}(4 s^2) + \\tfrac d2 \\ln\\tfrac14 \\quad\\text{(lower)}.

These are artemyk/ibsgd's ``entropy_estimator_kl`` / ``entropy_estimator_bd``. With
``H(T+Z | X) = (d/2)(\\ln(2\\pi s^2) + 1)`` (``kde_condentropy``) every constant
cancels (for the lower bound ``(d/2) ln(2 pi 4 s^2) + (d/2) ln(1/4) = (d/2) ln(2 pi s^2)``):

.. math::

   I(X; T) = -\\frac1N \\sum_i \\log_2 \\frac1N \\sum_j e^{-\\lVert t_i-t_j\\rVert^2/(c\\, s^2)},
   \\qquad c = 2 \\text{ (upper)},\\ 8 \\text{ (lower)},

and ``I(T;Y) = H(T) - sum_y p(y) H(T | Y=y)`` with the same bound inside each class
(ibsgd's ``hM_given_Y``).

Two implementations compute the same row sums ``S_i = sum_j K_ij`` (all ``j``) and
``S_i^own = sum_{j: y_j = y_i} K_ij``:

* the **fused kernel** (:func:`kernel_row_sums`; the default from :data:`FUSED_MIN_ENTRIES`
  kernel entries on, where it pays for compiling a program for a new shape): one compiled float32
  TensorFlow/XLA program per row block computes the squared distances once, the kernels of
  every ``c s^2`` asked for (both bounds, many noise variances) and the per-class row sums
  as one matrix product with the one-hot labels, so ``I(X;T)`` and ``I(T;Y)`` come from the
  same block; stacked items ``(R, N, d)`` are a batch dimension, not a loop. Memory is
  bounded by the row blocks (about 64 MB of kernel per block), never ``N x N x d``.
* the **float64 NumPy reference** (``precision="float64"``; also the default for small
  problems and the fallback without TensorFlow): distances by matrix products in row blocks,
  then exp, sums and one pass per class, all in float64.

The log-sum-exp is stable without a shift: every row contains its self pair (``D_ii = 0``
exactly, forced on the diagonal), so the row maximum of the exponent is exactly ``0``, each
sum lies in ``[1, N]`` and neither overflows nor underflows; the largest term, 1, is exact.
Distances in the fused kernel are computed so that their rounding stays below 1e-5 in the
exponent: for ``d <= 32`` as direct float32 differences
``sum_k (t_ik - t_jk)^2`` (relative error only, exact for duplicates); for larger ``d`` by
``|a|^2 + |b|^2 - 2 a.b`` on centred rows, in float32 when its cancellation error
``~ 8 eps_32 max|t|^2`` is below ``1e-5 c s^2`` for the smallest ``c s^2``, else in
float64 (matrix products: NumPy's BLAS on a CPU, faster there than XLA's, TensorFlow on a GPU),
with exponentials and sums in float32 in every case.
``kde_multi(..., dtype="float32")`` always takes float32 matrix products (fastest; error about
``eps_32 |t|^2 / s^2`` in the exponent, 1e-3 bits and more for a 1,024-unit tanh layer). Tests: tests/mi/test_kde.py (fused vs reference
within 1e-5 bits on random, clustered, harmonics-tanh, ``d = 1`` and large-``d`` layers).
"""
from __future__ import annotations

import functools
import os
import threading

import numpy as np

from ..blas import blas_threads
from .entropy import MIPair, check_labels, check_layer

BOUNDS = {"upper": 2.0, "lower": 8.0}
PRECISIONS = ("auto", "float32", "float64")
_LN2 = np.log(2.0)
#: largest layer width whose distances the fused kernel computes as direct differences
DIRECT_MAX_D = 32
#: kernel entries (S x R x rows x N floats) per row block of the fused kernel (64 MB in float32)
BLOCK_ENTRIES = 1 << 24
#: tolerated rounding of the exponent D / (c s^2) in the fused kernel (``precision="auto"``)
EXPONENT_TOL = 1e-5
_EPS32 = float(np.finfo(np.float32).eps)


def sq_dist_blocks(T3: np.ndarray, chunk_size: int):
    """Yield ``(start, stop, D)`` with ``D[b, i - start, j] = |t_bi - t_bj|^2`` for row blocks.

    ``T3`` is ``(B, N, d)``; distances come from ``|a|^2 + |b|^2 - 2 a.b`` (one batched
    matrix product per block, clipped at 0 against rounding), so memory stays at
    ``B * chunk_size * N`` floats whatever ``N`` is.
    """
    N = T3.shape[1]
    sq = np.einsum("bnd,bnd->bn", T3, T3)
    Tt = np.swapaxes(T3, 1, 2)
    for start in range(0, N, chunk_size):  # loop over row blocks, not samples
        stop = min(start + chunk_size, N)
        dist = np.matmul(T3[:, start:stop], Tt)  # (B, c, N)
        dist *= -2.0
        dist += sq[:, start:stop, None]
        dist += sq[:, None, :]
        np.maximum(dist, 0.0, out=dist)
        yield start, stop, dist


def _log_kernel_sums(T3: np.ndarray, cls: np.ndarray, n_classes: int, scale: float, chunk_size):
    """For every row ``i``: ``ln sum_j K_ij`` over all ``j`` and over ``j`` in ``i``'s class.

    ``T3`` is ``(B, N, d)`` with rows sorted by class ``cls`` (``(N,)``, ascending).
    Returns two ``(B, N)`` float64 arrays. (The float64 NumPy reference.)
    """
    B, N, d = T3.shape
    bounds = np.searchsorted(cls, np.arange(n_classes + 1))
    if chunk_size is None:  # about 4 M kernel entries (32 MB) per temporary
        chunk_size = max(1, int(4_000_000 // max(B * N, 1)))
    log_all = np.empty((B, N))
    log_own = np.empty((B, N))
    for start, stop, dist in sq_dist_blocks(T3, chunk_size):
        dist *= -1.0 / scale
        np.exp(dist, out=dist)
        log_all[:, start:stop] = np.log(dist.sum(axis=2))
        own = np.empty((B, stop - start))
        rows_cls = cls[start:stop]
        for k in np.unique(rows_cls):  # loop over classes in this block
            sel = rows_cls == k
            own[:, sel] = dist[:, sel, bounds[k] : bounds[k + 1]].sum(axis=2)
        log_own[:, start:stop] = np.log(own)
    return log_all, log_own


# ----------------------------------------------------------------------------- fused kernel
@functools.lru_cache(maxsize=1)
def tf_available() -> bool:
    """Whether TensorFlow imports (the fused kernel needs it; else the NumPy reference runs)."""
    from ..quiet import quiet

    try:
        with quiet(ignore_warnings="IProgress not found"):
            import tensorflow  # noqa: F401
        return True
    except ImportError:  # pragma: no cover
        return False


_PROGRAMS: dict = {}
_PROGRAMS_LOCK = threading.Lock()
#: below this many kernel entries (R x N x N x scales) ``precision="auto"`` runs the float64
#: reference: it takes milliseconds there, less than compiling a program for a new shape
FUSED_MIN_ENTRIES = 1 << 22


def _program(mode: str, key: tuple):
    """The compiled block program for ``mode`` and one input signature ``key`` (a ``tf.function``
    each, traced once, so no retracing; XLA compiles it on the first call)."""
    with _PROGRAMS_LOCK:
        if (mode, key) in _PROGRAMS:
            return _PROGRAMS[(mode, key)]
        if len(_PROGRAMS) >= 64:
            _PROGRAMS.clear()
        import tensorflow as tf

        def class_sums(D, W, neg_inv_scales):
            """``(S, R, rows, K)`` float32 per-class sums of ``exp(-D / (c s^2))`` for ``D`` (R, rows, Np)."""
            R, rows, Np = D.shape
            S, K = neg_inv_scales.shape[0], W.shape[1]
            E = tf.exp(tf.cast(D, tf.float32)[None] * neg_inv_scales[:, None, None, None])  # max exactly 1
            return tf.reshape(tf.linalg.matmul(tf.reshape(E, [S * R * rows, Np]), W), [S, R, rows, K])

        @tf.function(jit_compile=True, autograph=False)  # plain Python control flow: nothing to convert
        def block_sums(T, Tt, sq, W, neg_inv_scales, start, rows):
            """Row sums of the kernels of rows ``start .. start + rows`` (see :func:`kernel_row_sums`).

            ``T`` (R, Np, d) and ``Tt`` (R, d, Np) the padded rows; ``sq`` (R, Np) their squared
            norms; ``W`` (Np, K) float32 one-hot labels (zero rows for padding);
            ``neg_inv_scales`` (S,) float32 ``-1 / (c s^2)``. Returns float32 ``(S, R, rows, K)``
            per-class sums.
            """
            R, Np, d = T.shape
            Tq = tf.slice(T, tf.stack([0, start, 0]), [R, rows, d])
            if mode == "direct":  # sum_k (t_ik - t_jk)^2: relative error only, one fused loop
                D = tf.zeros([R, rows, Np], T.dtype)
                for k in range(d):
                    diff = Tq[:, :, k : k + 1] - Tt[:, k : k + 1, :]
                    D = D + diff * diff
            else:  # |a|^2 + |b|^2 - 2 a.b, one matrix product, diagonal forced to 0
                sq_q = tf.slice(sq, tf.stack([0, start]), [R, rows])
                D = sq_q[:, :, None] + sq[:, None, :] - 2.0 * tf.linalg.matmul(Tq, T, transpose_b=True)
                i = tf.range(rows)[:, None] + start
                j = tf.range(Np)[None, :]
                D = tf.where((i == j)[None], tf.zeros_like(D), tf.maximum(D, 0.0))
            return class_sums(D, W, neg_inv_scales)

        @tf.function(jit_compile=True, autograph=False)
        def given_sums(D, W, neg_inv_scales):
            """The same from a block of distances ``D`` (R, rows, Np) computed outside (NumPy float64)."""
            return class_sums(D, W, neg_inv_scales)

        _PROGRAMS[(mode, key)] = given_sums if mode == "given" else block_sums
        return _PROGRAMS[(mode, key)]


@functools.lru_cache(maxsize=1)
def _gpu_visible() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def _distance_mode(Tc: np.ndarray, scales, distances: str) -> str:
    """``"direct"`` (float32 differences), ``"gram32"`` or ``"gram64"`` (see the module docstring)."""
    d = Tc.shape[2]
    if d <= DIRECT_MAX_D:
        return "direct"
    if distances == "float32":
        return "gram32"
    max_sq = float(np.max(np.einsum("bnd,bnd->bn", Tc, Tc)))
    return "gram32" if 8.0 * _EPS32 * max_sq <= EXPONENT_TOL * min(scales) else "gram64"


def kernel_row_sums(T3: np.ndarray, codes: np.ndarray, n_classes: int, scales, *, distances: str = "auto",
                    chunk_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fused float32 kernel: for every scale ``c s^2`` the all-row and own-class kernel sums.

    One pass of pairwise squared distances per row block (Kolchinsky & Tracey 2017, Sec. 4,
    the kernel ``exp(-||t_i - t_j||^2 / (c s^2))``), reused for every scale; the per-class sums
    are one product with the one-hot labels, so ``I(X;T)`` and ``I(T;Y)`` come from the same
    block. Stacked items are a batch dimension.

    Parameters
    ----------
    T3 : array (R, N, d)
    codes : int array (N,), class codes ``0 .. n_classes - 1``
    n_classes : int
    scales : sequence of float, the values ``c s^2``
    distances : {"auto", "float32"}
        How distances are computed (module docstring): ``"auto"`` keeps their rounding below
        :data:`EXPONENT_TOL` in the exponent, ``"float32"`` takes float32 matrix products for ``d > 32``.
    chunk_size : int, optional
        Rows per block (default: about :data:`BLOCK_ENTRIES` kernel entries per block).

    Returns
    -------
    log_all, log_own : float64 arrays (S, R, N)
        ``ln sum_j K_ij`` over all ``j`` and over ``j`` in the class of ``i``.
    """
    import tensorflow as tf

    from ..quiet import quiet

    R, N, d = T3.shape
    S = len(scales)
    Tc = np.array(T3, np.float64)
    Tc -= Tc.mean(axis=1, keepdims=True)  # centring: smaller norms, less cancellation
    mode = _distance_mode(Tc, scales, distances)
    rows = chunk_size or max(1, min(N, BLOCK_ENTRIES // max(S * R * N, 1)))
    rows = int(min(rows, N))
    n_blocks = -(-N // rows)
    Np = n_blocks * rows
    dtype = np.float64 if mode == "gram64" else np.float32
    if Np == N:
        Tp = Tc.astype(dtype, copy=False)
    else:
        Tp = np.zeros((R, Np, d), dtype)
        Tp[:, :N] = Tc
    del Tc
    W = np.zeros((Np, n_classes), np.float32)
    W[np.arange(N), codes] = 1.0
    neg_inv = np.array([-1.0 / s for s in scales], np.float32)
    with quiet(ignore_warnings="IProgress not found"):
        W_t, s_t = tf.constant(W), tf.constant(neg_inv)
        if mode == "gram64" and not _gpu_visible():  # float64 products: OpenBLAS beats XLA's CPU dot
            prog = _program("given", (R, Np, n_classes, S, rows))
            blocks = []
            for start, _, D in sq_dist_blocks(Tp, rows):  # loop over row blocks
                D[:, np.arange(rows), np.arange(start, start + rows)] = 0.0
                blocks.append(prog(tf.constant(D.astype(np.float32)), W_t, s_t).numpy())
            per_class = np.concatenate(blocks, axis=2)[:, :, :N]
        else:
            sq = np.einsum("rnd,rnd->rn", Tp, Tp)
            T_t = tf.constant(Tp)
            del Tp
            Tt_t = tf.transpose(T_t, [0, 2, 1]) if mode == "direct" else tf.zeros([R, d, 1], dtype)
            sq_t = tf.constant(sq)
            prog = _program("direct" if mode == "direct" else "gram", (R, Np, d, n_classes, S, rows, mode))
            per_class = np.concatenate([prog(T_t, Tt_t, sq_t, W_t, s_t, tf.constant(b * rows, tf.int32), rows).numpy()
                                        for b in range(n_blocks)], axis=2)[:, :, :N]  # loop over row blocks
    per_class = per_class.astype(np.float64)
    log_all = np.log(per_class.sum(axis=3))
    log_own = np.log(np.take_along_axis(per_class, codes[None, None, :, None], axis=3)[..., 0])
    return log_all, log_own


def mi_from_log_sums(log_all: np.ndarray, log_own: np.ndarray, codes: np.ndarray, n_classes: int):
    """``(I(X;T), I(T;Y))`` in bits from the log kernel sums ``(..., N)`` (module docstring formulas)."""
    N = log_all.shape[-1]
    n_k = np.bincount(codes, minlength=n_classes).astype(np.float64)
    # I(X;T) = ln N - mean_i ln sum_j K_ij, in [0, ln N] since every sum is in [1, N]
    ixt = np.clip((np.log(N) - log_all.mean(axis=-1)) / _LN2, 0.0, np.log2(N))
    # H(T|Y=k) - H(T+Z|X) = ln N_k - mean_{i in k} ln sum_{j in k} K_ij ; weights p(k) = N_k / N
    cond = (n_k @ np.log(np.maximum(n_k, 1.0)) - log_own.sum(axis=-1)) / N / _LN2
    return ixt + 0.0, ixt - cond + 0.0


def check_precision(precision) -> str:
    """``precision`` if it is one of :data:`PRECISIONS`, else ``ValueError``."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    return precision


def use_fused(precision: str, entries: int) -> bool:
    """Whether ``precision`` asks for the fused kernel on a problem of ``entries`` kernel entries.

    The environment variable ``IBUTILS_KDE_FUSED_MIN_ENTRIES`` overrides :data:`FUSED_MIN_ENTRIES`
    (``0``: fuse every ``"auto"`` call, as used to check pages against the reference).
    """
    threshold = int(os.environ.get("IBUTILS_KDE_FUSED_MIN_ENTRIES", FUSED_MIN_ENTRIES))
    return precision == "float32" or (precision == "auto" and entries >= threshold)


def kde(T, y, *, noise_variance: float = 1e-3, bound: str = "upper", chunk_size: int | None = None,
        precision: str = "auto") -> MIPair:
    """Kolchinsky-Tracey upper (KL) or lower (Bhattacharyya) bound on ``I(X;T)``, ``I(T;Y)``.

    Parameters
    ----------
    T : array, shape (N, d) or (B, N, d)
        Layer activity, one row per distinct input; or ``B`` stacked items sharing ``y``.
    y : array of int, shape (N,)
        Class labels.
    noise_variance : float
        ``s^2`` of the analysis noise ``N(0, s^2 I)`` (Saxe et al. use ``1e-3``... 0.1).
    bound : {"upper", "lower"}
        KL-divergence upper bound (kernel ``exp(-D/(2 s^2))``) or Bhattacharyya lower
        bound (``exp(-D/(8 s^2))``), Kolchinsky & Tracey 2017 Sec. 4.
    chunk_size : int, optional
        Rows of the kernel per block; by default ~4 M (reference) or ~16 M (fused) entries.
    precision : {"auto", "float32", "float64"}
        ``"float32"``: the fused float32 kernel (distances accurate to 1e-5 in the exponent,
        module docstring); ``"float64"``: the float64 NumPy reference; ``"auto"``: the fused
        kernel from :data:`FUSED_MIN_ENTRIES` kernel entries (``B N^2``) on, where it pays for
        its compilation, the reference below. Without TensorFlow every value runs the reference.

    Returns
    -------
    MIPair
        In bits; float64 arrays of shape ``(B,)`` for stacked input.
    """
    T3, stacked = check_layer(T)
    B, N, d = T3.shape
    y_codes, K = check_labels(y, N)
    try:
        var = float(noise_variance)
    except (TypeError, ValueError):
        raise ValueError(f"noise_variance must be a positive number, got {noise_variance!r}") from None
    if not np.isfinite(var) or var <= 0:
        raise ValueError(f"noise_variance must be a positive number, got {noise_variance!r}")
    if bound not in BOUNDS:
        raise ValueError(f"bound must be 'upper' or 'lower', got {bound!r}")
    if chunk_size is not None and (not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1):
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    check_precision(precision)
    if use_fused(precision, B * N * N) and tf_available():
        log_all, log_own = kernel_row_sums(T3, y_codes, K, [BOUNDS[bound] * var], chunk_size=chunk_size)
        ixt, ity = mi_from_log_sums(log_all[0], log_own[0], y_codes, K)
    else:
        with blas_threads(1):  # identical bits however many CPUs the process may use (ibutils.blas)
            ixt, ity = _kde_reference(T3, y_codes, K, var, bound, chunk_size)
    return MIPair(ixt, ity) if stacked else MIPair(float(ixt[0]), float(ity[0]))


def calibrate_variance(estimate, *, target: float, tol: float, quantity: str = "ity", lo: float = 1e-5,
                       hi: float = 10.0, iters: int = 40) -> float:
    """The largest noise variance ``s^2`` in ``[lo, hi]`` whose KDE estimate is within ``tol`` bits of ``target``.

    The CNN/SG study (seed 003, sec. 3.2.4) tuned ``s^2`` "so the KDE values matched the analytical
    entropy of the MNIST labels (log2 10) within the uncertainty of the KDE". For one-hot labels or a
    trained prediction layer the KDE ``I(T;Y)`` tends to ``H(Y)`` as ``s^2 -> 0`` and falls as ``s^2``
    grows, so the calibration is the largest variance that still reproduces ``target``: a bisection on
    ``log s^2`` with ``iters`` steps.

    Parameters
    ----------
    estimate : ``estimate(s2) -> MIPair``, the KDE of the layer at one variance (any backend).
    target, tol : the value to reproduce and the tolerance, in bits.
    quantity : ``"ity"`` or ``"ixt"``, the half of the pair compared with ``target``.

    Returns
    -------
    float
        NaN if even ``lo`` misses ``target``, ``hi`` if ``hi`` still matches.
    """
    if quantity not in ("ixt", "ity"):
        raise ValueError(f"quantity must be 'ixt' or 'ity', got {quantity!r}")
    if not (0 < float(lo) < float(hi)):
        raise ValueError(f"need 0 < lo < hi, got lo={lo!r}, hi={hi!r}")

    def ok(v):
        return abs(getattr(estimate(v), quantity) - float(target)) <= float(tol)

    if not ok(float(lo)):
        return float("nan")
    if ok(float(hi)):
        return float(hi)
    a, b = np.log(float(lo)), np.log(float(hi))
    for _ in range(int(iters)):
        m = 0.5 * (a + b)
        if ok(float(np.exp(m))):
            a = m
        else:
            b = m
    return float(np.exp(a))


def _kde_reference(T3, y_codes, K, var, bound, chunk_size):
    """The float64 NumPy reference: ``(ixt, ity)`` arrays ``(B,)`` in bits."""
    N = T3.shape[1]
    order = np.argsort(y_codes, kind="stable")
    cls = y_codes[order]
    Ts = T3[:, order].astype(np.float64)
    log_all, log_own = _log_kernel_sums(Ts, cls, K, BOUNDS[bound] * var, chunk_size)
    n_k = np.bincount(cls, minlength=K).astype(np.float64)
    # I(X;T) = ln N - mean_i ln sum_j K_ij
    ixt = (np.log(N) - log_all.mean(axis=1)) / _LN2
    # H(T|Y=k) - H(T+Z|X) = ln N_k - mean_{i in k} ln sum_{j in k} K_ij ; weights p(k) = N_k / N
    cond = (n_k @ np.log(np.maximum(n_k, 1.0)) - log_own.sum(axis=1)) / N / _LN2
    ity = ixt - cond
    return ixt + 0.0, ity + 0.0
