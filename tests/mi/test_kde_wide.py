"""Tests of ibutils.mi.kde_wide: blocked float32 distances, the concat/mean methods, the sigma^2 heuristic."""
import numpy as np
import pytest

from ibutils.mi import kde
from ibutils.mi.kde_wide import (
    kde_channels,
    kde_from_dists,
    kde_wide,
    pairwise_distance_sample,
    pairwise_sq_dists,
    sigma2_heuristic,
)


def _layer(n=120, d=300, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(4), n // 4)
    centres = rng.normal(size=(4, d)).astype(np.float32)
    T = np.maximum(centres[y] * 0.3 + 0.2 * rng.normal(size=(n, d)).astype(np.float32), 0.0)
    return T, y


def test_distances_match_direct_and_blocks_do_not_matter():
    T, _ = _layer(n=40, d=57)
    direct = ((T[:, None, :].astype(np.float64) - T[None, :, :]) ** 2).sum(-1)
    for br, bc in ((None, None), (7, 5), (40, 57), (1, 1)):
        D = pairwise_sq_dists(T, block_rows=br, block_cols=bc)
        assert D.dtype == np.float32 and D.shape == (40, 40)
        np.testing.assert_allclose(D, direct, rtol=1e-4, atol=1e-3)
        assert np.all(np.diag(D) == 0) and np.array_equal(D, D.T)


def test_concat_matches_float64_reference():
    T, y = _layer()
    res = kde_wide(T, y, noise_variances=(0.1, 1.0), bounds=("upper", "lower"))
    for (v, b), pair in res.items():
        ref = kde(T, y, noise_variance=v, bound=b, precision="float64")
        assert pair.ixt == pytest.approx(ref.ixt, abs=1e-4)
        assert pair.ity == pytest.approx(ref.ity, abs=1e-4)


def test_image_shaped_input_is_flattened():
    T, y = _layer(n=40, d=48)
    a = kde_wide(T.reshape(40, 4, 4, 3), y, noise_variances=(0.5,))
    b = kde_wide(T, y, noise_variances=(0.5,))
    assert a[(0.5, "upper")].ixt == pytest.approx(b[(0.5, "upper")].ixt, abs=1e-6)


def test_saturation_gives_log_n_and_h_y():
    # far-apart rows: I(X;T) = log2 N, I(T;Y) = H(Y) (the saturated KDE of seed 003's concat planes)
    y = np.repeat(np.arange(4), 10)
    T = np.eye(40, dtype=np.float32) * 100.0
    pair = kde_wide(T, y, noise_variances=(0.1,), bounds=("upper",))[(0.1, "upper")]
    assert pair.ixt == pytest.approx(np.log2(40), abs=1e-9)
    assert pair.ity == pytest.approx(2.0, abs=1e-9)


def test_channels_mean_is_average_of_channel_estimates():
    T, y = _layer(n=40, d=48)
    T4 = T.reshape(40, 4, 4, 3)
    means, per = kde_channels(T4, y, noise_variances=(0.5,), bounds=("lower",), per_channel=True)
    ix, iy = per[(0.5, "lower")]
    for c in range(3):
        ref = kde(T4[..., c].reshape(40, -1), y, noise_variance=0.5, bound="lower", precision="float64")
        assert ix[c] == pytest.approx(ref.ixt, abs=1e-4) and iy[c] == pytest.approx(ref.ity, abs=1e-4)
    assert means[(0.5, "lower")].ixt == pytest.approx(ix.mean())
    # a dense layer: one channel, same as concat
    dense = kde_channels(T, y, noise_variances=(0.5,), bounds=("lower",))[(0.5, "lower")]
    assert dense.ixt == pytest.approx(kde_wide(T, y, noise_variances=(0.5,))[(0.5, "lower")].ixt, abs=1e-9)


def test_sigma2_heuristic():
    # four points on a line at 0, 1, 2, 3: pair distances 1,1,1,2,2,3 -> 90th percentile 2.5
    T = np.array([[0.0], [1.0], [2.0], [3.0]])
    d = pairwise_distance_sample(T)
    assert sorted(np.round(d, 6)) == [1, 1, 1, 2, 2, 3]
    assert sigma2_heuristic(T) == pytest.approx(np.percentile([1, 1, 1, 2, 2, 3], 90) / 1000)
    assert sigma2_heuristic(distances=d, percentile=50, divisor=1) == pytest.approx(1.5)
    # scaling the layer by a scales the heuristic by a
    T2, _ = _layer(n=32, d=10)
    assert sigma2_heuristic(3 * T2) == pytest.approx(3 * sigma2_heuristic(T2), rel=1e-4)
    assert len(pairwise_distance_sample(T2, max_rows=10)) == 45


@pytest.mark.parametrize("kwargs, word", [
    (dict(), "exactly one"), (dict(T=np.ones((3, 2)), percentile=0), "percentile"),
    (dict(T=np.ones((3, 2)), divisor=-1), "divisor"), (dict(distances=[]), "distances")])
def test_heuristic_bad_input(kwargs, word):
    with pytest.raises(ValueError, match=word):
        sigma2_heuristic(**kwargs)


def test_bad_input():
    T, y = _layer(n=8, d=3)
    with pytest.raises(ValueError, match="noise_variances"):
        kde_wide(T, y, noise_variances=(0.0,))
    with pytest.raises(ValueError, match="bounds"):
        kde_wide(T, y, bounds=("middle",))
    with pytest.raises(ValueError, match="D must"):
        kde_from_dists(np.ones((3, 4)), [0, 1, 0])
    with pytest.raises(ValueError, match="block_rows"):
        pairwise_sq_dists(T, block_rows=0)
    with pytest.raises(ValueError, match="finite"):
        pairwise_sq_dists(np.full((3, 2), np.nan))


def test_calibrate_sigma2():
    from ibutils.mi.kde_wide import calibrate_sigma2

    y = np.repeat(np.arange(10), 10)
    T = np.eye(10, dtype=np.float32)[y] + 0.01 * np.random.default_rng(0).normal(size=(100, 10)).astype(np.float32)
    D = pairwise_sq_dists(T)
    v = calibrate_sigma2(D, y, target=np.log2(10), tol=0.01)
    assert 1e-5 < v < 10
    at = kde_from_dists(D, y, noise_variances=[v, 2 * v], bounds=["upper"])
    assert abs(at[(v, "upper")].ity - np.log2(10)) <= 0.01 + 1e-9
    assert abs(at[(2 * v, "upper")].ity - np.log2(10)) > 0.01
    assert np.isnan(calibrate_sigma2(D, y, target=5.0, tol=0.01))
    with pytest.raises(ValueError, match="quantity"):
        calibrate_sigma2(D, y, target=1.0, tol=0.1, quantity="h")
