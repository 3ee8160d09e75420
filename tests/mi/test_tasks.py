"""The closed-form MI of ibutils.mi.tasks against independent computations (quadrature, Monte Carlo)."""
import numpy as np
import pytest
from scipy import integrate, stats

from ibutils.mi import exact_mi
from ibutils.mi import tasks as tk

LN2 = np.log(2.0)


def _mc_gauss(cov, dim_x, m=20000, seed=0):
    """Monte Carlo of E[log p(x,y) - log p(x) - log p(y)] (bits) with its standard error."""
    z = np.random.default_rng(seed).multivariate_normal(np.zeros(len(cov)), cov, size=m)
    v = (stats.multivariate_normal(cov=cov).logpdf(z) - stats.multivariate_normal(cov=cov[:dim_x, :dim_x]).logpdf(z[:, :dim_x])
         - stats.multivariate_normal(cov=cov[dim_x:, dim_x:]).logpdf(z[:, dim_x:])) / LN2
    return v.mean(), v.std(ddof=1) / np.sqrt(m)


@pytest.mark.parametrize("cov,dim_x", [(tk.dense_cov(2, 2, 0.5), 2), (tk.sparse_cov(3, 3, 0.8), 3),
                                       (tk.dense_cov(5, 5, 0.5), 5)])
def test_gaussian_mi_matches_monte_carlo(cov, dim_x):
    m, se = _mc_gauss(cov, dim_x)
    assert abs(tk.gaussian_mi(cov, dim_x) - m) < 4 * se  # se is about 0.005 bit


def test_gaussian_closed_forms():
    assert tk.get("1v1-normal-0.75").mi_bits == pytest.approx(-0.5 * np.log2(1 - 0.75**2), abs=1e-12)
    # sparse: two independent pairs with correlation rho
    assert tk.get("50v50-normal-sparse-0.8").mi_bits == pytest.approx(-np.log2(1 - 0.8**2), abs=1e-10)
    # dense d x d with all correlations r: eigenvalues (1 - r) and 1 + (k - 1) r
    d, r = 50, 0.5
    ld = lambda k: (k - 1) * np.log(1 - r) + np.log(1 + (k - 1) * r)  # noqa: E731
    assert tk.get("50v50-normal-dense-0.5").mi_bits == pytest.approx((2 * ld(d) - ld(2 * d)) / 2 / LN2, abs=1e-10)
    with pytest.raises(ValueError, match="dim_x"):
        tk.gaussian_mi(np.eye(2), 2)


@pytest.mark.parametrize("dx,dy,nu", [(1, 1, 1), (2, 2, 2), (1, 3, 5)])
def test_student_mi_matches_monte_carlo(dx, dy, nu):
    m = 20000
    rng = np.random.default_rng(1)
    z = rng.standard_normal((m, dx + dy)) * np.sqrt(nu / rng.chisquare(nu, size=(m, 1)))
    lp = lambda a: stats.multivariate_t(loc=np.zeros(a.shape[1]), shape=np.eye(a.shape[1]), df=nu).logpdf(a)  # noqa: E731
    v = (lp(z) - lp(z[:, :dx]) - lp(z[:, dx:])) / LN2
    assert abs(tk.student_mi(dx, dy, nu) - v.mean()) < 4 * v.std(ddof=1) / np.sqrt(m)
    assert tk.student_mi(dx, dy, 1e6) == pytest.approx(0.0, abs=1e-4)  # nu -> inf: independent normals


def test_student_sampler_is_the_distribution():
    X, Y = tk.get("1v1-student-df1").sample(4000, 3)
    assert stats.kstest(X[:, 0], stats.t(df=1).cdf).pvalue > 1e-3


@pytest.mark.parametrize("eps", [0.1, 0.75, 1.0, 2.5])
def test_uniform_noise_mi_by_quadrature(eps):
    # density of Y = X + U(-eps/2, eps/2), X ~ U(0, 1): overlap length / eps
    p = lambda y: max(0.0, min(1.0, y + eps / 2) - max(0.0, y - eps / 2)) / eps  # noqa: E731
    f = lambda y: -p(y) * np.log(p(y)) if p(y) > 0 else 0.0  # noqa: E731
    pts = sorted({-eps / 2, eps / 2, 1 - eps / 2, 1 + eps / 2})
    h = integrate.quad(f, -eps / 2, 1 + eps / 2, points=pts[1:-1], limit=200)[0]
    assert tk.uniform_noise_mi(eps) == pytest.approx((h - np.log(eps)) / LN2, abs=1e-7)


@pytest.mark.parametrize("m", [1, 2, 5, 9])
def test_mixture_mi_by_quadrature(m):
    p = lambda y: sum(0.5 / m for x in range(m) if x <= y <= x + 2)  # noqa: E731
    f = lambda y: -p(y) * np.log(p(y)) if p(y) > 0 else 0.0  # noqa: E731
    h = sum(integrate.quad(f, a, a + 1)[0] for a in range(m + 1))
    assert tk.mixture_mi(m) == pytest.approx((h - np.log(2)) / LN2, abs=1e-9)
    X, Y = tk.get("mixture-m5").sample(1000, 0)
    assert set(np.unique(X)) <= set(range(5)) and np.all((Y - X >= 0) & (Y - X <= 2))


@pytest.mark.parametrize("f", [tk.half_cube, tk.wiggly, tk.to_bimodal, stats.norm.cdf, np.arcsinh])
def test_transforms_are_strictly_increasing(f):
    t = np.linspace(-6, 6, 20001)
    assert np.all(np.diff(f(t)) > 0)


def test_spiral_and_swiss_roll_are_invertible():
    x = np.random.default_rng(0).standard_normal((500, 3))
    y = tk.spiral(x)
    np.testing.assert_allclose(np.linalg.norm(y, axis=1), np.linalg.norm(x, axis=1))
    np.testing.assert_allclose(tk.spiral(y, speed=-0.5), x, atol=1e-12)  # same norm, rotate back
    u = np.linspace(1e-4, 1 - 1e-4, 2001)
    r = tk.swiss_roll(u)
    assert r.shape == (2001, 2) and np.min(np.linalg.norm(np.diff(r, axis=0), axis=1)) > 0
    assert np.all(np.diff(np.hypot(r[:, 0], r[:, 1])) > 0)  # the radius grows with u: injective


def test_bimodal_marginal():
    z = np.random.default_rng(2).standard_normal(5000)
    assert stats.kstest(tk.to_bimodal(z), tk.bimodal_cdf).pvalue > 1e-3


def test_suite_names_seeds_and_transformed_truths():
    ts = tk.tasks()
    assert len({t.name for t in ts}) == len(ts) == 24
    assert {t.family for t in ts} == set(tk.FAMILIES)
    for t in ts:
        X, Y = t.sample(50, 7)
        assert X.shape == (50, t.dims[0]) and Y.shape == (50, t.dims[1])
        np.testing.assert_array_equal(t.sample(50, 7)[1], Y)
        assert t.mi_bits > 0
    assert tk.get("wiggly-1v1-normal-0.75").mi_bits == tk.get("1v1-normal-0.75").mi_bits
    assert tk.get("asinh-1v1-student-df1").mi_bits == tk.get("1v1-student-df1").mi_bits
    with pytest.raises(ValueError, match="names"):
        tk.tasks(["no-such-task"])
    with pytest.raises(ValueError, match="n must"):
        ts[0].sample(1)


def _patterns(bits=12):
    return ((np.arange(2**bits)[:, None] >> np.arange(bits)) & 1).astype(np.float64)


def test_tanh_layer_exact_truth():
    X = _patterns()
    y = (X.sum(axis=1) % 2).astype(int)
    T = tk.tanh_layer(X, seed=0)
    assert T.shape == (4096, 5) and T.dtype == np.float32
    assert exact_mi(T, y).ixt == pytest.approx(12.0)  # injective: H(T) = log2 N
    sat = exact_mi(tk.tanh_layer(X, seed=0, gain=30.0), y).ixt
    assert 1.0 < sat < 11.5  # float32 saturation merges inputs


def test_noisy_layer_mi_limits_and_bracket():
    from ibutils.mi import kde

    # one point: I = 0 exactly; two far-apart points: I = 1 bit
    assert tk.noisy_layer_mi(np.zeros((1, 2)), 0.1, n_mc=200)[0] == pytest.approx(0.0, abs=1e-12)
    m, se = tk.noisy_layer_mi(np.array([[0.0], [100.0]]), 0.1, n_mc=500)
    assert m == pytest.approx(1.0, abs=1e-9)
    T = tk.tanh_layer(_patterns(8), seed=1)
    y = np.zeros(len(T), dtype=int)
    for s2 in (1e-3, 1e-1):
        m, se = tk.noisy_layer_mi(T, s2, n_mc=4000, seed=3)
        assert 0 < se < 0.05
        assert kde(T, y, noise_variance=s2, bound="lower").ixt - 3 * se <= m <= kde(T, y, noise_variance=s2).ixt + 3 * se
    with pytest.raises(ValueError, match="noise_variance"):
        tk.noisy_layer_mi(T, 0.0)
