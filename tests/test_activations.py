import numpy as np
import pytest

from ibutils import activations


def test_registry_has_the_eleven_functions():
    assert activations.NAMES == ("tanh", "relu", "sigmoid", "softsign", "softplus", "hard_sigmoid",
                                 "selu", "relu6", "elu", "leaky_relu", "linear")


def test_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError, match="unknown activation 'swish'.*tanh.*linear"):
        activations.get("swish")


@pytest.mark.parametrize("name, x, expected", [
    ("tanh", [0.0, 1.0], [0.0, np.tanh(1.0)]),
    ("relu", [-2.0, 3.0], [0.0, 3.0]),
    ("sigmoid", [0.0, np.log(3.0)], [0.5, 0.75]),
    ("softsign", [1.0, -3.0], [0.5, -0.75]),
    ("softplus", [0.0], [np.log(2.0)]),
    ("hard_sigmoid", [-3.0, -1.0, 0.0, 1.0, 3.0], [0.0, 0.3, 0.5, 0.7, 1.0]),
    ("selu", [1.0, -1e9], [activations.SELU_SCALE, -activations.SELU_SCALE * activations.SELU_ALPHA]),
    ("relu6", [-1.0, 3.0, 9.0], [0.0, 3.0, 6.0]),
    ("elu", [-1e9, 2.0], [-1.0, 2.0]),
    ("leaky_relu", [-1.0, 2.0], [-0.2, 2.0]),
    ("linear", [-1.5, 2.0], [-1.5, 2.0]),
])
def test_exact_values(name, x, expected):
    np.testing.assert_allclose(activations.get(name)(np.array(x)), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", activations.NAMES)
def test_numpy_and_tensorflow_agree_and_respect_range(name):
    import tensorflow as tf

    x = np.linspace(-8, 8, 321)
    act = activations.get(name)
    y_np = act(x)
    y_tf = act.tf(tf.constant(x, dtype=tf.float64)).numpy()
    np.testing.assert_allclose(y_np, y_tf, rtol=1e-9, atol=1e-12)
    lo, hi = act.output_range
    assert y_np.min() >= lo - 1e-12 and y_np.max() <= hi + 1e-12
