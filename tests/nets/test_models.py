"""Tests of ibutils.nets.models: initial weights, Keras model builder, optimizers."""
import numpy as np
import pytest

from ibutils.nets import models


def test_init_rules_std_and_truncation():
    # a wide first layer so the std estimate is tight
    p_in = models.init_params(400, [100], 2, init="fan_in", seed=1)
    p_w = models.init_params(400, [100], 2, init="width", seed=1)
    W_in, W_w = p_in[0][0], p_w[0][0]
    assert W_in.shape == (400, 100) and W_in.dtype == np.float32
    # truncated at 2 std: std of N(0,1) cut at +-2 is 0.8796
    assert np.std(W_in) == pytest.approx(0.8796 / np.sqrt(400), rel=0.03)
    assert np.std(W_w) == pytest.approx(0.8796 / np.sqrt(100), rel=0.03)
    assert np.abs(W_in).max() <= 2 / np.sqrt(400) + 1e-7
    assert np.abs(W_w).max() <= 2 / np.sqrt(100) + 1e-7
    # aliases
    np.testing.assert_array_equal(models.init_params(400, [100], 2, init="tishby", seed=1)[0][0], W_in)
    np.testing.assert_array_equal(models.init_params(400, [100], 2, init="saxe", seed=1)[0][0], W_w)
    g = models.init_params(400, [100], 2, init="glorot", seed=1)[0][0]
    assert np.abs(g).max() <= np.sqrt(6 / 500) and np.std(g) == pytest.approx(np.sqrt(2 / 500), rel=0.03)


def test_init_seeded_and_bias():
    a = models.init_params(12, [10, 7], 2, initial_bias=0.5, seed=3)
    b = models.init_params(12, [10, 7], 2, initial_bias=0.5, seed=3)
    c = models.init_params(12, [10, 7], 2, initial_bias=0.5, seed=4)
    assert [w.shape for w, _ in a] == [(12, 10), (10, 7), (7, 2)]
    for (wa, ba), (wb, bb) in zip(a, b):
        np.testing.assert_array_equal(wa, wb)
        np.testing.assert_array_equal(ba, bb)
    assert not np.array_equal(a[0][0], c[0][0])
    assert np.all(a[0][1] == 0.5) and np.all(a[1][1] == 0.5) and np.all(a[2][1] == 0.0)


def test_bad_names_raise():
    with pytest.raises(ValueError, match="valid names"):
        models.init_params(12, [3], 2, init="he")
    with pytest.raises(ValueError, match="adam"):
        models.check_optimizer("rmsprop")
    with pytest.raises(ValueError, match="tanh"):
        models.build_model(12, [3], 2, activation="swish")
    with pytest.raises(ValueError, match="optimizer"):
        models.build_model(12, [3], 2, optimizer="adagrad")
    with pytest.raises(ValueError):
        models.layer_sizes(12, [0], 2)


def test_build_model_weights_constraint_batchnorm():
    w = models.init_params(12, [10, 7, 5, 4, 3], 2, init="fan_in", initial_bias=0.1, seed=0)
    m = models.build_model(12, [10, 7, 5, 4, 3], 2, activation="relu", weights=w, max_norm=0.8, lr=1e-3)
    dense = [l for l in m.layers if l.name.startswith("dense")]
    assert len(dense) == 6
    np.testing.assert_array_equal(dense[0].get_weights()[0], w[0][0])
    assert dense[0].kernel_constraint is not None and dense[-1].kernel_constraint is None
    x = np.random.default_rng(0).integers(0, 2, (5, 12)).astype("float32")
    p = np.asarray(m(x))
    np.testing.assert_allclose(p.sum(1), 1, rtol=1e-5)
    bn = models.build_model(12, [10, 3], 2, batch_norm=True, seed=0)
    assert sum("batch_norm" in l.name for l in bn.layers) == 2
    opt = models.make_optimizer("adam", 4e-4)
    assert opt.epsilon == pytest.approx(1e-7)
    assert type(models.make_optimizer("SGD", 0.1)).__name__ == "SGD"
