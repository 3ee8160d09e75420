"""Exact (unbinned) information of a deterministic layer: counting distinct layer vectors.

Seed 002 (section 0.1.1, eqs. 1-6) argues that a deterministic network compresses,
``I(X;T) < H(X)``, only if some layer maps two different inputs to the same vector. On a
finite data set this is checked by counting: with ``X`` uniform over ``N`` distinct inputs and
no added noise,

.. math:: I(X;T) = H(T) = -\\sum_t \\frac{n_t}{N} \\log_2 \\frac{n_t}{N} \\le \\log_2 \\#\\{t\\},

where ``n_t`` is the number of inputs whose layer vector equals ``t`` *exactly* (float
equality of the raw activations); ``I(X;T) = log2 N`` if and only if all ``N`` vectors are
distinct. :func:`exact_row_ids` codes rows by exact equality, :func:`count_distinct` and
:func:`distinct_rows` count them, :func:`exact_mi` is the estimator (bits).
"""
from __future__ import annotations

import numpy as np

from .base import MIPair
from .entropy import check_labels, check_layer, label_bits, mi_from_ids, stacked_row_ids


def exact_row_ids(T, extra: int = 1) -> np.ndarray:
    """Integer ids of the rows of ``T`` (``(N, d)`` or ``(B, N, d)``) by exact float equality.

    Each unit's values are replaced by their dense rank (over all items), then the rows
    are coded by :func:`ibutils.mi.entropy.stacked_row_ids`; equal rows get equal ids
    across items. ``-0.0`` equals ``0.0``. Returns ``(B, N)`` int64 (``B = 1`` for 2-D input).
    """
    T3, _ = check_layer(T)
    B, N, d = T3.shape
    if np.issubdtype(T3.dtype, np.integer) or T3.dtype == bool:
        codes = T3.astype(np.int64)
    else:
        flat = T3.reshape(B * N, d).astype(np.float64) + 0.0  # exact for float32; -0.0 -> 0.0
        codes = np.empty((B * N, d), dtype=np.int64)
        for j in range(d):  # loop over units, not samples
            codes[:, j] = np.unique(flat[:, j], return_inverse=True)[1].ravel()
        codes = codes.reshape(B, N, d)
    return stacked_row_ids(codes, extra=extra)


def count_distinct(ids) -> np.ndarray:
    """Number of distinct values in each row of ``ids`` ``(B, N)`` -> ``(B,)`` int."""
    s = np.sort(np.atleast_2d(np.asarray(ids)), axis=1)
    return 1 + (s[:, 1:] != s[:, :-1]).sum(axis=1)


def distinct_rows(T) -> np.ndarray | int:
    """Number of distinct (unbinned) rows of a layer ``(N, d)`` or per item of ``(B, N, d)``.

    Seed 002, eq. 6: ``I(X;T) < H(X)`` iff two inputs share a layer vector, i.e. iff
    ``distinct_rows(T) < N``.
    """
    T3, stacked = check_layer(T)
    n = count_distinct(exact_row_ids(T3))
    return n if stacked else int(n[0])


def exact_mi(T, y) -> MIPair:
    """Exact ``I(X;T) = H(T)`` and ``I(T;Y)`` of the raw activations, no binning (bits).

    The same quantity as :func:`ibutils.mi.pattern_mi` (seed 002 eqs. 2-4 with
    ``H(X|T)`` computed from the collisions): ``X`` uniform over the ``N`` rows,
    every distinct row of ``T`` its own state.
    """
    T3, stacked = check_layer(T)
    y_codes, K = check_labels(y, T3.shape[1])
    ixt, ity = mi_from_ids(exact_row_ids(T3, extra=1 << label_bits(K)), y_codes, K)
    return MIPair(ixt, ity) if stacked else MIPair(float(ixt[0]), float(ity[0]))


__all__ = ["exact_row_ids", "count_distinct", "distinct_rows", "exact_mi"]
