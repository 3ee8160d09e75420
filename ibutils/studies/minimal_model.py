"""The minimal model of the Deep Bottleneck analyses (seed 000, section 9.1).

One input neuron feeds one hidden neuron, ``T = f(w X + b)`` with ``X ~ N(0, 1)``.
``T`` is a deterministic function of ``X``, so ``I(X;T) = H(T)``, here the plug-in
entropy of the binned output. Sweeping the weight ``w`` shows how much of the
"compression" in an information plane comes from an activation saturating under
a fixed binning, with no learning at all.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from .. import activations
from ..mi.entropy import binned_entropy_rows

#: Binning modes: one range over every weight (the seed's way) or each weight's own range.
MODES = ("global", "per_weight")


def weight_grid(start: float = 0.1, stop: float = 19.9, step: float = 0.1) -> np.ndarray:
    """The weights of the sweep, ``start, start + step, ..., stop`` (199 values by default)."""
    n = int(round((stop - start) / step)) + 1
    return np.round(start + step * np.arange(n), 10)


def sample_inputs(n_samples: int = 1000, seed: int = 0, draws: int = 2) -> list[np.ndarray]:
    """Consecutive draws of ``n_samples`` values of N(0, 1) from one seeded stream.

    The stream is NumPy's legacy ``RandomState(seed).randn``, the generator behind
    the seed study's ``np.random.seed(0)``: its first draw feeds the weight sweep
    and its second the bias extension, as in the seed.
    """
    rng = np.random.RandomState(seed)
    return [rng.randn(int(n_samples)) for _ in range(draws)]


def entropy_sweep(x: np.ndarray, weights: np.ndarray, names: Iterable[str], *, n_bins: int = 50,
                  mode: str = "global", biases: Sequence[float] = (0.0,)) -> pd.DataFrame:
    """H(T) in bits of ``T = f(w x + b)`` for every activation, bias and weight.

    Parameters
    ----------
    x : (N,) input samples.
    weights : (W,) weights.
    names : activation names from :mod:`ibutils.activations`.
    n_bins : number of equal-width intervals.
    mode : ``"global"``: the bins span the min..max of the outputs over all weights
        (for one activation and bias), as in the seed's first approach;
        ``"per_weight"``: each weight's outputs get bins over their own min..max.
    biases : the biases ``b``.

    Returns
    -------
    DataFrame with columns activation, saturation, bias, w, entropy.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    x = np.asarray(x, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    value_range = "global" if mode == "global" else "row"
    frames = []
    for name in names:
        act = activations.get(name)
        for b in biases:
            h = binned_entropy_rows(act(np.outer(weights, x) + b), n_bins, value_range)
            frames.append(pd.DataFrame({"activation": name, "saturation": act.saturation,
                                        "bias": float(b), "w": weights, "entropy": h}))
    return pd.concat(frames, ignore_index=True)


def trends(sweep: pd.DataFrame, tol: float = 0.1) -> pd.DataFrame:
    """Summarise each curve H(w): first, last, max, change and direction.

    ``direction`` is ``"falls"`` if H at the largest weight is more than ``tol`` bits
    below its maximum over the sweep, ``"rises"`` if the last value is more than
    ``tol`` above the first and within ``tol`` of the maximum, else ``"flat"``.
    """
    def one(g: pd.DataFrame) -> pd.Series:
        h = g.sort_values("w")["entropy"].to_numpy()
        first, last, top = h[0], h[-1], h.max()
        if top - last > tol:
            direction = "falls"
        elif last - first > tol:
            direction = "rises"
        else:
            direction = "flat"
        return pd.Series({"saturation": g["saturation"].iloc[0], "first": first, "last": last,
                          "max": top, "change": last - first, "direction": direction})

    keys = ["activation", "bias"]
    out = sweep.groupby(keys, sort=False)[["saturation", "w", "entropy"]].apply(one)
    return out.reset_index()
