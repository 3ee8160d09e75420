"""Regenerating Tishby's 12-bit "harmonics" dataset, and describing label sets.

Shwartz-Ziv & Tishby (2017, *Opening the black box of deep neural networks via
information*, §3.1) describe their 12-bit dataset only in words: the 12 inputs
are 12 points spread uniformly on the 2-sphere, and the label is
``Y = Θ(f(X) - θ)`` for a "spherically symmetric" (rotation-invariant) real
function ``f`` and a threshold ``θ`` chosen so that ``p(Y=1) ≈ 0.5``; a
sigmoidal softening ``p(Y=1|X) = ψ(f(X) - θ)`` keeps ``I(X;Y) ≈ 0.99`` bits.
No algorithm is given, and the file they published (``var_u.mat``) is what
everyone else trains on.

This module follows the regeneration attempt of the Deep Bottleneck project
(documentation §9.3.2, "Our attempt to generate the data set above"):

1. 12 points uniformly on the unit sphere: azimuth ``U[0, 2π)`` and
   ``cos(polar) ~ U[-1, 1]`` (sampling the polar angle itself uniformly would
   crowd the points at the poles);
2. random expansion coefficients ``a_nm`` of a spherical function
   ``g = Σ_n g_n``, ``g_n = Σ_m a_nm Y_n^m``, with ``a_00 = 1`` and all others
   standard normal, up to degree ``l = 85``;
3. Kazhdan's rotation-invariant energy descriptor
   ``f_l(x) = Σ_{n=0}^{l} |Σ_{i=1}^{12} x_i g_n(θ_i, φ_i)|`` for
   ``x ∈ {0, 1}^12``;
4. the threshold ``θ`` = the 42.42nd percentile of ``f`` over the 924
   patterns with exactly 6 active bits (because 57.58 % of those are positive
   in ``var_u.mat``); hard labels ``Θ(f - θ)``;
5. soft labels ``p(y=1|x) = 1 / (1 + exp(-γ (f(x) - θ)))`` with gain
   ``γ = 1``.

With ``scheme="deep_bottleneck"`` the exact random draws of that notebook are
replayed (Python ``random.seed(0)`` for the points, ``np.random.seed(2)`` for
the coefficients); this reproduces its printed threshold ``θ ≈ 468.67`` and its
shares of ``Ŷ = 1`` by number of active bits (9.85 %, 57.58 %, 96.09 % for 5,
6, 7 bits), which checks the vectorised implementation here against the
published loop.  The default ``scheme="numpy"`` draws everything from
``numpy.random.default_rng(seed)``.

All information quantities are in bits.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

__all__ = [
    "N_BITS",
    "ORIGINAL_SHARE_BY_ACTIVE_BITS",
    "DEEP_BOTTLENECK_THRESHOLD",
    "HarmonicsGeneration",
    "all_patterns",
    "sample_sphere",
    "random_coefficients",
    "frequency_components",
    "rotation_invariant_energy",
    "harmonics_generation",
    "generate_harmonics",
    "active_bits",
    "share_by_active_bits",
    "label_information",
]

#: Number of input bits (points on the sphere).
N_BITS = 12

#: Share of ``y = 1`` among the patterns with k active bits in ``var_u.mat``
#: (k = 0..12): 0 for k <= 4, 60/792 (7.58 %), 532/924 (57.58 %), 732/792
#: (92.42 %), and 1 for k >= 8.  Deep Bottleneck documentation §9.3.1.
ORIGINAL_SHARE_BY_ACTIVE_BITS = np.array(
    [0, 0, 0, 0, 0, 60 / 792, 532 / 924, 732 / 792, 1, 1, 1, 1, 1], dtype=np.float64
)

#: Threshold printed by the Deep Bottleneck notebook (§9.3.2), ``θ ≈ 468.67``.
DEEP_BOTTLENECK_THRESHOLD = 468.67


def all_patterns(n_bits: int = N_BITS) -> np.ndarray:
    """All ``2**n_bits`` binary patterns in binary-counting order.

    Row ``k`` is the binary expansion of ``k`` with the most significant bit in
    column 0, which is the row order of ``var_u.mat`` (field ``F``).

    Parameters
    ----------
    n_bits : int
        Number of bits (1 to 24).

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of shape ``(2**n_bits, n_bits)``.
    """
    n_bits = int(n_bits)
    if not 1 <= n_bits <= 24:
        raise ValueError(f"n_bits must be in 1..24, got {n_bits}")
    k = np.arange(2**n_bits, dtype=np.int64)[:, None]
    shifts = np.arange(n_bits - 1, -1, -1, dtype=np.int64)[None, :]
    return ((k >> shifts) & 1).astype(np.uint8)


def sample_sphere(n_points: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points uniformly distributed on the unit 2-sphere.

    The azimuth is ``U[0, 2π)`` and ``cos(polar) ~ U[-1, 1]``; the surface
    element ``sin(polar) dpolar dazimuth`` makes this uniform, while a uniform
    polar angle would concentrate points near the poles (Deep Bottleneck
    documentation §9.3.2).

    Parameters
    ----------
    n_points : int
        Number of points.
    rng : numpy.random.Generator
        Random generator (all azimuths are drawn first, then all cosines).

    Returns
    -------
    azimuth, polar : numpy.ndarray
        Angles in radians, each of shape ``(n_points,)``.
    """
    azimuth = rng.uniform(0.0, 2.0 * np.pi, size=n_points)
    polar = np.arccos(rng.uniform(-1.0, 1.0, size=n_points))
    return azimuth, polar


def _degree_order(max_degree: int) -> tuple[np.ndarray, np.ndarray]:
    """Degrees ``n`` and orders ``m`` of all ``(max_degree+1)**2`` harmonics, m = -n..n within n."""
    n = np.repeat(np.arange(max_degree + 1), 2 * np.arange(max_degree + 1) + 1)
    starts = n**2  # index of (n, -n) in the flat layout
    m = np.arange(n.size) - starts - n
    return n, m


def random_coefficients(max_degree: int, rng: np.random.Generator) -> np.ndarray:
    """Random expansion coefficients ``a_nm`` of a spherical function.

    ``a_00 = 1``; every other coefficient is standard normal (Deep Bottleneck
    documentation §9.3.2, ``generate_coeffs``).

    Parameters
    ----------
    max_degree : int
        Highest degree ``l``.
    rng : numpy.random.Generator
        Random generator.

    Returns
    -------
    numpy.ndarray
        Flat ``float64`` array of length ``(l+1)**2``: entry ``n**2 + n + m``
        is ``a_nm`` (degree ``n``, order ``m = -n..n``).
    """
    coeffs = np.empty((max_degree + 1) ** 2)
    coeffs[0] = 1.0
    coeffs[1:] = rng.standard_normal(coeffs.size - 1)
    return coeffs


def _deep_bottleneck_draws(max_degree: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Replay the random draws of the Deep Bottleneck notebook (§9.3.2).

    Points: ``random.seed(0)`` then, per point, ``uniform(0, 2π)`` for the azimuth
    and ``arccos(uniform(-1, 1))`` for the polar angle.  Coefficients:
    ``np.random.seed(2)`` then, for n = 1..l, ``2n+1`` ``randn()`` draws in list
    order.  The notebook indexes them as ``a_nm[n][m]`` with ``m = -n..n``, so a
    negative ``m`` takes list entry ``2n+1+m`` (Python's negative indexing); the
    same mapping is applied here so that the very same function results.
    """
    pyrng = random.Random(0)
    azimuth = np.empty(N_BITS)
    polar = np.empty(N_BITS)
    for i in range(N_BITS):  # 12 scalar draws; order matters for the replay
        azimuth[i] = pyrng.uniform(0, 2 * np.pi)
        polar[i] = np.arccos(pyrng.uniform(-1, 1))
    legacy = np.random.RandomState(2)
    n, m = _degree_order(max_degree)
    draws = legacy.randn(n.size - 1)  # a_00 = 1 is not drawn
    start_of_degree = n**2  # where degree n's list starts in the flat layout
    list_pos = np.mod(m, 2 * n + 1)  # Python's a_nm[n][m] with negative m
    coeffs = np.empty(n.size)
    coeffs[0] = 1.0
    coeffs[1:] = draws[(start_of_degree + list_pos)[1:] - 1]
    return azimuth, polar, coeffs


def _sph_harm(n: np.ndarray, m: np.ndarray, azimuth: np.ndarray, polar: np.ndarray) -> np.ndarray:
    """Complex spherical harmonic ``Y_n^m`` at (azimuth, polar), across SciPy versions.

    SciPy >= 1.15 has ``sph_harm_y(n, m, polar, azimuth)``; older versions only
    ``sph_harm(m, n, azimuth, polar)`` (order first, azimuth first), removed in
    SciPy 1.17.
    """
    if hasattr(special, "sph_harm_y"):
        return special.sph_harm_y(n, m, polar, azimuth)
    return special.sph_harm(m, n, azimuth, polar)  # pragma: no cover - SciPy < 1.15


def frequency_components(
    azimuth: np.ndarray, polar: np.ndarray, coefficients: np.ndarray, max_degree: int
) -> np.ndarray:
    """Frequency components ``g_n(point_i) = Σ_m a_nm Y_n^m(point_i)``.

    Parameters
    ----------
    azimuth, polar : numpy.ndarray
        Angles of the points (radians), shape ``(n_points,)``.
    coefficients : numpy.ndarray
        Flat coefficients as returned by :func:`random_coefficients`.
    max_degree : int
        Highest degree ``l``.

    Returns
    -------
    numpy.ndarray
        Complex array ``G`` of shape ``(n_points, l+1)``.
    """
    n, m = _degree_order(max_degree)
    if coefficients.shape != n.shape:
        raise ValueError(
            f"coefficients must have length (max_degree+1)**2 = {n.size}, got {coefficients.shape}"
        )
    Y = _sph_harm(n[None, :], m[None, :], np.asarray(azimuth)[:, None], np.asarray(polar)[:, None])
    weighted = Y * coefficients[None, :]
    # sum over m within each degree: degree n occupies columns n**2 .. (n+1)**2 - 1
    G = np.add.reduceat(weighted, np.arange(max_degree + 1) ** 2, axis=1)
    if not np.all(np.isfinite(G)):
        raise ValueError(f"spherical harmonics up to max_degree={max_degree} are not finite")
    return G


def rotation_invariant_energy(X: np.ndarray, G: np.ndarray) -> np.ndarray:
    """Kazhdan's rotation-invariant energy ``f(x) = Σ_n |Σ_i x_i g_n(point_i)|``.

    Parameters
    ----------
    X : numpy.ndarray
        Binary patterns, shape ``(n_patterns, n_points)``.
    G : numpy.ndarray
        Frequency components from :func:`frequency_components`.

    Returns
    -------
    numpy.ndarray
        ``f`` for every pattern, shape ``(n_patterns,)``.
    """
    return np.abs(np.asarray(X, dtype=np.float64) @ G).sum(axis=1)


def active_bits(X: np.ndarray | None = None) -> np.ndarray:
    """Number of active bits of each pattern (all 4096 in var_u order when ``X`` is None)."""
    if X is None:
        X = all_patterns(N_BITS)
    return np.asarray(X).astype(np.int64).sum(axis=1)


@dataclass(frozen=True, repr=False)
class HarmonicsGeneration:
    """Everything produced by :func:`harmonics_generation`.

    Attributes
    ----------
    X : numpy.ndarray
        The 4096 patterns, ``uint8``, in var_u (binary-counting) order.
    y : numpy.ndarray
        Hard labels, ``int64``.
    p_y1 : numpy.ndarray
        Soft labels ``p(y=1|x)``.
    f : numpy.ndarray
        Rotation-invariant energy of every pattern.
    threshold : float
        ``θ``, the percentile of ``f`` over the 6-bit patterns.
    azimuth, polar : numpy.ndarray
        The 12 points on the sphere.
    coefficients : numpy.ndarray
        Flat ``a_nm`` (see :func:`random_coefficients`).
    params : dict
        The arguments used.
    """

    X: np.ndarray
    y: np.ndarray
    p_y1: np.ndarray
    f: np.ndarray
    threshold: float
    azimuth: np.ndarray
    polar: np.ndarray
    coefficients: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"HarmonicsGeneration(threshold={self.threshold:.3f}, p(y=1)={self.y.mean():.4f}, params={self.params})"


def harmonics_generation(
    seed: int = 0,
    *,
    max_degree: int = 85,
    gamma: float = 1.0,
    percentile: float = 42.42,
    labels: str = "threshold",
    scheme: str = "numpy",
) -> HarmonicsGeneration:
    """Generate a 12-bit harmonics dataset (Deep Bottleneck's §9.3.2 construction).

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng`` (points, then coefficients, then the
        label sampling if ``labels="sample"``).  Ignored by
        ``scheme="deep_bottleneck"`` except for the label sampling.
    max_degree : int
        Highest spherical-harmonic degree ``l`` (85 in Deep Bottleneck, whose
        older SciPy gave undefined values from 86 on).
    gamma : float
        Sigmoidal gain ``γ`` of the soft labels (1 in Deep Bottleneck).
    percentile : float
        Percentile of ``f`` over the 6-active-bit patterns used as threshold
        ``θ`` (42.42 = 100 - 57.58, the share of positives at 6 bits in
        ``var_u.mat``).
    labels : {"threshold", "sample"}
        Hard labels: ``"threshold"`` gives ``y = Θ(f - θ)`` (``f > θ``), the
        notebook's ``Ŷ``; ``"sample"`` draws ``y ~ Bernoulli(p(y=1|x))``.
    scheme : {"numpy", "deep_bottleneck"}
        Source of the random points and coefficients: ``default_rng(seed)``, or
        the exact draws of the Deep Bottleneck notebook (``random.seed(0)``,
        ``np.random.seed(2)``), which reproduce its ``θ ≈ 468.67``.

    Returns
    -------
    HarmonicsGeneration
    """
    if labels not in ("threshold", "sample"):
        raise ValueError(f"labels must be 'threshold' or 'sample', got {labels!r}")
    if scheme not in ("numpy", "deep_bottleneck"):
        raise ValueError(f"scheme must be 'numpy' or 'deep_bottleneck', got {scheme!r}")
    max_degree = int(max_degree)
    if max_degree < 0:
        raise ValueError(f"max_degree must be >= 0, got {max_degree}")
    if not 0.0 <= percentile <= 100.0:
        raise ValueError(f"percentile must be in [0, 100], got {percentile}")
    if not gamma > 0:
        raise ValueError(f"gamma must be > 0, got {gamma}")
    rng = np.random.default_rng(seed)
    if scheme == "numpy":
        azimuth, polar = sample_sphere(N_BITS, rng)
        coefficients = random_coefficients(max_degree, rng)
    else:
        azimuth, polar, coefficients = _deep_bottleneck_draws(max_degree)
    G = frequency_components(azimuth, polar, coefficients, max_degree)
    X = all_patterns(N_BITS)
    f = rotation_invariant_energy(X, G)
    threshold = float(np.percentile(f[active_bits(X) == N_BITS // 2], percentile))
    p_y1 = special.expit(gamma * (f - threshold))
    if labels == "threshold":
        y = (f > threshold).astype(np.int64)
    else:
        y = (rng.random(p_y1.shape) < p_y1).astype(np.int64)
    params = dict(seed=seed, max_degree=max_degree, gamma=gamma, percentile=percentile,
                  labels=labels, scheme=scheme)
    return HarmonicsGeneration(X=X, y=y, p_y1=p_y1, f=f, threshold=threshold, azimuth=azimuth,
                               polar=polar, coefficients=coefficients, params=params)


def generate_harmonics(
    seed: int = 0,
    max_degree: int = 85,
    gamma: float = 1.0,
    percentile: float = 42.42,
    *,
    labels: str = "threshold",
    scheme: str = "numpy",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Generated harmonics data as ``(X, y, p_y1)``; see :func:`harmonics_generation`.

    Returns
    -------
    X : numpy.ndarray
        ``uint8`` patterns, shape ``(4096, 12)``, var_u order.
    y : numpy.ndarray
        ``int64`` hard labels.
    p_y1 : numpy.ndarray
        ``float64`` soft labels ``p(y=1|x)``.
    """
    g = harmonics_generation(seed, max_degree=max_degree, gamma=gamma, percentile=percentile,
                             labels=labels, scheme=scheme)
    return g.X, g.y, g.p_y1


def share_by_active_bits(y_or_p: np.ndarray, X: np.ndarray | None = None) -> np.ndarray:
    """Share of ``y = 1`` (or mean ``p(y=1|x)``) among patterns with k active bits.

    Parameters
    ----------
    y_or_p : numpy.ndarray
        Hard labels or soft labels ``p(y=1|x)``, one per pattern.
    X : numpy.ndarray, optional
        The patterns; default: all 4096 in var_u order.

    Returns
    -------
    numpy.ndarray
        ``float64`` array of length ``n_bits + 1``; NaN where no pattern has k
        bits.  For ``var_u.mat`` this is :data:`ORIGINAL_SHARE_BY_ACTIVE_BITS`
        (Deep Bottleneck documentation §9.3.1).
    """
    y_or_p = np.asarray(y_or_p, dtype=np.float64).ravel()
    k = active_bits(X)
    if k.shape != y_or_p.shape:
        raise ValueError(f"y_or_p has {y_or_p.size} entries but X has {k.size} rows")
    n_bits = N_BITS if X is None else np.asarray(X).shape[1]
    counts = np.bincount(k, minlength=n_bits + 1).astype(np.float64)
    sums = np.bincount(k, weights=y_or_p, minlength=n_bits + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _binary_entropy(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    return (special.entr(p) + special.entr(1.0 - p)) / np.log(2.0)


def label_information(y_or_p: np.ndarray) -> dict[str, float]:
    """``p(y=1)``, ``H(Y)``, ``H(Y|X)`` and ``I(X;Y)`` in bits under uniform ``p(x)``.

    ``I(X;Y) = H(Y) - mean_x h(p(y=1|x))`` with the binary entropy ``h``
    (Shwartz-Ziv & Tishby 2017, §3.1: the soft labels should keep
    ``I(X;Y) ≈ 0.99`` bits).  Hard labels give ``H(Y|X) = 0``.  Note that the
    Deep Bottleneck notebook's (unexecuted) cell sums only ``-p log p`` for
    ``H(Y|X)``; the full binary entropy is used here.

    Parameters
    ----------
    y_or_p : numpy.ndarray
        Hard labels or ``p(y=1|x)``, one per equally likely pattern.

    Returns
    -------
    dict
        Keys ``p_y1``, ``H_Y``, ``H_Y_given_X``, ``I_XY`` (floats, bits).
    """
    p = np.asarray(y_or_p, dtype=np.float64).ravel()
    if p.size == 0 or np.any((p < 0) | (p > 1)) or not np.all(np.isfinite(p)):
        raise ValueError("y_or_p must be non-empty and within [0, 1]")
    p_y1 = float(p.mean())
    H_Y = float(_binary_entropy(p_y1))
    H_Y_given_X = float(_binary_entropy(p).mean())
    return dict(p_y1=p_y1, H_Y=H_Y, H_Y_given_X=H_Y_given_X, I_XY=H_Y - H_Y_given_X)


