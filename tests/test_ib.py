import numpy as np
import pytest

from ibutils import ib

# A small joint distribution with a stochastic p(y|x): 5 inputs, 3 labels.
P = np.array([[.15, .05, 0], [.10, .05, .05], [.02, .13, .05], [.05, .05, .10], [0, .02, .18]])
P = P / P.sum()


def test_information_helpers_exact():
    # independent table: I = 0; identity table over 4 symbols: I = H = 2 bits
    assert ib.mutual_information(np.outer([.3, .7], [.5, .5])) == pytest.approx(0.0, abs=1e-12)
    assert ib.mutual_information(np.eye(4) / 4) == pytest.approx(2.0)
    assert ib.entropy([.5, .25, .25]) == pytest.approx(1.5)
    # the identity encoder keeps everything, the constant encoder nothing
    ixt, ity = ib.encoder_information(P, np.eye(5))
    assert ixt == pytest.approx(ib.entropy(P.sum(1)))
    assert ity == pytest.approx(ib.mutual_information(P))
    ixt, ity = ib.encoder_information(P, np.ones((5, 1)))
    assert (ixt, ity) == (0.0, 0.0)


def test_small_beta_compresses_everything():
    res = ib.iterative_ib(P, 0.1, 4, seed=1)
    assert res.ixt == pytest.approx(0.0, abs=1e-6)
    assert res.ity == pytest.approx(0.0, abs=1e-6)


def test_large_beta_keeps_all_relevant_information():
    # one random start can stop in a local optimum (two inputs merged); started from the
    # identity encoder it keeps every input apart
    res = ib.iterative_ib(P, 500.0, 5, init=np.eye(5) + 0.1)
    assert res.ity == pytest.approx(ib.mutual_information(P), abs=1e-4)
    df = ib.ib_curve(P, [1000.0], n_clusters=5, n_restarts=3, seed=0)
    assert df.ity.iloc[0] == pytest.approx(ib.mutual_information(P), abs=1e-5)


def test_encoder_rows_are_distributions_and_consistent():
    res = ib.iterative_ib(P, 5.0, 3, seed=2)
    np.testing.assert_allclose(res.p_t_given_x.sum(1), 1.0, atol=1e-12)
    assert np.all(res.p_t_given_x >= 0)
    np.testing.assert_allclose(res.p_t, P.sum(1) @ res.p_t_given_x)
    ixt, ity = ib.encoder_information(P, res.p_t_given_x)
    assert (res.ixt, res.ity) == pytest.approx((ixt, ity))
    assert res.lagrangian == pytest.approx(res.ixt - 5.0 * res.ity)
    # the DPI bounds of every IB solution
    assert res.ity <= min(res.ixt, ib.mutual_information(P)) + 1e-9


def test_same_seed_same_numbers():
    a = ib.iterative_ib(P, 4.0, 3, seed=7)
    b = ib.iterative_ib(P, 4.0, 3, seed=7)
    np.testing.assert_array_equal(a.p_t_given_x, b.p_t_given_x)


def test_curve_is_monotone_and_below_the_bounds():
    betas = np.geomspace(0.5, 200, 25)
    df = ib.ib_curve(P, betas, n_restarts=2, seed=0)
    assert list(df.beta) == sorted(df.beta)
    assert np.all(np.diff(df.ixt) >= -1e-6)
    assert np.all(np.diff(df.ity) >= -1e-6)
    assert np.all(df.ity <= df.ixt + 1e-9)
    assert df.ixt.iloc[0] == pytest.approx(0.0, abs=1e-6)
    # concave: the slope dI(T;Y)/dI(X;T) decreases (1/beta at the optimum)
    moving = df[np.r_[True, np.diff(df.ixt) > 1e-3]]
    slopes = np.diff(moving.ity) / np.diff(moving.ixt)
    assert np.all(np.diff(slopes) <= 1e-3)


def test_deterministic_labels_give_the_corner_solutions():
    # Y a function of X: the curve is I(T;Y) = min(I(X;T), H(Y)); the Lagrangian only finds
    # the two corners, (0, 0) for beta < 1 and (H(Y), H(Y)) for beta > 1
    y = np.array([0, 0, 1, 1, 1, 2, 2, 0])
    p = ib.harmonics_joint(np.zeros((8, 1)), y)
    h_y = ib.entropy(p.sum(0))
    df = ib.ib_curve(p, [0.5, 0.9, 1.2, 3.0, 20.0], n_clusters=4, seed=0)
    np.testing.assert_allclose(df.ixt[df.beta < 1], 0.0, atol=1e-6)
    np.testing.assert_allclose(df.ixt[df.beta > 1], h_y, atol=1e-6)
    np.testing.assert_allclose(df.ity, df.ixt, atol=1e-6)
    # the straight part is reached by noisy copies of the label
    line = ib.label_channel_encoders(p, [0.0, 0.1, 0.3, 2 / 3])
    np.testing.assert_allclose(line.ixt, line.ity, atol=1e-12)
    assert line.ixt.iloc[0] == pytest.approx(h_y)
    assert line.ixt.iloc[-1] == pytest.approx(0.0, abs=1e-12)


def test_merging_equivalent_inputs_keeps_the_curve():
    dup = np.vstack([P, P[[0, 4]]])  # two inputs repeated
    merged = ib.merge_equivalent_inputs(dup)
    assert merged.shape == (5, 3)
    assert ib.mutual_information(merged) == pytest.approx(ib.mutual_information(dup))
    a = ib.ib_curve(dup, [3.0, 10.0], n_clusters=5, seed=0)
    b = ib.ib_curve(merged, [3.0, 10.0], n_clusters=5, seed=0)
    np.testing.assert_allclose(a.ity, b.ity, atol=1e-4)
    np.testing.assert_allclose(a.ixt, b.ixt, atol=1e-3)


def test_harmonics_joint_soft_and_hard():
    p = ib.harmonics_joint(np.zeros((4, 2)), [0, 1, 1, 1])
    np.testing.assert_allclose(p, [[.25, 0], [0, .25], [0, .25], [0, .25]])
    p = ib.harmonics_joint(np.zeros((2, 2)), None, p_y1=[0.5, 1.0])
    np.testing.assert_allclose(p, [[.25, .25], [0, .5]])


@pytest.mark.parametrize("bad, match", [
    (np.array([.5, .5]), "2-D"),
    (np.array([[.5, -.1], [.3, .3]]), "negative"),
    (np.array([[np.nan, .5], [.2, .3]]), "NaN"),
    (np.zeros((2, 2)), "sums to zero"),
    (np.empty((0, 2)), "empty"),
    (np.array([["a", "b"]], dtype=object), "numeric"),
])
def test_invalid_joint_raises(bad, match):
    with pytest.raises(ValueError, match=match):
        ib.iterative_ib(bad, 1.0, 2)


@pytest.mark.parametrize("kwargs, match", [
    (dict(beta=0.0), "beta"),
    (dict(beta=-1.0), "beta"),
    (dict(beta=np.inf), "beta"),
    (dict(n_clusters=0), "n_clusters"),
    (dict(n_clusters=2.5), "n_clusters"),
    (dict(n_iter=0), "n_iter"),
    (dict(tol=-1.0), "tol"),
    (dict(init=np.ones((3, 2))), "init"),
])
def test_invalid_arguments_raise(kwargs, match):
    args = dict(beta=1.0, n_clusters=2) | kwargs
    with pytest.raises(ValueError, match=match):
        ib.iterative_ib(P, args.pop("beta"), args.pop("n_clusters"), **args)


def test_invalid_curve_arguments_raise():
    with pytest.raises(ValueError, match="betas"):
        ib.ib_curve(P, [])
    with pytest.raises(ValueError, match="betas"):
        ib.ib_curve(P, [1.0, -2.0])
    with pytest.raises(ValueError, match="n_restarts"):
        ib.ib_curve(P, [1.0], n_restarts=0)
    with pytest.raises(ValueError, match="noise"):
        ib.label_channel_encoders(P, [0.9])
    with pytest.raises(ValueError, match="p_t_given_x"):
        ib.encoder_information(P, np.ones((5, 2)))
