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
(ibsgd's ``hM_given_Y``). The ``N x N`` kernel is built in row chunks from
``|a|^2 + |b|^2 - 2 a.b`` (matrix products) in float64; since ``j = i`` contributes
``e^0 = 1`` and every other term is ``<= 1``, the log-sum needs no max shift.
"""
from __future__ import annotations

import numpy as np

from .entropy import MIPair, check_labels, check_layer

BOUNDS = {"upper": 2.0, "lower": 8.0}
_LN2 = np.log(2.0)


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
    Returns two ``(B, N)`` float64 arrays.
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


def kde(T, y, *, noise_variance: float = 1e-3, bound: str = "upper", chunk_size: int | None = None) -> MIPair:
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
        Rows of the kernel per block; by default ~4 M entries per block, so
        ``N = 10,000`` needs a few hundred MB at most.

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
    ixt, ity = ixt + 0.0, ity + 0.0
    return MIPair(ixt, ity) if stacked else MIPair(float(ixt[0]), float(ity[0]))
