"""Snapshot hooks: what the trainer tells code that needs to know *where* an activity comes from.

Estimators (:mod:`ibutils.mi.base`) are pure ``f(T, y)`` and never learn the layer, epoch or seed.
Whatever does need them (activation maxima for a run-max replay, histograms, collision counts,
batching windows) is a *snapshot hook*: an object with ``on_snapshot(snapshot)`` and ``table()``.
:func:`ibutils.nets.train_ensemble` calls every hook once for every layer of every snapshot, in
layer order, **also when no replica is finite** (then ``snapshot.T`` has no replica rows and
``snapshot.seeds`` is empty), so a hook never has to count calls to know where it is.

The tables hooks return are keyed by ``seed, epoch, layer``; the MI table holds estimators only.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Snapshot:
    """One layer's activity at one snapshot epoch.

    Attributes
    ----------
    epoch : int
        Completed training epochs (0: the untrained network).
    layer : int
        1 (first hidden layer) .. ``n_layers`` (the softmax read-out).
    n_layers : int
        Number of layers, read-out included.
    seeds : ndarray of int, shape (R_ok,)
        Seeds of the replicas whose activity is finite in every layer at this epoch.
    T : ndarray, shape (R_ok, N, d)
        Their activity on the MI data (float32; the read-out's pre-softmax logits).
    y : ndarray, shape (N,)
        Class ids of the MI data.
    """

    epoch: int
    layer: int
    n_layers: int
    seeds: np.ndarray
    T: np.ndarray
    y: np.ndarray

    @property
    def is_readout(self) -> bool:
        return self.layer == self.n_layers


class SnapshotHook(Protocol):
    """What :func:`ibutils.nets.train_ensemble` accepts in ``hooks``."""

    def on_snapshot(self, snapshot: Snapshot) -> None: ...  # pragma: no cover

    def table(self) -> pd.DataFrame: ...  # pragma: no cover


class _Rows:
    """A thread-safe list of row dicts with a ``table()``."""

    columns: tuple[str, ...] = ("seed", "epoch", "layer")

    def __init__(self):
        self._rows: list[dict] = []
        self._lock = threading.Lock()

    def _add(self, rows):
        with self._lock:
            self._rows.extend(rows)

    def table(self) -> pd.DataFrame:
        if not self._rows:
            return pd.DataFrame({c: pd.Series(dtype=float) for c in self.columns})
        df = pd.DataFrame(self._rows)
        return df.sort_values(["seed", "epoch", "layer"], kind="stable", ignore_index=True)


class LayerMaxima(_Rows):
    """The largest activation of each layer per replica at each snapshot (``max`` column).

    What Rasmussen's run-max binning needs: the maximum over the whole run of each replica's
    layer activity (:func:`run_max`). Units and samples are pooled.
    """

    columns = ("seed", "epoch", "layer", "max")

    def on_snapshot(self, s: Snapshot) -> None:
        m = np.asarray(s.T).reshape(len(s.seeds), -1).max(axis=1) if len(s.seeds) else []
        self._add({"seed": int(a), "epoch": int(s.epoch), "layer": int(s.layer), "max": float(b)}
                  for a, b in zip(s.seeds, m))

    def run_max(self, hidden_only: bool = True) -> pd.DataFrame:
        """Per seed, the maximum over snapshots and (hidden) layers: ``seed, run_max``."""
        t = self.table()
        if hidden_only and len(t):
            t = t[t["layer"] < t["layer"].max()]
        return t.groupby("seed", as_index=False)["max"].max().rename(columns={"max": "run_max"})


class ActivationHistograms(_Rows):
    """Per replica, a ``n_bins``-bin histogram of a layer's activations at each snapshot.

    Units and samples are pooled; the bins span that replica's ``[min, max]`` at that epoch (the
    Deep Bottleneck ``activations`` plotter: one column of counts per epoch). Columns ``seed,
    epoch, layer, lo, hi, b00, b01, ...``.
    """

    def __init__(self, n_bins: int = 30):
        super().__init__()
        self.n_bins = int(n_bins)
        self.columns = ("seed", "epoch", "layer", "lo", "hi") + tuple(f"b{k:02d}" for k in range(self.n_bins))

    def on_snapshot(self, s: Snapshot) -> None:
        if not len(s.seeds):
            return
        flat = np.asarray(s.T, dtype=np.float64).reshape(len(s.seeds), -1)
        lo, hi = flat.min(axis=1), flat.max(axis=1)
        width = np.where(hi > lo, (hi - lo) / self.n_bins, 1.0)
        codes = np.clip(np.floor((flat - lo[:, None]) / width[:, None]), 0, self.n_bins - 1).astype(np.int64)
        R = len(s.seeds)
        counts = np.bincount((codes + self.n_bins * np.arange(R)[:, None]).ravel(),
                             minlength=R * self.n_bins).reshape(R, self.n_bins)
        self._add({"seed": int(sd), "epoch": int(s.epoch), "layer": int(s.layer), "lo": float(lo[r]), "hi": float(hi[r]),
                   **{f"b{k:02d}": int(c) for k, c in enumerate(counts[r])}} for r, sd in enumerate(s.seeds))


__all__ = ["Snapshot", "SnapshotHook", "LayerMaxima", "ActivationHistograms"]
