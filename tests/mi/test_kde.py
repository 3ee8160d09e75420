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


# ----------------------------------------------------------------------------- fused float32 kernel
FUSED_TOL = 1e-5  # bits: the fused float32 kernel vs the float64 reference (issue 23 asks for 1e-4)


def _reference_pairs(T, y, variances, bounds):
    return {(v, b): mi.kde(T, y, noise_variance=v, bound=b, precision="float64") for v in variances for b in bounds}


def _assert_close(res, ref, tol=FUSED_TOL):
    for key, r in ref.items():
        np.testing.assert_allclose(res[key].ixt, r.ixt, atol=tol, rtol=0, err_msg=str(key))
        np.testing.assert_allclose(res[key].ity, r.ity, atol=tol, rtol=0, err_msg=str(key))


def _unequal_labels(rng, N, p=(0.6, 0.3, 0.1)):
    return rng.choice(len(p), size=N, p=p)


def _harmonics_tanh(widths=(12, 10, 7), scale=2.0, seed=0):
    """Activity of a tanh net on all 4,096 12-bit patterns (the harmonics inputs), last layer."""
    rng = np.random.default_rng(seed)
    h = ((np.arange(4096)[:, None] >> np.arange(12)) & 1).astype(np.float64)
    for a, b in zip(widths[:-1], widths[1:]):
        h = np.tanh(h @ rng.normal(0, scale / np.sqrt(a), size=(a, b)))
    return h.astype(np.float32)


@pytest.mark.parametrize("case", ["gaussian", "clustered", "d1", "wide"])
def test_fused_matches_reference(case):
    pytest.importorskip("tensorflow")
    rng = np.random.default_rng(11)
    if case == "gaussian":
        T = rng.normal(size=(2, 600, 5))
    elif case == "clustered":  # eight tight clusters with exact duplicates: the near pairs dominate
        centres = rng.uniform(-1, 1, size=(8, 3))
        T = centres[rng.integers(0, 8, size=(1, 600))] + rng.normal(0, 0.01, size=(1, 600, 3)) * (rng.random((1, 600, 1)) < 0.5)
    elif case == "d1":
        T = np.tanh(rng.normal(0, 2, size=(3, 600, 1)))
    else:  # d > 32: matrix-product distances (float64 where float32 would round the exponent)
        T = np.tanh(rng.normal(0, 1, size=(2, 400, 200)))
    y = _unequal_labels(rng, T.shape[1])
    variances = [1e-3, 1e-1, 1.0]
    res = mi.kde_multi(T, y, noise_variances=variances, backend="tf")
    _assert_close(res, _reference_pairs(T, y, variances, ("upper", "lower")))
    one = mi.kde(T, y, noise_variance=0.1, bound="lower", precision="float32")  # kde() takes the same kernel
    _assert_close({(0.1, "lower"): one}, {(0.1, "lower"): res[(0.1, "lower")]}, tol=1e-9)


def test_fused_matches_reference_on_harmonics_tanh():
    pytest.importorskip("tensorflow")
    T = _harmonics_tanh()  # (4096, 7), saturated: many near-duplicate rows
    rng = np.random.default_rng(12)
    y = _unequal_labels(rng, len(T), p=(0.7, 0.3))
    res = mi.kde_multi(T, y, noise_variances=[1e-3, 0.1], backend="tf")
    _assert_close(res, _reference_pairs(T, y, [1e-3, 0.1], ("upper", "lower")))
    assert mi.kde(T, y).ixt == pytest.approx(res[(1e-3, "upper")].ixt, abs=1e-9)  # "auto" fuses at N = 4,096


def test_fused_blocks_and_padding_do_not_matter():
    pytest.importorskip("tensorflow")
    rng = np.random.default_rng(13)
    T = np.tanh(rng.normal(size=(2, 301, 4)))
    y = _unequal_labels(rng, 301)
    full = mi.kde(T, y, noise_variance=0.01, precision="float32")
    for c in (64,):  # 301 rows -> 5 blocks of 64, the last one padded
        r = mi.kde(T, y, noise_variance=0.01, precision="float32", chunk_size=c)
        assert np.max(np.abs(r.ixt - full.ixt)) < 1e-6 and np.max(np.abs(r.ity - full.ity)) < 1e-6
    assert np.all(full.ixt >= 0) and np.all(full.ixt <= np.log2(301))


def test_numpy_fallback_without_tensorflow(monkeypatch):
    import importlib

    kde_module, kde_bank = importlib.import_module("ibutils.mi.kde"), importlib.import_module("ibutils.mi.kde_bank")
    monkeypatch.setattr(kde_module, "tf_available", lambda: False)
    monkeypatch.setattr(kde_bank, "tf_available", lambda: False)
    rng = np.random.default_rng(14)
    T = rng.normal(size=(300, 3))
    y = rng.integers(0, 2, 300)
    ref = mi.kde(T, y, noise_variance=0.1, precision="float64")
    r = mi.kde(T, y, noise_variance=0.1, precision="float32")
    assert r == ref
    m = mi.kde_multi(T, y, noise_variances=[0.1], bounds=["upper"], backend="tf")[(0.1, "upper")]
    assert abs(m.ixt - ref.ixt) < 1e-9 and abs(m.ity - ref.ity) < 1e-9


def test_precision_validation():
    with pytest.raises(ValueError, match="precision"):
        mi.kde(np.zeros((10, 2)), np.zeros(10, int), precision="float16")
