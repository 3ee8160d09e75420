"""Small information-theory helpers for the background chapters (all results in bits).

Discrete quantities of probability tables (entropy, joint and conditional entropy, KL
divergence, mutual information; Cover & Thomas 2006, ch. 2), closed-form differential
entropies (ch. 8), a data-processing chain of channels (Sec. 2.8) and the typical set
of a Bernoulli source (ch. 3). Discrete entropy and mutual information are those of
:mod:`ibutils.ib`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .ib import check_joint, entropy, mutual_information
from .mi.entropy import binned_entropy_rows

__all__ = ["entropy", "mutual_information", "conditional_entropy", "kl_divergence",
           "gaussian_entropy", "uniform_entropy", "binned_vs_differential", "markov_chain",
           "typical_set"]


def conditional_entropy(p_xy) -> float:
    """:math:`H(Y\\mid X) = H(X,Y) - H(X)` of a joint table with rows ``x`` (bits)."""
    p = check_joint(p_xy)
    return max(entropy(p) - entropy(p.sum(1)), 0.0)


def kl_divergence(p, q) -> float:
    """:math:`D_{\\mathrm{KL}}(p\\,\\|\\,q) = \\sum_i p_i \\log_2 (p_i / q_i)` in bits (``inf`` if
    ``p`` puts mass where ``q`` has none). Cover & Thomas (2006), Eq. 2.26."""
    p = np.asarray(p, dtype=np.float64).ravel()
    q = np.asarray(q, dtype=np.float64).ravel()
    if p.shape != q.shape or p.size == 0:
        raise ValueError(f"p and q must be non-empty and of equal shape, got {p.shape} and {q.shape}")
    if np.any(p < 0) or np.any(q < 0) or p.sum() <= 0 or q.sum() <= 0:
        raise ValueError("p and q must be non-negative with positive sums")
    p, q = p / p.sum(), q / q.sum()
    if np.any((p > 0) & (q == 0)):
        return float("inf")
    m = p > 0
    return float(np.sum(p[m] * np.log2(p[m] / q[m]))) + 0.0


def gaussian_entropy(sigma) -> np.ndarray:
    """Differential entropy :math:`\\tfrac12 \\log_2(2\\pi e \\sigma^2)` of :math:`\\mathcal N(\\mu,\\sigma^2)`
    in bits (Cover & Thomas 2006, Example 8.1.2); negative for :math:`\\sigma < 1/\\sqrt{2\\pi e}`."""
    sigma = np.asarray(sigma, dtype=np.float64)
    if np.any(sigma <= 0):
        raise ValueError("sigma must be > 0")
    return 0.5 * np.log2(2 * np.pi * np.e * sigma**2)


def uniform_entropy(width) -> np.ndarray:
    """Differential entropy :math:`\\log_2 a` of the uniform distribution on an interval of width ``a``."""
    width = np.asarray(width, dtype=np.float64)
    if np.any(width <= 0):
        raise ValueError("width must be > 0")
    return np.log2(width)


def binned_vs_differential(sigma: float, bin_widths, n_samples: int = 100_000, seed: int = 0) -> pd.DataFrame:
    """Plug-in entropy of binned Gaussian samples against :math:`h(X) - \\log_2 \\Delta`.

    For a density and small bins of width :math:`\\Delta`, the entropy of the bin index is
    :math:`H(X^\\Delta) \\approx h(X) - \\log_2 \\Delta` (Cover & Thomas 2006, Thm. 8.3.1): it
    grows without bound as the bins shrink. Returns columns ``bin_width``, ``n_bins``,
    ``binned`` (plug-in estimate on ``n_samples`` draws) and ``theory``.
    """
    x = np.random.default_rng(seed).normal(0.0, sigma, int(n_samples))
    span = x.max() - x.min()
    rows = []
    for w in np.asarray(bin_widths, dtype=np.float64):  # a handful of widths
        if w <= 0:
            raise ValueError("bin_widths must be > 0")
        n_bins = max(int(np.ceil(span / w)), 1)
        hb = float(binned_entropy_rows(x, n_bins, value_range=(x.min(), x.min() + n_bins * w))[0])
        rows.append((float(w), n_bins, hb, float(gaussian_entropy(sigma) - np.log2(w))))
    return pd.DataFrame(rows, columns=["bin_width", "n_bins", "binned", "theory"])


def markov_chain(p_x, *channels) -> list[np.ndarray]:
    """Joint tables :math:`p(x, z_k)` along a chain :math:`X \\to Z_1 \\to Z_2 \\to \\dots`.

    Each channel is a row-stochastic matrix :math:`p(z_k\\mid z_{k-1})`. The
    data-processing inequality (Cover & Thomas 2006, Thm. 2.8.1) says the mutual
    information with ``X`` can only fall along the chain.
    """
    p_x = np.asarray(p_x, dtype=np.float64)
    joint = np.diag(p_x / p_x.sum())
    out = []
    for i, c in enumerate(channels):
        c = np.asarray(c, dtype=np.float64)
        if c.ndim != 2 or c.shape[0] != joint.shape[1] or np.any(c < 0) or not np.allclose(c.sum(1), 1):
            raise ValueError(f"channel {i} must be a row-stochastic ({joint.shape[1]}, m) matrix")
        joint = joint @ c
        out.append(joint)
    return out


def typical_set(p1: float, n: int, eps: float) -> dict:
    """The typical set of ``n`` Bernoulli(``p1``) draws (Cover & Thomas 2006, Sec. 3.1).

    A sequence with ``k`` ones has probability :math:`p_1^k (1-p_1)^{n-k}`; it is
    :math:`\\varepsilon`-typical when :math:`|-\\tfrac1n \\log_2 p(x^n) - H| \\le \\varepsilon`.
    Returns the entropy ``H``, the base-2 logarithm of the number of typical sequences
    (``log2_size``, to compare with :math:`nH`), their total probability (``mass``) and
    the log-size of the whole space (``n``).
    """
    from scipy.special import gammaln

    if not 0 < p1 < 1 or n < 1 or eps <= 0:
        raise ValueError("need 0 < p1 < 1, n >= 1 and eps > 0")
    k = np.arange(n + 1)
    log2_comb = (gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)) / np.log(2)
    log2_p = k * np.log2(p1) + (n - k) * np.log2(1 - p1)
    h = float(entropy([p1, 1 - p1]))
    typical = np.abs(-log2_p / n - h) <= eps
    log2_terms = log2_comb[typical]
    log2_size = float(np.logaddexp2.reduce(log2_terms)) if typical.any() else float("-inf")
    mass = float(np.sum(2.0 ** (log2_comb[typical] + log2_p[typical])))
    return {"H": h, "n": n, "log2_size": log2_size, "mass": mass}
