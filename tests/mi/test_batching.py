"""ibutils.mi.batching: the batching estimator of seed 002 (section 0.2.6), exact cases."""
import numpy as np
import pytest

from ibutils import mi
from ibutils.mi.batching import batching_binning, batching_mi, uniform_codes


def test_b1_equals_single_epoch_binning():
    rng = np.random.default_rng(1)
    T = np.tanh(rng.normal(size=(3, 200, 4)) * 2)
    y = rng.integers(0, 2, 200)
    ref = mi.binning(T, y, n_bins=30, value_range=(-1, 1))
    res = batching_binning(T[:, None], y, n_bins=30)
    np.testing.assert_allclose(res.ixt, ref.ixt, atol=1e-12)
    np.testing.assert_allclose(res.ity, ref.ity, atol=1e-12)
    np.testing.assert_allclose(res.h_t_given_x, 0.0, atol=1e-12)


def test_identical_epochs_have_zero_conditional_entropy():
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 5, size=(100, 3))
    y = rng.integers(0, 2, 100)
    one = batching_mi(codes[None], y)
    many = batching_mi(np.stack([codes] * 7), y)
    assert many.h_t_given_x == 0.0
    assert many.ixt == pytest.approx(one.ixt, abs=1e-12)
    assert many.ity == pytest.approx(one.ity, abs=1e-12)


def test_known_values_constructed_example():
    # N = 4 inputs, b = 2 epochs. Epoch 1 codes 0,1,2,3; epoch 2 codes 0,1,2,4 (x_3 changes bin).
    codes = np.array([[0, 1, 2, 3], [0, 1, 2, 4]])[:, :, None]
    y = np.array([0, 0, 1, 1])
    res = batching_mi(codes, y)
    # pooled: 0,1,2 twice each, 3 and 4 once: H(T) = 3 * (2/8) * 2 + 2 * (1/8) * 3 = 2.25
    assert res.h_t == pytest.approx(2.25)
    # only x_3 is uncertain (1 bit), H(T|X) = 1/4
    assert res.h_t_given_x == pytest.approx(0.25)
    assert res.ixt == pytest.approx(2.0)
    # H(T|Y=0) = 1 bit (codes 0,1 twice each), H(T|Y=1) = 1.5 bits (2,2,3,4): I(T;Y) = 2.25 - 1.25
    assert res.ity == pytest.approx(1.0)
    # every input moves to a fresh code each epoch: I(X;T) = log2 N (no compression)
    fresh = np.arange(8).reshape(2, 4)[:, :, None]
    assert batching_mi(fresh, y).ixt == pytest.approx(2.0)
    assert batching_mi(fresh, y).h_t_given_x == pytest.approx(1.0)


def test_batching_rejects_bad_input():
    with pytest.raises(ValueError, match="integer"):
        batching_mi(np.zeros((2, 3, 1)), [0, 1, 0])
    with pytest.raises(ValueError, match="shape"):
        batching_mi(np.zeros((3, 1), int), [0, 1, 0])
    with pytest.raises(ValueError, match="n_bins"):
        uniform_codes(np.zeros(3), 0)
