"""Kolchinsky-Tracey KDE bounds summed over neighbour pairs only (exact to float64 rounding).

The bounds of :func:`ibutils.mi.kde` (Kolchinsky & Tracey 2017, Sec. 4; Saxe et al. 2018) need
the kernel ``exp(-||t_i - t_j||^2 / (c s^2))`` of every pair of rows; for a small noise variance
``s^2`` almost all of them underflow. :func:`kde_sparse` sums the kernel over identical rows and
over the pairs of distinct rows within a cutoff radius (a k-d tree), or densely over the distinct
rows when most pairs are neighbours (:func:`_dense_cheaper`). On all 4,096 harmonics patterns it
is about 10-30x faster than the dense sum and equal to it to float64 rounding. All results in bits.
"""
from __future__ import annotations

import numpy as np

from .base import MIPair
from .entropy import check_labels, check_layer
from .kde import BOUNDS, sq_dist_blocks


def kde_sparse(T, y, *, noise_variance: float = 1e-3, bound: str = "upper", cutoff: float = 40.0) -> MIPair:
    """Kolchinsky-Tracey bound of :func:`ibutils.mi.kde`, summing the kernel over neighbour pairs only.

    The kernel ``exp(-||t_i - t_j||^2 / (c s^2))`` (``c = 2`` upper, ``8`` lower bound) is summed
    over identical rows (kernel 1, counted once per distinct row) and over the pairs of distinct
    rows closer than ``sqrt(cutoff c s^2)`` (a k-d tree); every omitted term is below
    ``exp(-cutoff)`` (``4e-18`` for 40) of the self term 1, so the result equals the dense sum to
    float64 rounding (``N exp(-cutoff)`` at most). Same formulas and units (bits) as
    :func:`ibutils.mi.kde` (Kolchinsky & Tracey 2017, Sec. 4; Saxe et al. 2018).

    Parameters
    ----------
    T : array, shape (N, d) or (B, N, d)
        Layer activity; or ``B`` stacked items sharing ``y``.
    y : array of int, shape (N,)
        Class labels.
    noise_variance : float
        ``s^2`` of the added Gaussian noise.
    bound : {"upper", "lower"}
        KL upper (``c = 2``) or Bhattacharyya lower (``c = 8``) bound.
    cutoff : float
        Pairs whose kernel is below ``exp(-cutoff)`` are omitted.

    Returns
    -------
    MIPair
        ``(ixt, ity)`` in bits: floats, or arrays ``(B,)`` for stacked input.
    """
    from scipy.spatial import cKDTree

    T3, stacked = check_layer(T)
    B, N, d = T3.shape
    yc, K = check_labels(y, N)
    var = float(noise_variance)
    if not np.isfinite(var) or var <= 0:
        raise ValueError(f"noise_variance must be a positive number, got {noise_variance!r}")
    if bound not in BOUNDS:
        raise ValueError(f"bound must be 'upper' or 'lower', got {bound!r}")
    if not cutoff > 0:
        raise ValueError(f"cutoff must be > 0, got {cutoff!r}")
    scale = BOUNDS[bound] * var
    r = np.sqrt(cutoff * scale)
    n_k = np.bincount(yc, minlength=K).astype(np.float64)
    ixt, ity = np.empty(B), np.empty(B)
    for b in range(B):  # one k-d tree per stacked item
        U, inv, _ = np.unique(np.asarray(T3[b], np.float64), axis=0, return_inverse=True, return_counts=True)
        inv = inv.reshape(-1)
        m = len(U)
        C = np.zeros((m, K))
        np.add.at(C, (inv, yc), 1.0)
        S = C.copy()
        if m > 1 and _dense_cheaper(U, r):
            for a, z, D in sq_dist_blocks(U[None], 1024):  # row blocks of the (m, m) kernel over distinct rows
                D = D[0]
                D *= -1.0 / scale
                np.exp(D, out=D)
                S[a:z] = D @ C
        elif m > 1:
            pairs = cKDTree(U).query_pairs(r, output_type="ndarray")
            if len(pairs):
                i, j = pairs[:, 0], pairs[:, 1]
                k = np.exp(-((U[i] - U[j]) ** 2).sum(axis=1) / scale)
                for c in range(K):
                    S[:, c] += np.bincount(i, weights=k * C[j, c], minlength=m)
                    S[:, c] += np.bincount(j, weights=k * C[i, c], minlength=m)
        log_all = np.log(S.sum(axis=1))[inv]
        log_own = np.log(S[inv, yc])
        ixt[b] = (np.log(N) - log_all.mean()) / np.log(2.0)
        cond = (n_k @ np.log(np.maximum(n_k, 1.0)) - log_own.sum()) / N / np.log(2.0)
        ity[b] = ixt[b] - cond
    return MIPair(ixt, ity) if stacked else MIPair(float(ixt[0]), float(ity[0]))


def _dense_cheaper(U: np.ndarray, r: float, n_probe: int = 200) -> bool:
    """Whether more than 1/20 of all pairs of distinct rows lie within ``r`` (a sample of rows
    estimates it); then the dense kernel over distinct rows is cheaper than the pair list."""
    m = len(U)
    if m < 400:
        return True
    from scipy.spatial import cKDTree

    probe = U[np.linspace(0, m - 1, n_probe).astype(np.int64)]
    counts = cKDTree(U).query_ball_point(probe, r, return_length=True)
    return float(np.mean(counts)) > m / 20


__all__ = ["kde_sparse"]
