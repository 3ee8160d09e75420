"""Binning on each replica's own range ``[lo, max_r]`` (Rasmussen 2020, Settings 1.2 and 2.2-2.3).

Rasmussen's thesis bins a ReLU (or ELU) network's layers on ``[lo, maximum activation of the
run]``: ``lo = 0`` for ReLU (Setting 1.2, Saxe et al.'s "run max" range), ``lo = -1`` for ELU
(Setting 2.3). The maximum is that of the whole run, over all hidden layers and epochs, so it is
known only after training; :func:`ibutils.studies._protocols.train_with_run_max` trains once to
read it and replays the identical training with this estimator.

The activity ``T`` (``(R, N, d)``, replicas in the trainer's order) is mapped by
``(T - lo) / (max_r - lo)`` onto ``[0, 1]`` and binned by :func:`ibutils.mi.binning` with
``n_bins`` equal intervals (``strategy="uniform"``; a value equal to ``max_r`` falls in the top
bin) or with Shwartz-Ziv & Tishby's ``linspace`` edges and ``np.digitize`` (``"tishby"``).
"""
from __future__ import annotations

import numpy as np

from .base import MIPair
from .binning import binning

STRATEGIES = ("uniform", "tishby")


class RunMaxBinning:
    """Bins on ``[lo, max_r]`` per replica ``r`` (Rasmussen 2020, Settings 1.2, 2.2-2.3).

    Parameters
    ----------
    scale : array_like, shape (R,)
        Each replica's maximum activation over the run, in the trainer's replica order; every
        one finite and above ``lo``.
    n_bins : int
        Equal intervals on ``[lo, max_r]`` (``"tishby"``: edges, see :func:`ibutils.mi.binning`).
    lo : float
        Lower end of every replica's range (0 for ReLU, -1 for ELU).
    strategy : {"uniform", "tishby"}
        Binning rule on the rescaled ``[0, 1]``.

    Raises
    ------
    ValueError
        For maxima that are not finite or not above ``lo``, an unknown strategy, or ``T`` whose
        replica count differs from ``len(scale)``.
    """

    def __init__(self, scale, n_bins: int = 30, lo: float = 0.0, strategy: str = "uniform"):
        self.scale = np.asarray(scale, dtype=np.float64).reshape(-1)
        self.lo = float(lo)
        if not np.all(np.isfinite(self.scale)) or np.any(self.scale <= self.lo):
            raise ValueError(f"scale: the per-replica maxima must be finite and > lo ({self.lo:g})")
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be 'uniform' or 'tishby', got {strategy!r}")
        self.n_bins, self.strategy = int(n_bins), strategy

    def __call__(self, T, y) -> MIPair:
        """``I(X;T)`` and ``I(T;Y)`` in bits, arrays ``(R,)``, of ``T`` ``(R, N, d)``."""
        T = np.asarray(T, dtype=np.float64)
        if T.ndim != 3 or T.shape[0] != self.scale.size:
            raise ValueError(f"RunMaxBinning: expected ({self.scale.size}, N, d) activity, got shape {T.shape}")
        U = (T - self.lo) / (self.scale - self.lo)[:, None, None]  # lo = 0: exactly T / max_r
        return binning(U, y, n_bins=self.n_bins, value_range=(0.0, 1.0), strategy=self.strategy)

    def __repr__(self):
        return f"RunMaxBinning(R={self.scale.size}, n_bins={self.n_bins}, lo={self.lo:g}, strategy={self.strategy!r})"


__all__ = ["RunMaxBinning", "STRATEGIES"]
