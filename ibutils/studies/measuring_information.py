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
        ``bin_size``: the unbounded grid ``floor(t / s)`` of the Deep Bottleneck framework
        (default ``s = 0.07``); ``kde_*``: the Kolchinsky-Tracey bounds with noise variance ``s``
        (Saxe et al. 2018 use 0.1, the Deep Bottleneck framework 10^-3).
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


def chain_estimates(layers, y, *, n_bins: int = 30, bin_size: float = 0.07, noise_variance: float = 1e-3,
                    fine_bin_size: float = 1e-5) -> pd.DataFrame:
    """``I(X;T_k)`` of every layer of a chain by binning, bin size, KDE upper and exact entropy.

    Columns: ``binning`` (``n_bins`` equal bins on [-1, 1]), ``bin_size`` (the Deep Bottleneck
    default grid of size 0.07), ``bin_size_fine`` (a grid of ``fine_bin_size``, near float
    resolution), ``kde_upper`` and ``exact`` (the plug-in entropy of the distinct rows).

    Returns a DataFrame with ``layer`` (0 = input) and one column per estimator, plus the
    largest downstream increase of each estimator (``dpi_violation``) in ``DataFrame.attrs``.
    """
    rows = []
    for k, t in enumerate(layers):  # loop over a few layers
        rows.append(dict(layer=k,
                         binning=binning(t, y, n_bins=n_bins, value_range=(-1, 1)).ixt,
                         bin_size=binning(t, y, bin_size=bin_size).ixt,
                         bin_size_fine=binning(t, y, bin_size=fine_bin_size).ixt,
                         kde_upper=kde(t, y, noise_variance=noise_variance).ixt,
                         exact=pattern_mi(t, y).ixt))
    df = pd.DataFrame(rows)
    df.attrs["dpi_violation"] = {c: float(np.max(np.diff(df[c].to_numpy()), initial=0.0))
                                 for c in ("binning", "bin_size", "bin_size_fine", "kde_upper", "exact")}
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
    ``b`` (the seed's order: the data first, then ``EDGE()`` draws ``b``); the naive estimate
    (nats and bits) at ``eps = factor * N^(-1/2)`` for each factor, the EDGE
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


# --------------------------------------------------------------------------- the page
#: The seed's printed result of its EDGE demo (nats; independent data, true MI 0).
SEED_EDGE_NATS = 2.77335081793
#: Runs behind the seed's EDGE demo (one unseeded draw) and training epochs (none).
STUDY_SEEDS, STUDY_EPOCHS = 1, 0


def _pick(known: pd.DataFrame, case: str, estimator: str | None = None, col: str = "estimate") -> float:
    """One value of the known-answer table: the first row whose case starts with ``case``."""
    d = known[known.case.str.startswith(case)]
    if estimator is not None:
        d = d[d.estimator == estimator]
    if d.empty:
        raise ValueError(f"known answers: no row for case {case!r}, estimator {estimator!r}")
    return float(d[col].iloc[0])


def known_glue(known: pd.DataFrame) -> dict:
    """Values and sentences of the known-answer section (glue key -> value), from :func:`known_answers`."""
    lo = _pick(known, "Gaussian channel", "KDE lower bound")
    up = _pick(known, "Gaussian channel", "KDE upper bound")
    truth = _pick(known, "Gaussian channel", col="truth")
    uni, uni_truth = _pick(known, "U[0, 1)", "binning, 16 bins"), _pick(known, "U[0, 1)", col="truth")
    worst = known.loc[known.error.abs().idxmax()]
    return {
        "ka_patterns": round(_pick(known, "4,096 distinct", "binning, 2 bins on [0, 1]"), 3),
        "ka_onehot": round(_pick(known, "one-hot", "binning, 2 bins on [0, 1]"), 3),
        "ka_uniform": round(uni, 3), "ka_uniform_short": round(uni_truth - uni, 3),
        "ka_kde_lower": round(lo, 3), "ka_kde_upper": round(up, 3), "ka_kde_truth": round(truth, 3),
        "ka_kde_bracket_text": "bracket" if lo <= truth <= up else "do not bracket",
        "ka_ksg": round(_pick(known, "correlated", "KSG (k = 3)"), 3),
        "ka_ksg_truth": round(_pick(known, "correlated", col="truth"), 3),
        "ka_edge_corr": round(_pick(known, "correlated", "EDGE"), 3),
        "ka_ksg_indep": round(_pick(known, "independent", "KSG (k = 3)"), 3),
        "ka_edge_indep": round(_pick(known, "independent", "EDGE"), 3),
        "ka_max_error": round(float(abs(worst.error)), 3), "ka_max_error_row": f"{worst.estimator}, {worst.case}",
    }


def layer_glue(t, exact_ixt: float, *, n_units: int, weight_scale: float) -> dict:
    """Values of the fixed-layer section (glue key -> value)."""
    return {"fl_units": int(n_units), "fl_scale": weight_scale,
            "fl_sat_pct": round(100 * saturation_fraction(t), 1),
            "fl_distinct": int(len(np.unique(np.asarray(t), axis=0))), "fl_exact": round(float(exact_ixt), 3)}


def free_parameter_sweeps(t, y, *, n_bins_grid, bin_size_grid, noise_grid) -> pd.DataFrame:
    """:func:`estimator_sweep` of one layer for the bin count, the bin size and both KDE bounds."""
    return pd.concat([estimator_sweep(t, y, "n_bins", n_bins_grid), estimator_sweep(t, y, "bin_size", bin_size_grid),
                      estimator_sweep(t, y, "kde_upper", noise_grid), estimator_sweep(t, y, "kde_lower", noise_grid)],
                     ignore_index=True)


def _finest(sweeps: pd.DataFrame, parameter: str) -> float:
    """I(X;T) at a sweep's finest resolution (most bins, smallest bin size or noise variance)."""
    d = sweeps[sweeps.parameter == parameter]
    i = d.value.idxmax() if parameter == "n_bins" else d.value.idxmin()
    return float(d.loc[i, "ixt"])


def sweep_glue(sweeps: pd.DataFrame, exact_ixt: float, tol: float = 0.01) -> dict:
    """Values and sentences of the free-parameter section (glue key -> value): each sweep's range
    of I(X;T) and whether every estimator returns the exact value at its finest resolution
    (within ``tol`` bits)."""
    out = {}
    for p in SWEEPS:
        v = sweeps[sweeps.parameter == p]
        out[f"sw_{p}_min"], out[f"sw_{p}_max"] = round(float(v.ixt.min()), 3), round(float(v.ixt.max()), 3)
        out[f"sw_{p}_lo"], out[f"sw_{p}_hi"] = (f"{float(v.value.min()):g}", f"{float(v.value.max()):g}")
    fine = {p: _finest(sweeps, p) for p in SWEEPS}
    if all(abs(f - exact_ixt) < tol for f in fine.values()):
        out["sw_fine_text"] = (f"At the finest resolution every estimator returns the {exact_ixt:.3f} bits of "
                               "H(T) = H(X), the degenerate answer")
    else:
        out["sw_fine_text"] = ("At the finest resolution the estimates are "
                               + ", ".join(f"{f:.3f} ({p.replace('_', ' ')})" for p, f in fine.items())
                               + f" bits, against the exact {exact_ixt:.3f}")
    return out


def chain_glue(chain: pd.DataFrame, gains) -> dict:
    """Values and sentences of the DPI section (glue key -> value), from :func:`chain_estimates`."""
    viol = chain.attrs["dpi_violation"]
    t1, t2 = float(chain.binning.iloc[1]), float(chain.binning.iloc[2])
    out = {f"chain_viol_{c}": round(v, 3) for c, v in viol.items()}
    out.update(chain_gains_text=", ".join(f"{g:g}" for g in gains),
               chain_exact=round(float(chain.exact.iloc[-1]), 3), chain_t1_bin=round(t1, 3), chain_t2_bin=round(t2, 3),
               chain_t2_text=("the later layer appears to know more about the input than the layer it is computed "
                              f"from, an increase of {t2 - t1:.3f} bits" if t2 > t1 else
                              f"the later layer does not exceed the earlier one (a change of {t2 - t1:.3f} bits)"))
    return out


def edge_glue(toy: pd.DataFrame, *, n_samples: int) -> dict:
    """Values and sentences of the EDGE section (glue key -> value), from :func:`edge_toy`."""
    from ..stats import mean_ci

    fine = toy[toy.epsilon_factor == toy.epsilon_factor.min()]
    coarse = toy[toy.epsilon_factor == toy.epsilon_factor.max()]
    m, lo, hi = mean_ci(fine.naive_nats)
    c = float(coarse.naive_nats.mean())
    shrink = "shrink" if c < m else "do not shrink"
    return {
        "edge_naive_mean": round(m, 3), "edge_naive_lo": round(lo, 3), "edge_naive_hi": round(hi, 3),
        "edge_naive_bits": round(float(fine.naive_bits.mean()), 3), "edge_n_seeds": int(fine.seed.nunique()),
        "edge_n": f"{int(n_samples):,}", "edge_buckets": int(round(float(fine.joint_buckets.mean()))),
        "edge_per_bucket": round(n_samples / float(fine.joint_buckets.mean()), 2),
        "edge_naive_coarse": round(c, 3), "edge_coarse_factor": f"{float(coarse.epsilon_factor.iloc[0]):g}",
        "edge_coarse_text": f"{shrink} the bias" + (" without removing it" if c / np.log(2.0) > 0.1 else ""),
        "edge_edge_mean": round(float(fine.edge_bits.mean()), 3),
        "edge_ksg_mean": round(float(fine.ksg_bits.mean()), 3),
    }


def claims(*, exact_ixt: float, sweeps: pd.DataFrame, chain: pd.DataFrame, toy: pd.DataFrame,
           big: float = 1.0, margin: float | None = None, edge_n: int = 4000) -> list[dict]:
    """The chapter's claims rows (see :mod:`ibutils.publish.report` for the rules).

    Parameters
    ----------
    exact_ixt : exact I(X;T) = H(T) of the fixed random layer.
    sweeps : :func:`free_parameter_sweeps` of that layer.
    chain : :func:`chain_estimates` of the hand-built chain.
    toy : :func:`edge_toy` (its smallest ``epsilon_factor`` is the seed's bucket width).
    big : the range of I(X;T) over a sweep (bits) that counts as "heavily" influencing it.
    margin : smallest information difference that counts (default ``MARGIN_BITS``).
    edge_n : the samples of the toy EDGE draws (the seed's: 4,000); at another size the EDGE row
        is "different setting" (:func:`ibutils.publish.report.verdict_at_setting`).

    Rows
    ----
    Five *demonstrations* on constructed examples (one fixed untrained layer, one hand-built gain
    chain), yes/no facts (:func:`~ibutils.publish.report.verdict`): I(X;T) = H(X) for a
    deterministic layer on distinct inputs; the bin size and the KDE noise variance each move the
    estimate by more than ``big`` bits; at bins of 1e-5 the layers of the chain do not differ
    (spread below ``margin``); binning violates the DPI along the chain (by more than ``margin``)
    while the exact entropy does not. One *replication*: the seed's toy EDGE value 2.773 nats,
    ``verdict_value`` over seeds (tolerance 0.05 nats, wider 0.25).
    """
    from ..publish import report
    from ..stats import mean_ci

    margin = report.MARGIN_BITS if margin is None else float(margin)
    rng = lambda p: sweeps[sweeps.parameter == p].ixt  # noqa: E731
    bs_range = float(rng("bin_size").max() - rng("bin_size").min())
    nb_range = float(rng("n_bins").max() - rng("n_bins").min())
    kde_range = float(rng("kde_upper").max() - rng("kde_upper").min())
    hidden = chain[chain.layer > 0]
    fine = hidden.bin_size_fine
    spread = float(fine.max() - fine.min())
    viol = chain.attrs["dpi_violation"]
    ft = toy[toy.epsilon_factor == toy.epsilon_factor.min()]
    mci = mean_ci(ft.naive_nats)
    n_layer = dict(n_seeds=1, epochs=0, kind="demonstration")
    src = "Deep Bottleneck 9.5"
    return [
        dict(claim="I(X;T) of a deterministic layer with discrete inputs is H(X) (12 bits for harmonics)",
             source=f"{src}; Saxe et al. 2018", reported="H(T) = H(X)", measured=f"exact H(T) = {exact_ixt:.3f} bits",
             verdict=report.verdict(abs(exact_ixt - 12) < 1e-9), **n_layer,
             note="a demonstration of an identity on one fixed, untrained random tanh layer"),
        dict(claim="The bin size heavily influences the binned I(X;T)", source=src, reported="heavily (figure lost)",
             measured=f"range {bs_range:.3f} bits over {rng('bin_size').size} bin sizes "
                      f"({nb_range:.3f} bits over {rng('n_bins').size} bin counts)",
             verdict=report.verdict(bs_range > big), **n_layer,
             note=f"a demonstration on one fixed, untrained layer ('heavily': a range above {big:g} bit); "
                  "the Deep Bottleneck analyses' figures of trained networks are lost"),
        dict(claim="The KDE noise variance influences the estimate like the bin size", source=src,
             reported="similar (figure lost)",
             measured=f"range {kde_range:.3f} bits over {rng('kde_upper').size} variances (upper bound)",
             verdict=report.verdict(kde_range > big and bs_range > big), **n_layer,
             note="a demonstration on one fixed, untrained layer; both ranges above "
                  f"{big:g} bit count as alike"),
        dict(claim="Float32 states (bins of 1e-5) give no difference in I(X;T) between layers", source=src,
             reported="no difference", measured=f"layers 1-{int(hidden.layer.max())} of the gain chain: "
                                                 + ", ".join(f"{v:.3f}" for v in fine) + f" bits (spread {spread:.3f})",
             verdict=report.verdict(spread < margin), **n_layer,
             note="a demonstration on the hand-built gain chain, measured between its layers"),
        dict(claim="Binning violates the DPI (later layers above earlier ones)", source=src,
             reported="violated (figure lost)",
             measured=f"+{viol['binning']:.3f} bits (30 bins), +{viol['bin_size']:.3f} (bin size 0.07), "
                      f"exact +{viol['exact']:.3f}",
             verdict=report.verdict(viol["binning"] > margin and viol["exact"] == 0), **n_layer,
             note="a demonstration on the hand-built gain chain"),
        report.verdict_at_setting(dict(
             claim=f"Toy EDGE on independent N(0,1) X, Y (N = {int(edge_n):,}) gives 2.77", source=src,
             reported=f"{SEED_EDGE_NATS:.3f} (nats; true 0; N = 4,000)",
             measured=f"{mci[0]:.3f} [{mci[1]:.3f}, {mci[2]:.3f}] nats naive; "
                      f"EDGE {float(ft.edge_bits.mean()):.3f} bits",
             verdict=report.verdict_value(mci, SEED_EDGE_NATS, n=int(ft.seed.nunique()), close=0.05, partly=0.25),
             n_seeds=int(ft.seed.nunique()), epochs=0, study_seeds=STUDY_SEEDS, study_epochs=STUDY_EPOCHS,
             note="tolerance 0.05 nats (0.25 for partly); the Deep Bottleneck demo drew its shift unseeded, once"),
            {"edge_n": 4000}, {"edge_n": int(edge_n)}),
    ]


def plot_free_parameter(sweeps: pd.DataFrame, exact_ixt: float):
    """I(X;T) of one layer against each estimator's free parameter (three panels), with the exact
    value dashed."""

    from ..plots import panel_grid

    fig, axes = panel_grid(3, panel=(3.2, 3.0), sharey=True)
    panels = [(["n_bins"], "number of bins on [-1, 1]"), (["bin_size"], "bin size"),
              (["kde_upper", "kde_lower"], "KDE noise variance")]
    for ax, (params, xlabel) in zip(axes, panels):
        for p in params:
            d = sweeps[sweeps.parameter == p]
            ax.plot(d.value, d.ixt, "o-", label=p.replace("kde_", "KDE "))
        ax.axhline(float(exact_ixt), color="grey", ls="--", lw=1)
        ax.set_xscale("log")
        ax.set_xlabel(xlabel)
    axes[0].set_ylabel("I(X;T) [bits]")
    axes[2].legend(fontsize=8)
    return fig
