"""Kraskov-Stoegbauer-Grassberger k-nearest-neighbour MI estimator (algorithm 1).

Kraskov, Stoegbauer & Grassberger, Phys. Rev. E 69, 066138 (2004), eq. (8):

.. math:: \\hat I^{(1)}(A;B) = \\psi(k) + \\psi(N) - \\langle \\psi(n_a + 1) + \\psi(n_b + 1) \\rangle,

where ``eps_i`` is the max-norm distance from ``z_i = (a_i, b_i)`` to its ``k``-th
neighbour in the joint space and ``n_a(i)`` (``n_b(i)``) counts the other points with
``||a_j - a_i||_inf < eps_i`` (strictly). Natural logs, converted to bits.
"""
from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

from .entropy import check_array2d


def ksg(a, b, *, k: int = 3) -> float:
    """KSG estimate (algorithm 1, max-norm) of ``I(A;B)`` in bits.

    Parameters
    ----------
    a, b : array, shape (N,) or (N, d_a), (N, d_b)
        Paired samples (continuous; ties bias the estimate).
    k : int
        Number of neighbours, ``1 <= k < N`` (Kraskov et al. suggest 2-4).

    Returns
    -------
    float
        Estimated MI in bits (may be slightly negative for independent data).
    """
    a = check_array2d(a, "a")
    b = check_array2d(b, "b")
    if len(a) != len(b):
        raise ValueError(f"a and b must have the same number of rows, got {len(a)} and {len(b)}")
    n = len(a)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k < n:
        raise ValueError(f"k must be an integer with 1 <= k < N = {n}, got {k!r}")
    joint = np.hstack([a, b])
    dist, _ = cKDTree(joint).query(joint, k=k + 1, p=np.inf)
    eps = dist[:, -1]
    r = np.nextafter(eps, 0)  # strictly inside eps
    n_a = cKDTree(a).query_ball_point(a, r, p=np.inf, return_length=True) - 1
    n_b = cKDTree(b).query_ball_point(b, r, p=np.inf, return_length=True) - 1
    nats = digamma(k) + digamma(n) - np.mean(digamma(n_a + 1) + digamma(n_b + 1))
    return float(nats / np.log(2.0))
