"""Plain entropy helpers shared by every estimator (all results in bits).

The plug-in (maximum-likelihood) entropy of an empirical distribution,

.. math:: \\hat H = -\\sum_k \\hat p_k \\log_2 \\hat p_k, \\qquad \\hat p_k = n_k / N,

computed from counts, from integer codes, from the rows of a discrete array, or
from a real array after equal-width binning. Everything is vectorised: rows are
turned into single integer ids by a mixed-radix code when it fits in 64 bits,
else by ``np.unique`` over the rows; no Python loop runs over samples.
"""
from __future__ import annotations

import numpy as np


def entropy_from_counts(counts, axis=-1) -> np.ndarray:
    """Plug-in entropy, in bits, of the (unnormalised) counts along ``axis``."""
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(counts > 0, counts / total, 1.0)
        h = -(np.where(counts > 0, p * np.log2(p), 0.0)).sum(axis=axis)
    return h + 0.0  # turn -0.0 into 0.0


def discrete_entropy(codes) -> float:
    """Entropy, in bits, of the empirical distribution of 1-D discrete ``codes``."""
    codes = np.asarray(codes).ravel()
    if codes.size == 0:
        raise ValueError("discrete_entropy: empty input")
    _, counts = np.unique(codes, return_counts=True)
    return float(entropy_from_counts(counts))


def row_ids(a: np.ndarray) -> np.ndarray:
    """Map each row of a 2-D discrete array to an integer id (equal rows, equal ids).

    A mixed-radix code ``sum_j (a_j - min_j) * prod_{k<j} range_k`` is used when the
    product of the column ranges fits in int64; otherwise ``np.unique(axis=0)``.
    The ids are only meaningful within one call.
    """
    a = np.asarray(a)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"row_ids: expected a 2-D array, got shape {a.shape}")
    if a.shape[1] == 0:
        return np.zeros(a.shape[0], dtype=np.int64)
    if not np.issubdtype(a.dtype, np.integer):
        return np.unique(a, axis=0, return_inverse=True)[1].ravel()
    lo = a.min(axis=0).astype(np.int64)
    span = a.max(axis=0).astype(np.int64) - lo + 1
    if np.sum(np.log2(span.astype(np.float64))) < 62:
        strides = np.concatenate(([1], np.cumprod(span[:-1])))
        return (a.astype(np.int64) - lo) @ strides
    return np.unique(a, axis=0, return_inverse=True)[1].ravel()


def pattern_entropy(a) -> float:
    """Entropy, in bits, of the distribution of the distinct rows of ``a``."""
    a = np.asarray(a)
    if a.size == 0:
        raise ValueError("pattern_entropy: empty input")
    return discrete_entropy(row_ids(a))


def uniform_edges(lo, hi, n_bins: int) -> np.ndarray:
    """The ``n_bins - 1`` interior edges of ``n_bins`` equal-width intervals on [lo, hi]."""
    if int(n_bins) < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    return np.linspace(lo, hi, int(n_bins) + 1)[1:-1]


def binned_entropy_rows(x, n_bins: int, value_range="row") -> np.ndarray:
    """Entropy of each row of ``x`` (shape ``(R, N)``) after equal-width binning.

    Each row is one scalar variable observed ``N`` times. ``value_range`` is a pair
    ``(lo, hi)`` shared by all rows, ``"global"`` (the min and max of the whole
    array) or ``"row"`` (each row's own min and max). Values outside the range fall
    in the end bins, and the maximum falls in the last bin (as ``np.histogram``).

    Returns an array of ``R`` entropies in bits.
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    if x.size == 0:
        raise ValueError("binned_entropy_rows: empty input")
    if not np.all(np.isfinite(x)):
        raise ValueError("binned_entropy_rows: input contains NaN or inf")
    n_bins = int(n_bins)
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    if isinstance(value_range, str):
        if value_range == "global":
            lo, hi = np.full(len(x), x.min()), np.full(len(x), x.max())
        elif value_range == "row":
            lo, hi = x.min(axis=1), x.max(axis=1)
        else:
            raise ValueError(f"value_range must be a pair, 'global' or 'row', got {value_range!r}")
    else:
        lo_, hi_ = value_range
        lo, hi = np.full(len(x), float(lo_)), np.full(len(x), float(hi_))
    width = np.where(hi > lo, (hi - lo) / n_bins, 1.0)
    codes = np.clip(np.floor((x - lo[:, None]) / width[:, None]), 0, n_bins - 1).astype(np.int64)
    flat = (codes + n_bins * np.arange(len(x))[:, None]).ravel()
    counts = np.bincount(flat, minlength=len(x) * n_bins).reshape(len(x), n_bins)
    return entropy_from_counts(counts, axis=1)
