"""Tests of the trainer's sweep features: per-replica settings, batch normalisation, dead units."""
import numpy as np
import pytest

from ibutils import nets as train
from ibutils.nets import models

from .ensemble_cases import LAYERS, assert_replica_matches, toy_data

KW = dict(layers=LAYERS, batch_size=64, progress=False, snapshot_epochs=[])


def test_per_replica_bias_and_max_norm_equal_lone_networks():
    X, y, Xe, ye = toy_data()
    biases = [0.5, -0.1, 0.2, 0.0]
    bounds = [0.6, None, 0.9, 0.6]
    kw = dict(KW, activation="relu", epochs=3, lr=0.01, seed=7)
    ens = train.train_ensemble(X, y, Xe, ye, n_seeds=4, initial_bias=biases, max_norm=bounds, n_shards=2, **kw)
    for r in range(4):
        one = train.train_ensemble(X, y, Xe, ye, n_seeds=1, initial_bias=biases[r], max_norm=bounds[r],
                                   **{**kw, "seed": 7 + r})
        assert_replica_matches(ens, one, r, 7 + r)
        if bounds[r] is not None:
            for W, _ in ens.weights[:-1]:
                assert np.linalg.norm(W[r], axis=0).max() <= bounds[r] + 1e-5
    # the unconstrained replica really exceeds the others' bound somewhere
    assert max(np.linalg.norm(W[1], axis=0).max() for W, _ in ens.weights[:-1]) > 0.6


def test_per_replica_bad_lengths():
    X, y, Xe, ye = toy_data()
    kw = dict(KW, activation="tanh", epochs=1, lr=0.01)
    with pytest.raises(ValueError, match="initial_bias"):
        train.train_ensemble(X, y, Xe, ye, n_seeds=3, initial_bias=[0.1, 0.2], **kw)
    with pytest.raises(ValueError, match="max_norm"):
        train.train_ensemble(X, y, Xe, ye, n_seeds=2, max_norm=[0.5, 0.5, 0.5], **kw)
    with pytest.raises(ValueError, match="max_norm"):
        train.train_ensemble(X, y, Xe, ye, n_seeds=2, max_norm=[0.5, -1.0], **kw)


@pytest.mark.parametrize("activation,optimizer,lr,max_norm", [("relu", "adam", 0.01, 0.7), ("tanh", "sgd", 0.3, None)])
def test_batch_norm_matches_keras(activation, optimizer, lr, max_norm):
    """Dense(act) -> BatchNormalization per hidden layer, as models.build_model(batch_norm=True):
    same initial weights and batches give the same loss curve, weights, BN parameters, moving
    statistics and (inference-mode) layer outputs on the probe."""
    import keras
    import tensorflow as tf

    X, y, Xe, ye = toy_data()
    seed, epochs, bs = 3, 3, 64  # 200 samples: the last minibatch of each epoch has 8
    res = train.train_ensemble(X, y, Xe, ye, n_seeds=1, epochs=epochs, lr=lr, optimizer=optimizer, seed=seed,
                               max_norm=max_norm, batch_norm=True, store_activations_at=[epochs],
                               **{**KW, "activation": activation})
    w0 = models.init_params(12, LAYERS, 2, seed=seed)
    model = models.build_model(12, LAYERS, 2, activation=activation, weights=w0, optimizer=optimizer, lr=lr,
                               max_norm=max_norm, batch_norm=True)
    Y = np.eye(2, dtype=np.float32)[y]
    losses = []
    for e in range(epochs):
        order = train.batch_order(seed, e, len(X))
        tot = 0.0
        for i in range(0, len(X), bs):
            idx = order[i : i + bs]
            out = model.train_on_batch(X[idx], Y[idx])
            tot += float(np.atleast_1d(out)[0]) * len(idx)
        losses.append(tot / len(X))
    ours = res.metrics.query("split == 'train'").sort_values("epoch")["loss"].to_numpy()
    np.testing.assert_allclose(ours, losses, rtol=5e-4)
    dense = [l for l in model.layers if l.name.startswith("dense")]
    bns = [l for l in model.layers if l.name.startswith("batch_norm")]
    for (W, b), l in zip(res.weights, dense):
        np.testing.assert_allclose(W[0], l.kernel.numpy(), rtol=2e-3, atol=5e-5)
        np.testing.assert_allclose(b[0], l.bias.numpy(), rtol=2e-3, atol=5e-5)
    assert len(res.batch_norm) == len(bns) == len(LAYERS)
    for st, l in zip(res.batch_norm, bns):
        assert l.momentum == pytest.approx(models.BN_MOMENTUM) and l.epsilon == pytest.approx(models.BN_EPSILON)
        np.testing.assert_allclose(st["gamma"][0], l.gamma.numpy(), rtol=2e-3, atol=5e-5)
        np.testing.assert_allclose(st["beta"][0], l.beta.numpy(), rtol=2e-3, atol=5e-5)
        np.testing.assert_allclose(st["moving_mean"][0], l.moving_mean.numpy(), rtol=2e-3, atol=5e-5)
        np.testing.assert_allclose(st["moving_variance"][0], l.moving_variance.numpy(), rtol=2e-3, atol=5e-5)
    # inference-mode outputs of each hidden layer (the BN output) and the softmax on the probe
    probe = np.concatenate([X, Xe])
    sub = keras.Model(model.inputs, [l.output for l in bns] + [model.layers[-1].output])
    ref = [np.asarray(o) for o in sub(tf.constant(probe), training=False)]
    for mine, theirs in zip(res.activations[epochs], ref):
        np.testing.assert_allclose(mine[0], theirs, rtol=2e-3, atol=2e-4)
    ev = res.metrics.query("split == 'eval'").sort_values("epoch")
    acc = (ref[-1][len(X):].argmax(1) == ye).mean()
    assert ev.accuracy.iloc[-1] == pytest.approx(acc, abs=1e-6)


def test_dead_fraction_matches_stored_activity():
    X, y, Xe, ye = toy_data()
    biases = [-3.0, 0.0, 0.1]
    res = train.train_ensemble(X, y, Xe, ye, n_seeds=3, epochs=4, lr=0.01, initial_bias=biases,
                               store_activations_at=[4], **{**KW, "activation": "relu"})
    acts = res.activations[4]
    last = res.activity[res.activity.epoch == 4].sort_values(["seed", "layer"])
    got = last.dead_fraction.to_numpy().reshape(3, len(LAYERS) + 1)
    assert np.isnan(got[:, -1]).all()
    want = np.array([[np.mean(np.all(a[r] == 0, axis=0)) for a in acts[:-1]] for r in range(3)])
    np.testing.assert_allclose(got[:, :-1], want)
    # a strongly negative initial bias kills most units of the first layer; bias 0 leaves them alive
    assert got[0, 0] > 0.5 and got[1, 0] < 0.5
    # tanh: no unit is exactly 0 on every sample
    t = train.train_ensemble(X, y, Xe, ye, n_seeds=1, epochs=2, lr=0.01, probe_every=2, **{**KW, "activation": "tanh"})
    assert (t.activity.query("layer <= 5").dead_fraction == 0).all()
