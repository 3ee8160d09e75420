"""KDE bounds for very wide layers (convolutional activity) and the per-layer noise-variance heuristic.

A convolutional layer of the Keras ``mnist_cnn`` has up to 24 x 24 x 64 = 36,864 units (seed 003,
sec. 3.1). The Kolchinsky & Tracey (2017, Sec. 4) bounds need only the ``N x N`` matrix of squared
pairwise distances ``D_ij = ||t_i - t_j||^2``; :func:`pairwise_sq_dists` computes it in float32 by
matrix products in blocks (``|a|^2 + |b|^2 - 2 a.b`` on centred rows, row blocks times feature
blocks), never materialising ``N x N x d``, and :func:`kde_from_dists` turns one distance matrix
into both bounds for any number of noise variances (the distances are the costly part; the kernel
``exp(-D / (c s^2))`` costs ``N^2`` per variance). The formulas are those of :func:`ibutils.mi.kde`:

.. math::

   I(X;T) = -\\frac1N \\sum_i \\log_2 \\frac1N \\sum_j e^{-D_{ij}/(c s^2)},\\qquad
   I(T;Y) = I(X;T) - \\sum_k p_k \\Big[\\log_2 N_k - \\frac1{N_k}\\sum_{i \\in k}\\log_2 \\sum_{j\\in k}
   e^{-D_{ij}/(c s^2)}\\Big],

``c = 2`` (KL upper bound) or ``8`` (Bhattacharyya lower bound), in bits.

Two ways to apply them to a convolutional layer (seed 003, sec. 3.1): **concat** flattens the
``H x W x C`` activity of each sample into one vector (:func:`kde_wide`); **mean** estimates each
channel ``T[..., c]`` on its own and averages over channels (:func:`kde_channels`).

:func:`sigma2_heuristic` is seed 004's per-layer choice (sec. 5.2): the 90th percentile of the
pairwise (Euclidean) distances at the last epoch divided by 1,000.

Precision: float32 Gram products on centred rows have a cancellation error of about
``eps_32 max|t|^2`` in ``D``; for the wide ReLU layers this is far below ``c s^2`` at the
variances used (0.07 ... 5); tests compare with the float64 reference :func:`ibutils.mi.kde`.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .entropy import MIPair, check_labels
from .kde import BOUNDS, calibrate_variance

_LN2 = np.log(2.0)
#: float32 entries per temporary block (row block x feature block, and row block x N): 16 M (64 MB)
BLOCK_ENTRIES = 1 << 24


def _as_rows(T, name: str = "T") -> np.ndarray:
    a = np.asarray(T)
    if a.ndim < 2 or a.shape[0] < 1:
        raise ValueError(f"{name} must have shape (N, ...) with N >= 1, got {a.shape}")
    a = a.reshape(a.shape[0], -1)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite")
    return a


def pairwise_sq_dists(T, *, block_rows: int | None = None, block_cols: int | None = None) -> np.ndarray:
    """Squared Euclidean distances ``D_ij = ||t_i - t_j||^2`` of the rows of ``T`` in float32.

    Parameters
    ----------
    T : array (N, ...)
        One sample per row; trailing axes are flattened (the concat method of seed 003).
    block_rows, block_cols : int, optional
        Rows and feature columns per matrix product (default: about :data:`BLOCK_ENTRIES` floats
        per temporary).

    Returns
    -------
    float32 array (N, N), symmetric, zero diagonal, non-negative.

    Notes
    -----
    Rows are centred (distances do not change, cancellation does), then ``D = |a|^2 + |b|^2 - 2 a.b``
    accumulates over feature blocks, one float32 matrix product per (row block, feature block):
    memory is ``N^2`` plus one block, never ``N x N x d``.
    """
    X = _as_rows(T)
    N, d = X.shape
    for name, v in (("block_rows", block_rows), ("block_cols", block_cols)):
        if v is not None and (not isinstance(v, (int, np.integer)) or v < 1):
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    bc = int(block_cols or max(1, min(d, BLOCK_ENTRIES // max(N, 1))))
    br = int(block_rows or max(1, min(N, BLOCK_ENTRIES // max(N, 1))))
    mean = X.mean(axis=0, dtype=np.float64).astype(np.float32)
    G = np.zeros((N, N), np.float32)
    sq = np.zeros(N, np.float64)
    for c0 in range(0, d, bc):  # loop over feature blocks: a (N, bc) slab at a time
        S = np.asarray(X[:, c0:c0 + bc], np.float32) - mean[c0:c0 + bc]
        sq += np.einsum("nd,nd->n", S, S, dtype=np.float64)
        for r0 in range(0, N, br):  # loop over row blocks
            G[r0:r0 + br] += S[r0:r0 + br] @ S.T
    sq32 = sq.astype(np.float32)
    G *= -2.0
    G += sq32[:, None]
    G += sq32[None, :]
    np.maximum(G, 0.0, out=G)
    np.fill_diagonal(G, 0.0)
    return np.minimum(G, G.T)  # exactly symmetric


def _batched_sq_dists(A: np.ndarray) -> np.ndarray:
    """``(B, N, N)`` float32 squared distances of ``B`` stacked ``(N, d)`` items (one batched product)."""
    A = A - A.mean(axis=1, keepdims=True, dtype=np.float64).astype(np.float32)
    sq = np.einsum("bnd,bnd->bn", A, A, dtype=np.float64).astype(np.float32)
    G = np.matmul(A, np.swapaxes(A, 1, 2))
    G *= -2.0
    G += sq[:, :, None]
    G += sq[:, None, :]
    np.maximum(G, 0.0, out=G)
    idx = np.arange(A.shape[1])
    G[:, idx, idx] = 0.0
    return np.minimum(G, np.swapaxes(G, 1, 2))


def _check_dists(D) -> np.ndarray:
    D = np.asarray(D)
    if D.ndim != 2 or D.shape[0] != D.shape[1] or D.shape[0] < 1:
        raise ValueError(f"D must be a square (N, N) matrix of squared distances, got shape {D.shape}")
    if not np.all(np.isfinite(D)) or np.any(D < 0):
        raise ValueError("D must be finite and non-negative")
    return D


def _check_variances(noise_variances) -> list[float]:
    try:
        vs = [float(v) for v in np.atleast_1d(noise_variances)]
    except (TypeError, ValueError):
        raise ValueError(f"noise_variances must be positive numbers, got {noise_variances!r}") from None
    if not vs or not all(np.isfinite(v) and v > 0 for v in vs):
        raise ValueError(f"noise_variances must be positive numbers, got {noise_variances!r}")
    return vs


def _check_bounds(bounds) -> list[str]:
    bounds = [bounds] if isinstance(bounds, str) else list(bounds)
    bad = [b for b in bounds if b not in BOUNDS]
    if not bounds or bad:
        raise ValueError(f"bounds must be a non-empty list of 'upper'/'lower', got {bounds!r}")
    return bounds


def kde_from_dists(D, y, *, noise_variances: Sequence[float] = (0.1,), bounds: Sequence[str] = ("upper", "lower"),
                   block_rows: int | None = None) -> dict:
    """Both KDE bounds for several noise variances from one matrix of squared distances.

    Parameters
    ----------
    D : array (N, N)
        Squared pairwise distances (:func:`pairwise_sq_dists`).
    y : int array (N,)
        Class labels.
    noise_variances : sequence of float
        ``s^2`` values (Saxe et al. 2018: 0.1; seed 003's CNN: 0.0735).
    bounds : sequence of {"upper", "lower"}
    block_rows : int, optional
        Rows of the kernel per block.

    Returns
    -------
    dict ``{(s2, bound): MIPair}`` in bits (floats), the estimator of :func:`ibutils.mi.kde`.
    """
    D = _check_dists(D)
    N = D.shape[0]
    codes, K = check_labels(y, N)
    vs, bs = _check_variances(noise_variances), _check_bounds(bounds)
    n_k = np.bincount(codes, minlength=K).astype(np.float64)
    onehot = np.zeros((N, K), np.float32)
    onehot[np.arange(N), codes] = 1.0
    br = int(block_rows or max(1, min(N, BLOCK_ENTRIES // max(N, 1))))
    out = {}
    for v in vs:  # loop over (variance, bound) pairs: a handful
        for b in bs:
            neg = np.float32(-1.0 / (BOUNDS[b] * v))
            log_all = np.empty(N)
            log_own = np.empty(N)
            for r0 in range(0, N, br):  # loop over row blocks
                E = np.exp(D[r0:r0 + br].astype(np.float32) * neg)  # the self pair gives exactly 1
                per = (E @ onehot).astype(np.float64)
                log_all[r0:r0 + br] = np.log(per.sum(axis=1))
                log_own[r0:r0 + br] = np.log(per[np.arange(len(per)), codes[r0:r0 + br]])
            ixt = float(np.clip((np.log(N) - log_all.mean()) / _LN2, 0.0, np.log2(N)))
            cond = float((n_k @ np.log(np.maximum(n_k, 1.0)) - log_own.sum()) / N / _LN2)
            out[(v, b)] = MIPair(ixt + 0.0, ixt - cond + 0.0)
    return out


def kde_wide(T, y, *, noise_variances: Sequence[float] = (0.1,), bounds: Sequence[str] = ("upper", "lower")) -> dict:
    """The **concat** method (seed 003, sec. 3.1): KDE bounds of the flattened layer.

    ``T`` (N, ...) is flattened per sample (``H x W x C -> H W C``); see :func:`kde_from_dists`
    for the returned ``{(s2, bound): MIPair}``.
    """
    return kde_from_dists(pairwise_sq_dists(T), y, noise_variances=noise_variances, bounds=bounds)


def kde_channels(T, y, *, noise_variances: Sequence[float] = (0.1,), bounds: Sequence[str] = ("upper", "lower"),
                 per_channel: bool = False):
    """The **mean** method (seed 003, sec. 3.1): one KDE estimate per channel, averaged.

    .. math:: I_{mean}(X;T) = \\frac1C \\sum_{c=1}^{C} \\tilde I(X; T_{[:,:,c]}),

    and the same for ``I(T;Y)``. A 2-D ``T`` (a dense layer) has one channel per unit only if
    you say so; here it is treated as a single channel (the study: "for dense layers the two
    methods coincide").

    Parameters
    ----------
    T : array (N, H, W, C) (channels last, as Keras) or (N, d)
    y : int array (N,)
    per_channel : bool
        Also return the per-channel table.

    Returns
    -------
    dict ``{(s2, bound): MIPair}`` of channel means, and with ``per_channel`` a second dict
    ``{(s2, bound): (ixt array (C,), ity array (C,))}``.
    """
    a = np.asarray(T)
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim < 3:
        raise ValueError(f"T must have shape (N, ..., C), got {np.asarray(T).shape}")
    N, C = a.shape[0], a.shape[-1]
    if not np.all(np.isfinite(a)):
        raise ValueError("T must be finite")
    vs, bs = _check_variances(noise_variances), _check_bounds(bounds)
    ix = {(v, b): np.empty(C) for v in vs for b in bs}
    iy = {(v, b): np.empty(C) for v in vs for b in bs}
    # channels as a batch: (C, N, H W), distances of a block of channels by one batched matrix product
    chans = np.moveaxis(a.reshape(N, -1, C), 2, 0).astype(np.float32)
    cb = max(1, BLOCK_ENTRIES // max(N * N, 1))
    for c0 in range(0, C, cb):  # loop over channel blocks
        Db = _batched_sq_dists(chans[c0:c0 + cb])
        for k in range(len(Db)):  # the kernel sums of each channel (N^2 each)
            res = kde_from_dists(Db[k], y, noise_variances=vs, bounds=bs)
            for key, pair in res.items():
                ix[key][c0 + k], iy[key][c0 + k] = pair.ixt, pair.ity
    means = {key: MIPair(float(ix[key].mean()), float(iy[key].mean())) for key in ix}
    if per_channel:
        return means, {key: (ix[key], iy[key]) for key in ix}
    return means


def calibrate_sigma2(D, y, *, target: float, tol: float, bound: str = "upper", quantity: str = "ity",
                     lo: float = 1e-5, hi: float = 10.0, iters: int = 40) -> float:
    """The largest ``s^2`` in ``[lo, hi]`` at which the KDE ``quantity`` is within ``tol`` bits of ``target``.

    Seed 003 (sec. 3.2.4) tuned ``s^2`` "so the KDE values matched the analytical entropy of the MNIST
    labels (log2 10) within the uncertainty of the KDE" (0.0735 for its CNN). For a trained prediction
    layer the KDE ``I(T;Y)`` tends to the sample's ``H(Y)`` as ``s^2 -> 0`` and falls as ``s^2`` grows,
    so the calibration is the largest variance that still reproduces ``H(Y)``: a bisection on
    ``log s^2``, every step one kernel pass over the same distance matrix ``D``
    (:func:`pairwise_sq_dists`). Returns NaN if even ``lo`` misses and ``hi`` if ``hi`` still matches.
    (The rule is :func:`ibutils.mi.kde.calibrate_variance`, here on a precomputed ``D``.)
    """
    D = _check_dists(D)
    _check_bounds([bound])
    return calibrate_variance(lambda v: kde_from_dists(D, y, noise_variances=[v], bounds=[bound])[(v, bound)],
                              target=target, tol=tol, quantity=quantity, lo=lo, hi=hi, iters=iters)


def pairwise_distance_sample(T, *, max_rows: int | None = None, seed: int = 0) -> np.ndarray:
    """The Euclidean distances ``||t_i - t_j||`` over pairs ``i < j`` (for histograms, seed 004 Fig. 5.11).

    ``max_rows`` keeps a seeded random subset of the rows first (``None``: all).
    """
    X = _as_rows(T)
    if max_rows is not None:
        if int(max_rows) < 2:
            raise ValueError(f"max_rows must be >= 2, got {max_rows!r}")
        if X.shape[0] > int(max_rows):
            X = X[np.sort(np.random.default_rng(seed).choice(X.shape[0], int(max_rows), replace=False))]
    D = pairwise_sq_dists(X)
    iu = np.triu_indices(D.shape[0], k=1)
    return np.sqrt(D[iu].astype(np.float64))


def sigma2_heuristic(T=None, *, distances=None, percentile: float = 90.0, divisor: float = 1000.0,
                     max_rows: int | None = None, seed: int = 0) -> float:
    """Seed 004's per-layer noise variance: a percentile of the pairwise distances divided by 1,000.

    Landsverk (2021, sec. 5.2, Figs. 5.9-5.13): "we use the 90th percentile value and divide it by
    1000 to get our noise parameter" (the text says sigma, the captions sigma^2; this returns the
    value used as ``s^2``, as the captions do). Distances are Euclidean (not squared) between the
    layer's activity vectors of distinct samples at the last epoch.

    Parameters
    ----------
    T : array (N, ...), optional
        The layer's activity (flattened per sample).
    distances : array, optional
        The pair distances themselves (:func:`pairwise_distance_sample`), instead of ``T``.
    percentile : float in (0, 100]
    divisor : float > 0
    max_rows, seed : see :func:`pairwise_distance_sample`.

    Returns
    -------
    float
    """
    if (T is None) == (distances is None):
        raise ValueError("give exactly one of T and distances")
    if not (0 < float(percentile) <= 100):
        raise ValueError(f"percentile must be in (0, 100], got {percentile!r}")
    if not (np.isfinite(float(divisor)) and float(divisor) > 0):
        raise ValueError(f"divisor must be a positive number, got {divisor!r}")
    if distances is None:
        distances = pairwise_distance_sample(T, max_rows=max_rows, seed=seed)
    dist = np.asarray(distances, np.float64).ravel()
    if dist.size == 0 or not np.all(np.isfinite(dist)) or np.any(dist < 0):
        raise ValueError("distances must be a non-empty array of finite non-negative numbers")
    return float(np.percentile(dist, float(percentile)) / float(divisor))


__all__ = ["pairwise_sq_dists", "kde_from_dists", "kde_wide", "kde_channels", "pairwise_distance_sample",
           "sigma2_heuristic", "calibrate_sigma2"]
