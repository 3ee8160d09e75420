"""The registry of hidden-layer activation functions used throughout the book.

One name maps to one function, with a NumPy version (for the analyses that push
numbers through an activation directly, e.g. the minimal model) and a TensorFlow
version (for the trained networks). Both follow the definitions of the Deep
Bottleneck framework (seed 000, section 9.1): ``hard_sigmoid`` is the old Keras
rule ``clip(0.2 x + 0.5, 0, 1)`` (Keras 3 changed it to ``relu6(x + 3) / 6``), and
``leaky_relu`` uses TensorFlow's default slope 0.2.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

LEAKY_SLOPE = 0.2
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


@dataclass(frozen=True)
class Activation:
    """One activation function.

    Attributes
    ----------
    name : str
        Registry key.
    numpy : callable
        Elementwise NumPy implementation.
    saturation : str
        ``"double"`` (bounded on both sides), ``"single"`` (bounded on one side)
        or ``"none"``; the classification the Deep Bottleneck analyses use.
    output_range : tuple of float
        The closed range of the function's values (``inf`` where unbounded).
    """

    name: str
    numpy: Callable[[np.ndarray], np.ndarray]
    saturation: str
    output_range: tuple[float, float]

    def __call__(self, x):
        return self.numpy(np.asarray(x))

    def tf(self, x):
        """Apply the TensorFlow version of this activation to a tensor."""
        return _tf_impl(self.name)(x)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _softplus(x):
    return np.logaddexp(0.0, x)


def _elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def _selu(x):
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))


_REGISTRY = {
    a.name: a
    for a in [
        Activation("tanh", np.tanh, "double", (-1.0, 1.0)),
        Activation("relu", lambda x: np.maximum(x, 0), "single", (0.0, np.inf)),
        Activation("sigmoid", _sigmoid, "double", (0.0, 1.0)),
        Activation("softsign", lambda x: x / (1 + np.abs(x)), "double", (-1.0, 1.0)),
        Activation("softplus", _softplus, "single", (0.0, np.inf)),
        Activation("hard_sigmoid", lambda x: np.clip(0.2 * x + 0.5, 0, 1), "double", (0.0, 1.0)),
        Activation("selu", _selu, "single", (-SELU_SCALE * SELU_ALPHA, np.inf)),
        Activation("relu6", lambda x: np.clip(x, 0, 6), "double", (0.0, 6.0)),
        Activation("elu", _elu, "single", (-1.0, np.inf)),
        Activation("leaky_relu", lambda x: np.where(x > 0, x, LEAKY_SLOPE * x), "none", (-np.inf, np.inf)),
        Activation("linear", lambda x: x * 1.0, "none", (-np.inf, np.inf)),
    ]
}

#: The 11 registered names, in the order the Deep Bottleneck analyses list them.
NAMES: tuple[str, ...] = tuple(_REGISTRY)


def get(name: str) -> Activation:
    """Return the activation called ``name``.

    Raises
    ------
    ValueError
        If ``name`` is not registered; the message lists the valid names.
    """
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown activation {name!r}; valid names: {', '.join(NAMES)}"
        ) from None


def _tf_impl(name: str):
    import tensorflow as tf

    impl = {
        "tanh": tf.math.tanh,
        "relu": tf.nn.relu,
        "sigmoid": tf.math.sigmoid,
        "softsign": tf.nn.softsign,
        "softplus": tf.math.softplus,
        "hard_sigmoid": lambda x: tf.clip_by_value(0.2 * x + 0.5, 0.0, 1.0),
        "selu": tf.nn.selu,
        "relu6": tf.nn.relu6,
        "elu": tf.nn.elu,
        "leaky_relu": lambda x: tf.where(x > 0, x, LEAKY_SLOPE * x),
        "linear": tf.identity,
    }
    get(name)
    return impl[name]
