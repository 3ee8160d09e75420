"""Demonstrations of the MI estimators: known answers, free parameters, DPI, EDGE toy.

The chapter *Measuring information* (Deep Bottleneck documentation, sec. 9.5;
notes: checklist_seed000.md sec. 4.16 and 2.3) argues that ``I(X;T)`` of a
deterministic network is degenerate (``H(X)`` for discrete inputs, infinite for
continuous ones), so every estimator adds noise whose size is a free parameter.
This module holds the logic of that chapter:

* :func:`known_answers`: each estimator of :mod:`ibutils.mi` on a case whose value
  is known in closed form;
* :func:`random_tanh_layer`, :func:`estimator_sweep`: one fixed layer measured with
  a sweep of the bin count, the bin size and the KDE noise variance;
* :func:`tanh_chain`, :func:`chain_estimates`: a chain of deterministic maps on which
  the binned and KDE estimates increase downstream (a violation of the
  data-processing inequality), while the exact plug-in entropy does not;
* :func:`naive_edge`: the seed's toy hashing estimator (sec. 9.5, ``class EDGE``), which
  gave 2.77 (nats) on independent Gaussians.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..mi import binning, edge, kde, ksg, pattern_mi  # noqa: F401  (pattern_mi re-exported for notebooks)
from ..mi.entropy import check_array2d

SWEEPS = ("n_bins", "bin_size", "kde_upper", "kde_lower")


def all_binary_patterns(n_bits: int = 12) -> np.ndarray:
    """All ``2**n_bits`` binary patterns in counting order, ``(2**n_bits, n_bits)`` float64.

    For ``n_bits = 12`` these are the 4,096 inputs of Tishby's harmonics data set.
    """
    if isinstance(n_bits, bool) or not isinstance(n_bits, (int, np.integer)) or not 1 <= n_bits <= 20:
        raise ValueError(f"n_bits must be an integer in [1, 20], got {n_bits!r}")
    i = np.arange(2**n_bits)[:, None]
    return ((i >> np.arange(n_bits - 1, -1, -1)) & 1).astype(np.float64)


def known_answers(seed: int = 0, n_samples: int = 4096, rho: float = 0.9, n_classes: int = 4,
                  n_cells: int = 16, kde_noise: float = 0.1) -> pd.DataFrame:
    """Each estimator on cases with a known value (bits).

    Parameters
    ----------
    seed : int
        Seed of ``RandomState`` for the random cases.
    n_samples : int
        Samples of the random cases.
    rho : float
        Correlation of the Gaussian pair (truth ``-1/2 log2(1 - rho^2)``, Kraskov et al. 2004).
    n_classes : int
        Balanced classes for the one-hot case (truth ``log2 n_classes``).
    n_cells : int
        Equal cells for the uniform case (truth ``log2 n_cells``).
    kde_noise : float
        Noise variance of the Gaussian channel ``h + Z``, ``h ~ N(0, 1)``
        (truth ``1/2 log2(1 + 1/kde_noise)``; the KDE upper and lower bounds should bracket it).

    Returns
    -------
    DataFrame
        One row per (case, estimator): ``case``, ``estimator``, ``truth``, ``estimate``, ``error``.
    """
    if not -1 < rho < 1:
        raise ValueError(f"rho must lie in (-1, 1), got {rho!r}")
    if n_samples < 10:
        raise ValueError(f"n_samples must be >= 10, got {n_samples!r}")
    rng = np.random.RandomState(seed)
    rows = []

    def add(case, estimator, truth, estimate):
        rows.append(dict(case=case, estimator=estimator, truth=float(truth), estimate=float(estimate)))

    pats = all_binary_patterns(12)
    y_pats = np.zeros(len(pats), dtype=int)
    add("4,096 distinct binary patterns: I(X;T) = H(X)", "binning, 2 bins on [0, 1]", 12.0,
        binning(pats, y_pats, n_bins=2, value_range=(0, 1)).ixt)
    add("4,096 distinct binary patterns: I(X;T) = H(X)", "exact (distinct rows)", 12.0, pattern_mi(pats, y_pats).ixt)
    u = rng.uniform(0, 1, n_samples)
    add(f"U[0, 1) in {n_cells} equal cells: H(T)", f"binning, {n_cells} bins", np.log2(n_cells),
        binning(u, np.zeros(n_samples, dtype=int), n_bins=n_cells, value_range=(0, 1)).ixt)
    y = np.arange(n_samples) % n_classes
    onehot = np.eye(n_classes)[y]
    add(f"one-hot labels, {n_classes} balanced classes: I(T;Y)", "binning, 2 bins on [0, 1]", np.log2(n_classes),
        binning(onehot, y, n_bins=2, value_range=(0, 1)).ity)
    add(f"one-hot labels, {n_classes} balanced classes: I(T;Y)", "KDE upper, noise 1e-3", np.log2(n_classes),
        kde(onehot, y, noise_variance=1e-3).ity)
    h = rng.randn(n_samples, 1)
    truth = 0.5 * np.log2(1 + 1 / kde_noise)
    case = f"Gaussian channel h + Z, var(Z) = {kde_noise:g}: I(X;T)"
    add(case, "KDE upper bound", truth, kde(h, np.zeros(n_samples, dtype=int), noise_variance=kde_noise).ixt)
    add(case, "KDE lower bound", truth,
        kde(h, np.zeros(n_samples, dtype=int), noise_variance=kde_noise, bound="lower").ixt)
    a = rng.randn(n_samples, 1)
    b = rho * a + np.sqrt(1 - rho**2) * rng.randn(n_samples, 1)
    case = f"correlated Gaussians, rho = {rho:g}"
    add(case, "KSG (k = 3)", -0.5 * np.log2(1 - rho**2), ksg(a, b))
    add(case, "EDGE", -0.5 * np.log2(1 - rho**2), edge(a, b))
    c = rng.randn(n_samples, 1)
    add("independent Gaussians", "KSG (k = 3)", 0.0, ksg(a, c))
    add("independent Gaussians", "EDGE", 0.0, edge(a, c))
    df = pd.DataFrame(rows)
    df["error"] = df["estimate"] - df["truth"]
    return df


def random_tanh_layer(x, n_units: int = 10, weight_scale: float = 3.0, seed: int = 0) -> np.ndarray:
    """``tanh(x W)`` with ``W ~ N(0, weight_scale^2 / d_in)`` drawn from ``default_rng(seed)``.

    A fixed, untrained layer; ``weight_scale`` sets how much of it saturates.
    """
    x = check_array2d(x, "x")
    if isinstance(n_units, bool) or not isinstance(n_units, (int, np.integer)) or n_units < 1:
        raise ValueError(f"n_units must be a positive integer, got {n_units!r}")
    if not np.isfinite(weight_scale) or weight_scale <= 0:
        raise ValueError(f"weight_scale must be positive, got {weight_scale!r}")
    w = np.random.default_rng(seed).normal(0.0, weight_scale / np.sqrt(x.shape[1]), (x.shape[1], int(n_units)))
    return np.tanh(x @ w)


def saturation_fraction(t, threshold: float = 0.99) -> float:
    """Share of the entries of ``t`` with ``|t| > threshold`` (saturated tanh units)."""
    return float(np.mean(np.abs(np.asarray(t)) > threshold))


def estimator_sweep(t, y, parameter: str, values, value_range=(-1, 1)) -> pd.DataFrame:
    """``I(X;T)`` and ``I(T;Y)`` of one fixed layer as one estimator's free parameter varies.

    Parameters
    ----------
    t : array (N, d)
        The layer (one row per distinct input).
    y : array (N,)
        Labels.
    parameter : {"n_bins", "bin_size", "kde_upper", "kde_lower"}
        ``n_bins``: equal-width bins on ``value_range`` (Shwartz-Ziv & Tishby 2017);
        ``bin_size``: Saxe et al.'s grid ``floor(t / s)``; ``kde_*``: the Kolchinsky-Tracey
        bounds with noise variance ``s^2`` (Saxe et al. 2018).
    values : sequence
        The parameter's values.

    Returns
    -------
    DataFrame with ``parameter``, ``value``, ``ixt``, ``ity`` (bits).
    """
    if parameter not in SWEEPS:
        raise ValueError(f"parameter must be one of {SWEEPS}, got {parameter!r}")
    rows = []
    for v in values:  # loop over a handful of parameter values
        if parameter == "n_bins":
            r = binning(t, y, n_bins=int(v), value_range=value_range)
        elif parameter == "bin_size":
            r = binning(t, y, bin_size=float(v))
        else:
            r = kde(t, y, noise_variance=float(v), bound=parameter.split("_")[1])
        rows.append(dict(parameter=parameter, value=float(v), ixt=float(r.ixt), ity=float(r.ity)))
    return pd.DataFrame(rows)


def tanh_chain(x, widths=(3, 3, 3), gains=(0.1, 10.0, 0.1), seed: int = 0) -> list:
    """Layers of the deterministic chain ``T_k = tanh(g_k T_{k-1} W_k)``, ``T_0 = x``.

    ``W_k ~ N(0, 1 / d_{k-1})`` from ``default_rng(seed)``. A small gain squeezes the layer
    into a few bins; a large one spreads it out again. Returns ``[x, T_1, ..., T_K]``.
    """
    x = check_array2d(x, "x")
    if len(widths) != len(gains) or len(widths) == 0:
        raise ValueError(f"widths and gains must be non-empty and of equal length, got {widths!r}, {gains!r}")
    rng = np.random.default_rng(seed)
    layers = [x]
    for width, gain in zip(widths, gains):
        w = rng.normal(0.0, 1.0 / np.sqrt(layers[-1].shape[1]), (layers[-1].shape[1], int(width)))
        layers.append(np.tanh(float(gain) * layers[-1] @ w))
    return layers


def chain_estimates(layers, y, *, n_bins: int = 30, bin_size: float = 0.07, noise_variance: float = 1e-3
                    ) -> pd.DataFrame:
    """``I(X;T_k)`` of every layer of a chain by binning, bin size, KDE upper and exact entropy.

    Returns a DataFrame with ``layer`` (0 = input) and one column per estimator, plus the
    largest downstream increase of each estimator (``dpi_violation``) in ``DataFrame.attrs``.
    """
    rows = []
    for k, t in enumerate(layers):  # loop over a few layers
        rows.append(dict(layer=k,
                         binning=binning(t, y, n_bins=n_bins, value_range=(-1, 1)).ixt,
                         bin_size=binning(t, y, bin_size=bin_size).ixt,
                         kde_upper=kde(t, y, noise_variance=noise_variance).ixt,
                         exact=pattern_mi(t, y).ixt))
    df = pd.DataFrame(rows)
    df.attrs["dpi_violation"] = {c: float(np.max(np.diff(df[c].to_numpy()), initial=0.0))
                                 for c in ("binning", "bin_size", "kde_upper", "exact")}
    return df


def naive_edge(x, y, *, epsilon: float | None = None, c_h: int = 4, rng=None, return_buckets: bool = False):
    """The seed's toy hashing estimator of ``I(X;Y)`` (Deep Bottleneck sec. 9.5), in **nats**.

    ``H1(v) = floor((v + b) / eps)`` with one shift ``b ~ U(0, eps)`` for both variables and
    ``eps = N^(-1/(2 d))``; ``H2`` hashes each bucket tuple with Python's ``hash`` modulo
    ``N c_h``; then ``MI = sum w_i w_j g(w_ij)``, ``g(w) = w ln w``, which equals the
    plug-in ``(1/N) sum_k ln(c_ij N / (c_i c_j))`` over samples. Without the ensemble,
    the per-term floor and the bandwidth rule of EDGE (Noshad et al. 2019) this is the
    plug-in MI of a fine grid, biased upwards when most joint buckets hold one sample.

    Parameters
    ----------
    x, y : array (N,) or (N, d)
    epsilon : float, optional
        Bucket width; default the seed's ``N^(-1/(2 d))`` with ``d = x.shape[1]``.
    c_h : int
        Buckets per sample of ``H2``.
    rng : numpy.random.RandomState, optional
        Draws the shift ``b`` (the seed used the unseeded global stream); default ``RandomState(0)``.
    return_buckets : bool
        Also return the number of occupied joint buckets.

    Returns
    -------
    float, or (float, int) with ``return_buckets``
    """
    x = check_array2d(x, "x")
    y = check_array2d(y, "y")
    n = len(x)
    if len(y) != n:
        raise ValueError(f"x and y must have the same number of rows, got {n} and {len(y)}")
    eps = n ** (-1.0 / (2 * x.shape[1])) if epsilon is None else float(epsilon)
    if not np.isfinite(eps) or eps <= 0:
        raise ValueError(f"epsilon must be positive, got {epsilon!r}")
    rng = np.random.RandomState(0) if rng is None else rng
    b = rng.uniform(0.0, eps)

    def h2(v):
        codes = np.floor((v + b) / eps).astype(np.int64)
        uniq, inv = np.unique(codes, axis=0, return_inverse=True)
        hashed = np.array([hash(tuple(int(c) for c in row)) % (n * c_h) for row in uniq])  # per bucket
        return hashed[inv.ravel()]

    hx, hy = h2(x), h2(y)
    _, ix, cx = np.unique(hx, return_inverse=True, return_counts=True)
    _, iy, cy = np.unique(hy, return_inverse=True, return_counts=True)
    _, ixy, cxy = np.unique(np.stack([hx, hy], axis=1), axis=0, return_inverse=True, return_counts=True)
    ci, cj, cij = cx[ix.ravel()], cy[iy.ravel()], cxy[ixy.ravel()]
    nats = float(np.mean(np.log(cij * n / (ci * cj.astype(np.float64)))))
    return (nats, int(len(cxy))) if return_buckets else nats


def edge_toy(seeds, n_samples: int = 4000, epsilon_factors=(1.0,)) -> pd.DataFrame:
    """The seed's EDGE demo (independent ``N(0, 1)`` X and Y, true MI 0) over seeds.

    For each seed ``RandomState(seed)`` draws X, Y (``n_samples x 1``) and then the shift
    ``b`` (the seed's order: the data first, then ``EDGE()`` draws ``b``); the naive estimate (nats and bits) at ``eps = factor * N^(-1/2)`` for each factor, the EDGE
    estimate of :func:`ibutils.mi.edge` and KSG, in bits. Also the number of occupied
    joint buckets of the naive hash (``joint_buckets``).
    """
    rows = []
    for s in seeds:  # a few seeds
        rng = np.random.RandomState(s)
        x, y = rng.randn(n_samples, 1), rng.randn(n_samples, 1)
        e, k = edge(x, y), ksg(x, y)
        state = rng.get_state()
        for f in epsilon_factors:
            eps = float(f) * n_samples ** -0.5
            shift_rng = np.random.RandomState()
            shift_rng.set_state(state)
            nats, joint = naive_edge(x, y, epsilon=eps, rng=shift_rng, return_buckets=True)
            rows.append(dict(seed=int(s), epsilon_factor=float(f), epsilon=eps, naive_nats=nats,
                             naive_bits=nats / np.log(2.0), joint_buckets=joint, edge_bits=e, ksg_bits=k))
    return pd.DataFrame(rows)
