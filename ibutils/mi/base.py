"""The estimator protocol: what every estimator returns, and which layers it measures.

This module imports nothing of :mod:`ibutils`, so every other module may import it.

An *estimator* is a pure, stateless callable ``f(T, y) -> MIPair``: ``T`` is the activity of one
layer, ``(N, d)`` or stacked ``(R, N, d)`` for ``R`` replicas that share the inputs, ``y`` the
class ids ``(N,)``; the pair holds ``I(X;T)`` and ``I(T;Y)`` in bits (floats, or arrays ``(R,)``).
It never learns which layer, epoch or seed ``T`` belongs to; what needs that is a snapshot hook
(:mod:`ibutils.nets.hooks`). :class:`Measure` says which layers an estimator is applied to.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Protocol, Sequence

import numpy as np


class MIPair(NamedTuple):
    """``I(X;T)`` and ``I(T;Y)`` in bits (floats, or arrays of shape ``(B,)`` for stacked input)."""

    ixt: float | np.ndarray
    ity: float | np.ndarray


class Estimator(Protocol):
    """``f(T, y) -> MIPair`` (see the module docstring)."""

    def __call__(self, T: np.ndarray, y: np.ndarray) -> MIPair: ...  # pragma: no cover


LAYER_SETS = ("all", "hidden")


@dataclass(frozen=True)
class Measure:
    """An estimator restricted to some layers.

    Parameters
    ----------
    f : callable
        The estimator ``f(T, y) -> MIPair``.
    layers : {"all", "hidden"} or sequence of int
        Which layers it measures: every layer, the hidden layers (not the read-out), or the
        listed layer numbers (1 = first hidden layer, ``L`` = the softmax read-out). Layers it
        does not measure get NaN in the MI table.

    Examples
    --------
    ``Measure(functools.partial(kde, noise_variance=1e-3), layers="hidden")`` skips the read-out
    (Rasmussen's activation cohort: the read-out is the same for every hidden activation).
    """

    f: Callable[..., Any]
    layers: str | tuple[int, ...] = "all"

    def __post_init__(self):
        if not callable(self.f):
            raise ValueError("Measure: f is not callable")
        if isinstance(self.layers, str):
            if self.layers not in LAYER_SETS:
                raise ValueError(f"Measure: layers must be 'all', 'hidden' or layer numbers, got {self.layers!r}")
        else:
            try:
                ids = tuple(int(x) for x in self.layers)
            except (TypeError, ValueError):
                raise ValueError(f"Measure: layers must be 'all', 'hidden' or layer numbers, got {self.layers!r}") from None
            if not ids or min(ids) < 1:
                raise ValueError(f"Measure: layer numbers start at 1, got {self.layers!r}")
            object.__setattr__(self, "layers", ids)

    def measures(self, layer: int, n_layers: int) -> bool:
        """Whether layer ``layer`` (1..``n_layers``; ``n_layers`` is the read-out) is measured."""
        if self.layers == "all":
            return True
        if self.layers == "hidden":
            return layer < n_layers
        return layer in self.layers

    def __call__(self, T, y) -> MIPair:
        return self.f(T, y)


def as_measure(f) -> Measure:
    """``f`` itself when it is a :class:`Measure`, else ``Measure(f)`` (every layer)."""
    return f if isinstance(f, Measure) else Measure(f)


def on_rows(T, y, *, f, rows: Sequence[int]):
    """``f`` applied to the rows ``rows`` of the probe only (``T`` ``(R, N, d)``, ``y`` ``(N,)``);
    bind it with :func:`functools.partial` (``partial(on_rows, f=binning, rows=idx)``)."""
    return f(T[:, rows], np.asarray(y)[rows])


__all__ = ["MIPair", "Estimator", "Measure", "as_measure", "on_rows", "LAYER_SETS"]
