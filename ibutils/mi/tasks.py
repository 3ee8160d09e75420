"""Benchmark tasks with a known mutual information (all values in bits).

Each :class:`Task` draws paired samples ``(X, Y)`` from a distribution whose ``I(X;Y)`` is known in
closed form, so an estimator's error can be measured. The families follow Czyz et al., "Beyond
Normal: On the Evaluation of Mutual Information Estimators" (NeurIPS 2023; package ``benchmark-mi``,
cbg-ethz/bmi), re-implemented in NumPy/SciPy, plus Gao et al.'s discrete-continuous mixture (NeurIPS
2017), which is the book's ``I(T;Y)`` situation (a discrete label, a continuous layer):

* ``normal``: jointly Gaussian ``(X, Y)``, ``I = (log det S_XX + log det S_YY - log det S) / 2``
  (Cover & Thomas 2006, eq. 8.56 applied to the three entropies), with *dense* correlations (all
  off-diagonal entries ``rho``) or *sparse* ones (two pairs ``(X_i, Y_i)`` with correlation ``rho``,
  every other coordinate independent: ``I = -log(1 - rho^2)`` for the two pairs together);
* ``student``: multivariate Student-t with identity dispersion and ``nu`` degrees of freedom, which has
  uncorrelated but dependent coordinates; ``I = G(d_X) + G(d_Y) - G(d_X + d_Y)`` with the entropy
  terms ``G`` of Arellano-Valle, Contreras-Reyes & Genton (Scand. J. Stat. 2013, eq. 7), the
  "degrees-of-freedom term" of Czyz et al. (2023, Sec. 3 and App. C) whose Gaussian part is 0 here;
* ``transformed``: an invertible map of ``X`` and/or ``Y`` (normal CDF, half-cube
  ``t -> t sqrt|t|``, ``asinh``, the spiral, a "wiggly" monotone map, a bimodal marginal by a CDF
  transform, the Swiss-roll embedding) keeps ``I`` (Kraskov et al. 2004, eq. 3; Czyz et al. 2023,
  Sec. 3), so the truth is the untransformed task's;
* ``uniform-noise``: ``X ~ U(0, 1)``, ``Y = X + U(-e/2, e/2)``: ``I = e/2 - ln e`` nats for
  ``e <= 1`` and ``1/(2e)`` for ``e >= 1`` (the trapezoid density of ``Y``; Czyz et al. 2023, App. C);
* ``mixture``: ``X ~ Cat(m)`` uniform on ``{0..m-1}``, ``Y | X ~ U(X, X + 2)``:
  ``I = ln m - (m - 1)/m ln 2`` nats (Gao, Kannan, Oh & Viswanath, NeurIPS 2017, Sec. 5).

Every sampler is ``sampler(n, seed) -> (X, Y)`` with ``X`` ``(n, d_X)`` and ``Y`` ``(n, d_Y)``
float64 arrays (for the mixture tasks ``X`` holds the class ids), seeded
by :func:`numpy.random.default_rng`: the same arguments give the same samples. :func:`tasks` lists
the suite; :func:`get` finds one task by name. Independent checks of every closed form (numerical
integration, Monte Carlo with a stated standard error) are in ``tests/mi/test_tasks.py``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy import special, stats

_LN2 = np.log(2.0)

FAMILIES = ("normal", "student", "transformed", "uniform-noise", "mixture")


@dataclass(frozen=True)
class Task:
    """A distribution of ``(X, Y)`` with known ``I(X;Y)``.

    Attributes
    ----------
    name : str
        Short name in the style of Czyz et al. (``"2v2-normal-dense-0.5"``).
    sampler : callable
        ``sampler(n, seed) -> (X, Y)``, float64 arrays ``(n, d_X)``, ``(n, d_Y)``.
    mi_bits : float
        The exact ``I(X;Y)`` in bits.
    dims : (int, int)
        ``(d_X, d_Y)``.
    family : str
        One of :data:`FAMILIES`.
    discrete_x : bool
        ``X`` holds class ids (the mixture): the book's ``I(T;Y)`` situation with ``T = Y``.
    source : str
        Where the closed form comes from.
    """

    name: str
    sampler: Callable[[int, int], tuple[np.ndarray, np.ndarray]] = field(repr=False)
    mi_bits: float
    dims: tuple[int, int]
    family: str
    discrete_x: bool = False
    source: str = ""

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``n`` paired draws (validated ``n >= 2``), seeded by ``seed``."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
            raise ValueError(f"n must be an integer >= 2, got {n!r}")
        X, Y = self.sampler(int(n), int(seed))
        return np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)


# --------------------------------------------------------------------------- closed forms
def gaussian_mi(cov, dim_x: int) -> float:
    """``I(X;Y)`` in bits of a Gaussian with covariance ``cov``, ``X`` its first ``dim_x`` coordinates:
    ``(log det S_XX + log det S_YY - log det S) / 2`` (Cover & Thomas 2006, eq. 8.56)."""
    cov = np.asarray(cov, dtype=np.float64)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1] or not 0 < dim_x < cov.shape[0]:
        raise ValueError(f"cov must be square with 0 < dim_x < its size, got {cov.shape} and dim_x={dim_x}")
    ld = [np.linalg.slogdet(c) for c in (cov[:dim_x, :dim_x], cov[dim_x:, dim_x:], cov)]
    if any(s <= 0 for s, _ in ld):
        raise ValueError("cov must be positive definite")
    return float((ld[0][1] + ld[1][1] - ld[2][1]) / 2 / _LN2)


def dense_cov(dim_x: int, dim_y: int, rho: float) -> np.ndarray:
    """Unit variances, every off-diagonal entry ``rho`` (Czyz et al. 2023, "multinormal-dense")."""
    d = dim_x + dim_y
    return (1 - rho) * np.eye(d) + rho * np.ones((d, d))


def sparse_cov(dim_x: int, dim_y: int, rho: float, n_pairs: int = 2) -> np.ndarray:
    """Unit variances; ``corr(X_i, Y_i) = rho`` for ``i < n_pairs``, all else independent (the
    "2-pair" sparse interaction of Czyz et al. 2023, "multinormal-sparse")."""
    if n_pairs > min(dim_x, dim_y):
        raise ValueError(f"n_pairs must be <= min(dim_x, dim_y), got {n_pairs}")
    cov = np.eye(dim_x + dim_y)
    i = np.arange(n_pairs)
    cov[i, dim_x + i] = cov[dim_x + i, i] = rho
    return cov


def student_entropy_term(k: int, nu: float) -> float:
    """``G(k) = ln Gamma(nu/2) - ln Gamma((nu+k)/2) + (nu+k)/2 [psi((nu+k)/2) - psi(nu/2)]`` (nats):
    the differential entropy of a ``k``-dimensional Student-t with identity dispersion minus
    ``(k/2) ln(nu pi)`` (Arellano-Valle et al. 2013, eq. 7). ``G(0) = 0``."""
    h, hk = nu / 2.0, (nu + k) / 2.0
    return float(special.gammaln(h) - special.gammaln(hk) + hk * (special.digamma(hk) - special.digamma(h)))


def student_mi(dim_x: int, dim_y: int, nu: float) -> float:
    """``I(X;Y)`` in bits of a Student-t with identity dispersion and ``nu`` degrees of freedom:
    ``G(d_X) + G(d_Y) - G(d_X + d_Y)`` (the ``(k/2) ln(nu pi)`` terms cancel); the Gaussian part of
    Czyz et al.'s decomposition (2023, App. C) is 0 for an identity dispersion."""
    if nu <= 0:
        raise ValueError(f"nu must be positive, got {nu!r}")
    g = student_entropy_term
    return (g(dim_x, nu) + g(dim_y, nu) - g(dim_x + dim_y, nu)) / _LN2


def uniform_noise_mi(eps: float) -> float:
    """``I(X; X + U(-eps/2, eps/2))`` in bits for ``X ~ U(0, 1)``: ``eps/2 - ln eps`` nats for
    ``eps <= 1``, ``1/(2 eps)`` for ``eps >= 1`` (``h(Y)`` of the trapezoid minus ``h(Y|X) = ln eps``)."""
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps!r}")
    nats = eps / 2 - np.log(eps) if eps <= 1 else 1 / (2 * eps)
    return float(nats / _LN2)


def mixture_mi(m: int) -> float:
    """``I(X;Y)`` in bits for ``X ~ Cat(m)``, ``Y | X ~ U(X, X+2)``: ``ln m - (m-1)/m ln 2`` nats
    (Gao et al., NeurIPS 2017, Sec. 5)."""
    if m < 1:
        raise ValueError(f"m must be >= 1, got {m!r}")
    return float((np.log(m) - (m - 1) / m * _LN2) / _LN2)


# --------------------------------------------------------------------------- samplers
def _gauss_sampler(cov: np.ndarray, dim_x: int):
    chol = np.linalg.cholesky(cov)

    def sample(n, seed):
        z = np.random.default_rng(seed).standard_normal((n, len(cov))) @ chol.T
        return z[:, :dim_x], z[:, dim_x:]

    return sample


def _student_sampler(dim_x: int, dim_y: int, nu: float):
    def sample(n, seed):
        rng = np.random.default_rng(seed)
        z = rng.standard_normal((n, dim_x + dim_y))
        w = np.sqrt(nu / rng.chisquare(nu, size=(n, 1)))
        t = z * w
        return t[:, :dim_x], t[:, dim_x:]

    return sample


def half_cube(t):
    """``t -> t sqrt|t|`` (Czyz et al. 2023, "half-cube"): strictly increasing, so MI-preserving."""
    t = np.asarray(t, dtype=np.float64)
    return t * np.sqrt(np.abs(t))


#: Amplitudes, frequencies and phases of :func:`wiggly`; ``sum |a f| = 0.74 < 1`` keeps it increasing.
WIGGLY = ((0.4, 1.0, 0.0), (0.2, 1.7, 1.0))


def wiggly(t):
    """``t + sum_i a_i sin(f_i t + phi_i)`` with :data:`WIGGLY`: derivative ``>= 1 - sum |a_i f_i| > 0``,
    strictly increasing (Czyz et al. 2023's "wiggly" transform, our coefficients)."""
    t = np.asarray(t, dtype=np.float64)
    return t + sum(a * np.sin(f * t + p) for a, f, p in WIGGLY)


def spiral(x, speed: float = 0.5):
    """Rotate the first two coordinates by the angle ``speed * |x|^2`` (Czyz et al. 2023, "spiral"):
    the norm is kept, so the inverse rotates back by the same angle; a diffeomorphism of ``R^d``."""
    x = np.array(x, dtype=np.float64, copy=True)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(f"spiral needs (n, d >= 2) input, got shape {x.shape}")
    a = speed * np.einsum("nd,nd->n", x, x)
    c, s = np.cos(a), np.sin(a)
    x0, x1 = x[:, 0].copy(), x[:, 1]
    x[:, 0], x[:, 1] = c * x0 - s * x1, s * x0 + c * x1
    return x


#: The bimodal marginal: an equal mixture of N(-2, 0.5^2) and N(2, 0.5^2).
BIMODAL = ((-2.0, 0.5), (2.0, 0.5))


def bimodal_cdf(t):
    """CDF of the :data:`BIMODAL` mixture."""
    t = np.asarray(t, dtype=np.float64)
    return np.mean([stats.norm.cdf(t, m, s) for m, s in BIMODAL], axis=0)


def to_bimodal(t):
    """``F^{-1}(Phi(t))``, ``F`` the :data:`BIMODAL` CDF: a standard normal becomes bimodal by a strictly
    increasing map (Czyz et al. 2023, "bimodal"; inverse by monotone interpolation on a fine grid)."""
    grid = np.linspace(-8.0, 8.0, 20001)
    u = np.clip(stats.norm.cdf(np.asarray(t, dtype=np.float64)), 1e-15, 1 - 1e-15)
    return np.interp(u, bimodal_cdf(grid), grid)


def swiss_roll(u):
    """Embed ``u`` in ``(0, 1)`` into the plane: ``t = 1.5 pi (1 + 2u)``, ``(t cos t, t sin t) / 21``
    (Czyz et al. 2023, "swissroll"); injective, so MI-preserving. Returns ``(n, 2)``."""
    t = 1.5 * np.pi * (1 + 2 * np.asarray(u, dtype=np.float64).reshape(-1))
    return np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / 21.0


def _mapped(base, fx=None, fy=None):
    def sample(n, seed):
        X, Y = base(n, seed)
        return (X if fx is None else fx(X)), (Y if fy is None else fy(Y))

    return sample


def _uniform_noise_sampler(eps: float):
    def sample(n, seed):
        rng = np.random.default_rng(seed)
        x = rng.uniform(0, 1, (n, 1))
        return x, x + rng.uniform(-eps / 2, eps / 2, (n, 1))

    return sample


def _mixture_sampler(m: int):
    def sample(n, seed):
        rng = np.random.default_rng(seed)
        x = rng.integers(0, m, (n, 1)).astype(np.float64)
        return x, x + rng.uniform(0, 2, (n, 1))

    return sample


# --------------------------------------------------------------------------- the suite
CZYZ = "Czyz et al. 2023"


def normal_task(dim_x: int, dim_y: int, rho: float, kind: str = "dense") -> Task:
    """The Gaussian task ``"{d_X}v{d_Y}-normal-{kind}-{rho}"`` (``kind`` ``"dense"`` or ``"sparse"``;
    1x1 is named ``"1v1-normal-{rho}"``)."""
    if kind not in ("dense", "sparse"):
        raise ValueError(f"kind must be 'dense' or 'sparse', got {kind!r}")
    cov = dense_cov(dim_x, dim_y, rho) if kind == "dense" else sparse_cov(dim_x, dim_y, rho)
    name = f"1v1-normal-{rho}" if dim_x == dim_y == 1 else f"{dim_x}v{dim_y}-normal-{kind}-{rho}"
    return Task(name, _gauss_sampler(cov, dim_x), gaussian_mi(cov, dim_x), (dim_x, dim_y), "normal",
                source="Gaussian entropies (Cover & Thomas eq. 8.56); " + CZYZ)


def student_task(dim_x: int, dim_y: int, nu: float) -> Task:
    """Student-t with identity dispersion, ``"{d_X}v{d_Y}-student-df{nu}"``."""
    return Task(f"{dim_x}v{dim_y}-student-df{nu:g}", _student_sampler(dim_x, dim_y, nu), student_mi(dim_x, dim_y, nu),
                (dim_x, dim_y), "student", source="Arellano-Valle et al. 2013 eq. 7; " + CZYZ)


def tasks(names=None) -> list[Task]:
    """The suite (24 tasks), or the tasks named in ``names`` (a ``ValueError`` names an unknown one)."""
    g1 = normal_task(1, 1, 0.75)
    s1 = student_task(1, 1, 1)
    sp3 = normal_task(3, 3, 0.8, "sparse")
    inv = "MI-preserving invertible map (Kraskov et al. 2004 eq. 3); " + CZYZ
    suite = [
        g1,
        normal_task(2, 2, 0.5), normal_task(3, 3, 0.5), normal_task(5, 5, 0.5),
        normal_task(25, 25, 0.5), normal_task(50, 50, 0.5),
        sp3, normal_task(5, 5, 0.8, "sparse"), normal_task(25, 25, 0.8, "sparse"), normal_task(50, 50, 0.8, "sparse"),
        s1, student_task(2, 2, 2), student_task(5, 5, 3),
        Task("normal_cdf-1v1-normal-0.75", _mapped(g1.sampler, stats.norm.cdf, stats.norm.cdf), g1.mi_bits, (1, 1),
             "transformed", source=inv),
        Task("half_cube-1v1-normal-0.75", _mapped(g1.sampler, half_cube, half_cube), g1.mi_bits, (1, 1),
             "transformed", source=inv),
        Task("wiggly-1v1-normal-0.75", _mapped(g1.sampler, wiggly, wiggly), g1.mi_bits, (1, 1), "transformed", source=inv),
        Task("bimodal-1v1-normal-0.75", _mapped(g1.sampler, to_bimodal, to_bimodal), g1.mi_bits, (1, 1),
             "transformed", source=inv),
        Task("asinh-1v1-student-df1", _mapped(s1.sampler, np.arcsinh, np.arcsinh), s1.mi_bits, (1, 1),
             "transformed", source=inv),
        Task("spiral-3v3-normal-sparse-0.8", _mapped(sp3.sampler, spiral, spiral), sp3.mi_bits, (3, 3),
             "transformed", source=inv),
        Task("swissroll-2v1-normal-0.75", _mapped(g1.sampler, lambda x: swiss_roll(stats.norm.cdf(x))), g1.mi_bits,
             (2, 1), "transformed", source=inv),
        Task("uniform-noise-0.1", _uniform_noise_sampler(0.1), uniform_noise_mi(0.1), (1, 1), "uniform-noise",
             source="trapezoid density of Y; " + CZYZ),
        Task("uniform-noise-0.75", _uniform_noise_sampler(0.75), uniform_noise_mi(0.75), (1, 1), "uniform-noise",
             source="trapezoid density of Y; " + CZYZ),
        Task("mixture-m2", _mixture_sampler(2), mixture_mi(2), (1, 1), "mixture", discrete_x=True,
             source="Gao et al. 2017 Sec. 5"),
        Task("mixture-m5", _mixture_sampler(5), mixture_mi(5), (1, 1), "mixture", discrete_x=True,
             source="Gao et al. 2017 Sec. 5"),
    ]
    if names is None:
        return suite
    by = {t.name: t for t in suite}
    bad = [n for n in names if n not in by]
    if bad:
        raise ValueError(f"names: unknown task(s) {bad}; known: {sorted(by)}")
    return [by[n] for n in names]


def get(name: str) -> Task:
    """The task called ``name``."""
    return tasks([name])[0]


# --------------------------------------------------------------------------- the book's own situations
def tanh_layer(X, sizes=(10, 5), *, seed: int = 0, gain: float = 1.0, dtype=np.float32) -> np.ndarray:
    """The last layer of a random ``tanh`` network on the rows of ``X`` (the book's deterministic layer).

    Weights ``N(0, gain^2 / fan_in)`` and biases ``N(0, 0.1^2)`` from ``default_rng(seed)``, computed
    in ``dtype`` (float32, as the trained networks): a large ``gain`` saturates units at exactly
    ``+-1`` in float32, so inputs collide and ``H(T) < log2 N``. With ``X`` uniform over its ``N``
    distinct rows, ``I(X;T) = H(T)`` of the exact distinct rows (seed 002, section 0.1.1, eqs. 1-6;
    :func:`ibutils.mi.exact_mi` counts them).
    """
    rng = np.random.default_rng(seed)
    h = np.asarray(X, dtype=dtype)
    if h.ndim != 2 or not sizes:
        raise ValueError(f"X must be (N, d) and sizes non-empty, got {h.shape} and {sizes!r}")
    for d in sizes:  # loop over layers
        w = (rng.standard_normal((h.shape[1], int(d))) * gain / np.sqrt(h.shape[1])).astype(dtype)
        b = (rng.standard_normal(int(d)) * 0.1).astype(dtype)
        h = np.tanh(h @ w + b)
    return h


def noisy_layer_mi(T, noise_variance: float, *, n_mc: int = 20000, seed: int = 0,
                   chunk: int = 512) -> tuple[float, float]:
    """``I(X; T + Z)`` in bits, ``Z ~ N(0, s^2 I)``, ``X`` uniform over the ``N`` rows ``t_i`` of ``T``,
    by Monte Carlo over the Gaussian mixture, with its standard error.

    ``I = E_{i, z}[ ln p(t_i + z | i) - ln p(t_i + z) ]`` and the mixture density
    ``p(v) = (1/N) sum_j N(v; t_j, s^2 I)`` give the per-draw value
    ``-|z|^2 / (2 s^2) - ln (1/N) sum_j exp(-|t_i + z - t_j|^2 / (2 s^2))`` (the normalising
    constants cancel; the quantity Kolchinsky & Tracey's KDE bounds bracket, Entropy 2017, Sec. 4).
    ``n_mc`` draws of ``(i, z)``, ``chunk`` draws per block (no loop over draws within a block).

    Returns
    -------
    (float, float)
        The estimate and its standard error (sample standard deviation over ``sqrt(n_mc)``), bits.
    """
    T = np.asarray(T, dtype=np.float64)
    if T.ndim == 1:
        T = T[:, None]
    if T.ndim != 2 or len(T) < 1:
        raise ValueError(f"T must have shape (N, d), got {T.shape}")
    s2 = float(noise_variance)
    if not np.isfinite(s2) or s2 <= 0:
        raise ValueError(f"noise_variance must be positive, got {noise_variance!r}")
    if int(n_mc) < 2:
        raise ValueError(f"n_mc must be >= 2, got {n_mc!r}")
    rng = np.random.default_rng(seed)
    n, d = T.shape
    idx = rng.integers(0, n, int(n_mc))
    z = rng.standard_normal((int(n_mc), d)) * np.sqrt(s2)
    sq = np.einsum("nd,nd->n", T, T)
    vals = np.empty(int(n_mc))
    for a in range(0, int(n_mc), int(chunk)):  # blocks of draws
        v = T[idx[a:a + chunk]] + z[a:a + chunk]
        dist = np.maximum(np.einsum("md,md->m", v, v)[:, None] + sq[None, :] - 2 * v @ T.T, 0.0)
        dist *= -1.0 / (2 * s2)
        top = dist.max(axis=1)
        dist -= top[:, None]
        np.exp(dist, out=dist)
        log_mix = top + np.log(dist.sum(axis=1)) - np.log(n)
        vals[a:a + chunk] = -np.einsum("md,md->m", z[a:a + chunk], z[a:a + chunk]) / (2 * s2) - log_mix
    vals /= _LN2
    return float(vals.mean()), float(vals.std(ddof=1) / np.sqrt(len(vals)))


__all__ = ["Task", "FAMILIES", "tasks", "get", "gaussian_mi", "dense_cov", "sparse_cov", "student_mi",
           "student_entropy_term", "uniform_noise_mi", "mixture_mi", "half_cube", "wiggly", "spiral", "to_bimodal",
           "bimodal_cdf", "swiss_roll", "normal_task", "student_task", "tanh_layer", "noisy_layer_mi"]
