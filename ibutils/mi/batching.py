"""The batching estimator of seed 002 (section 0.2.6, Fig. 8 and eqs. 47-49), in bits.

The random triple is ``(x_i, F^l_{theta(j)}(x_i), y_i)`` with ``i ~ U{1..N}`` and the epoch
``j ~ U`` over a window of ``b`` consecutive epochs: the ``N b`` activations of the window are
pooled, each with weight ``1 / (N b)``. After binning (the extra noise the seed says is still
needed),

.. math::

   I(X;T) = H(T) - H(T|X), \\qquad
   H(T|X) = \\frac1N \\sum_i H\\big(T \\mid X = x_i\\big),

where ``H(T | X = x_i)`` is the entropy of the ``b`` binned codes of ``x_i`` (one per epoch), so
``H(T|X) = 0`` only when no input changes bin within the window, and
``I(T;Y) = H(T) - \\sum_y p(y) H(T | Y = y)`` over the pooled samples. With ``b = 1`` this is the
ordinary binning estimator (seed 002 eqs. 25-30, :func:`ibutils.mi.binning`).

The estimator needs the activity of ``b`` epochs at once, so the trainer's per-snapshot
estimator protocol does not fit it; a snapshot hook collects the windows
(:class:`ibutils.studies.batching_epochs.BatchingRecorder`).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .entropy import check_labels, entropy_from_counts, entropy_of_ids, stacked_row_ids


class BatchingMI(NamedTuple):
    """Batching estimate in bits: arrays of shape ``(R,)`` (floats for one replica)."""

    ixt: np.ndarray
    ity: np.ndarray
    h_t: np.ndarray
    h_t_given_x: np.ndarray


def batching_mi(codes, y) -> BatchingMI:
    """Batching estimator of ``I(X;T)`` and ``I(T;Y)`` from discrete codes of ``b`` epochs.

    Seed 002, section 0.2.6 (Fig. 8, eqs. 47-49, Fig. 9): the ``N b`` pairs
    ``(x_i, t_{i,j})`` of a window of ``b`` epochs are pooled with equal weights and

    .. math:: I(X;T) = H(T) - H(T|X),\\quad H(T|X) = H(T,X) - \\log_2 N,
              \\quad I(T;Y) = H(T) + H(Y) - H(T,Y),

    all plug-in entropies of the pooled sample. ``H(T|X)`` is the mean over inputs of
    the entropy of the ``b`` codes of that input; it vanishes for ``b = 1``.

    Parameters
    ----------
    codes : int array ``(b, N, d)`` or ``(R, b, N, d)``
        Binned activity (any integer codes, e.g. bin indices) of one layer at ``b``
        epochs, for one or ``R`` replicas; row ``i`` is input ``x_i`` in every epoch.
    y : array ``(N,)``
        Class labels.

    Returns
    -------
    BatchingMI
        ``ixt``, ``ity``, ``h_t``, ``h_t_given_x``.
    """
    c = np.asarray(codes)
    if c.ndim not in (3, 4) or c.size == 0:
        raise ValueError(f"codes must have shape (b, N, d) or (R, b, N, d), got {c.shape}")
    if not (np.issubdtype(c.dtype, np.integer) or c.dtype == bool):
        raise ValueError(f"codes must be integer (binned) codes, got dtype {c.dtype}")
    single = c.ndim == 3
    c4 = c[None] if single else c
    R, b, N, d = c4.shape
    y_codes, K = check_labels(y, N)
    ids = stacked_row_ids(c4.reshape(R, b * N, d))  # equal rows (within a replica) equal ids
    ids = np.unique(ids, return_inverse=True)[1].reshape(R, b * N).astype(np.int64)  # dense, < R b N
    x = np.tile(np.arange(N, dtype=np.int64), b)
    yy = np.tile(y_codes, b)
    h_t = entropy_of_ids(ids)
    h_tx = entropy_of_ids(ids * N + x[None])
    h_ty = entropy_of_ids(ids * K + yy[None])
    h_y = float(entropy_from_counts(np.bincount(y_codes, minlength=K)))
    h_t_x = np.clip(h_tx - np.log2(N), 0.0, None) + 0.0
    ixt = np.clip(h_t - h_t_x, 0.0, None) + 0.0
    ity = np.clip(h_t + h_y - h_ty, 0.0, None) + 0.0
    out = BatchingMI(ixt, ity, h_t, h_t_x)
    return BatchingMI(*(float(v[0]) for v in out)) if single else out


def uniform_codes(T, n_bins: int, value_range=(-1.0, 1.0)) -> np.ndarray:
    """Equal-width bin indices ``0..n_bins-1`` of activity ``T`` (any shape) over a fixed range.

    Values outside ``value_range`` fall in the end bins (seed 002, Fig. 5:
    ``binValue(t) = floor((t - low) / s)`` with ``s = (high - low) / bins``).
    """
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins must be an integer >= 1, got {n_bins!r}")
    lo, hi = (float(v) for v in value_range)
    if not hi > lo:
        raise ValueError(f"value_range must have lo < hi, got {value_range!r}")
    T = np.asarray(T, dtype=np.float64)
    c = np.floor((T - lo) * (n_bins / (hi - lo)))
    np.clip(c, 0, n_bins - 1, out=c)
    return c.astype(np.int16 if n_bins < 2**15 else np.int64)


def batching_binning(T, y, *, n_bins: int = 30, value_range=(-1.0, 1.0)) -> BatchingMI:
    """:func:`batching_mi` of real activity ``T`` ``(b, N, d)`` or ``(R, b, N, d)`` after
    ``n_bins`` equal-width bins over ``value_range`` (one grid for the whole window)."""
    return batching_mi(uniform_codes(T, n_bins, value_range), y)


__all__ = ["BatchingMI", "batching_mi", "uniform_codes", "batching_binning"]
