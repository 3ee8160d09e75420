"""Tests of ibutils.studies.mnist: the shared-pass KDE against ibutils.mi.kde, the wide-engine
wrapper of the trainer, subsets, schedules, the noise-variance calibration and the claim helpers."""
import numpy as np
import pandas as pd
import pytest

from ibutils.studies import mnist as me
from ibutils.mi import kde


def _layer(rng, B, N, d, scale=2.0):
    return np.tanh(rng.normal(size=(B, N, d)) * scale).astype(np.float32)


@pytest.mark.parametrize("backend", ["numpy", "tf"])
@pytest.mark.parametrize("shape", [(2, 120, 3), (3, 200, 20), (1, 150, 64)])
def test_kde_multi_matches_kde(backend, shape):
    rng = np.random.default_rng(1)
    T = _layer(rng, *shape)
    y = rng.integers(0, 4, shape[1])
    variances = [1e-3, 1e-2, 0.1, 1.0]
    res = me.kde_multi(T, y, noise_variances=variances, bounds=["upper", "lower"], backend=backend, chunk_size=37)
    for v in variances:
        for b in ("upper", "lower"):
            ref = kde(T, y, noise_variance=v, bound=b)
            np.testing.assert_allclose(res[(v, b)].ixt, ref.ixt, atol=1e-6, rtol=0)
            np.testing.assert_allclose(res[(v, b)].ity, ref.ity, atol=1e-6, rtol=0)


def test_kde_multi_2d_gives_floats():
    rng = np.random.default_rng(2)
    T = _layer(rng, 1, 80, 5)[0]
    y = rng.integers(0, 3, 80)
    r = me.kde_multi(T, y, noise_variances=[0.1], bounds=["upper"], backend="numpy")[(0.1, "upper")]
    ref = kde(T, y, noise_variance=0.1)
    assert isinstance(r.ixt, float) and abs(r.ixt - ref.ixt) < 1e-9 and abs(r.ity - ref.ity) < 1e-9


@pytest.mark.parametrize("kwargs", [dict(noise_variances=[0.0]), dict(noise_variances=[-1.0]),
                                    dict(bounds=["middle"]), dict(bounds=[]), dict(backend="cuda"),
                                    dict(chunk_size=0), dict(dtype="float16")])
def test_kde_multi_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        me.kde_multi(np.zeros((10, 2)), np.arange(10) % 2, **kwargs)


def test_kde_bank_shares_one_pass():
    rng = np.random.default_rng(3)
    T = _layer(rng, 2, 60, 4)
    y = rng.integers(0, 3, 60)
    est = me.make_estimators([0.01, 0.1], ["upper", "lower"], bin_size=0.5, backend="numpy")
    assert sorted(est) == sorted(["kde_upper_0.01", "kde_lower_0.01", "kde_upper_0.1", "kde_lower_0.1",
                                  "binning_0.5"])
    bank = me.KDEBank([0.01, 0.1], backend="numpy")
    fs = [bank.estimator(v, b) for v in (0.01, 0.1) for b in ("upper", "lower")]
    out = [f(T.copy(), y) for f in fs]  # copies: the trainer passes fresh arrays
    assert bank.passes == 1
    np.testing.assert_allclose(out[0].ixt, kde(T, y, noise_variance=0.01).ixt, atol=1e-9)
    fs[0](T[:, ::-1].copy(), y)
    assert bank.passes == 2
    with pytest.raises(ValueError):
        bank.estimator(0.5, "upper")


def test_stratified_subset():
    y = np.repeat(np.arange(10), [50, 60, 70, 80, 90, 100, 110, 120, 130, 140])
    idx = me.stratified_subset(y, 200, seed=4)
    assert len(idx) == 200 and len(np.unique(idx)) == 200 and np.all(np.diff(idx) > 0)
    assert np.all(np.bincount(y[idx], minlength=10) == 20)
    np.testing.assert_array_equal(idx, me.stratified_subset(y, 200, seed=4))
    assert len(me.stratified_subset(y, 10_000)) == len(y)
    with pytest.raises(ValueError):
        me.stratified_subset(y, 0)


def test_thin_schedule():
    full = me.thin_schedule(300, "saxe")
    thin = me.thin_schedule(300, "saxe", 8)
    assert thin[0] == 0 and thin[-1] == 300 and len(thin) <= 9 and set(thin) <= set(full)
    assert me.thin_schedule(5, "saxe", 100) == [0, 1, 2, 3, 4, 5]
    with pytest.raises(ValueError):
        me.thin_schedule(300, "saxe", 1)


def test_calibration_on_one_hot_labels_is_analytic():
    y = np.repeat(np.arange(10), 30)
    T = np.eye(10, dtype=np.float32)[y]
    h = me.label_entropy(y)
    assert abs(h - np.log2(10)) < 1e-12
    tol = 0.01
    v = me.calibrate_noise_variance(T, y, target=h, tol=tol, bound="upper")
    # analytic: deficit(s2) = -sum p log2(p + (1 - p) exp(-1/s2)) vs log2 10
    est = lambda s2: -np.log2(0.1 + 0.9 * np.exp(-1.0 / s2))  # noqa: E731
    assert abs((h - est(v)) - tol) < 1e-6
    v_lo = me.calibrate_noise_variance(T, y, target=h, tol=tol, bound="lower")
    assert abs(v_lo - v / 4) < 1e-6 * v  # the lower bound's kernel uses 4x the variance
    assert np.isnan(me.calibrate_noise_variance(np.zeros_like(T), y, target=h, tol=tol))
    with pytest.raises(ValueError):
        me.calibrate_noise_variance(T, y, target=h, tol=tol, quantity="hxy")


def test_wide_first_layer_trains_without_a_dense_max_norm_matrix():
    """784-1024-20-... nets once failed: the engine built a (parameters x units) matrix."""
    import resource

    from ibutils.nets import train_ensemble

    rng = np.random.default_rng(5)
    X = rng.normal(size=(64, 784)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    res = train_ensemble(X[:48], y[:48], X[48:], y[48:], layers=[1024, 20, 20, 20], activation="tanh",
                         n_seeds=1, epochs=1, batch_size=16, lr=0.001, optimizer="sgd", snapshot_epochs=[1],
                         progress=False)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert np.isfinite(res.metrics.loss).all()
    assert grown_mb < 1500  # the dense indicator alone was 3.6 GB


def test_claim_helpers():
    mi = pd.DataFrame(dict(seed=0, epoch=[0, 0, 0, 1, 1, 1], layer=[1, 2, 3] * 2, estimator="e",
                           ixt=[3.0, 2.0, 2.5, 3.0, 2.0, 1.0], ity=[1.0, 0.5, 0.2, 1.0, 0.8, 0.6]))
    assert me.dpi_violation(mi, "e") == pytest.approx(0.5)
    rise = me.ity_rise(mi, "e").set_index("layer")["mean"]
    assert rise.loc[3] == pytest.approx(0.4)
    assert me.accuracy_verdict(0.84, 0.85) == "reproduced"
    assert me.accuracy_verdict(0.78, 0.85) == "partly reproduced"
    assert me.accuracy_verdict(0.5, 0.85) == "not reproduced"
    assert me.factor_verdict(0.1, 0.0735) == "reproduced"
    assert me.factor_verdict(0.5, 0.0735) == "partly reproduced"
    assert me.factor_verdict(float("nan"), 0.0735) == "inconclusive"
    assert me.fmt_ci(1, 0.5, 1.5) == "1.000 [0.500, 1.500]"
    comp = pd.DataFrame(dict(estimator="e", layer=[1, 2, 3], mean=[0.5, 0.05, 0.3], ci_low=[0.1, 0.0, -0.1]))
    assert me.compressing_layers(comp, "e") == [1]
