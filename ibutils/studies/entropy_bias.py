"""Entropy bias of activation functions (Deep Bottleneck documentation, sec. 9.4).

Notes: checklist_seed000.md sec. 4.15. 4,096 samples of ``U[-1, 1]`` (float32) stand in
for a hidden layer's pre-activations; each of the 11 activations of
:mod:`ibutils.activations` is applied and the plug-in entropy of a histogram of the
outputs is compared with the input's. The seed bins the input with ``plt.hist(u, bins=50)``
(50 equal intervals from min to max; 5.634 bits for seed 0) but the outputs with the
*edges* ``np.linspace(min, max, 50)``, i.e. 49 intervals, so even the identity "loses"
``log2(50/49)``-ish bits. :func:`histogram_entropy` implements both. The toy
:func:`copy_neighbour` ("simplifying" a representation) repeatedly copies every second
nonzero value onto its predecessor's value and shuffles.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import activations

#: The order of the seed's list of activation functions (its random draws follow it).
SEED_ORDER = ("sigmoid", "tanh", "relu", "softsign", "softplus", "hard_sigmoid", "selu", "relu6", "elu",
              "leaky_relu", "linear")


def uniform_sample(n_samples: int = 4096, rng=None) -> np.ndarray:
    """``n_samples`` draws of ``U[-1, 1]`` as float32 (the seed: ``np.random.seed(0)``)."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise ValueError(f"n_samples must be an integer >= 2, got {n_samples!r}")
    rng = np.random.RandomState(0) if rng is None else rng
    return rng.uniform(-1, 1, (int(n_samples),)).astype(np.float32)


def histogram_entropy(values, n: int = 50, *, rule: str = "intervals", edges=None) -> float:
    """Plug-in entropy (bits) of a histogram of ``values`` between their min and max.

    Parameters
    ----------
    values : array
    n : int
        ``rule="intervals"``: ``n`` equal intervals (``plt.hist(v, bins=n)``, the seed's
        input binning); ``rule="edges"``: ``n`` edges ``np.linspace(min, max, n)``, i.e.
        ``n - 1`` intervals (the seed's output binning).
    edges : array, optional
        Explicit edges (overrides ``n`` and ``rule``); values outside are dropped, as
        ``np.histogram`` does.
    """
    v = np.asarray(values).ravel()
    if v.size == 0 or not np.all(np.isfinite(v)):
        raise ValueError("values must be a non-empty finite array")
    if edges is None:
        if rule not in ("intervals", "edges"):
            raise ValueError(f"rule must be 'intervals' or 'edges', got {rule!r}")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
            raise ValueError(f"n must be an integer >= 2, got {n!r}")
        edges = int(n) if rule == "intervals" else np.linspace(v.min(), v.max(), int(n))
    counts, _ = np.histogram(v, bins=edges)
    return float(stats.entropy(counts, base=2)) if counts.sum() else 0.0


def copy_neighbour(values, iterations: int = 200, rng=None) -> np.ndarray:
    """The seed's ``_copy_neighbour``: ``iterations`` times set every second nonzero value to
    its predecessor (``nz[1::2] = nz[0:-1:2]``), then shuffle the nonzeros; zeros are kept.

    Returns the nonzeros followed by the zeros (order is irrelevant for a histogram).
    """
    v = np.array(values, copy=True).ravel()
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 0:
        raise ValueError(f"iterations must be a non-negative integer, got {iterations!r}")
    rng = np.random.RandomState(0) if rng is None else rng
    nonzeros = v[v != 0]
    zeros = np.zeros(v.size - nonzeros.size, dtype=v.dtype)
    for _ in range(int(iterations)):  # the transformation is sequential by definition
        nonzeros[1::2] = nonzeros[0:-1:2]
        rng.shuffle(nonzeros)
    return np.concatenate((nonzeros, zeros))


def activation_entropies(seed: int = 0, n_samples: int = 4096, n: int = 50, iterations: int = 200,
                         names=SEED_ORDER) -> pd.DataFrame:
    """The sec. 9.4 analysis for one seed.

    ``RandomState(seed)`` draws the uniform sample, then the shuffles of
    :func:`copy_neighbour` for each activation in ``names`` order (the seed's order).

    Returns
    -------
    DataFrame, one row per activation: ``activation``, ``saturation``, ``h_input``
    (``n`` intervals), ``h_input_edges`` (the input with the outputs' ``n`` edges),
    ``entropy`` (output, ``n`` edges from its min to max), ``reduction`` (``h_input -
    entropy``, the seed's quantity), ``zero_fraction`` (outputs exactly 0),
    ``entropy_simplified`` (after :func:`copy_neighbour`, same edges) and
    ``further_reduction`` (``entropy - entropy_simplified``).
    """
    rng = np.random.RandomState(seed)
    u = uniform_sample(n_samples, rng)
    h_in = histogram_entropy(u, n, rule="intervals")
    h_in_edges = histogram_entropy(u, n, rule="edges")
    rows = []
    for name in names:  # 11 activations
        act = activations.get(name)
        out = np.asarray(act(u))
        edges = np.linspace(out.min(), out.max(), int(n))
        h = histogram_entropy(out, edges=edges)
        hs = histogram_entropy(copy_neighbour(out, iterations, rng), edges=edges)
        rows.append(dict(activation=name, saturation=act.saturation, h_input=h_in, h_input_edges=h_in_edges,
                         entropy=h, reduction=h_in - h, zero_fraction=float(np.mean(out == 0)),
                         entropy_simplified=hs, further_reduction=h - hs))
    return pd.DataFrame(rows)


def activation_entropies_seeds(seeds, **kwargs) -> pd.DataFrame:
    """:func:`activation_entropies` for each seed, concatenated with a ``seed`` column."""
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must not be empty")
    return pd.concat([activation_entropies(int(s), **kwargs).assign(seed=int(s)) for s in seeds],
                     ignore_index=True)
