"""MINE against closed-form MI of correlated Gaussians (Belghazi et al. 2018, Sec. 5.1)."""
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from ibutils.mi.mine import corrected_loss, correlated_gaussians, dv_bound, gaussian_mi, mine  # noqa: E402

KW = dict(n_seeds=3, steps=600, batch_size=256, lr=3e-3, hidden=(32,), eval_every=50)


def test_gaussian_mi_closed_form():
    assert gaussian_mi(0.0) == 0.0
    assert gaussian_mi(0.8, dim=2) == pytest.approx(-np.log2(0.36), rel=1e-12)
    with pytest.raises(ValueError, match="rho"):
        gaussian_mi(1.0)


def test_known_answer_correlated_gaussians():
    """Strong dependence: every critic lands within 0.2 bit of the truth (1.47 bits), a
    broken estimator (no shuffle -> 0, joint/marginal swapped -> negative, no log -> far off) cannot."""
    x, z = correlated_gaussians(4000, 0.8, dim=2, seed=1)
    res = mine(x, z, seed=0, **KW)
    truth = gaussian_mi(0.8, dim=2)
    assert res.estimate.shape == (3,)
    assert np.all(np.abs(res.estimate - truth) < 0.2), (res.estimate, truth)
    # a lower bound, up to sampling noise
    assert np.all(res.estimate < truth + 0.1)
    # the training curve rises from about 0
    first = res.curve[res.curve.step == 0].mi.to_numpy()
    assert np.all(np.abs(first) < 0.2)


def test_independent_is_near_zero_and_ordering():
    x, z = correlated_gaussians(4000, 0.0, dim=2, seed=2)
    r0 = mine(x, z, seed=0, **KW)
    assert np.all(np.abs(r0.estimate) < 0.1), r0.estimate
    x, z = correlated_gaussians(4000, 0.5, dim=2, seed=3)
    r5 = mine(x, z, seed=0, **KW)
    truth = gaussian_mi(0.5, dim=2)
    assert np.all(np.abs(r5.estimate - truth) < 0.15), (r5.estimate, truth)
    assert r5.estimate.min() > r0.estimate.max() + 0.2


def test_seeded_and_replica_independent():
    x, z = correlated_gaussians(1000, 0.6, seed=4)
    kw = dict(steps=60, batch_size=128, hidden=(8,), eval_every=20)
    a = mine(x, z, n_seeds=2, seed=5, **kw)
    b = mine(x, z, n_seeds=2, seed=5, **kw)
    np.testing.assert_array_equal(a.estimate, b.estimate)
    assert list(a.seeds) == [5, 6]
    assert set(a.curve.columns) == {"seed", "step", "mi"}


def test_dv_bound_and_corrected_gradient():
    """dv_bound is E_joint T - log E_marg e^T; the surrogate's gradient is E[dT_j] - E[e^T dT_m] / ma."""
    tj = tf.constant([[1.0, 2.0, 3.0]])
    tm = tf.constant([[0.0, 1.0, -1.0]])
    expect = 2.0 - np.log(np.mean(np.exp([0.0, 1.0, -1.0])))
    assert float(dv_bound(tj, tm)[0]) == pytest.approx(expect, rel=1e-6)
    # critic T = w * c with fixed features c: d/dw of the surrogate
    w = tf.Variable(0.7)
    cj = tf.constant([[1.0, -2.0, 0.5]])
    cm = tf.constant([[0.3, 0.1, -0.4]])
    ma = tf.constant([1.3])
    with tf.GradientTape() as tape:
        loss = corrected_loss(w * cj, w * cm, ma)
    g = float(tape.gradient(loss, w))
    cm_np = cm.numpy()[0]
    analytic = -(cj.numpy().mean() - np.mean(np.exp(0.7 * cm_np) * cm_np) / 1.3)
    assert g == pytest.approx(analytic, rel=1e-5)


def test_bad_input():
    with pytest.raises(ValueError, match="rows"):
        mine(np.zeros((5, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="ema_decay"):
        mine(np.zeros((5, 2)), np.zeros((5, 2)), ema_decay=1.0)
    with pytest.raises(ValueError, match="steps"):
        mine(np.zeros((5, 2)), np.zeros((5, 2)), steps=0)


def test_fused_program_matches_the_step_by_step_graph():
    """fused=True (one XLA program per eval_every steps, Adam written out) follows the same minibatches, initial
    weights and update as the default graph; zero padding (pad_to) leaves the estimate unchanged; per-critic
    samples (R, N, d) give critic r the estimate it gets alone on sample r."""
    x, z = correlated_gaussians(1500, 0.7, dim=2, seed=6)
    kw = dict(steps=100, batch_size=128, hidden=(16, 16), eval_every=25)
    a = mine(x, z, n_seeds=2, seed=3, **kw)
    b = mine(x, z, n_seeds=2, seed=3, fused=True, **kw)
    c = mine(x, z, n_seeds=2, seed=3, fused=True, pad_to=(5, 3), **kw)
    np.testing.assert_allclose(b.curve.mi, a.curve.mi, atol=1e-4)
    np.testing.assert_allclose(c.curve.mi, b.curve.mi, atol=1e-5)
    x2, z2 = correlated_gaussians(1500, 0.3, dim=2, seed=7)
    s = mine(np.stack([x, x2]), np.stack([z, z2]), seed=3, fused=True, **kw)
    np.testing.assert_allclose(s.estimate[0], b.estimate[0], atol=1e-5)
    np.testing.assert_allclose(s.estimate[1], mine(x2, z2, n_seeds=2, seed=3, fused=True, **kw).estimate[1], atol=1e-5)
    with pytest.raises(ValueError, match="n_seeds"):
        mine(np.stack([x, x2]), np.stack([z, z2]), n_seeds=3)
    with pytest.raises(ValueError, match="pad_to"):
        mine(x, z, pad_to=(5, 5))
    with pytest.raises(ValueError, match="pad_to"):
        mine(x, z, fused=True, pad_to=(1, 1), steps=2)
