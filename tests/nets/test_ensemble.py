"""Tests of the stacked-replica ensemble trainer (ibutils.nets) and the snapshot schedules."""

import numpy as np
import pandas as pd
import pytest

from ibutils import nets as train
from ibutils.mi.entropy import pattern_entropy, row_ids
from ibutils.nets import models, schedules

from .ensemble_cases import LAYERS, assert_replica_matches, toy_data


def binned_mi(T, y, n_bins=30):
    """A small stand-in estimator: 30 equal bins on [-1, 1], I(X;T) = H(T), I(T;Y)."""
    codes = np.clip(np.floor((np.asarray(T) + 1) / 2 * n_bins), 0, n_bins - 1).astype(np.int64)
    ixt, ity = [], []
    for c in codes:
        ids = row_ids(c)
        h = pattern_entropy(ids[:, None])
        h_cond = sum((y == k).mean() * pattern_entropy(ids[y == k][:, None]) for k in np.unique(y))
        ixt.append(h)
        ity.append(h - h_cond)
    return np.array(ixt), np.array(ity)


KW = dict(layers=LAYERS, activation="tanh", batch_size=64, progress=False, snapshot_epochs=[])


# ----------------------------------------------------------------------------- schedules
def test_schedule_lengths():
    assert len(schedules.snapshot_epochs("tishby", 8000)) == 274
    t = schedules.snapshot_epochs("tishby", 8000)
    assert t[0] == 0 and t[-1] == 7999 and np.all(np.diff(t) > 0)
    s = schedules.snapshot_epochs("saxe", 8000)
    assert len(s) == 20 + 16 + 95 + 61 and s[-1] == 8000
    assert len(schedules.snapshot_epochs("saxe", 100)) == 20 + 16 + 1
    assert len(schedules.snapshot_epochs("deep_bottleneck", 100)) == 50 + 25 + 1
    assert len(schedules.snapshot_epochs("every", 30)) == 31
    np.testing.assert_array_equal(schedules.snapshot_epochs([5, 0, 5, 3], 10), [0, 3, 5])
    with pytest.raises(ValueError, match="tishby"):
        schedules.snapshot_epochs("log", 10)
    with pytest.raises(ValueError):
        schedules.snapshot_epochs([11], 10)


def test_delta_skip_widens_when_flat():
    d = schedules.DeltaSkip(100, threshold=0.1, max_gap=8)
    e = d.first()
    flat = {"m": (np.zeros((2, 3)), np.zeros((2, 3)))}
    seen = [e]
    while (e := d.next(e, flat)) is not None:
        seen.append(e)
        if e >= 100:
            break
    gaps = np.diff(seen)
    assert gaps[0] == 1 and gaps.max() == 8 and seen[-1] == 100


def test_batch_order_is_permutation():
    for n in (1, 7, 64, 200, 4096):
        p = train.batch_order(3, 5, n)
        np.testing.assert_array_equal(np.sort(p), np.arange(n))
    assert not np.array_equal(train.batch_order(3, 5, 200), train.batch_order(3, 6, 200))
    assert not np.array_equal(train.batch_order(3, 5, 200), train.batch_order(4, 5, 200))


# ----------------------------------------------------------------------------- trainer
def test_bad_arguments():
    X, y, Xe, ye = toy_data()
    with pytest.raises(ValueError, match="valid names"):
        train.train_ensemble(X, y, Xe, ye, n_seeds=1, epochs=1, lr=0.1, **{**KW, "activation": "swish"})
    with pytest.raises(ValueError, match="optimizer"):
        train.train_ensemble(X, y, Xe, ye, n_seeds=1, epochs=1, lr=0.1, optimizer="rmsprop", **KW)
    with pytest.raises(ValueError, match="mi_data"):
        train.train_ensemble(X, y, Xe, ye, n_seeds=1, epochs=1, lr=0.1, mi_data="all", **KW)
    with pytest.raises(ValueError, match="schedule"):
        train.train_ensemble(X, y, Xe, ye, n_seeds=1, epochs=1, lr=0.1, **{**KW, "snapshot_epochs": "log"})


def test_replica_equals_single_network_and_shards():
    X, y, Xe, ye = toy_data()
    kw = dict(KW, epochs=3, lr=0.01, seed=10)
    ens = train.train_ensemble(X, y, Xe, ye, n_seeds=3, n_shards=1, **kw)
    sh = train.train_ensemble(X, y, Xe, ye, n_seeds=3, n_shards=2, **kw)
    for r in range(3):
        one = train.train_ensemble(X, y, Xe, ye, n_seeds=1, **{**kw, "seed": 10 + r})
        assert_replica_matches(ens, one, r, 10 + r)
    for (Wa, ba), (Wb, bb) in zip(ens.weights, sh.weights):
        np.testing.assert_allclose(Wa, Wb, rtol=1e-5, atol=1e-6)
    # the replicas really differ
    assert not np.allclose(ens.weights[0][0][0], ens.weights[0][0][1])


@pytest.mark.parametrize(
    "optimizer,lr,max_norm,activation", [("adam", 0.01, None, "tanh"), ("sgd", 0.5, 0.6, "relu")]
)
def test_matches_keras_reference(optimizer, lr, max_norm, activation):
    """Same initial weights and batches as keras.Sequential + train_on_batch: same curves."""
    import tensorflow as tf

    X, y, Xe, ye = toy_data()
    seed, epochs, bs = 4, 3, 64
    res = train.train_ensemble(
        X, y, Xe, ye, n_seeds=1, epochs=epochs, lr=lr, optimizer=optimizer, seed=seed, max_norm=max_norm,
        init="fan_in", initial_bias=0.05, **{**KW, "activation": activation},
    )
    w0 = models.init_params(12, LAYERS, 2, init="fan_in", initial_bias=0.05, seed=seed)
    model = models.build_model(12, LAYERS, 2, activation=activation, weights=w0, optimizer=optimizer, lr=lr,
                               max_norm=max_norm)
    Y = np.eye(2, dtype=np.float32)[y]
    dense = [l for l in model.layers if l.name.startswith("dense")]
    losses, gstats = [], []
    for e in range(epochs):
        order = train.batch_order(seed, e, len(X))
        tot, grads = 0.0, []
        for i in range(0, len(X), bs):
            idx = order[i : i + bs]
            with tf.GradientTape() as tape:
                p = model(X[idx], training=True)
                loss = tf.reduce_mean(-tf.reduce_sum(Y[idx] * tf.math.log(p), axis=1))
            grads.append([g.numpy() for g in tape.gradient(loss, [l.kernel for l in dense])])
            out = model.train_on_batch(X[idx], Y[idx])
            tot += float(np.atleast_1d(out)[0]) * len(idx)
            if max_norm:  # the constraint holds after every step
                for l in dense[:-1]:
                    assert np.linalg.norm(l.kernel.numpy(), axis=0).max() <= max_norm + 1e-5
        losses.append(tot / len(X))
        gstats.append(grads)
    ours = res.metrics.query("split == 'train'").sort_values("epoch")["loss"].to_numpy()
    np.testing.assert_allclose(ours, losses, rtol=2e-4)
    for (W, b), l in zip(res.weights, dense):
        np.testing.assert_allclose(W[0], l.kernel.numpy(), rtol=1e-3, atol=2e-5)
        np.testing.assert_allclose(b[0], l.bias.numpy(), rtol=1e-3, atol=2e-5)
    if max_norm:
        for W, _ in res.weights[:-1]:
            assert np.linalg.norm(W[0], axis=0).max() <= max_norm + 1e-5
    # SNR protocol against a direct per-batch computation
    for e, grads in enumerate(gstats):
        g = res.grads[res.grads.epoch == e + 1].sort_values("layer")
        for l in range(len(dense)):
            stack = np.stack([gr[l] for gr in grads])
            np.testing.assert_allclose(g.grad_mean.iloc[l], np.linalg.norm(stack.mean(0)), rtol=2e-3)
            np.testing.assert_allclose(g.grad_std.iloc[l], np.linalg.norm(stack.std(0)), rtol=2e-3)
        # weight norms at the end of the last epoch
    g = res.grads[res.grads.epoch == epochs].sort_values("layer")
    for l, (W, _) in enumerate(res.weights):
        assert g.weight_norm.iloc[l] == pytest.approx(np.linalg.norm(W[0]), rel=1e-5)
    np.testing.assert_allclose(g.snr, g.grad_mean / g.grad_std)


def test_snapshots_estimators_activity_and_determinism():
    X, y, Xe, ye = toy_data()
    kw = dict(KW, n_seeds=2, epochs=6, lr=0.01, snapshot_epochs="saxe", estimators={"bins": binned_mi},
              store_activations_at=[0, 6])
    a = train.train_ensemble(X, y, Xe, ye, **kw)
    b = train.train_ensemble(X, y, Xe, ye, **kw)
    for name in ("mi", "grads", "metrics", "activity"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.snapshot_epochs, np.arange(7))
    assert list(a.mi.columns) == ["seed", "epoch", "layer", "estimator", "ixt", "ity"]
    assert len(a.mi) == 2 * 7 * 6 and set(a.mi.layer) == set(range(1, 7))
    assert len(a.grads) == 2 * 6 * 6 and len(a.metrics) == 2 * 6 * 2 and len(a.activity) == 2 * 6 * 6
    # MI agrees with the estimator applied to the stored activity
    acts = a.activations[6]
    assert [t.shape for t in acts] == [(2, 250, w) for w in LAYERS + [2]]
    ixt, ity = binned_mi(acts[2], np.concatenate([y, ye]))
    got = a.mi[(a.mi.epoch == 6) & (a.mi.layer == 3)].sort_values("seed")
    np.testing.assert_allclose(got.ixt, ixt)
    np.testing.assert_allclose(got.ity, ity)
    # max |activation| per layer on the MI data at the end of the last epoch
    act = a.activity[a.activity.epoch == 6].sort_values(["seed", "layer"])
    np.testing.assert_allclose(act.max_abs.to_numpy().reshape(2, 6), [[np.abs(t[r]).max() for t in acts] for r in range(2)],
                               rtol=1e-5)
    # eval metrics are consistent with the stored softmax outputs
    p = acts[-1][:, 200:]
    acc = (p.argmax(-1) == ye).mean(1)
    ev = a.metrics[(a.metrics.epoch == 6) & (a.metrics.split == "eval")].sort_values("seed")
    np.testing.assert_allclose(ev.accuracy, acc, rtol=1e-6)
    # MI on the test set only, with an explicit pair
    c = train.train_ensemble(X, y, Xe, ye, **{**kw, "mi_data": (Xe, ye), "store_activations_at": [],
                                              "snapshot_epochs": [6]})
    assert set(c.mi.epoch) == {6} and a.timing["mi"] >= 0 and c.train_seconds > 0


def test_nan_replica_dropped(monkeypatch):
    X, y, Xe, ye = toy_data()
    real = models.init_params

    def poisoned(*args, seed=0, **kw):
        p = real(*args, seed=seed, **kw)
        if seed == 1:
            p[0] = (p[0][0] * np.nan, p[0][1])
        return p

    monkeypatch.setattr(models, "init_params", poisoned)
    with pytest.warns(RuntimeWarning, match=r"seeds \[1\]"):
        r = train.train_ensemble(X, y, Xe, ye, n_seeds=3, epochs=2, lr=0.01,
                                 **{**KW, "snapshot_epochs": [2], "estimators": {"bins": binned_mi}})
    assert r.dropped_seeds == [1]
    for name in ("mi", "grads", "metrics", "activity"):
        assert set(getattr(r, name).seed) == {0, 2}
        assert 1 in set(r.unfiltered[name].seed)
    assert np.isfinite(r.mi[["ixt", "ity"]].to_numpy()).all()
    assert r.unfiltered["mi"].query("seed == 1").ixt.isna().all()


def test_probe_every_thins_activity():
    X, y, Xe, ye = toy_data()
    r = train.train_ensemble(X, y, Xe, ye, n_seeds=2, epochs=5, lr=0.01, probe_every=2, **KW)
    assert sorted(set(r.activity.epoch)) == [2, 4, 5]
    assert sorted(set(r.metrics.query("split == 'eval'").epoch)) == [2, 4, 5]
    assert sorted(set(r.metrics.query("split == 'train'").epoch)) == [1, 2, 3, 4, 5]
    assert np.isfinite(r.activity.max_abs).all()
