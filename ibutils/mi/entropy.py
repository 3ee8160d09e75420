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

from .base import MIPair


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


# ---------------------------------------------------------------------------
# Shared machinery of the estimators: validation, stacked row ids, plug-in MI.
# ---------------------------------------------------------------------------
def check_layer(T, name: str = "T") -> tuple[np.ndarray, bool]:
    """Validate a layer's activity and return it as ``(B, N, d)`` plus whether it was stacked.

    ``T`` is ``(N, d)`` (one layer, one row per input) or ``(B, N, d)`` (``B`` stacked
    replicas/epochs sharing the same inputs and labels). A 1-D array is one unit.
    Raises ``ValueError`` naming ``name`` for a wrong shape, an empty array or NaN/inf.
    """
    T = np.asarray(T)
    if T.dtype == object or not (np.issubdtype(T.dtype, np.number) or T.dtype == bool):
        raise ValueError(f"{name} must be a numeric array, got dtype {T.dtype}")
    if T.ndim == 1:
        T = T[:, None]
    if T.ndim not in (2, 3):
        raise ValueError(f"{name} must have shape (N, d) or (B, N, d), got {T.shape}")
    stacked = T.ndim == 3
    T3 = T if stacked else T[None]
    if T3.size == 0:
        raise ValueError(f"{name} is empty (shape {T.shape})")
    if np.issubdtype(T3.dtype, np.floating) and not np.all(np.isfinite(T3)):
        raise ValueError(f"{name} contains NaN or inf")
    return T3, stacked


def check_labels(y, n: int, name: str = "y") -> tuple[np.ndarray, int]:
    """Validate 1-D labels of length ``n``; return dense codes ``0..K-1`` and ``K``."""
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"{name} must have shape ({n},) to match the rows of T, got {y.shape}")
    if y.dtype == object:
        raise ValueError(f"{name} must be a numeric array, got dtype object")
    if np.issubdtype(y.dtype, np.floating):
        if not np.all(np.isfinite(y)):
            raise ValueError(f"{name} contains NaN or inf")
        if np.any(y != np.round(y)):
            raise ValueError(f"{name} must hold integer class labels")
    classes, codes = np.unique(y, return_inverse=True)
    return codes.ravel().astype(np.int64), len(classes)


def check_array2d(a, name: str) -> np.ndarray:
    """Validate a finite, non-empty sample array and return it as float64 ``(N, d)``."""
    a = np.asarray(a)
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise ValueError(f"{name} must be a numeric array, got dtype {a.dtype}")
    a = a.astype(np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{name} must have shape (N,) or (N, d), got {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name} is empty (shape {a.shape})")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or inf")
    return a


_ID_BITS = 62


def stacked_row_ids(codes, extra: int = 1) -> np.ndarray:
    """Integer ids of the rows of stacked integer codes ``(B, N, d)`` -> ``(B, N)``.

    Equal rows (within or across items) get equal ids and the ids are below
    ``2**62 / extra``, so that ``ids * extra + label`` still fits in int64. A
    mixed-radix code is accumulated one unit (column) at a time; whenever the radix
    product would overflow, the partial ids are re-densified with ``np.unique``
    (at most ``B * N`` distinct values). No loop runs over samples or items.
    """
    codes = np.asarray(codes)
    if codes.ndim == 2:
        codes = codes[None]
    B, N, d = codes.shape
    if d == 0:
        return np.zeros((B, N), dtype=np.int64)
    lo = codes.min(axis=(0, 1)).astype(np.int64)
    span = codes.max(axis=(0, 1)).astype(np.int64) - lo + 1
    budget = _ID_BITS - np.log2(max(int(extra), 1))
    ids = codes[..., 0].astype(np.int64) - lo[0]
    bits = np.log2(float(span[0]))
    for j in range(1, d):  # loop over units (columns), not samples
        if span[j] == 1:
            continue
        if bits + np.log2(float(span[j])) >= budget:
            ids = np.unique(ids, return_inverse=True)[1].reshape(B, N).astype(np.int64)
            bits = np.log2(float(ids.max() + 1))
        ids = ids * span[j] + (codes[..., j].astype(np.int64) - lo[j])
        bits += np.log2(float(span[j]))
    if bits >= budget:
        ids = np.unique(ids, return_inverse=True)[1].reshape(B, N).astype(np.int64)
    return ids


def _sum_clogc(sorted_keys: np.ndarray) -> np.ndarray:
    """For each row of a row-sorted ``(B, N)`` array, ``sum_runs c log2 c`` of equal runs."""
    B, N = sorted_keys.shape
    starts = np.ones((B, N), dtype=bool)
    np.not_equal(sorted_keys[:, 1:], sorted_keys[:, :-1], out=starts[:, 1:])
    idx = np.flatnonzero(starts)
    counts = np.diff(idx, append=B * N)
    c = np.arange(N + 1, dtype=np.float64)
    clogc = c * np.log2(np.maximum(c, 1.0))  # lookup table, counts <= N
    return np.bincount(idx // N, weights=clogc[counts], minlength=B)


def entropy_of_ids(ids) -> np.ndarray:
    """Plug-in entropy (bits) of each row of integer ids ``(B, N)`` -> ``(B,)`` (sort + runs)."""
    ids = np.atleast_2d(np.asarray(ids))
    N = ids.shape[1]
    return np.log2(N) - _sum_clogc(np.sort(ids, axis=1)) / N + 0.0


def label_bits(n_classes: int) -> int:
    """Bits reserved for the label in the joint key ``(id << bits) | y``."""
    return max(int(n_classes) - 1, 0).bit_length()


def mi_from_ids(ids: np.ndarray, y_codes: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """``H(T)`` and ``H(T) + H(Y) - H(T,Y)`` from row ids ``(B, N)`` below ``2**62 >> label_bits``."""
    shift = label_bits(n_classes)
    N = ids.shape[1]
    keys = np.left_shift(ids, shift)
    keys |= y_codes[None, :]
    keys.sort(axis=1)
    h_ty = np.log2(N) - _sum_clogc(keys) / N
    h_t = np.log2(N) - _sum_clogc(keys >> shift) / N if shift else h_ty
    h_y = float(entropy_from_counts(np.bincount(y_codes, minlength=max(int(n_classes), 1))))
    ity = np.clip(h_t + h_y - h_ty, 0.0, None)  # exact identity; clip round-off below 0
    return h_t + 0.0, ity + 0.0


def mi_from_codes(codes, y_codes: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """``I(X;T) = H(T)`` and ``I(T;Y) = H(T) + H(Y) - H(T,Y)`` of discretised rows.

    ``codes`` are integer bin indices ``(B, N, d)``; ``y_codes`` dense labels ``(N,)``.
    Shwartz-Ziv & Tishby (2017) Sec. 3.3 / Saxe et al. (2018) Sec. 2: with a
    deterministic layer and ``X`` uniform over the ``N`` distinct inputs, ``H(T|X)=0``.
    One row sort per item gives both ``H(T)`` and ``H(T,Y)``. Returns two ``(B,)`` arrays.
    """
    ids = stacked_row_ids(codes, extra=1 << label_bits(n_classes))
    return mi_from_ids(ids, y_codes, n_classes)


def pattern_mi(T, y) -> MIPair:
    """Exact plug-in MI of distinct rows (no binning): ``I(X;T) = H(T)``, ``I(T;Y)``.

    Every distinct row of ``T`` is its own state (float equality). This is the
    "unbinned" quantity for which the data-processing inequality holds exactly along a
    chain of deterministic maps. Accepts ``(N, d)`` or stacked ``(B, N, d)`` like
    :func:`ibutils.mi.binning`.
    """
    T3, stacked = check_layer(T)
    y_codes, K = check_labels(y, T3.shape[1])
    B, N, d = T3.shape
    if np.issubdtype(T3.dtype, np.integer) or T3.dtype == bool:
        codes = T3.astype(np.int64)
    else:
        flat = T3.reshape(B * N, d).astype(np.float64) + 0.0  # -0.0 == 0.0
        codes = np.empty((B * N, d), dtype=np.int64)
        for j in range(d):  # dense ranks per unit
            codes[:, j] = np.unique(flat[:, j], return_inverse=True)[1].ravel()
        codes = codes.reshape(B, N, d)
    ixt, ity = mi_from_codes(codes, y_codes, K)
    return MIPair(ixt, ity) if stacked else MIPair(float(ixt[0]), float(ity[0]))
