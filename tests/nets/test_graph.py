"""The GCN layer against dense arithmetic, the stacked FCN/GCN/RNN trainer (ibutils.nets.graph)."""
import numpy as np
import pytest
import scipy.sparse as sp

tf = pytest.importorskip("tensorflow")

from ibutils.nets import graph as G  # noqa: E402


def _graph(n=7, seed=0):
    rng = np.random.default_rng(seed)
    a = (rng.random((n, n)) < 0.35).astype(float)
    a = np.triu(a, 1)
    return a + a.T


def test_normalized_adjacency_dense():
    a = _graph()
    at = a + np.eye(len(a))
    d = at.sum(1)
    expect = at / np.sqrt(np.outer(d, d))
    got = G.normalized_adjacency(sp.csr_matrix(a)).toarray()
    np.testing.assert_allclose(got, expect, rtol=1e-6)
    np.testing.assert_allclose(got, got.T)
    with pytest.raises(ValueError, match="square"):
        G.normalized_adjacency(np.zeros((2, 3)))


def test_graph_conv_layer_matches_dense():
    a = _graph(9, 1)
    a_hat = G.normalized_adjacency(a)
    rng = np.random.default_rng(2)
    H = rng.standard_normal((9, 5)).astype(np.float32)
    layer = G.GraphConv(4, a_hat, activation="relu")
    out = layer(tf.constant(H)).numpy()
    W, b = layer.kernel.numpy(), layer.bias.numpy()
    expect = np.maximum(a_hat.toarray() @ H @ W + b, 0.0)
    np.testing.assert_allclose(out, expect, rtol=1e-5, atol=1e-6)
    # per node: sum over the neighbourhood with 1/sqrt(d_i d_j) weights (Kipf & Welling eq. 2)
    d = a.sum(1) + 1
    n0 = [j for j in range(9) if a[0, j] or j == 0]
    z0 = sum(H[j] / np.sqrt(d[0] * d[j]) for j in n0) @ W + b
    np.testing.assert_allclose(out[0], np.maximum(z0, 0), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="units"):
        G.GraphConv(0, a_hat)


def test_propagate_stacked():
    a_hat = G.sparse_tensor(G.normalized_adjacency(_graph(6, 3)))
    H = np.random.default_rng(4).standard_normal((3, 6, 2)).astype(np.float32)
    out = G.propagate(a_hat, tf.constant(H)).numpy()
    dense = tf.sparse.to_dense(a_hat).numpy()
    np.testing.assert_allclose(out, np.einsum("ij,rjd->rid", dense, H), rtol=1e-5, atol=1e-6)


def test_rnn_forward_matches_numpy():
    rng = np.random.default_rng(5)
    X = (rng.random((4, 3, 5)) < 0.3).astype(np.float32)
    params = G.init_stacked("rnn", 5, [6, 4], 3, seeds=[0, 1])
    hidden, logits = G.forward("rnn", [tf.constant(p) for p in params], tf.constant(X))
    r = 1
    W1, U1, b1, W2, U2, b2, Wo, bo = (p[r] for p in params)
    h1, h2 = np.zeros((4, 6)), np.zeros((4, 4))
    for t in range(3):
        h1 = np.maximum(X[:, t] @ W1 + h1 @ U1 + b1, 0)
        h2 = np.maximum(h1 @ W2 + h2 @ U2 + b2, 0)
    np.testing.assert_allclose(hidden[0].numpy()[r], h1, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(hidden[1].numpy()[r], h2, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(logits.numpy()[r], h2 @ Wo + bo, rtol=1e-4, atol=1e-5)


def test_train_stacked_replicas_equal_lone_runs_and_gcn_learns():
    rng = np.random.default_rng(6)
    n = 40
    y = rng.integers(0, 2, n)
    a = np.zeros((n, n))
    for i in range(n):  # edges within a class: the graph carries the label
        for j in rng.choice(np.flatnonzero(y == y[i]), 3):
            if i != j:
                a[i, j] = a[j, i] = 1
    X = rng.standard_normal((n, 5)).astype(np.float32) + 0.3 * y[:, None]
    a_hat = G.normalized_adjacency(a)
    kw = dict(train_index=np.arange(20), eval_index=np.arange(20, 40), widths=(8, 8, 8), epochs=25, lr=1e-2,
              a_hat=a_hat, snr_window=4, snapshot_epochs=(), store_at=(0, 25))
    both = G.train_stacked("gcn", X, y, n_seeds=2, seed=3, **kw)
    lone = G.train_stacked("gcn", X, y, n_seeds=1, seed=4, **kw)
    m2 = both["metrics"].query("seed == 4").reset_index(drop=True)
    m1 = lone["metrics"].reset_index(drop=True)
    np.testing.assert_allclose(m2.loss, m1.loss, rtol=1e-4)
    np.testing.assert_allclose(both["activations"][25][2][1], lone["activations"][25][2][0], rtol=1e-3, atol=1e-5)
    ev = both["metrics"].query("split == 'eval'")
    assert ev[ev.epoch == 25].accuracy.mean() > 0.8
    g = both["grads"]
    assert set(g.columns) >= {"seed", "epoch", "layer", "grad_mean", "grad_std", "weight_norm", "snr"}
    assert g.epoch.min() == 4 and g.epoch.max() == 25 and set(g.layer) == {1, 2, 3, 4}
    assert (g.grad_std > 0).all()


def test_train_stacked_bad_input():
    X = np.zeros((4, 3), np.float32)
    y = np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="kind"):
        G.train_stacked("cnn", X, y, train_index=[0], eval_index=[1])
    with pytest.raises(ValueError, match="a_hat"):
        G.train_stacked("gcn", X, y, train_index=[0], eval_index=[1])
    with pytest.raises(ValueError, match="rnn"):
        G.train_stacked("rnn", X, y, train_index=[0], eval_index=[1])
    with pytest.raises(ValueError, match="snr_window"):
        G.train_stacked("fcn", X, y, train_index=[0], eval_index=[1], snr_window=1)
