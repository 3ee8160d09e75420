"""Snapshot schedules: at which epochs the trainer measures mutual information.

An epoch number counts *completed* training epochs, so ``0`` is the network before
any update and ``n_epochs`` the trained one. A schedule is either static (an array of
epochs fixed in advance) or adaptive (it picks the next snapshot from the MI seen so
far); :func:`make_schedule` turns the named options into schedule objects and
:func:`snapshot_epochs` returns the epochs of a static one.

Named static schedules
----------------------
``"tishby"``
    Shwartz-Ziv & Tishby (2017), code ``IDNNs``:
    ``np.unique(np.logspace(np.log2(1), np.log2(E), 400, dtype=int, base=2)) - 1``.
    Their loop records the activity at the *start* of epoch ``j`` for ``j`` in that
    set, i.e. after ``j`` completed epochs: 0 is the initial network and the last
    point is ``E - 1``. For ``E = 8000`` this gives 274 epochs.
``"saxe"``
    Saxe et al. (2018), code ``ibsgd`` (``do_report``): every epoch below 20, every
    5th below 100, every 20th below 2000, then every 100th, over ``0..E``
    (192 epochs for ``E = 8000``).
``"deep_bottleneck"``
    The Deep Bottleneck framework's ``do_report`` (seed 000): every epoch below 50,
    every 2nd below 100, every 20th below 2000, then every 100th, over ``0..E``.
``"every"``
    All epochs ``0..E``.
explicit list
    Any iterable of integers in ``[0, E]`` (sorted and de-duplicated).

Adaptive schedules
------------------
:class:`DeltaSkip` implements the "delta skip" idea: the gap to the next snapshot
doubles while the MI barely moves and halves when it changes quickly. Any object
with the :class:`Schedule` interface (``first()``, ``next(epoch, mi)``) works with
:func:`ibutils.nets.train_ensemble`.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

NAMED = ("tishby", "saxe", "deep_bottleneck", "every")


def tishby_epochs(n_epochs: int, num: int = 400) -> np.ndarray:
    """Shwartz-Ziv & Tishby's log-spaced snapshot epochs (274 of them for 8000 epochs)."""
    n_epochs = _check_epochs(n_epochs)
    if n_epochs == 0:
        return np.array([0], dtype=np.int64)
    pts = np.logspace(np.log2(1), np.log2(n_epochs), int(num), dtype=int, base=2)
    return np.unique(pts).astype(np.int64) - 1


def _rule_epochs(n_epochs: int, rule) -> np.ndarray:
    e = np.arange(_check_epochs(n_epochs) + 1, dtype=np.int64)
    return e[rule(e)]


def saxe_epochs(n_epochs: int) -> np.ndarray:
    """Saxe et al.'s ``do_report`` rule over ``0..n_epochs``."""
    return _rule_epochs(
        n_epochs,
        lambda e: (e < 20) | ((e < 100) & (e % 5 == 0)) | ((e < 2000) & (e % 20 == 0)) | (e % 100 == 0),
    )


def deep_bottleneck_epochs(n_epochs: int) -> np.ndarray:
    """The Deep Bottleneck framework's ``do_report`` rule over ``0..n_epochs``."""
    return _rule_epochs(
        n_epochs,
        lambda e: (e < 50) | ((e < 100) & (e % 2 == 0)) | ((e < 2000) & (e % 20 == 0)) | (e % 100 == 0),
    )


def snapshot_epochs(schedule, n_epochs: int) -> np.ndarray:
    """The sorted snapshot epochs of a static schedule.

    Parameters
    ----------
    schedule : str or iterable of int
        One of ``"tishby"``, ``"saxe"``, ``"deep_bottleneck"``, ``"every"``, or an
        explicit list of epochs in ``[0, n_epochs]``.
    n_epochs : int
        Number of training epochs.

    Raises
    ------
    ValueError
        For an unknown name, or explicit epochs outside ``[0, n_epochs]``.
    """
    n_epochs = _check_epochs(n_epochs)
    if isinstance(schedule, str):
        if schedule == "tishby":
            return tishby_epochs(n_epochs)
        if schedule == "saxe":
            return saxe_epochs(n_epochs)
        if schedule == "deep_bottleneck":
            return deep_bottleneck_epochs(n_epochs)
        if schedule == "every":
            return np.arange(n_epochs + 1, dtype=np.int64)
        raise ValueError(f"unknown snapshot schedule {schedule!r}; valid names: {', '.join(NAMED)} or a list of epochs")
    try:
        e = np.unique(np.asarray(list(schedule), dtype=np.int64))
    except (TypeError, ValueError):
        raise ValueError(f"snapshot_epochs: expected a name or a list of integers, got {schedule!r}") from None
    if e.size and (e[0] < 0 or e[-1] > n_epochs):
        raise ValueError(f"snapshot_epochs: epochs must lie in [0, {n_epochs}], got {e[0]}..{e[-1]}")
    return e


def _check_epochs(n_epochs) -> int:
    if int(n_epochs) != n_epochs or int(n_epochs) < 0:
        raise ValueError(f"n_epochs must be a non-negative integer, got {n_epochs!r}")
    return int(n_epochs)


class Schedule:
    """Interface of a snapshot schedule (the trainer's hook for adaptive ones).

    ``first()`` returns the first snapshot epoch; ``next(epoch, mi)`` returns the
    snapshot after ``epoch`` (or ``None`` to stop), given ``mi``: a mapping
    ``estimator name -> (ixt, ity)`` of arrays of shape ``(R, L)`` (replicas by
    layers) measured at ``epoch``. ``n_epochs`` bounds every answer.
    """

    n_epochs: int

    def first(self) -> int:  # pragma: no cover - interface
        raise NotImplementedError

    def next(self, epoch: int, mi: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> int | None:  # pragma: no cover
        raise NotImplementedError


class StaticSchedule(Schedule):
    """A schedule fixed in advance (named or explicit, see :func:`snapshot_epochs`)."""

    def __init__(self, schedule, n_epochs: int):
        self.n_epochs = _check_epochs(n_epochs)
        self.epochs = snapshot_epochs(schedule, n_epochs)

    def first(self):
        return int(self.epochs[0]) if self.epochs.size else None

    def next(self, epoch, mi=None):
        i = np.searchsorted(self.epochs, epoch, side="right")
        return int(self.epochs[i]) if i < self.epochs.size else None


class DeltaSkip(Schedule):
    """Adaptive "delta skip" schedule: widen the gap while the MI is flat.

    After a snapshot, the largest absolute change of any I(X;T) or I(T;Y) (over
    replicas, layers and estimators, in bits) since the previous snapshot is
    compared with ``threshold``: below it the gap doubles (up to ``max_gap``),
    above ``2 * threshold`` it halves (down to 1). The last epoch is always taken.
    """

    def __init__(self, n_epochs: int, threshold: float = 0.05, max_gap: int = 200, start: int = 0):
        self.n_epochs = _check_epochs(n_epochs)
        if threshold <= 0 or int(max_gap) < 1:
            raise ValueError("DeltaSkip: threshold must be > 0 and max_gap >= 1")
        self.threshold, self.max_gap, self.start = float(threshold), int(max_gap), int(start)
        self.gap, self._last = 1, None

    def first(self):
        self.gap, self._last = 1, None
        return self.start

    def next(self, epoch, mi):
        if epoch >= self.n_epochs:
            return None
        cur = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for pair in mi.values() for a in pair]) if mi else None
        if self._last is not None and cur is not None and cur.shape == self._last.shape:
            delta = np.nanmax(np.abs(cur - self._last)) if cur.size else 0.0
            if delta < self.threshold:
                self.gap = min(self.gap * 2, self.max_gap)
            elif delta > 2 * self.threshold:
                self.gap = max(self.gap // 2, 1)
        self._last = cur
        return min(epoch + self.gap, self.n_epochs)


def make_schedule(schedule, n_epochs: int) -> Schedule:
    """A :class:`Schedule` from a name, a list of epochs, or a schedule object."""
    if isinstance(schedule, Schedule):
        return schedule
    if isinstance(schedule, str) and schedule == "delta_skip":
        return DeltaSkip(n_epochs)
    return StaticSchedule(schedule, n_epochs)


__all__ = [
    "NAMED",
    "Schedule",
    "StaticSchedule",
    "DeltaSkip",
    "make_schedule",
    "snapshot_epochs",
    "tishby_epochs",
    "saxe_epochs",
    "deep_bottleneck_epochs",
]
