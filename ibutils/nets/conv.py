"""Convolutional networks of the CNN chapter and a plain trainer that records every layer's activity.

Architectures (:data:`ARCHITECTURES`; inputs are 28 x 28 x 1 images, or 784 pixels for the dense ones):

* ``"mnist_cnn"``: Keras' classic ``examples/mnist_cnn.py`` **without its two dropout layers**, as
  seed 003 (sec. 3.1, Listing 1) trained it: Conv2D 32 3x3 ReLU -> Conv2D 64 3x3 ReLU -> MaxPool 2x2
  -> Flatten -> Dense 128 ReLU -> Dense 10 softmax. Recorded layers, numbered as the study's figures
  (0-5): conv-32 (26x26x32), conv-64 (24x24x64), max-pool (12x12x64), flatten (9,216), dense-128,
  the softmax prediction.
* ``"lenet"``: seed 004's LeNet (sec. 5.2: conv 10 ch ReLU -> max-pool -> conv 20 ch ReLU -> max-pool
  -> linear 50 -> linear 10). Kernel and pool sizes are not stated there; we take the classic PyTorch
  MNIST example's 5x5 kernels and 2x2 pools (so 320 features after the second pool) without its
  dropout. Recorded layers 1-4: relu(pool(conv-10)) (12x12x10), relu(pool(conv-20)) (4x4x20),
  dense-50 ReLU, the linear-10 logits (PyTorch's ``fc2`` before ``log_softmax``).
* ``"dense"``: an MLP of the given hidden widths and activation with a softmax read-out (seed 004's
  FCN 1024-20-20-20 ReLU; seed 003's MLP 784-1024-20-20-10 tanh); recorded layers 1..L, L the softmax.

Weights start with Keras' defaults (Glorot-uniform kernels, zero biases), from
``keras.utils.set_random_seed(seed)``; the minibatch order of each epoch is a seeded permutation.
:func:`train_conv` trains one network per seed (a plain loop over seeds: XLA on a CPU runs one conv
net at a time at full speed; the stacked trainer of :mod:`ibutils.nets.ensemble` is for dense nets),
and at the chosen epochs (0 = before training) passes every layer's activity on a fixed MI sample to a
callback, so snapshots of 36,864-unit layers are measured and dropped, not kept.

Optimizers: ``"adadelta"`` is Keras 2's Adadelta as the 2019 example used it (``lr = 1.0``,
``rho = 0.95``, ``epsilon = 1e-7``; Keras 3's default lr of 0.001 would barely train in 12 epochs);
``"sgd"`` plain minibatch SGD; ``"adam"`` Adam (beta 0.9/0.999). The loss is categorical
cross-entropy.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pandas as pd

ARCHITECTURES = ("mnist_cnn", "lenet", "dense")
OPTIMIZERS = ("adadelta", "sgd", "adam")

#: layer names per architecture, in recording order, and the number the study gives the first one
LAYER_NAMES = {
    "mnist_cnn": ("conv32", "conv64", "maxpool", "flatten", "dense128", "softmax"),
    "lenet": ("conv10_pool", "conv20_pool", "dense50", "linear10"),
}
FIRST_LAYER = {"mnist_cnn": 0, "lenet": 1, "dense": 1}


def layer_names(arch: str, hidden: Sequence[int] = ()) -> tuple[str, ...]:
    """Names of the recorded layers of ``arch`` (for ``"dense"``: ``dense<width>`` ... ``softmax``)."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"arch must be one of {ARCHITECTURES}, got {arch!r}")
    if arch == "dense":
        return tuple(f"dense{int(w)}" for w in hidden) + ("softmax",)
    return LAYER_NAMES[arch]


def layer_numbers(arch: str, hidden: Sequence[int] = ()) -> list[int]:
    """The study's numbers of the recorded layers (mnist_cnn 0-5, LeNet 1-4, dense 1..L)."""
    n = len(layer_names(arch, hidden))
    return list(range(FIRST_LAYER[arch], FIRST_LAYER[arch] + n))


def build(arch: str, *, seed: int, hidden: Sequence[int] = (1024, 20, 20, 20), activation: str = "relu"):
    """A Keras model with one output per recorded layer (see the module docstring).

    Returns
    -------
    keras.Model mapping a batch of images ``(B, 28, 28, 1)`` (or ``(B, 784)`` for ``"dense"``) to the
    list of layer activities; the last is the output the loss is computed on (softmax probabilities,
    or LeNet's logits).
    """
    import keras

    if arch not in ARCHITECTURES:
        raise ValueError(f"arch must be one of {ARCHITECTURES}, got {arch!r}")
    keras.utils.set_random_seed(int(seed))
    L = keras.layers
    if arch == "mnist_cnn":
        x = keras.Input((28, 28, 1))
        a0 = L.Conv2D(32, (3, 3), activation="relu")(x)
        a1 = L.Conv2D(64, (3, 3), activation="relu")(a0)
        a2 = L.MaxPooling2D((2, 2))(a1)
        a3 = L.Flatten()(a2)
        a4 = L.Dense(128, activation="relu")(a3)
        a5 = L.Dense(10, activation="softmax")(a4)
        outs = [a0, a1, a2, a3, a4, a5]
    elif arch == "lenet":
        x = keras.Input((28, 28, 1))
        a1 = L.ReLU()(L.MaxPooling2D((2, 2))(L.Conv2D(10, (5, 5))(x)))
        a2 = L.ReLU()(L.MaxPooling2D((2, 2))(L.Conv2D(20, (5, 5))(a1)))
        a3 = L.Dense(50, activation="relu")(L.Flatten()(a2))
        a4 = L.Dense(10)(a3)
        outs = [a1, a2, a3, a4]
    else:
        if not hidden or any(int(w) < 1 for w in hidden):
            raise ValueError(f"hidden must be a non-empty list of positive widths, got {hidden!r}")
        x = keras.Input((784,))
        h, outs = x, []
        for w in hidden:
            h = L.Dense(int(w), activation=activation)(h)
            outs.append(h)
        outs.append(L.Dense(10, activation="softmax")(h))
    return keras.Model(x, outs)


def make_optimizer(name: str, lr: float | None = None):
    """The Keras optimizer ``name`` (module docstring for the defaults; ``lr=None`` keeps them)."""
    import keras

    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")
    if lr is not None and not (np.isfinite(float(lr)) and float(lr) > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if name == "adadelta":
        return keras.optimizers.Adadelta(learning_rate=1.0 if lr is None else float(lr), rho=0.95, epsilon=1e-7)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=0.01 if lr is None else float(lr))
    return keras.optimizers.Adam(learning_rate=0.001 if lr is None else float(lr))


@dataclass
class ConvRun:
    """What :func:`train_conv` returns: per-epoch metrics and, if asked, the kept activities.

    ``metrics``: columns ``seed, epoch, loss, train_acc, test_acc`` (epoch 0 = before training;
    ``loss``/``train_acc`` are the means over the epoch's minibatches, as Keras reports them, NaN at
    epoch 0; ``test_acc`` at the ``eval_epochs``, else NaN). ``activities``: ``{(seed, epoch): [array per
    layer]}`` for the epochs in ``keep_epochs``. ``layers``: the study's layer numbers.
    """

    metrics: pd.DataFrame
    layers: list[int]
    names: tuple[str, ...]
    activities: dict = field(default_factory=dict)


def _shape_inputs(X, arch: str) -> np.ndarray:
    X = np.asarray(X, np.float32)
    if arch == "dense":
        return X.reshape(len(X), -1)
    if X.shape[1:] not in ((784,), (28, 28), (28, 28, 1)):
        raise ValueError(f"X must hold 28 x 28 images (784 pixels), got shape {X.shape}")
    return X.reshape(len(X), 28, 28, 1)


def _forward(model, X, batch: int = 500) -> list[np.ndarray]:
    """Every recorded layer's activity on ``X`` (row blocks; float32)."""
    parts = [model(X[i:i + batch], training=False) for i in range(0, len(X), batch)]  # loop over row blocks
    return [np.concatenate([np.asarray(p[k]) for p in parts]) for k in range(len(parts[0]))]


def train_conv(X_train, y_train, *, arch: str, seeds: Sequence[int], epochs: int, optimizer: str = "adadelta",
               lr: float | None = None, batch_size: int = 128, X_eval=None, y_eval=None, X_mi=None,
               snapshot_epochs: Sequence[int] = (), on_snapshot: Callable | None = None,
               keep_epochs: Sequence[int] = (), hidden: Sequence[int] = (1024, 20, 20, 20),
               activation: str = "relu", eval_epochs: Sequence[int] | None = None) -> ConvRun:
    """Train one network per seed with minibatch updates and record its layers at chosen epochs.

    Parameters
    ----------
    X_train, y_train : training images ``(N, 784)`` / ``(N, 28, 28[, 1])`` in [0, 1] and labels 0-9.
    arch : one of :data:`ARCHITECTURES`.
    seeds : the seeds (initial weights and minibatch order).
    epochs : passes over the training set.
    optimizer, lr : one of :data:`OPTIMIZERS` and its learning rate (``None``: the module defaults).
    batch_size : minibatch size (the last batch of an epoch may be smaller).
    X_eval, y_eval : test set for ``test_acc`` (optional).
    X_mi : the fixed MI sample whose activities are recorded.
    snapshot_epochs : epochs (0 = before training) at which ``on_snapshot(seed, epoch, acts)`` is
        called with ``acts`` the list of layer activities on ``X_mi``.
    keep_epochs : epochs whose activities are also kept in :attr:`ConvRun.activities`.
    hidden, activation : widths and activation of ``arch="dense"``.
    eval_epochs : epochs at which the test accuracy is measured (default: the last one only; a
        forward pass over 10,000 test images costs more CPU than an epoch of training on 5,000).

    Returns
    -------
    ConvRun
    """
    import tensorflow as tf

    from ..quiet import quiet

    if int(epochs) < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs!r}")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    names = layer_names(arch, hidden)
    Xtr = _shape_inputs(X_train, arch)
    ytr = np.asarray(y_train, np.int64)
    if len(ytr) != len(Xtr) or ytr.min() < 0 or ytr.max() > 9:
        raise ValueError("y_train must hold one label 0-9 per training image")
    Xev = None if X_eval is None else _shape_inputs(X_eval, arch)
    yev = None if y_eval is None else np.asarray(y_eval, np.int64)
    Xmi = None if X_mi is None else _shape_inputs(X_mi, arch)
    snap_set, keep_set = {int(e) for e in snapshot_epochs}, {int(e) for e in keep_epochs}
    snaps = snap_set | keep_set
    evals = {int(epochs)} if eval_epochs is None else {int(e) for e in eval_epochs}
    if snaps and Xmi is None:
        raise ValueError("X_mi is needed for snapshot_epochs / keep_epochs")
    logits_out = arch == "lenet"
    Ytr = np.eye(10, dtype=np.float32)[ytr]
    rows, kept = [], {}
    with quiet(ignore_warnings="IProgress not found"):
        # one model, optimizer and traced step for all seeds (tracing costs more CPU than a small run):
        # each seed's initial weights come from a model built with that seed, the optimizer's state
        # (Adadelta's / Adam's accumulators, the step count) is reset to zero
        model = build(arch, seed=seeds[0], hidden=hidden, activation=activation)
        opt = make_optimizer(optimizer, lr)
        opt.build(model.trainable_variables)
        loss_fn = tf.keras.losses.CategoricalCrossentropy(from_logits=logits_out)

        @tf.function(reduce_retracing=True)  # no XLA: TensorFlow's own CPU convolutions are faster here
        def step(x, yb):
            with tf.GradientTape() as tape:
                out = model(x, training=True)[-1]
                loss = loss_fn(yb, out)
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))
            return loss, tf.reduce_sum(tf.cast(tf.equal(tf.argmax(out, 1), tf.argmax(yb, 1)), tf.float32))

        for seed in seeds:  # loop over seeds: one network each
            if rows:  # not the first seed
                model.set_weights(build(arch, seed=seed, hidden=hidden, activation=activation).get_weights())
            for v in opt.variables:  # the accumulators and the step count, not the learning rate
                if not v.path.endswith("learning_rate"):
                    v.assign(tf.zeros_like(v))

            rng = np.random.default_rng([seed, 1])

            def record(epoch, loss=np.nan, acc=np.nan):
                row = dict(seed=seed, epoch=epoch, loss=loss, train_acc=acc, test_acc=np.nan)
                if Xev is not None and epoch in evals:
                    row["test_acc"] = float(np.mean(_forward(model, Xev)[-1].argmax(1) == yev))
                rows.append(row)
                if epoch in snaps:
                    acts = _forward(model, Xmi)
                    if on_snapshot is not None and epoch in snap_set:
                        on_snapshot(seed, epoch, acts)
                    if epoch in keep_set:
                        kept[(seed, epoch)] = acts

            record(0)
            for epoch in range(1, int(epochs) + 1):  # loop over epochs
                order = rng.permutation(len(Xtr))
                tot_loss, tot_hit = 0.0, 0.0
                for b0 in range(0, len(order), int(batch_size)):  # loop over minibatches
                    idx = order[b0:b0 + int(batch_size)]
                    loss, hit = step(tf.constant(Xtr[idx]), tf.constant(Ytr[idx]))
                    tot_loss += float(loss) * len(idx)
                    tot_hit += float(hit)
                record(epoch, tot_loss / len(order), tot_hit / len(order))
    return ConvRun(metrics=pd.DataFrame(rows), layers=layer_numbers(arch, hidden), names=names, activities=kept)


__all__ = ["ARCHITECTURES", "OPTIMIZERS", "LAYER_NAMES", "layer_names", "layer_numbers", "build", "make_optimizer",
           "ConvRun", "train_conv"]
