"""NumPy's BLAS threads: the one place that caps them (with :mod:`threadpoolctl`).

Two reasons to cap them at one thread:

* **Identical numbers.** OpenBLAS splits a matrix product over its threads, and the split changes
  the last bits of the result (measured: 2.6e-15 bits in a KDE bound of the Cora page between 1 and
  2 threads). How many threads a call gets is not fixed: it depends on the CPUs the process may use
  (``taskset``, a container's quota) and on ``OPENBLAS_NUM_THREADS``. Such a difference is invisible in
  a table but moves a label or a point of a figure by a pixel, and nbval compares the figures'
  bytes. The float64 KDE reference (:mod:`ibutils.mi.kde`, :mod:`ibutils.mi.kde_bank`) therefore
  runs its products in one thread, so a page gives the same bytes wherever it runs.
* **Speed beside TensorFlow.** Next to a training TensorFlow process on two cores, a multi-threaded
  BLAS spends most of its CPU time spinning (the convolutional chapter measured 10 CPU-s against
  1 CPU-s for the same distances).
"""
from __future__ import annotations

import contextlib
import functools


@functools.lru_cache(maxsize=1)
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def blas_threads(n: int | None = 1):
    """A context manager in which NumPy's BLAS uses at most ``n`` threads (``None``: no cap).

    Parameters
    ----------
    n : int or None
        The cap; ``None`` leaves BLAS as it is.

    Examples
    --------
    >>> import numpy as np
    >>> with blas_threads(1):
    ...     _ = np.ones((4, 3)) @ np.ones((3, 2))
    """
    if n is None:
        return contextlib.nullcontext()
    if int(n) < 1:
        raise ValueError(f"n must be a positive number of threads or None, got {n!r}")
    return _controller().limit(limits=int(n), user_api="blas")
