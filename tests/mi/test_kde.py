"""Tests of ibutils.mi.kde (Kolchinsky-Tracey bounds as in artemyk/ibsgd)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import logsumexp

from ibutils import mi

TOL = 1e-6  # bits: chunked float64 kernel vs references


def _ibsgd_reference(T, y, var, bound):
    """ibsgd's formulas verbatim in math: entropy_estimator_kl/bd minus kde_condentropy (nats->bits)."""

    def h_kl(x, v):
        n, d = x.shape
        dists = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
        lprobs = logsumexp(-dists / (2 * v), axis=1) - np.log(n) - (d / 2) * np.log(2 * np.pi * v)
        return d / 2 - lprobs.mean()

    def h(x):
        return h_kl(x, var) if bound == "upper" else h_kl(x, 4 * var) + np.log(0.25) * x.shape[1] / 2

    d = T.shape[1]
    h_noise = (d / 2) * (np.log(2 * np.pi * var) + 1)
    hT = h(T)
    hTy = sum((y == k).mean() * h(T[y == k]) for k in np.unique(y))
    return (hT - h_noise) / np.log(2), (hT - hTy) / np.log(2)


@pytest.mark.parametrize("bound", ["upper", "lower"])
@pytest.mark.parametrize("var", [1e-3, 1e-1])
def test_matches_ibsgd_reference(bound, var):
    rng = np.random.default_rng(0)
    T = np.tanh(rng.normal(0, 1, size=(300, 5)))
    y = rng.integers(0, 3, size=300)
    ref = _ibsgd_reference(T, y, var, bound)
    r = mi.kde(T, y, noise_variance=var, bound=bound)
    assert abs(r.ixt - ref[0]) < TOL and abs(r.ity - ref[1]) < TOL


def test_chunked_equals_unchunked():
    rng = np.random.default_rng(1)
    T = rng.normal(0, 0.3, size=(2, 500, 4))
    y = rng.integers(0, 2, size=500)
    for bound in ("upper", "lower"):
        full = mi.kde(T, y, bound=bound, chunk_size=500)
        for c in (1, 7, 128):
            r = mi.kde(T, y, bound=bound, chunk_size=c)
            assert np.max(np.abs(r.ixt - full.ixt)) < TOL and np.max(np.abs(r.ity - full.ity)) < TOL


def test_upper_at_least_lower_and_limits():
    rng = np.random.default_rng(2)
    T = rng.uniform(-1, 1, size=(400, 3))
    y = rng.integers(0, 2, size=400)
    for var in (1e-4, 1e-2, 1.0):
        up, lo = mi.kde(T, y, noise_variance=var), mi.kde(T, y, noise_variance=var, bound="lower")
        assert up.ixt >= lo.ixt - 1e-12
    tiny = mi.kde(T, y, noise_variance=1e-9)
    assert abs(tiny.ixt - np.log2(400)) < 1e-3  # -> log2 N as the noise vanishes
    huge = mi.kde(T, y, noise_variance=1e6)
    assert 0 <= huge.ixt < 1e-5 and abs(huge.ity) < 1e-5  # -> 0 as it grows


def test_stacked_equals_per_item():
    rng = np.random.default_rng(3)
    T = rng.normal(size=(3, 200, 4))
    y = rng.integers(0, 4, size=200)
    r = mi.kde(T, y, bound="lower")
    assert r.ixt.shape == (3,)
    for b in range(3):
        rb = mi.kde(T[b], y, bound="lower")
        assert abs(rb.ixt - r.ixt[b]) < 1e-10 and abs(rb.ity - r.ity[b]) < 1e-10


def test_kde_validation():
    T, y = np.zeros((10, 2)), np.zeros(10, int)
    for bad in (0.0, -1.0, np.nan):
        with pytest.raises(ValueError, match="noise_variance"):
            mi.kde(T, y, noise_variance=bad)
    with pytest.raises(ValueError, match="bound"):
        mi.kde(T, y, bound="middle")
    with pytest.raises(ValueError, match="T"):
        mi.kde(np.full((10, 2), np.inf), y)
    with pytest.raises(ValueError, match="y"):
        mi.kde(T, np.zeros(3, int))
    with pytest.raises(ValueError, match="chunk_size"):
        mi.kde(T, y, chunk_size=0)


layer = arrays(np.float64, st.tuples(st.integers(2, 30), st.integers(1, 3)),
               elements=st.floats(-1, 1, allow_nan=False, width=32))


@settings(max_examples=30, deadline=None)
@given(layer, st.integers(0, 2**31 - 1), st.sampled_from(["upper", "lower"]), st.sampled_from([1e-3, 0.1]))
def test_kde_bounds_and_invariances(T, seed, bound, var):
    rng = np.random.default_rng(seed)
    N = len(T)
    y = rng.integers(0, 2, size=N)
    r = mi.kde(T, y, noise_variance=var, bound=bound)
    p = np.bincount(y) / N
    h_y = -(p[p > 0] * np.log2(p[p > 0])).sum()
    assert -1e-9 <= r.ixt <= np.log2(N) + 1e-9
    assert -1e-9 <= r.ity <= h_y + 1e-9
    perm, units = rng.permutation(N), rng.permutation(T.shape[1])
    rp = mi.kde(T[perm][:, units], y[perm], noise_variance=var, bound=bound)
    assert abs(rp.ixt - r.ixt) < 1e-9 and abs(rp.ity - r.ity) < 1e-9
