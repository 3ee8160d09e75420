"""EDGE: the Ensemble Dependency Graph Estimator of MI (Noshad, Zeng & Hero, ICASSP 2019).

Both variables are hashed into buckets and MI is read off the bipartite dependency graph
of bucket collisions (Noshad et al. 2019, eqs. 4-6, and mrtnoshad/EDGE v4.3):

1. ``hashing="p-stable"``: project ``a`` onto ``k_a = min(d_a, floor(log2(N / 10)))``
   Gaussian directions with entries ``N(0, 1 / (std_j sqrt(d_a)))``; ``"floor"`` keeps
   the raw coordinates.
2. bandwidth ``eps`` per projected coordinate: mean distance to the ``k``-th nearest
   neighbour of 500 random points, ``k = floor(0.43 N^(2/3 + 0.17 d/(d+1)) e^(-1/max(10^4, d^4)))``,
   times ``3 k_a * 0.9 gamma``.
3. an ensemble of ``L`` bandwidths ``eps * t_l`` (``t_l`` in ``[1, 1 + eps_range_factor]``)
   with shifts ``b_l = (l / L) eps``; each member hashes ``floor((a W + b_l) / eps_l)`` and
   computes, with ``N_i``, ``M_j``, ``N_ij`` the sizes of the ``a``, ``b`` and joint buckets,

   .. math:: \\hat I_l = \\frac1N \\sum_{(i,j)} N_{ij}\\, \\max(\\min(\\log_2 \\tfrac{N_{ij} N}{N_i M_j}, U), 0.001);

4. combine the members (median, average or optimally weighted, Moon & Hero 2014);
5. ``normalize_epsilon``: rescale ``gamma`` by ``2^(-sqrt(2 I) + 0.5 / I)`` and recompute once.

The cap ``U`` bounds each term: with ``N`` distinct inputs the true ``I(X;T)`` of an
injective layer is ``log2 N`` (12 bits for 4,096 inputs), so Noshad's default ``U = 10``
caps it at 10 bits. Our default ``U = log2 N`` lets it reach ``log2 N``. The per-term floor
0.001 keeps independent data near 0 (the seed's naive hash with ``eps = N^(-1/2d)`` gave
2.77 for independent Gaussians because almost every bucket held one point).
Collision counting is vectorised (integer row ids and ``np.unique``), not a dict loop.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize
from scipy.spatial import cKDTree

from .entropy import check_array2d, stacked_row_ids

ENSEMBLES = ("median", "average", "weighted")
HASHINGS = ("p-stable", "floor")


def _projection(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n, d = x.shape
    k = max(1, min(d, int(math.floor(math.log(n / 10.0, 2))) if n > 10 else 1))
    std = x.std(axis=0)
    std[std < 1e-4] = 1.0
    sigma = 1.0 / (std[:, None] * np.sqrt(d)) * np.ones((1, k))
    return x @ rng.normal(0.0, sigma)


def _knn_bandwidth(xw: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n, d = xw.shape
    k = int(math.floor(0.43 * n ** (2.0 / 3 + 0.17 * d / (d + 1)) * math.exp(-1.0 / max(10000, d**4))))
    k = min(max(k, 1), n)
    eps = np.empty(d)
    for j in range(d):  # loop over (few) projected coordinates
        col = xw[:, j : j + 1]
        q = rng.choice(col[:, 0], size=500)[:, None]
        dist, _ = cKDTree(col).query(q, k=[k])
        eps[j] = dist[:, -1].mean()
    return eps + 1e-4


def _bucket_sizes(codes: np.ndarray) -> np.ndarray:
    ids = stacked_row_ids(codes[None])[0]
    _, inv, counts = np.unique(ids, return_inverse=True, return_counts=True)
    return counts[inv.ravel()].astype(np.float64)


def _member(xw, yv, eps_x, eps_y, b_x, b_y, U):
    cx = np.floor((xw + b_x) / eps_x).astype(np.int64)
    cy = np.floor((yv + b_y) / eps_y).astype(np.int64)
    n = len(cx)
    ni, mj, nij = _bucket_sizes(cx), _bucket_sizes(cy), _bucket_sizes(np.hstack([cx, cy]))
    return float(np.mean(np.clip(np.log2(nij * n / (ni * mj)), 0.001, U)))


def _optimal_weights(t: np.ndarray, n: int, d: int) -> np.ndarray:
    """Moon & Hero (2014) ensemble weights as set up in EDGE v4.3: min eta subject to
    ``sum w = 1``, ``||w||_2 <= eta / 2``, ``sum_l w_l (t_l / N)^(i / 2d) <= 2 eta``."""
    L = len(t)
    basis = np.array([(t / n) ** (i / (2.0 * d)) for i in range(1, L)])
    cons = [
        {"type": "eq", "fun": lambda v: v[:-1].sum() - 1.0},
        {"type": "ineq", "fun": lambda v: v[-1] / 2.0 - np.linalg.norm(v[:-1])},
        {"type": "ineq", "fun": lambda v: 2.0 * v[-1] - basis @ v[:-1]},
    ]
    v0 = np.append(np.full(L, 1.0 / L), 1.0)
    res = minimize(lambda v: v[-1], v0, constraints=cons, method="SLSQP")
    return res.x[:-1] if res.success else np.full(L, 1.0 / L)


def edge(
    a,
    b,
    *,
    U: float | None = None,
    gamma=(1.0, 1.0),
    epsilon=None,
    n_ensemble: int = 10,
    eps_range_factor: float = 0.1,
    ensemble: str = "median",
    hashing: str = "p-stable",
    normalize_epsilon: bool = True,
    seed: int = 3334,
) -> float:
    """EDGE estimate of ``I(A;B)`` in bits (Noshad et al. 2019).

    Parameters
    ----------
    a, b : array, shape (N,) or (N, d)
        Paired samples (e.g. the inputs ``X`` and a layer ``T``, or ``T`` and labels).
    U : float, optional
        Cap of each bucket's log-ratio. Default ``log2 N`` (so ``I(X;T)`` can reach
        ``log2 N``); Noshad's default 10 caps it at 10 bits; Deep Bottleneck used 12
        for ``I(X;T)`` and 1 for ``I(T;Y)``.
    gamma : pair of float
        Smoothness of ``a`` and ``b`` (close to 0 for discrete data, 1 for continuous).
    epsilon : pair of float, optional
        Manual base bandwidths; default from k-NN distances.
    n_ensemble : int
        Number ``L`` of base estimators (bandwidths and shifts).
    eps_range_factor : float
        Bandwidths span ``[eps, eps (1 + eps_range_factor)]``.
    ensemble : {"median", "average", "weighted"}
        How the members are combined; ``"weighted"`` solves Moon & Hero's program.
    hashing : {"p-stable", "floor"}
        Random-projection LSH or the plain floor grid.
    normalize_epsilon : bool
        Rescale ``gamma`` by ``2^(-sqrt(2 I) + 0.5 / I)`` and recompute once (EDGE v4.3).
    seed : int
        Seed of the projections and k-NN subsample (same arguments, same number).

    Returns
    -------
    float
        Estimated MI in bits, in ``[0.001, U]``.
    """
    a = check_array2d(a, "a")
    b = check_array2d(b, "b")
    n = len(a)
    if len(b) != n:
        raise ValueError(f"a and b must have the same number of rows, got {n} and {len(b)}")
    if n < 2:
        raise ValueError(f"a and b need at least 2 rows, got {n}")
    if ensemble not in ENSEMBLES:
        raise ValueError(f"ensemble must be one of {ENSEMBLES}, got {ensemble!r}")
    if hashing not in HASHINGS:
        raise ValueError(f"hashing must be one of {HASHINGS}, got {hashing!r}")
    if isinstance(n_ensemble, bool) or not isinstance(n_ensemble, (int, np.integer)) or n_ensemble < 1:
        raise ValueError(f"n_ensemble must be an integer >= 1, got {n_ensemble!r}")
    U = float(np.log2(n)) if U is None else float(U)
    if not np.isfinite(U) or U <= 0:
        raise ValueError(f"U must be a positive number, got {U!r}")
    gamma = np.asarray(gamma, dtype=np.float64)
    if gamma.shape != (2,) or not np.all(np.isfinite(gamma)) or np.any(gamma <= 0):
        raise ValueError(f"gamma must be a pair of positive numbers, got {gamma!r}")
    if epsilon is not None:
        epsilon = np.asarray(epsilon, dtype=np.float64)
        if epsilon.shape != (2,) or not np.all(np.isfinite(epsilon)) or np.any(epsilon <= 0):
            raise ValueError(f"epsilon must be a pair of positive numbers, got {epsilon!r}")
    if not np.isfinite(eps_range_factor) or eps_range_factor < 0:
        raise ValueError(f"eps_range_factor must be >= 0, got {eps_range_factor!r}")

    rng = np.random.default_rng(seed)
    if hashing == "p-stable":
        xw, yv = _projection(a, rng), _projection(b, rng)
    else:
        xw, yv = a, b
    if epsilon is None:
        base_x, base_y = _knn_bandwidth(xw, rng), _knn_bandwidth(yv, rng)
    else:
        base_x, base_y = np.full(xw.shape[1], epsilon[0]), np.full(yv.shape[1], epsilon[1])
    base_x = base_x * 3 * xw.shape[1]
    base_y = base_y * 3 * yv.shape[1]
    t = np.linspace(1.0, 1.0 + eps_range_factor, n_ensemble)
    shifts = np.linspace(0.0, 1.0, n_ensemble, endpoint=False)
    weights = _optimal_weights(t, n, a.shape[1]) if ensemble == "weighted" else None

    def run(g):
        eps_x0, eps_y0 = base_x * 0.9 * g[0], base_y * 0.9 * g[1]
        vals = np.array(
            [
                _member(xw, yv, eps_x0 * t[l], eps_y0 * t[l], shifts[l] * eps_x0 * t[l], shifts[l] * eps_y0 * t[l], U)
                for l in range(n_ensemble)  # loop over ensemble members
            ]
        )
        if ensemble == "median":
            return float(np.median(vals))
        if ensemble == "average":
            return float(np.mean(vals))
        return float(vals @ weights)

    value = run(gamma)
    if normalize_epsilon:
        v = max(value, 1e-3)
        value = run(gamma * 2.0 ** (-math.sqrt(2.0 * v) + 0.5 / v))
    return value
