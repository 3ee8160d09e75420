"""Data-processing-inequality checks of entropy estimates along deterministic chains.

For a Markov chain ``X -> T_1 -> T_2 -> ...`` the data-processing inequality (DPI)
requires ``I(X;T_1) >= I(X;T_2) >= ...``. For deterministic layers ``I(X;T_k) = H(T_k)``,
so an estimate that *increases* from one layer to the next violates the DPI, an
artifact of the estimator (Deep Bottleneck documentation, sec. 9.2 and 9.5; notes:
checklist_seed000.md sec. 4.13 and 4.16). :func:`dpi_gaps` measures these increases;
:func:`weighted_binning_seeds` repeats the seed's standard-vs-weighted-binning example
(sec. 9.2, :func:`ibutils.mi.weighted_binning_example`) over many seeds.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..mi import weighted_binning_example

LAYERS = ("input", "hidden", "output")


def dpi_gaps(values) -> np.ndarray:
    """Downstream changes ``v_{k+1} - v_k`` of estimates along a chain (positive = DPI violated).

    Parameters
    ----------
    values : array (..., K)
        Estimates of ``I(X;T_k)``, ``k = 0 .. K-1``, along the last axis.

    Returns
    -------
    array (..., K-1)
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 0 or v.shape[-1] < 2:
        raise ValueError(f"values needs at least 2 entries along its last axis, got shape {v.shape}")
    return np.diff(v, axis=-1)


def max_violation(values) -> np.ndarray:
    """Largest DPI violation along a chain, ``max(0, max_k (v_{k+1} - v_k))`` (bits)."""
    return np.maximum(dpi_gaps(values).max(axis=-1), 0.0)


def weighted_binning_seeds(seeds, n_samples: int = 1000, n_edges: int = 50) -> pd.DataFrame:
    """The seed's 3-3-3 lossless linear network under standard and weighted binning, per seed.

    Returns a tidy DataFrame with ``seed``, ``binning`` (``"standard"``/``"weighted"``),
    ``input``, ``hidden``, ``output`` (entropies in bits), ``hidden_minus_input``,
    ``output_minus_hidden`` (the two downstream changes) and ``max_violation``.
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must not be empty")
    rows = []
    for s in seeds:  # one small network per seed
        r = weighted_binning_example(int(s), n_samples=n_samples, n_edges=n_edges)
        for name, h in (("standard", r.standard), ("weighted", r.weighted)):
            gaps = dpi_gaps(h)
            rows.append(dict(seed=int(s), binning=name, **dict(zip(LAYERS, map(float, h))),
                             hidden_minus_input=float(gaps[0]), output_minus_hidden=float(gaps[1]),
                             max_violation=float(max_violation(h))))
    return pd.DataFrame(rows)
