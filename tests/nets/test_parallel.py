"""ibutils.nets.parallel: the parallel-network SNR protocol (CNN/SG study 2019, Sec. 2.3.3)."""
import numpy as np
import pytest

from ibutils.nets.parallel import fixed_minibatches, log_steps, train_parallel


def test_fixed_minibatches_partition_and_seed():
    b = fixed_minibatches(10, 3, seed=1)
    assert b.shape == (3, 3) and len(np.unique(b)) == 9  # the remainder (one row) is left out
    np.testing.assert_array_equal(b, fixed_minibatches(10, 3, seed=1))
    assert not np.array_equal(b, fixed_minibatches(10, 3, seed=2))
    with pytest.raises(ValueError, match="batch_size"):
        fixed_minibatches(10, 11, seed=0)


def test_log_steps():
    s = log_steps(1000, 20)
    assert s[0] == 1 and s[-1] == 1000 and np.all(np.diff(s) > 0)


def _data(n=40, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (X[:, 0] + 0.3 * rng.normal(size=n) > 0).astype(np.int64)
    return X, y


def _numpy_grads(X, y, params, idx):
    """Gradients of the mean cross-entropy of a tanh net on rows ``idx`` (float64, by hand)."""
    x, Y = X[idx].astype(np.float64), np.eye(2)[y[idx]]
    hs, h = [x], x
    for i, (W, b) in enumerate(params):
        z = h @ W + b
        h = np.tanh(z) if i < len(params) - 1 else z
        hs.append(h)
    p = np.exp(h - h.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    delta = (p - Y) / len(idx)
    grads = []
    for i in range(len(params) - 1, -1, -1):
        W, _ = params[i]
        grads.append((hs[i].T @ delta, delta.sum(0)))
        if i:
            delta = (delta @ W.T) * (1 - hs[i] ** 2)
    return grads[::-1]


def test_first_step_statistics_equal_a_direct_computation():
    """mu and sigma of the first step, across the networks of a seed, equal the gradients computed by hand on
    each fixed minibatch at the seed's initial weights (all networks start there)."""
    from ibutils.nets import models

    X, y = _data()
    r = train_parallel(X, y, layers=[3], batch_size=8, seeds=[5], steps=1, optimizer="sgd", lr=0.1)
    params = models.init_params(4, [3], 2, init="width", seed=5)
    batches = fixed_minibatches(40, 8, 5)
    per = [_numpy_grads(X, y, params, b) for b in batches]
    for layer in (1, 2):
        flat = np.stack([np.concatenate([g[layer - 1][0].ravel(), g[layer - 1][1]]) for g in per])  # (B, P)
        row = r.grads[(r.grads.layer == layer) & (r.grads.step == 1)].iloc[0]
        np.testing.assert_allclose(row.grad_mean, np.linalg.norm(flat.mean(0)), rtol=1e-4)
        np.testing.assert_allclose(row.grad_std, np.linalg.norm(flat.std(0)), rtol=1e-4)
    assert r.n_parallel == 5 and r.batch_size == 8


def test_networks_are_independent_and_seeded():
    """Seeds do not interact (a seed's tables are the same alone and next to another seed), the same call gives
    the same numbers, and training lowers the loss of the networks."""
    X, y = _data(n=64)
    kw = dict(layers=[5, 3], batch_size=16, steps=30, lr=0.01, record_steps=[1, 10, 30])
    both = train_parallel(X, y, seeds=[0, 1], **kw)
    alone = train_parallel(X, y, seeds=[1], **kw)
    g1 = both.grads[both.grads.seed == 1].reset_index(drop=True)
    np.testing.assert_allclose(g1[["grad_mean", "grad_std"]].to_numpy(), alone.grads[["grad_mean", "grad_std"]].to_numpy(),
                               rtol=2e-5)
    again = train_parallel(X, y, seeds=[0, 1], **kw)
    np.testing.assert_array_equal(both.grads.to_numpy(), again.grads.to_numpy())
    loss = both.loss.pivot_table(index="step", columns="seed", values="loss")
    assert (loss.loc[30] < loss.loc[0]).all()


def test_snapshots_need_an_estimator_and_bad_input():
    X, y = _data()
    with pytest.raises(ValueError, match="estimator"):
        train_parallel(X, y, layers=[3], batch_size=8, steps=2, snapshot_steps=[1])
    with pytest.raises(ValueError, match="optimizer"):
        train_parallel(X, y, layers=[3], batch_size=8, steps=2, optimizer="rmsprop")
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        train_parallel(X, y, layers=[3], batch_size=8, steps=2)


def test_snapshot_mi_is_the_mean_over_a_seeds_networks():
    from ibutils.mi.base import MIPair

    X, y = _data()
    seen = []

    def est(T, yy):  # records each call; returns the replica index as "information"
        seen.append(T.shape)
        return MIPair(np.arange(T.shape[0], dtype=float), np.zeros(T.shape[0]))

    r = train_parallel(X, y, layers=[3], batch_size=8, seeds=[0, 1], steps=3, snapshot_steps=[0, 3], X_probe=X,
                       y_probe=y, estimator=est)
    assert seen[0] == (10, 40, 3)  # 2 seeds x 5 networks, every probe row, layer 1
    m = r.mi[(r.mi.step == 0) & (r.mi.layer == 1)].sort_values("seed")
    np.testing.assert_allclose(m.ixt, [2.0, 7.0])  # mean of 0..4 and of 5..9
