"""Binning (histogram) estimator of ``I(X;T)`` and ``I(T;Y)`` for a deterministic layer.

Every unit of the layer is discretised, each distinct row of bin indices is one state
of ``T``, and the plug-in entropies give (Shwartz-Ziv & Tishby 2017, Sec. 3.3;
Saxe et al. 2018, Sec. 2; Rasmussen's thesis eqs. 5.1-5.2)

.. math:: I(X;T) = H(T), \\qquad I(T;Y) = H(T) - \\sum_y p(y) H(T \\mid Y=y),

since ``H(T|X) = 0`` and ``X`` is uniform over the ``N`` rows. Four discretisations:

* ``"uniform"``: ``n_bins`` equal-width intervals over ``value_range``; values outside
  fall in the end bins (as ``np.histogram``, the maximum is in the last bin).
* ``bin_size=s``: Saxe et al.'s unbounded grid ``floor(a / s)`` (``bin_calc_information2``
  in artemyk/ibsgd, their default ``s = 0.07``).
* ``"tishby"``: Shwartz-Ziv & Tishby's code (ravidziv/IDNNs): ``n_bins`` *edges*
  ``np.linspace(lo, hi, n_bins)`` in float32, ``np.digitize``, each value represented by
  ``bins[digitize - 1]``. So 30 edges give 29 intervals, a value ``>= hi`` (a saturated
  ``tanh`` exactly 1.0) is a cell of its own, and a value ``< lo`` wraps onto that same
  cell (the ``bins[-1]`` index), reproduced as is.
* ``"adaptive"``: equal-mass bins per layer and per call (per epoch), Chelombiev et al.
  2019 as implemented by Rasmussen (``info_utils.get_bins_layers``): the lower bound
  ``lb`` is ``value_range[0]`` (``"layer"``: the item's minimum); ``u`` are the sorted
  unique values of the whole layer (all units, all rows) other than ``lb``; the edges are
  ``[lb] + u[floor(linspace(0, floor((n_bins - 1) |u| / n_bins), n_bins))] + [u[-1]]``
  and ``np.digitize`` assigns bins. Each of the ``n_bins`` bins thus holds the same
  number of unique values; ``lb`` itself (e.g. ReLU zeros) and the maximum get cells of
  their own. Rasmussen used ``lb = -1.000000000001`` for tanh, 0 for ReLU. Values
  below a given ``lb`` (which his code does not allow) lower ``lb`` to the minimum.

Stacked input ``(B, N, d)`` is binned in one pass and all ``B`` items' rows are hashed
and sorted together (``adaptive`` computes its edges per item).
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .entropy import MIPair, check_labels, check_layer, label_bits, mi_from_codes, mi_from_ids

#: threads the fast uniform path splits the stacked items over (NumPy's binning and sorting are
#: single-threaded and release the GIL); arrays below :data:`_SPLIT_MIN` values run in one thread
_THREADS = max(1, min(4, os.cpu_count() or 1))
_SPLIT_MIN = 1 << 20
_POOL: list = []
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(ThreadPoolExecutor(_THREADS, thread_name_prefix="ibutils-binning"))
        return _POOL[0]


def _uniform_mi(T3, n_bins, value_range, y_codes, K):
    """``mi_from_ids(_uniform_ids(...))`` with the stacked items split over :data:`_THREADS` threads
    (each item's numbers are computed exactly as in one thread)."""
    B = len(T3)
    n = min(_THREADS, B) if T3.size >= _SPLIT_MIN else 1
    if n <= 1:
        return mi_from_ids(_uniform_ids(T3, n_bins, value_range), y_codes, K)
    bounds = np.linspace(0, B, n + 1).astype(int)
    parts = list(_pool().map(lambda ab: mi_from_ids(_uniform_ids(T3[ab[0]:ab[1]], n_bins, value_range), y_codes, K),
                             zip(bounds[:-1], bounds[1:])))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

STRATEGIES = ("uniform", "adaptive", "tishby")


def _value_range(T3: np.ndarray, value_range):
    """``(lo, hi)`` as arrays broadcastable to ``(B, 1, 1)``."""
    if isinstance(value_range, str):
        if value_range != "layer":
            raise ValueError(f"value_range must be a pair (lo, hi) or 'layer', got {value_range!r}")
        return T3.min(axis=(1, 2), keepdims=True).astype(np.float64), T3.max(
            axis=(1, 2), keepdims=True
        ).astype(np.float64)
    try:
        lo, hi = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise ValueError(f"value_range must be a pair (lo, hi) or 'layer', got {value_range!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        raise ValueError(f"value_range must be finite with lo < hi, got {value_range!r}")
    return np.full((1, 1, 1), lo), np.full((1, 1, 1), hi)


def _uniform_codes(T3, n_bins, value_range):
    lo, hi = _value_range(T3, value_range)
    width = np.where(hi > lo, (hi - lo) / n_bins, 1.0)
    codes = np.floor((T3 - lo) * (1.0 / width))
    np.clip(codes, 0, n_bins - 1, out=codes)
    return codes.astype(np.int16 if n_bins < 2**15 else np.int64)


def _uniform_ids(T3, n_bins, value_range):
    """Fast path: bin in place in float64 and form the mixed-radix ids by one mat-vec
    (exact: every partial sum is an integer below 2**52)."""
    lo, hi = _value_range(T3, value_range)
    width = np.where(hi > lo, (hi - lo) / n_bins, 1.0)
    x = np.subtract(T3, lo, dtype=np.float64)
    x *= 1.0 / width
    np.floor(x, out=x)
    np.clip(x, 0, n_bins - 1, out=x)
    B, N, d = T3.shape
    strides = float(n_bins) ** np.arange(d)
    return (x.reshape(B * N, d) @ strides).reshape(B, N).astype(np.int64)


def _tishby_codes(T3, n_bins, value_range):
    lo, hi = _value_range(T3, value_range)
    if lo.size == 1:
        edges = np.linspace(lo.item(), hi.item(), n_bins).astype(np.float32)
        codes = np.digitize(T3, edges)
    else:  # per-item range ("layer")
        codes = np.empty(T3.shape, dtype=np.int64)
        for b in range(len(T3)):  # loop over items only for per-item edges
            edges = np.linspace(lo[b].item(), hi[b].item(), n_bins).astype(np.float32)
            codes[b] = np.digitize(T3[b], edges)
    return (codes - 1) % n_bins  # index of the representative bins[digitize - 1]


def _adaptive_codes(T3, n_bins, value_range):
    if isinstance(value_range, str):
        _value_range(T3, value_range)  # validates
        lbs = T3.min(axis=(1, 2)).astype(np.float64)
    else:
        lbs = np.full(len(T3), _value_range(T3, value_range)[0].item())
    codes = np.empty(T3.shape, dtype=np.int64)
    for b in range(len(T3)):  # edges depend on each item's unique values
        edges = adaptive_edges(T3[b], n_bins, lbs[b])
        codes[b] = 0 if edges is None else np.digitize(T3[b], edges)
    return codes


def adaptive_edges(values, n_bins: int, lb: float):
    """Edges of ``n_bins`` equal-mass bins over the unique values of ``values`` (Rasmussen 2020,
    ``info_utils``; Chelombiev et al. 2019): the lower bound ``lb`` (lowered to the smallest value
    if that is below it, which keeps the edges sorted), ``n_bins`` unique values at evenly spaced
    ranks, and the largest value. ``None`` when every value equals the bound (one cell).
    """
    u = np.unique(values)
    lb = min(float(lb), u[0])
    u = u[u != lb]
    if u.size == 0:
        return None
    idx = np.floor(np.linspace(0, np.floor((n_bins - 1) * u.size / n_bins), n_bins)).astype(np.int64)
    return np.concatenate(([lb], u[idx], [u[-1]]))


def binning(T, y, *, n_bins: int = 30, value_range=(-1, 1), bin_size=None, strategy: str = "uniform") -> MIPair:
    """Binned ``I(X;T)`` and ``I(T;Y)`` of a deterministic layer, in bits.

    Parameters
    ----------
    T : array, shape (N, d) or (B, N, d)
        Activity of one layer, one row per distinct input ``x``; or ``B`` stacked
        replicas/epochs that share ``y``.
    y : array of int, shape (N,)
        Class labels.
    n_bins : int
        ``"uniform"``/``"adaptive"``: number of intervals. ``"tishby"``: number of edges
        of ``np.linspace(lo, hi, n_bins)`` (30 edges = 29 intervals + the top cell).
    value_range : (lo, hi) or "layer"
        Range of the bins: a fixed pair (e.g. a global range chosen by the caller) or
        ``"layer"``, this array's min..max (per stacked item). ``"adaptive"`` only uses
        its lower end as the bound ``lb``.
    bin_size : float, optional
        Saxe et al.'s grid ``floor(a / bin_size)``; overrides ``n_bins``/``value_range``.
        Only with ``strategy="uniform"``.
    strategy : {"uniform", "adaptive", "tishby"}
        See the module docstring.

    Returns
    -------
    MIPair
        ``(ixt, ity)``: floats, or float64 arrays of shape ``(B,)`` for stacked input.

    Notes
    -----
    ``I(X;T) = H(T)`` and ``I(T;Y) = H(T) + H(Y) - H(T, Y)`` (identical to
    ``H(T) - sum_y p(y) H(T|Y=y)``) with plug-in entropies, Shwartz-Ziv & Tishby (2017)
    Sec. 3.3 and Saxe et al. (2018) Sec. 2.
    """
    T3, stacked = check_layer(T)
    y_codes, K = check_labels(y, T3.shape[1])
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    if bin_size is not None:
        if strategy != "uniform":
            raise ValueError(f"bin_size is only used with strategy='uniform', got strategy={strategy!r}")
        try:
            s = float(bin_size)
        except (TypeError, ValueError):
            raise ValueError(f"bin_size must be a positive number, got {bin_size!r}") from None
        if not np.isfinite(s) or s <= 0:
            raise ValueError(f"bin_size must be a positive number, got {bin_size!r}")
        codes = np.floor(T3 / s).astype(np.int64)
    else:
        if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
            raise ValueError(f"n_bins must be an integer >= 1, got {n_bins!r}")
        n_bins = int(n_bins)
        if strategy == "uniform" and T3.shape[2] * np.log2(n_bins) + label_bits(K) < 52:
            ixt, ity = _uniform_mi(T3, n_bins, value_range, y_codes, K)
            return MIPair(ixt, ity) if stacked else MIPair(float(ixt[0]), float(ity[0]))
        if strategy == "uniform":
            codes = _uniform_codes(T3, n_bins, value_range)
        elif strategy == "tishby":
            codes = _tishby_codes(T3, n_bins, value_range)
        else:
            codes = _adaptive_codes(T3, n_bins, value_range)
    ixt, ity = mi_from_codes(codes, y_codes, K)
    return MIPair(ixt, ity) if stacked else MIPair(float(ixt[0]), float(ity[0]))
