"""What the ensemble trainer returns."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class TrainResult:
    """What :func:`train_ensemble` returns.

    Attributes
    ----------
    mi : DataFrame
        ``seed, epoch, layer, estimator, ixt, ity`` (bits) at the snapshot epochs.
    grads : DataFrame
        ``seed, epoch, layer, grad_mean, grad_std, weight_norm, snr`` per epoch.
    metrics : DataFrame
        ``seed, epoch, split, loss, accuracy`` per epoch, ``split`` in train/eval.
    activity : DataFrame
        ``seed, epoch, layer, max_abs, dead_fraction`` per epoch (``dead_fraction``: share
        of the layer's units whose activation is exactly 0 on every MI sample; NaN for the
        read-out).
    activations : dict
        ``epoch -> list`` (one array ``(R, N, d)`` per layer) for the epochs named in
        ``store_activations_at``; empty otherwise.
    snapshot_epochs : ndarray
        Epochs at which MI was measured.
    seeds : ndarray
        The replicas' seeds (``seed + r``).
    dropped_seeds : list of int
        Replicas whose loss or weights became non-finite; their rows are removed from
        the four tables above (they remain in ``unfiltered``).
    unfiltered : dict of DataFrame
        The four tables with every replica.
    weights : list of (ndarray, ndarray)
        Final ``(kernels (R, in, out), biases (R, out))`` per layer (Keras layout).
    timing : dict
        Seconds: ``compile``, ``train`` (compiled epochs), ``forward`` (snapshot
        passes), ``mi`` (estimators), ``total``.
    batch_norm : list of dict
        With ``batch_norm=True``: per hidden layer the final ``gamma``, ``beta``,
        ``moving_mean`` and ``moving_variance``, each ``(R, width)``; empty otherwise.
    """

    mi: pd.DataFrame
    grads: pd.DataFrame
    metrics: pd.DataFrame
    activity: pd.DataFrame
    activations: dict
    snapshot_epochs: np.ndarray
    seeds: np.ndarray
    dropped_seeds: list
    unfiltered: dict
    weights: list
    timing: dict = field(default_factory=dict)
    batch_norm: list = field(default_factory=list)

    @property
    def train_seconds(self) -> float:
        return self.timing.get("train", 0.0)

    @property
    def mi_seconds(self) -> float:
        return self.timing.get("mi", 0.0)

    def __repr__(self):  # keep notebook outputs short and timing-free
        return (
            f"TrainResult(seeds={len(self.seeds)}, snapshots={len(self.snapshot_epochs)}, "
            f"dropped={self.dropped_seeds})"
        )


__all__ = ["TrainResult"]
