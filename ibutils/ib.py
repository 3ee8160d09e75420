"""The information-bottleneck method on discrete joint distributions (all results in bits).

Given a joint distribution :math:`p(x, y)` of a discrete input and label, the
information bottleneck (IB) of Tishby, Pereira & Bialek (1999) looks for a stochastic
encoder :math:`p(t \\mid x)` that minimises the IB Lagrangian (their Eq. 15)

.. math:: \\mathcal L[p(t\\mid x)] = I(X;T) - \\beta\\, I(T;Y),

under the Markov chain :math:`Y \\leftrightarrow X \\leftrightarrow T`. Its stationary
points satisfy the self-consistent equations (their Eq. 28)

.. math::

    p(t\\mid x) &= \\frac{p(t)}{Z(x,\\beta)} \\exp\\!\\big(-\\beta\\, D_{\\mathrm{KL}}[p(y\\mid x)\\,\\|\\,p(y\\mid t)]\\big), \\\\
    p(t) &= \\sum_x p(x)\\, p(t\\mid x), \\\\
    p(y\\mid t) &= \\frac{1}{p(t)} \\sum_x p(y\\mid x)\\, p(t\\mid x)\\, p(x),

and iterating them (the iterative IB algorithm, their Eq. 29) never increases
:math:`\\mathcal L`. :func:`iterative_ib` runs the iteration for one :math:`\\beta`;
:func:`ib_curve` traces the IB curve (the largest :math:`I(T;Y)` for each :math:`I(X;T)`)
over a range of :math:`\\beta` with restarts and annealing in both directions.

The Lagrangian multiplier :math:`\\beta` is a ratio of two informations in the same
unit, so it is unit-free: the exponent uses the KL divergence in nats, the reported
informations are in bits.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

_TINY = 1e-300
LOG2E = 1.0 / np.log(2.0)


@dataclass(frozen=True)
class IBResult:
    """One solution of the iterative IB algorithm.

    Attributes
    ----------
    p_t_given_x : numpy.ndarray
        The encoder, shape ``(n_x, n_clusters)``; every row sums to 1.
    p_t : numpy.ndarray
        The cluster marginal :math:`p(t)`, shape ``(n_clusters,)``.
    p_y_given_t : numpy.ndarray
        The decoder :math:`p(y \\mid t)`, shape ``(n_clusters, n_y)``.
    ixt, ity : float
        :math:`I(X;T)` and :math:`I(T;Y)` in bits.
    beta : float
        The trade-off parameter.
    lagrangian : float
        :math:`I(X;T) - \\beta I(T;Y)` in bits.
    n_iter : int
        Iterations run.
    converged : bool
        Whether the largest change of :math:`p(t\\mid x)` fell below ``tol``.
    """

    p_t_given_x: np.ndarray
    p_t: np.ndarray
    p_y_given_t: np.ndarray
    ixt: float
    ity: float
    beta: float
    lagrangian: float
    n_iter: int
    converged: bool

    @property
    def n_effective(self) -> int:
        """Number of distinct clusters in use: :math:`p(t) > 10^{-6}` and distinct :math:`p(y\\mid t)`.

        Clusters with the same decoder (to 4 decimals) act as one.
        """
        used = self.p_y_given_t[self.p_t > 1e-6]
        return int(len(np.unique(np.round(used, 4), axis=0))) if len(used) else 0


def check_joint(p_xy, name: str = "p_xy") -> np.ndarray:
    """Validate a joint distribution table and return it as float64, normalised to sum 1.

    Raises ``ValueError`` naming ``name`` when the table is not 2-D, is empty, holds NaN,
    inf or negative entries, or sums to zero.
    """
    p = np.asarray(p_xy)
    if p.dtype == object or not (np.issubdtype(p.dtype, np.number) or p.dtype == bool):
        raise ValueError(f"{name} must be a numeric array, got dtype {p.dtype}")
    p = p.astype(np.float64)
    if p.ndim != 2:
        raise ValueError(f"{name} must be a 2-D table p(x, y), got shape {p.shape}")
    if p.size == 0:
        raise ValueError(f"{name} is empty (shape {p.shape})")
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{name} contains NaN or inf")
    if np.any(p < 0):
        raise ValueError(f"{name} has negative entries")
    total = p.sum()
    if total <= 0:
        raise ValueError(f"{name} sums to zero")
    return p / total


def mutual_information(p_ab) -> float:
    """:math:`I(A;B) = \\sum_{a,b} p(a,b) \\log_2 \\frac{p(a,b)}{p(a)p(b)}` of a joint table, in bits."""
    p = check_joint(p_ab, "p_ab")
    pa = p.sum(1, keepdims=True)
    pb = p.sum(0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(p / (pa * pb)), 0.0)
    return max(float(terms.sum()), 0.0)


def entropy(p) -> float:
    """Shannon entropy :math:`H = -\\sum p \\log_2 p` of a probability vector (or table), in bits."""
    p = np.asarray(p, dtype=np.float64).ravel()
    if p.size == 0 or np.any(p < 0) or not np.all(np.isfinite(p)) or p.sum() <= 0:
        raise ValueError("p must be a non-empty, finite, non-negative array with a positive sum")
    p = p / p.sum()
    nz = p[p > 0]
    return float(-(nz * np.log2(nz)).sum()) + 0.0


def encoder_information(p_xy, p_t_given_x) -> tuple[float, float]:
    """:math:`I(X;T)` and :math:`I(T;Y)` (bits) of an encoder ``p_t_given_x`` ``(n_x, n_t)``.

    ``T`` depends on ``Y`` only through ``X`` (the IB Markov chain), so
    :math:`p(t, y) = \\sum_x p(t\\mid x) p(x, y)`.
    """
    p = check_joint(p_xy)
    q = np.asarray(p_t_given_x, dtype=np.float64)
    if q.ndim != 2 or q.shape[0] != p.shape[0]:
        raise ValueError(f"p_t_given_x must have shape ({p.shape[0]}, n_t), got {q.shape}")
    if np.any(q < 0) or not np.allclose(q.sum(1), 1.0, atol=1e-8):
        raise ValueError("p_t_given_x must have non-negative rows that sum to 1")
    p_x = p.sum(1)
    return mutual_information(p_x[:, None] * q), mutual_information(q.T @ p)


def _normalise_rows(a: np.ndarray) -> np.ndarray:
    return a / a.sum(axis=1, keepdims=True)


def _check_beta(beta, name: str = "beta") -> float:
    try:
        b = float(beta)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {beta!r}") from None
    if not np.isfinite(b) or b <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {beta!r}")
    return b


def _check_int(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _iterate(p_x, p_y_x, negent_x, p_xy, q, beta, n_iter, tol):
    """The self-consistent iteration (Tishby et al. 1999, Eq. 28-29) from encoder ``q``."""
    converged = False
    it = 0
    for it in range(1, n_iter + 1):
        p_t = p_x @ q
        p_ty = q.T @ p_xy
        with np.errstate(divide="ignore", invalid="ignore"):
            p_y_t = np.where(p_t[:, None] > 0, p_ty / p_t[:, None], 0.0)
        # D_KL[p(y|x) || p(y|t)] in nats, shape (n_x, n_t)
        d = negent_x[:, None] - p_y_x @ np.log(np.maximum(p_y_t, _TINY)).T
        logits = np.log(np.maximum(p_t, _TINY))[None, :] - beta * d
        logits -= logits.max(axis=1, keepdims=True)
        q_new = _normalise_rows(np.exp(logits))
        delta = float(np.abs(q_new - q).max())
        q = q_new
        if delta < tol:
            converged = True
            break
    return q, it, converged


def _result(p_xy, q, beta, it, converged) -> IBResult:
    p_x = p_xy.sum(1)
    p_t = p_x @ q
    p_ty = q.T @ p_xy
    with np.errstate(divide="ignore", invalid="ignore"):
        p_y_t = np.where(p_t[:, None] > 0, p_ty / p_t[:, None], 0.0)
    ixt = mutual_information(p_x[:, None] * q)
    ity = mutual_information(p_ty)
    return IBResult(q, p_t, p_y_t, ixt, ity, beta, ixt - beta * ity, it, converged)


def iterative_ib(p_xy, beta: float, n_clusters: int, *, n_iter: int = 1000, tol: float = 1e-10,
                 seed: int = 0, init=None) -> IBResult:
    """Run the iterative IB algorithm for one trade-off ``beta``.

    Implements the self-consistent equations of Tishby, Pereira & Bialek (1999), Eq. 28,
    iterated as in their Eq. 29 (a Blahut-Arimoto-like alternating minimisation), which
    converges to a stationary point (a local minimum) of :math:`I(X;T) - \\beta I(T;Y)`.

    Parameters
    ----------
    p_xy : array_like, shape (n_x, n_y)
        Joint distribution (normalised here; rows with :math:`p(x)=0` are allowed).
    beta : float
        Trade-off parameter, > 0. Small values favour compression (:math:`I(X;T) \\to 0`),
        large values prediction (:math:`I(T;Y) \\to I(X;Y)`).
    n_clusters : int
        Cardinality of the bottleneck variable ``T`` (>= 1).
    n_iter : int
        Largest number of iterations.
    tol : float
        Stop when the largest change of any :math:`p(t\\mid x)` is below ``tol``.
    seed : int
        Seed of the random initial encoder (ignored when ``init`` is given).
    init : array_like, optional
        Initial encoder ``(n_x, n_clusters)`` (rows are normalised).

    Returns
    -------
    IBResult
        Encoder, marginals, :math:`I(X;T)`, :math:`I(T;Y)` (bits) and the Lagrangian.

    Raises
    ------
    ValueError
        For an invalid ``p_xy``, a non-positive ``beta``, ``n_clusters < 1``, ``n_iter < 1``,
        a negative ``tol`` or an ``init`` of the wrong shape.
    """
    p = check_joint(p_xy)
    beta = _check_beta(beta)
    k = _check_int(n_clusters, "n_clusters", 1)
    n_iter = _check_int(n_iter, "n_iter", 1)
    if not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be finite and >= 0, got {tol!r}")
    n_x = p.shape[0]
    p_x = p.sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_y_x = np.where(p_x[:, None] > 0, p / p_x[:, None], 1.0 / p.shape[1])
        negent_x = np.where(p_y_x > 0, p_y_x * np.log(p_y_x), 0.0).sum(1)
    if init is None:
        q = _normalise_rows(np.random.default_rng(seed).random((n_x, k)) + 1e-3)
    else:
        q = np.asarray(init, dtype=np.float64)
        if q.shape != (n_x, k) or np.any(q < 0) or not np.all(np.isfinite(q)) or np.any(q.sum(1) <= 0):
            raise ValueError(f"init must be a non-negative ({n_x}, {k}) array with positive rows")
        q = _normalise_rows(q)
    q, it, converged = _iterate(p_x, p_y_x, negent_x, p, q, beta, n_iter, float(tol))
    return _result(p, q, beta, it, converged)


def ib_curve(p_xy, betas, n_clusters: int | None = None, *, n_iter: int = 1000, tol: float = 1e-10,
             seed: int = 0, n_restarts: int = 3, anneal: bool = True, perturb: float = 0.05,
             return_results: bool = False):
    """Trace the IB curve: the best solution of :func:`iterative_ib` for each ``beta``.

    The iterative algorithm finds local minima, so for every ``beta`` several candidates
    are run and the one with the smallest Lagrangian :math:`I(X;T) - \\beta I(T;Y)`
    (Tishby et al. 1999, Eq. 15) is kept: ``n_restarts`` random initial encoders and,
    with ``anneal``, warm starts from the best solutions at the neighbouring ``beta``
    values, in an ascending sweep (each solution perturbed by ``perturb`` so that
    clusters can split, as in deterministic annealing) and a descending one (so that
    clusters can merge). The optimal curve is concave and both informations grow
    with ``beta``.

    Parameters
    ----------
    p_xy : array_like, shape (n_x, n_y)
        Joint distribution.
    betas : array_like
        Trade-off values (> 0); sorted and de-duplicated.
    n_clusters : int, optional
        Cardinality of ``T``; defaults to ``n_x`` (enough for every point of the curve).
    n_iter, tol : see :func:`iterative_ib`.
    seed : int
        Seeds the restarts and perturbations.
    n_restarts : int
        Random initialisations per ``beta`` (>= 1).
    anneal : bool
        Add the warm starts of the two sweeps.
    perturb : float
        Relative size of the multiplicative noise added to a warm start.
    return_results : bool
        Also return the list of :class:`IBResult` (one per beta).

    Returns
    -------
    pandas.DataFrame
        Columns ``beta``, ``ixt``, ``ity`` (bits), ``lagrangian``, ``n_effective`` (clusters
        in use), ``converged``; one row per beta, ascending. With ``return_results``, a tuple
        ``(frame, results)``.
    """
    p = check_joint(p_xy)
    b = np.asarray(betas, dtype=np.float64).ravel() if not np.isscalar(betas) else np.array([betas], float)
    if b.size == 0:
        raise ValueError("betas is empty")
    for v in b:
        _check_beta(v, "betas")
    b = np.unique(b)
    k = p.shape[0] if n_clusters is None else _check_int(n_clusters, "n_clusters", 1)
    n_restarts = _check_int(n_restarts, "n_restarts", 1)
    if not np.isfinite(perturb) or perturb < 0:
        raise ValueError(f"perturb must be finite and >= 0, got {perturb!r}")
    rng = np.random.default_rng(seed)
    kw = dict(n_iter=n_iter, tol=tol)

    def run(beta, init):
        return iterative_ib(p, beta, k, init=init, **kw)

    def jitter(q):
        return q * (1.0 + perturb * rng.random(q.shape)) + 1e-12

    best: list[IBResult | None] = [None] * len(b)

    def offer(i, res):
        if best[i] is None or res.lagrangian < best[i].lagrangian - 1e-12:
            best[i] = res

    for i, beta in enumerate(b):
        for _ in range(n_restarts):
            offer(i, run(beta, _normalise_rows(rng.random((p.shape[0], k)) + 1e-3)))
        if anneal and i > 0:
            offer(i, run(beta, jitter(best[i - 1].p_t_given_x)))
    if anneal:
        for i in range(len(b) - 2, -1, -1):
            offer(i, run(b[i], jitter(best[i + 1].p_t_given_x)))
            offer(i, run(b[i], best[i + 1].p_t_given_x))
    df = pd.DataFrame({
        "beta": b,
        "ixt": [r.ixt for r in best],
        "ity": [r.ity for r in best],
        "lagrangian": [r.lagrangian for r in best],
        "n_effective": [r.n_effective for r in best],
        "converged": [r.converged for r in best],
    })
    return (df, best) if return_results else df


def label_channel_encoders(p_xy, noise) -> pd.DataFrame:
    """Points :math:`(I(X;T), I(T;Y))` of encoders that copy the most likely label through noise.

    ``T`` is the label :math:`\\hat y(x) = \\arg\\max_y p(y\\mid x)` sent through a
    symmetric channel that keeps it with probability ``1 - noise`` and otherwise
    replaces it by a uniformly drawn *other* label. When ``Y`` is a deterministic
    function of ``X`` these encoders satisfy :math:`I(X;T) = I(T;Y)` and sweep the
    straight part of the IB curve from 0 to :math:`H(Y)` (Kolchinsky, Tracey & Van Kuyk
    2019), which the IB Lagrangian cannot reach.

    Parameters
    ----------
    p_xy : array_like, shape (n_x, n_y), with n_y >= 2
    noise : array_like of floats in [0, (n_y - 1) / n_y]

    Returns
    -------
    pandas.DataFrame with columns ``noise``, ``ixt``, ``ity`` (bits).
    """
    p = check_joint(p_xy)
    n_y = p.shape[1]
    if n_y < 2:
        raise ValueError("p_xy needs at least two labels (columns)")
    eps = np.atleast_1d(np.asarray(noise, dtype=np.float64))
    if np.any(~np.isfinite(eps)) or np.any(eps < 0) or np.any(eps > (n_y - 1) / n_y + 1e-12):
        raise ValueError(f"noise must lie in [0, {(n_y - 1) / n_y:.3f}]")
    onehot = np.eye(n_y)[p.argmax(1)]
    rows = []
    for e in eps:  # loop over a handful of noise levels
        channel = (1 - e) * np.eye(n_y) + e * (1 - np.eye(n_y)) / (n_y - 1)
        ixt, ity = encoder_information(p, onehot @ channel)
        rows.append((float(e), ixt, ity))
    return pd.DataFrame(rows, columns=["noise", "ixt", "ity"])


def harmonics_joint(X, y, p_y1=None) -> np.ndarray:
    """The joint table :math:`p(x, y)` of a dataset with uniform, distinct inputs.

    Each of the ``N`` rows of ``X`` gets :math:`p(x) = 1/N`. With hard labels ``y``
    (integers ``0..K-1``) :math:`p(y\\mid x)` is one-hot (``Y`` a deterministic function of
    ``X``); with ``p_y1`` (binary soft labels :math:`p(y=1\\mid x)`) it is
    ``[1 - p_y1, p_y1]``. Returns an ``(N, K)`` array summing to 1.
    """
    X = np.asarray(X)
    n = len(X)
    if n == 0:
        raise ValueError("X is empty")
    if p_y1 is not None:
        s = np.asarray(p_y1, dtype=np.float64).ravel()
        if s.shape != (n,) or np.any(s < 0) or np.any(s > 1) or not np.all(np.isfinite(s)):
            raise ValueError(f"p_y1 must hold {n} probabilities in [0, 1]")
        return np.stack([1 - s, s], axis=1) / n
    y = np.asarray(y).ravel()
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},), got {y.shape}")
    classes, codes = np.unique(y, return_inverse=True)
    return np.eye(len(classes))[codes.ravel()] / n


def merge_equivalent_inputs(p_xy, decimals: int | None = None) -> np.ndarray:
    """Merge the inputs ``x`` that share the same conditional :math:`p(y\\mid x)`.

    The IB curve depends on ``X`` only through :math:`p(y\\mid x)`, its minimal sufficient
    statistic for ``Y``: telling apart two inputs with the same conditional costs
    :math:`I(X;T)` and buys no :math:`I(T;Y)`, so an optimal encoder never does it and the
    curve of the merged table equals that of the original (Tishby et al. 1999, Sec. 3;
    the trivial solution and the point :math:`I(X;T)=H(X)` at :math:`\\beta\\to\\infty` are
    the only places the two differ: the merged table ends at the entropy of the merged
    input). Rows with :math:`p(x)=0` are dropped.

    Parameters
    ----------
    p_xy : array_like, shape (n_x, n_y)
    decimals : int, optional
        Round the conditionals to this many decimals before grouping (an approximation
        that trades a little accuracy for a smaller table); exact equality when None.

    Returns
    -------
    numpy.ndarray, shape (n_groups, n_y)
        The joint table of the merged input (sums to 1, same :math:`p(y)`); groups are
        ordered by their (rounded) conditional.
    """
    p = check_joint(p_xy)
    p_x = p.sum(1)
    p = p[p_x > 0]
    cond = p / p.sum(1, keepdims=True)
    if decimals is not None:
        cond = np.round(cond, _check_int(decimals, "decimals", 0))
    _, group = np.unique(cond, axis=0, return_inverse=True)
    group = group.ravel()
    out = np.zeros((group.max() + 1, p.shape[1]))
    np.add.at(out, group, p)
    return out
