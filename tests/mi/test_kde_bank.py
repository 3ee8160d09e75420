"""ibutils.mi.kde_bank: several KDE bounds from one distance pass equal ibutils.mi.kde."""
import numpy as np
import pytest

from ibutils.mi import kde
from ibutils.mi.kde_bank import KDEBank, estimator_name, kde_multi


def _layer(rng, B, N, d, scale=2.0):
    return np.tanh(rng.normal(size=(B, N, d)) * scale).astype(np.float32)


@pytest.mark.parametrize("backend", ["numpy", "tf"])
@pytest.mark.parametrize("shape", [(2, 120, 3), (3, 200, 20), (1, 150, 64)])
def test_kde_multi_matches_kde(backend, shape):
    if backend == "tf":
        pytest.importorskip("tensorflow")
    rng = np.random.default_rng(1)
    T = _layer(rng, *shape)
    y = rng.integers(0, 4, shape[1])
    variances = [1e-3, 1e-2, 0.1, 1.0]
    res = kde_multi(T, y, noise_variances=variances, bounds=["upper", "lower"], backend=backend, chunk_size=37)
    for v in variances:
        for b in ("upper", "lower"):
            ref = kde(T, y, noise_variance=v, bound=b)
            np.testing.assert_allclose(res[(v, b)].ixt, ref.ixt, atol=1e-6, rtol=0)
            np.testing.assert_allclose(res[(v, b)].ity, ref.ity, atol=1e-6, rtol=0)


def test_kde_multi_2d_gives_floats():
    rng = np.random.default_rng(2)
    T = _layer(rng, 1, 80, 5)[0]
    y = rng.integers(0, 3, 80)
    r = kde_multi(T, y, noise_variances=[0.1], bounds=["upper"], backend="numpy")[(0.1, "upper")]
    ref = kde(T, y, noise_variance=0.1)
    assert isinstance(r.ixt, float) and abs(r.ixt - ref.ixt) < 1e-9 and abs(r.ity - ref.ity) < 1e-9


@pytest.mark.parametrize("kwargs", [dict(noise_variances=[0.0]), dict(noise_variances=[-1.0]),
                                    dict(bounds=["middle"]), dict(bounds=[]), dict(backend="cuda"),
                                    dict(chunk_size=0), dict(dtype="float16")])
def test_kde_multi_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        kde_multi(np.zeros((10, 2)), np.arange(10) % 2, **kwargs)


def test_kde_bank_shares_one_pass():
    rng = np.random.default_rng(3)
    T = _layer(rng, 2, 60, 4)
    y = rng.integers(0, 3, 60)
    bank = KDEBank([0.01, 0.1], backend="numpy")
    fs = [bank.estimator(v, b) for v in (0.01, 0.1) for b in ("upper", "lower")]
    out = [f(T.copy(), y) for f in fs]  # copies: the trainer passes fresh arrays
    assert bank.passes == 1
    np.testing.assert_allclose(out[0].ixt, kde(T, y, noise_variance=0.01).ixt, atol=1e-9)
    fs[0](T[:, ::-1].copy(), y)
    assert bank.passes == 2
    with pytest.raises(ValueError):
        bank.estimator(0.5, "upper")
    assert estimator_name(0.1, "upper") == "kde_upper_0.1" and estimator_name(1e-3, "lower") == "kde_lower_0.001"
