"""Tests of ibutils.nets.conv: the CNN chapter's architectures and plain trainer."""
import numpy as np
import pytest

from ibutils.nets import conv


@pytest.mark.parametrize("arch, shapes", [
    ("mnist_cnn", [(26, 26, 32), (24, 24, 64), (12, 12, 64), (9216,), (128,), (10,)]),
    ("lenet", [(12, 12, 10), (4, 4, 20), (50,), (10,)]),
])
def test_architectures(arch, shapes):
    m = conv.build(arch, seed=0)
    outs = m(np.zeros((2, 28, 28, 1), np.float32))
    assert [tuple(o.shape[1:]) for o in outs] == shapes
    assert len(conv.layer_numbers(arch)) == len(shapes)
    assert conv.layer_numbers("mnist_cnn") == [0, 1, 2, 3, 4, 5] and conv.layer_numbers("lenet") == [1, 2, 3, 4]


def _tiny(n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = np.tile(np.arange(10), n // 10)
    X = rng.random((n, 784)).astype(np.float32) * 0.2
    X[np.arange(n), y * 70] = 1.0  # a class-coded pixel
    return X, y


def test_train_records_and_is_seeded():
    X, y = _tiny()
    seen = []
    kw = dict(arch="dense", hidden=(16, 8), activation="tanh", seeds=[3, 4], epochs=3, optimizer="adam", lr=0.01,
              batch_size=16, X_eval=X, y_eval=y, X_mi=X[:20], snapshot_epochs=[0, 3], keep_epochs=[3],
              on_snapshot=lambda s, e, acts: seen.append((s, e, [a.shape for a in acts])))
    r = conv.train_conv(X, y, **kw)
    assert [(s, e) for s, e, _ in seen] == [(3, 0), (3, 3), (4, 0), (4, 3)]
    assert seen[0][2] == [(20, 16), (20, 8), (20, 10)]
    assert list(r.metrics.columns) == ["seed", "epoch", "loss", "train_acc", "test_acc"] and len(r.metrics) == 8
    last = r.metrics[r.metrics.epoch == 3]
    assert last.test_acc.notna().all() and (last.loss < 2.3).all()  # it learns (the optimizer's lr is kept)
    assert set(r.activities) == {(3, 3), (4, 3)}
    again = conv.train_conv(X, y, **dict(kw, seeds=[4], on_snapshot=None))
    np.testing.assert_allclose(again.activities[(4, 3)][0], r.activities[(4, 3)][0], atol=1e-5)


def test_bad_input():
    X, y = _tiny(20)
    with pytest.raises(ValueError, match="arch"):
        conv.build("resnet", seed=0)
    with pytest.raises(ValueError, match="optimizer"):
        conv.make_optimizer("rmsprop")
    with pytest.raises(ValueError, match="lr"):
        conv.make_optimizer("sgd", -1.0)
    with pytest.raises(ValueError, match="X_mi"):
        conv.train_conv(X, y, arch="dense", seeds=[0], epochs=1, snapshot_epochs=[1])
    with pytest.raises(ValueError, match="28 x 28"):
        conv.train_conv(X[:, :100], y, arch="lenet", seeds=[0], epochs=1)
    with pytest.raises(ValueError, match="seeds"):
        conv.train_conv(X, y, arch="dense", seeds=[], epochs=1)
