"""Kraskov-Stoegbauer-Grassberger k-nearest-neighbour MI estimator (algorithm 1).

Kraskov, Stoegbauer & Grassberger, Phys. Rev. E 69, 066138 (2004), eq. (8):

.. math:: \\hat I^{(1)}(A;B) = \\psi(k) + \\psi(N) - \\langle \\psi(n_a + 1) + \\psi(n_b + 1) \\rangle,

where ``eps_i`` is the max-norm distance from ``z_i = (a_i, b_i)`` to its ``k``-th
neighbour in the joint space and ``n_a(i)`` (``n_b(i)``) counts the other points with
``||a_j - a_i||_inf < eps_i`` (strictly). Natural logs, converted to bits.

The joint neighbours come from a k-d tree. The marginal counts come from a k-d tree in low
dimension and from blocked exact max-norm distances above :data:`BRUTE_DIM` columns, where a
tree's ball queries visit most of the points anyway; both give the same integers.
"""
from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

from .entropy import check_array2d

#: Marginal dimension from which the counts are exact blocked distances instead of tree queries.
#: Measured on 2 cores for k = 3, 5, 10 at N = 10,000: 2 columns 0.8 s by tree and 1.2 s blocked,
#: 3 columns 2.1 s and 1.6 s, 5 columns 7.2 s and 2.5 s; 50 columns at N = 5,000 65 s and 5.7 s.
BRUTE_DIM = 3
#: Row-block size of the blocked counts (block x N x 8 bytes of distances in memory).
BLOCK = 128


def _counts_tree(a: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """``(K, N)``: points (self included) within max-norm ``radii[j]`` (closed ball) of each point."""
    tree = cKDTree(a)
    return np.stack([tree.query_ball_point(a, r, p=np.inf, return_length=True) for r in radii])


def _counts_brute(a: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """:func:`_counts_tree` by exact max-norm distances in row blocks (never ``N x N x d`` in memory)."""
    n = len(a)
    out = np.empty(radii.shape, dtype=np.int64)  # (K, N)
    dist = np.empty((BLOCK, n))
    diff = np.empty((BLOCK, n))
    for s in range(0, n, BLOCK):  # loop over row blocks; the columns of a block are vectorised
        rows = a[s:s + BLOCK]
        m = len(rows)
        d, t = dist[:m], diff[:m]
        d.fill(0.0)
        for j in range(a.shape[1]):  # loop over columns: max over |a_ij - a_kj| without an (m, N, d) array
            np.subtract.outer(rows[:, j], a[:, j], out=t)
            np.abs(t, out=t)
            np.maximum(d, t, out=d)
        for c in range(len(radii)):  # loop over the k's
            out[c, s:s + m] = np.count_nonzero(d <= radii[c, s:s + m, None], axis=1)
    return out


def _counts(a: np.ndarray, radii: np.ndarray, method: str) -> np.ndarray:
    brute = method == "brute" or (method == "auto" and a.shape[1] >= BRUTE_DIM)
    return (_counts_brute if brute else _counts_tree)(a, radii)


def ksg(a, b, *, k=3, method: str = "auto"):
    """KSG estimate (algorithm 1, max-norm) of ``I(A;B)`` in bits.

    Parameters
    ----------
    a, b : array, shape (N,) or (N, d_a), (N, d_b)
        Paired samples (continuous; ties bias the estimate).
    k : int or sequence of int
        Number of neighbours, ``1 <= k < N`` (Kraskov et al. suggest 2-4). A sequence gives one
        estimate per ``k`` from a single neighbour search.
    method : {"auto", "tree", "brute"}
        How the marginal counts are made: k-d tree, blocked exact distances, or the tree below
        :data:`BRUTE_DIM` columns and blocked distances from there. The counts are the same integers.

    Returns
    -------
    float or ndarray
        Estimated MI in bits (may be slightly negative for independent data); an array, one per
        ``k``, when ``k`` is a sequence.
    """
    a = check_array2d(a, "a")
    b = check_array2d(b, "b")
    if len(a) != len(b):
        raise ValueError(f"a and b must have the same number of rows, got {len(a)} and {len(b)}")
    if method not in ("auto", "tree", "brute"):
        raise ValueError(f"method must be 'auto', 'tree' or 'brute', got {method!r}")
    n = len(a)
    ks = np.atleast_1d(np.asarray(k, dtype=object))
    for kk in ks:
        if isinstance(kk, bool) or not isinstance(kk, (int, np.integer)) or not 1 <= kk < n:
            raise ValueError(f"k must be an integer with 1 <= k < N = {n}, got {kk!r}")
    ks = ks.astype(np.int64)
    joint = np.hstack([a, b])
    dist, _ = cKDTree(joint).query(joint, k=int(ks.max()) + 1, p=np.inf)
    eps = np.ascontiguousarray(dist[:, ks].T)  # (K, N): the k-th neighbour's distance (column 0: the point)
    r = np.nextafter(eps, 0)                   # strictly inside eps
    n_a = _counts(a, r, method) - 1
    n_b = _counts(b, r, method) - 1
    nats = digamma(ks) + digamma(n) - np.mean(digamma(n_a + 1) + digamma(n_b + 1), axis=1)
    bits = nats / np.log(2.0)
    return float(bits[0]) if np.ndim(k) == 0 else bits
