"""Fully connected classifiers (Keras 3 on TensorFlow) and their initial weights.

The networks of the information-bottleneck debate are small multilayer perceptrons
(e.g. Shwartz-Ziv & Tishby's 12-10-7-5-4-3-2) with a softmax read-out, trained with
cross-entropy. This module holds

* :func:`init_params`: the initial weights, in NumPy, under the three rules in use;
* :func:`build_model`: a plain ``keras.Sequential`` with given or drawn weights (the
  reference the stacked-replica trainer of :mod:`ibutils.nets` is tested against);
* :func:`make_optimizer`: Adam or plain SGD.

Initialisation rules (``init``)
-------------------------------
``"fan_in"`` (alias ``"tishby"``)
    Truncated normal (cut at 2 std), std ``1/sqrt(fan_in)``, as Shwartz-Ziv & Tishby's
    ``IDNNs`` code (``stddev=1/sqrt(row_size)`` of a ``[row, col]`` kernel).
``"width"`` (aliases ``"saxe"``, ``"fan_out"``)
    Truncated normal, std ``1/sqrt(width of the layer produced)``, as Saxe et al.'s
    ``ibsgd`` and the Deep Bottleneck framework (``TruncatedNormal(0, 1/sqrt(units))``)
    and Rasmussen's thesis (``1/sqrt(weight.shape[0])`` of a PyTorch ``(out, in)``
    weight).
``"glorot"``
    Glorot uniform, Keras' default.

All layers (hidden and read-out) use the rule. Hidden biases start at
``initial_bias`` (the Deep Bottleneck bias sweeps); the read-out bias starts at 0.
The optional max-norm constraint (Keras ``MaxNorm``, applied after every update)
bounds each hidden unit's incoming weight vector, as in the Deep Bottleneck models;
the read-out layer is unconstrained.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import activations

INITS = ("fan_in", "width", "glorot")
_INIT_ALIASES = {"tishby": "fan_in", "saxe": "width", "fan_out": "width"}
OPTIMIZERS = ("adam", "sgd")
ADAM_EPSILON = 1e-7  # Keras' default (PyTorch uses 1e-8)
ADAM_BETA_1 = 0.9
ADAM_BETA_2 = 0.999
MAX_NORM_EPSILON = 1e-7  # keras.backend.epsilon(), used by keras.constraints.MaxNorm
BN_MOMENTUM = 0.99  # keras.layers.BatchNormalization defaults
BN_EPSILON = 1e-3


def resolve_init(init: str) -> str:
    """Canonical name of an initialisation rule; ``ValueError`` for unknown names."""
    name = _INIT_ALIASES.get(init, init)
    if name not in INITS:
        raise ValueError(
            f"unknown init {init!r}; valid names: {', '.join(INITS + tuple(_INIT_ALIASES))}"
        )
    return name


def check_optimizer(optimizer: str) -> str:
    """Lower-cased optimizer name; ``ValueError`` unless it is ``adam`` or ``sgd``."""
    name = str(optimizer).lower()
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; valid names: {', '.join(OPTIMIZERS)}")
    return name


def layer_sizes(input_dim: int, layers: Sequence[int], n_classes: int) -> list[int]:
    """``[input_dim, *layers, n_classes]`` after validation."""
    layers = [int(w) for w in layers]
    if int(input_dim) < 1 or int(n_classes) < 2 or any(w < 1 for w in layers):
        raise ValueError(
            f"layers: widths must be >= 1 and n_classes >= 2, got input_dim={input_dim}, "
            f"layers={layers}, n_classes={n_classes}"
        )
    return [int(input_dim), *layers, int(n_classes)]


def _truncated_normal(rng: np.random.Generator, shape, std: float) -> np.ndarray:
    z = rng.standard_normal(shape)
    bad = np.abs(z) > 2.0
    while bad.any():
        z[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2.0
    return z * std


def init_params(
    input_dim: int,
    layers: Sequence[int],
    n_classes: int,
    *,
    init: str = "width",
    initial_bias: float = 0.0,
    seed: int = 0,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Initial weights of a fully connected net, drawn from ``seed`` alone.

    Parameters
    ----------
    input_dim, layers, n_classes : int, list of int, int
        Input width, hidden widths, number of classes (the softmax width).
    init : str
        ``"fan_in"`` / ``"tishby"``, ``"width"`` / ``"saxe"`` or ``"glorot"`` (see the
        module docstring).
    initial_bias : float
        Constant initial bias of the hidden layers (the read-out bias is 0).
    seed : int
        Seed of a ``numpy.random.default_rng``; the same seed gives the same weights.

    Returns
    -------
    list of (kernel, bias)
        Float32 kernels of shape ``(fan_in, fan_out)`` (the Keras layout) and biases.
    """
    init = resolve_init(init)
    sizes = layer_sizes(input_dim, layers, n_classes)
    rng = np.random.default_rng(int(seed))
    params = []
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        if init == "fan_in":
            W = _truncated_normal(rng, (a, b), 1.0 / np.sqrt(a))
        elif init == "width":
            W = _truncated_normal(rng, (a, b), 1.0 / np.sqrt(b))
        else:
            lim = np.sqrt(6.0 / (a + b))
            W = rng.uniform(-lim, lim, (a, b))
        hidden = k < len(sizes) - 2
        bias = np.full(b, float(initial_bias) if hidden else 0.0)
        params.append((W.astype(np.float32), bias.astype(np.float32)))
    return params


def make_optimizer(optimizer: str, lr: float):
    """A Keras optimizer: ``"adam"`` (Keras defaults, epsilon 1e-7) or plain ``"sgd"``."""
    import keras

    name = check_optimizer(optimizer)
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=lr, beta_1=ADAM_BETA_1, beta_2=ADAM_BETA_2, epsilon=ADAM_EPSILON)
    return keras.optimizers.SGD(learning_rate=lr)


def build_model(
    input_dim: int,
    layers: Sequence[int],
    n_classes: int,
    *,
    activation: str = "tanh",
    init: str = "width",
    initial_bias: float = 0.0,
    max_norm: float | None = None,
    batch_norm: bool = False,
    optimizer: str = "adam",
    lr: float = 4e-4,
    seed: int = 0,
    weights: list[tuple[np.ndarray, np.ndarray]] | None = None,
):
    """A compiled ``keras.Sequential`` classifier.

    Hidden ``Dense`` layers use the registry activation ``activation`` (optionally
    followed by ``BatchNormalization``, the Deep Bottleneck ``feedforward_batchnorm``
    variant), the read-out is a softmax; the loss is categorical cross-entropy (one-hot
    targets) with an ``accuracy`` metric.

    Parameters
    ----------
    weights : list of (kernel, bias), optional
        Initial weights (as returned by :func:`init_params`); drawn from ``init``,
        ``initial_bias`` and ``seed`` when omitted.
    max_norm : float, optional
        ``keras.constraints.MaxNorm`` on every hidden kernel (per-unit incoming norm).

    Raises
    ------
    ValueError
        For an unknown activation, init or optimizer.
    """
    import keras

    act = activations.get(activation)
    check_optimizer(optimizer)
    sizes = layer_sizes(input_dim, layers, n_classes)
    if weights is None:
        weights = init_params(input_dim, layers, n_classes, init=init, initial_bias=initial_bias, seed=seed)
    if len(weights) != len(sizes) - 1:
        raise ValueError(f"weights: expected {len(sizes) - 1} (kernel, bias) pairs, got {len(weights)}")
    keras.utils.set_random_seed(int(seed))
    model = keras.Sequential([keras.Input((sizes[0],))])
    dense = []
    for k, width in enumerate(sizes[1:]):
        hidden = k < len(sizes) - 2
        constraint = keras.constraints.MaxNorm(float(max_norm), axis=0) if (hidden and max_norm) else None
        layer = keras.layers.Dense(
            width,
            activation=act.tf if hidden else "softmax",
            kernel_constraint=constraint,
            name=f"dense_{k + 1}",
        )
        model.add(layer)
        dense.append(layer)
        if hidden and batch_norm:
            model.add(keras.layers.BatchNormalization(name=f"batch_norm_{k + 1}"))
    for layer, (W, b) in zip(dense, weights):
        layer.set_weights([np.asarray(W, np.float32), np.asarray(b, np.float32)])
    model.compile(
        optimizer=make_optimizer(optimizer, lr),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


__all__ = [
    "INITS",
    "OPTIMIZERS",
    "init_params",
    "build_model",
    "make_optimizer",
    "resolve_init",
    "check_optimizer",
    "layer_sizes",
]
