"""The background chapters' helpers (``ibutils.studies.background``) against closed forms."""
import numpy as np
import pandas as pd
import pytest

from ibutils import ib
from ibutils.studies import background as bg


def h2(p):
    """Binary entropy in bits."""
    p = np.asarray(p, dtype=float)
    return -(p * np.log2(p) + (1 - p) * np.log2(1 - p))


# ------------------------------------------------------------------------ information theory
def test_conditional_entropy_closed_forms():
    px, py = np.array([0.2, 0.3, 0.5]), np.array([0.6, 0.4])
    assert bg.conditional_entropy(np.outer(px, py)) == pytest.approx(h2(0.4), abs=1e-12)  # independent: H(Y)
    assert bg.conditional_entropy(np.diag(px)) == pytest.approx(0.0, abs=1e-12)  # Y = X
    # Y = X xor noise(e) with X a fair bit: H(Y|X) = h(e)
    e = 0.1
    p = 0.5 * np.array([[1 - e, e], [e, 1 - e]])
    assert bg.conditional_entropy(p) == pytest.approx(h2(e), abs=1e-12)
    w = bg.WEATHER_UMBRELLA
    assert bg.conditional_entropy(w) == pytest.approx(ib.entropy(w) - ib.entropy(w.sum(1)), abs=1e-12)


def test_kl_divergence_closed_forms():
    p, q = 0.3, 0.6
    expect = p * np.log2(p / q) + (1 - p) * np.log2((1 - p) / (1 - q))
    assert bg.kl_divergence([p, 1 - p], [q, 1 - q]) == pytest.approx(expect, abs=1e-12)
    assert bg.kl_divergence([0.2, 0.8], [0.2, 0.8]) == 0.0
    assert bg.kl_divergence([0.5, 0.5], [1.0, 0.0]) == float("inf")
    assert bg.kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(1.0, abs=1e-12)
    # not symmetric
    pq, qp = bg.kl_divergence([0.5, 0.4, 0.1], [1 / 3] * 3), bg.kl_divergence([1 / 3] * 3, [0.5, 0.4, 0.1])
    assert qp > pq + 0.05
    # unnormalised inputs are normalised; the divergence from independence is the mutual information
    assert bg.kl_divergence([2, 2], [1, 3]) == pytest.approx(bg.kl_divergence([0.5, 0.5], [0.25, 0.75]))
    w = bg.WEATHER_UMBRELLA
    assert bg.kl_divergence(w, np.outer(w.sum(1), w.sum(0))) == pytest.approx(ib.mutual_information(w), abs=1e-12)
    with pytest.raises(ValueError, match="equal shape"):
        bg.kl_divergence([0.5, 0.5], [1.0])
    with pytest.raises(ValueError, match="non-negative"):
        bg.kl_divergence([-0.5, 1.5], [0.5, 0.5])


def test_differential_entropies():
    assert float(bg.gaussian_entropy(1.0)) == pytest.approx(0.5 * np.log2(2 * np.pi * np.e), abs=1e-12)
    assert float(bg.gaussian_entropy(1 / np.sqrt(2 * np.pi * np.e))) == pytest.approx(0.0, abs=1e-12)
    assert float(bg.gaussian_entropy(0.1)) < 0
    # doubling sigma adds exactly one bit
    assert float(bg.gaussian_entropy(2.0) - bg.gaussian_entropy(1.0)) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(bg.uniform_entropy([0.5, 1.0, 8.0]), [-1.0, 0.0, 3.0])
    with pytest.raises(ValueError, match="sigma"):
        bg.gaussian_entropy(0.0)
    with pytest.raises(ValueError, match="width"):
        bg.uniform_entropy(-1.0)


def test_binned_entropy_approaches_h_minus_log_delta():
    df = bg.binned_vs_differential(1.0, [0.5, 0.1, 0.05], n_samples=200_000, seed=1)
    np.testing.assert_allclose(df.theory, bg.gaussian_entropy(1.0) - np.log2([0.5, 0.1, 0.05]))
    assert (np.abs(df.binned - df.theory) < 0.02).all()
    assert df.binned.is_monotonic_increasing
    with pytest.raises(ValueError, match="bin_widths"):
        bg.binned_vs_differential(1.0, [0.0])


def test_markov_chain_binary_symmetric_channels_and_dpi():
    e1, e2 = 0.1, 0.2
    bsc = lambda e: np.array([[1 - e, e], [e, 1 - e]])  # noqa: E731
    p_xy, p_xz = bg.markov_chain([0.5, 0.5], bsc(e1), bsc(e2))
    assert ib.mutual_information(p_xy) == pytest.approx(1 - h2(e1), abs=1e-12)
    e12 = e1 * (1 - e2) + e2 * (1 - e1)  # two flips in a row
    assert ib.mutual_information(p_xz) == pytest.approx(1 - h2(e12), abs=1e-12)
    assert ib.mutual_information(p_xz) < ib.mutual_information(p_xy)  # the data-processing inequality
    # a random chain of channels never gains information about X
    rng = np.random.default_rng(0)
    chans = [rng.dirichlet(np.ones(k), size=m) for m, k in [(5, 4), (4, 6), (6, 3)]]
    mis = [ib.mutual_information(j) for j in bg.markov_chain(rng.dirichlet(np.ones(5)), *chans)]
    assert all(a >= b - 1e-12 for a, b in zip(mis, mis[1:]))
    # the identity channel keeps everything: I(X;X) = H(X)
    px = np.array([0.1, 0.2, 0.7])
    assert ib.mutual_information(bg.markov_chain(px, np.eye(3))[0]) == pytest.approx(ib.entropy(px))
    with pytest.raises(ValueError, match="row-stochastic"):
        bg.markov_chain([0.5, 0.5], np.array([[0.5, 0.6], [0.5, 0.5]]))
    with pytest.raises(ValueError, match="channel 1"):
        bg.markov_chain([0.5, 0.5], np.eye(2), np.eye(3))


def test_dpi_chain_table_closed_form():
    t = bg.dpi_chain_table(keep=0.8)
    off = 0.2 / 3
    i_xy = 2 - (h2(0.8) + 0.2 * np.log2(3))  # H(Y) = 2, H(Y|X) = h(0.8) + 0.2 log2 3
    i_xz = 1 - h2(2 * off)  # Z is wrong when Y landed in the other half
    np.testing.assert_allclose(t["I(X; .) [bits]"], [2.0, i_xy, i_xz], atol=1e-12)
    np.testing.assert_allclose(t["H [bits]"], [2.0, 2.0, 1.0], atol=1e-12)
    assert bg.dpi_glue(t) == {"dpi_ixy": round(i_xy, 3), "dpi_ixz": round(i_xz, 3), "dpi_hz": 1.0}
    np.testing.assert_allclose(bg.dpi_chain_table(keep=1.0)["I(X; .) [bits]"], [2.0, 2.0, 1.0], atol=1e-12)
    with pytest.raises(ValueError, match="even n"):
        bg.dpi_chain_table(n=3)


def test_typical_set_closed_forms():
    # a fair coin: every sequence has probability 2^-n, so every one is typical
    t = bg.typical_set(0.5, 20, 0.01)
    assert t["H"] == pytest.approx(1.0) and t["log2_size"] == pytest.approx(20.0) and t["mass"] == pytest.approx(1.0)
    # a biased coin: the mass grows to 1, the size stays below 2^(n (H + eps)) (Cover & Thomas, Thm 3.1.2)
    eps = 0.05
    sets = [bg.typical_set(0.2, n, eps) for n in (10, 100, 1000, 10000)]
    assert [s["mass"] for s in sets] == sorted(s["mass"] for s in sets) and sets[-1]["mass"] > 0.99
    assert all(s["log2_size"] <= s["n"] * (s["H"] + eps) for s in sets)
    assert sets[-1]["log2_size"] >= np.log2(1 - eps) + sets[-1]["n"] * (sets[-1]["H"] - eps)
    # with n = 1 and a narrow eps no sequence is typical
    assert bg.typical_set(0.2, 1, 1e-3)["log2_size"] == float("-inf")
    with pytest.raises(ValueError):
        bg.typical_set(1.0, 10, 0.1)
    ts = bg.typical_table(0.2, eps, (10, 1000))
    assert list(ts.columns) == ["n", "n H", "log2 #typical", "P(typical set)"]
    g = bg.typical_glue(ts, 0.2, eps)
    assert g["ts_h"] == pytest.approx(round(float(h2(0.2)), 3)) and g["ts_n_big"] == "1,000"


def test_information_page_glue():
    t = bg.entropy_table()
    np.testing.assert_allclose(t["H [bits]"], [1.0, float(h2(0.1)), np.log2(6), 2.161, 0.0], atol=1e-3)
    assert bg.entropy_glue()["h_fair"] == 1.0
    g = bg.joint_glue(bg.WEATHER_UMBRELLA)
    assert g["w_i"] == pytest.approx(g["w_hy"] - g["w_hy_x"], abs=2e-3)
    assert g["w_hxy"] <= g["w_sum"]
    k = bg.kl_glue([0.5, 0.4, 0.1], [1 / 3] * 3, bg.WEATHER_UMBRELLA)
    assert k["kl_joint"] == g["w_i"] and k["kl_qp"] > k["kl_pq"] and k["kl_order_text"].startswith("encoding")
    assert bg.kl_glue([1 / 3] * 3, [0.5, 0.4, 0.1], bg.WEATHER_UMBRELLA)["kl_order_text"].startswith("here")
    bins = bg.binned_vs_differential(0.1, [0.1, 0.01], n_samples=10_000)
    d = bg.differential_glue(0.1, bins, 10_000)
    assert d["h_unif_half"] == -1.0 and d["sigma_zero"] == pytest.approx(0.242, abs=1e-3)
    assert d["n_samples_text"] == "10,000"


# --------------------------------------------------------------------------- neural networks
def test_derivatives_match_closed_forms():
    x = np.array([-2.0, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(bg.derivative("tanh", x), 1 - np.tanh(x) ** 2, atol=1e-8)
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(bg.derivative("sigmoid", x), s * (1 - s), atol=1e-8)
    np.testing.assert_allclose(bg.derivative("relu", [-2.0, 2.0]), [0.0, 1.0], atol=1e-8)
    np.testing.assert_allclose(bg.derivative("linear", x), 1.0, atol=1e-8)
    np.testing.assert_allclose(bg.derivative("softplus", x), s, atol=1e-8)  # softplus' = sigmoid
    t = bg.derivative_table(["tanh", "relu", "sigmoid"]).set_index("activation")
    assert list(t.columns) == ["saturation", "f'(0)", "f'(2)", "f'(5)", "f'(-2)", "f'(-5)"]
    assert t.loc["tanh", "f'(0)"] == pytest.approx(1.0, abs=1e-8)
    assert t.loc["tanh", "f'(5)"] == pytest.approx(1 - np.tanh(5) ** 2, abs=1e-8)
    assert t.loc["sigmoid", "f'(0)"] == pytest.approx(0.25, abs=1e-8)
    assert t.loc["relu", "f'(-2)"] == 0.0 and t.loc["relu", "saturation"] == "single"


def test_mlp_backprop_matches_finite_differences():
    X, y = bg.make_blobs(60, seed=3)
    for act in ("tanh", "sigmoid", "softplus"):
        params = bg.init_mlp([2, 6, 5, 2], seed=1)
        assert bg.gradient_check(params, X, y, activation=act, n_checks=30) < 1e-6
    # a wrong backward pass is caught: drop the activation's derivative from the chain rule
    params = bg.init_mlp([2, 6, 5, 2], seed=1)
    loss, grads, deltas = bg.mlp_loss_and_grads(params, X, y, "tanh")
    assert [g[0].shape for g in grads] == [(2, 6), (6, 5), (5, 2)] and len(deltas) == 3
    W = params[0][0]
    h = 1e-6
    W[0, 0] += h
    lp = bg.mlp_loss_and_grads(params, X, y, "tanh")[0]
    W[0, 0] -= 2 * h
    lm = bg.mlp_loss_and_grads(params, X, y, "tanh")[0]
    W[0, 0] += h
    assert grads[0][0][0, 0] == pytest.approx((lp - lm) / (2 * h), rel=1e-5)


def test_mlp_loss_at_zero_weights_is_log2_of_the_classes():
    X, y = bg.make_blobs(40, seed=0)
    params = [(np.zeros((2, 4)), np.zeros(4)), (np.zeros((4, 3)), np.zeros(3))]
    y3 = np.arange(40) % 3
    loss, grads, _ = bg.mlp_loss_and_grads(params, X, y3, "tanh")
    assert loss == pytest.approx(np.log2(3), abs=1e-12)
    # the output bias gradient is (1/3 - class share) / ln 2
    share = np.bincount(y3, minlength=3) / 40
    np.testing.assert_allclose(grads[1][1], (1 / 3 - share) / np.log(2), atol=1e-12)


def test_gradients_vanish_with_sigmoid_not_with_relu():
    norms = bg.layer_gradient_norms(["sigmoid", "tanh", "relu"], depth=6, width=16, n=64)
    assert len(norms) == 18 and set(norms.layer) == set(range(1, 7))
    g = bg.gradient_glue(norms)
    piv = norms.pivot(index="layer", columns="activation", values="grad_norm")
    ratio = piv.iloc[-1] / piv.iloc[0]
    assert ratio["sigmoid"] > 100 * ratio["relu"]
    assert g["vanish_text"].startswith("The sigmoid's gradient vanishes")
    flat = norms.assign(grad_norm=1.0)
    assert bg.gradient_glue(flat)["vanish_text"].startswith("No activation")
    assert bg._fmt_power(2.3e5) == "2 x 10^5" and bg._fmt_power(2.14) == "2.1"


def test_grad_check_text_is_an_upper_bound():
    assert bg.grad_check_text(3e-9) == "1e-6"
    assert bg.grad_check_text(4.2e-6) == "1e-5"
    assert bg.grad_check_text(1e-5) == "1e-4"
    assert bg.grad_check_text(float("nan")) == "n/a"


def test_logistic_regression_optimisers():
    X, y = bg.make_blobs(80, seed=2)
    assert bg.logistic_loss(np.zeros(2), X, y) == pytest.approx(1.0, abs=1e-12)  # p = 1/2: one bit
    gd = bg.train_logistic(X, y, "gd", lr=0.5, epochs=15)
    assert len(gd) == 16 and gd.loss.is_monotonic_decreasing  # small steps on a convex loss
    sgd = bg.train_logistic(X, y, "sgd", lr=0.3, epochs=3, batch_size=16)
    assert sgd.step.max() == 3 * 5 and sgd.epoch.iloc[-1] == pytest.approx(3.0)
    # Adam's first step: m^ = g, v^ = g^2, so every weight moves by lr (times the sign of its gradient)
    adam = bg.train_logistic(X, y, "adam", lr=0.1, epochs=1, batch_size=16)
    step = adam[["w1", "w2"]].to_numpy()[1] - adam[["w1", "w2"]].to_numpy()[0]
    np.testing.assert_allclose(np.abs(step), 0.1, rtol=1e-6)
    with pytest.raises(ValueError, match="method"):
        bg.train_logistic(X, y, "newton")
    hist = bg.train_optimisers(X, y, epochs=2, batch_size=16, lr_gd=1.0, lr_sgd=0.3, lr_adam=0.1)
    assert list(dict.fromkeys(hist.method)) == ["gd", "sgd", "adam"]
    surf = bg.loss_surface(X, y, n=7)
    w1, w2, loss = surf
    assert loss.shape == (7, 7)
    assert loss[3, 2] == pytest.approx(bg.logistic_loss(np.array([w1[3, 2], w2[3, 2]]), X, y), abs=1e-12)
    g = bg.optimiser_glue(hist, surf, n_points=80, epochs=2)
    assert g["steps_gd"] == 2 and g["steps_sgd"] == 10 and g["loss_start"] == round(hist.loss.iloc[0], 3)
    assert g["adam_pace_text"].startswith("here")


# ------------------------------------------------------------------------------- the IB page
def test_critical_beta_and_slope_check_on_a_constructed_curve():
    # a curve with I(T;Y) = log(beta) on I(X;T) = beta for beta >= 1 has slope dI(T;Y)/dI(X;T) = 1/beta
    beta = np.geomspace(0.5, 50, 60)
    ixt = np.where(beta > 1, beta - 1, 0.0)
    ity = np.where(beta > 1, np.log(beta), 0.0)
    curve = pd.DataFrame({"beta": beta, "ixt": ixt, "ity": ity})
    assert bg.critical_beta(curve) == pytest.approx(beta[beta > 1][0])
    assert np.isnan(bg.critical_beta(curve.assign(ixt=0.0)))
    check = bg.slope_check(curve, bg.critical_beta(curve))
    assert len(check) > 40 and check.rel_err.max() < 1e-3  # the geometric midpoint is exact for a log
    np.testing.assert_allclose(check["1/beta"], 1 / check["beta (geometric mid)"])


def test_ib_toy_page():
    p = bg.ib_toy_joint()
    assert p.sum() == pytest.approx(1.0) and p.shape == (5, 3)
    betas = np.geomspace(0.5, 200, 12)
    curve, sols = ib.ib_curve(p, betas, n_restarts=2, seed=0, return_results=True)
    g = bg.ib_toy_glue(p, curve)
    assert g["toy_hx"] == pytest.approx(np.log2(5), abs=1e-3)  # five equally likely inputs
    assert g["toy_monotone"] == "never decrease" and g["toy_end_text"] == "the whole of I(X;Y)"
    assert g["toy_beta_prev"] < g["toy_beta_c"]
    cut = curve.iloc[:6]  # the sweep stopped early: the end falls short of I(X;Y)
    assert bg.ib_toy_glue(p, cut)["toy_end_text"].endswith("% of I(X;Y)")
    fig = bg.plot_ib_toy(p, curve)
    assert len(fig.axes) == 4  # three panels and a colour bar
    fig2 = bg.plot_encoders(curve, sols, [1.0, 200.0])
    assert len(fig2.axes) == 2


def test_ib_harmonics_glue_on_a_small_deterministic_table():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 2)
    y = np.array([0, 1, 1, 0] * 2)
    p = ib.harmonics_joint(X[:4], y[:4])
    merged = ib.merge_equivalent_inputs(p)
    assert merged.shape[0] == 2  # two inputs per label
    curve = ib.ib_curve(merged, np.array([0.5, 0.9, 1.1, 5.0]), n_clusters=2, seed=0)
    line = ib.label_channel_encoders(p, np.linspace(0, 0.5, 3))
    g = bg.ib_hard_glue(p, merged, curve, line)
    assert g["h_n"] == 4 and g["h_hx"] == 2.0 and g["h_hy"] == 1.0 and g["h_ixy"] == 1.0
    assert g["h_below_max"] == pytest.approx(0.0, abs=1e-3) and g["h_above_min"] == pytest.approx(1.0, abs=1e-3)
    assert g["h_line_gap"] == pytest.approx(0.0, abs=1e-9)  # noisy copies of the label lie on the diagonal
    assert len(bg.plot_ib_hard(curve, line, 1.0).axes) == 2
    # soft labels: p(y=1|x) in (0, 1)
    soft = ib.harmonics_joint(X[:4], None, p_y1=np.array([0.05, 0.9, 0.95, 0.1]))
    s_curve = ib.ib_curve(soft, np.geomspace(1, 100, 8), n_clusters=2, seed=0)
    gs = bg.ib_soft_glue(soft, soft, s_curve, 1.0, decimals=2, clusters=2)
    assert gs["hs_rows"] == 4 and gs["hs_draw_text"].endswith("the file's labels")
    assert gs["hs_first_text"].startswith("most patterns")
    assert 95 < gs["hs_end_frac"] < 100  # two clusters merge inputs whose p(y|x) differ slightly
    assert bg.ib_soft_glue(soft, soft, s_curve, 0.9, decimals=2, clusters=2)["hs_draw_text"].endswith("exact one")
    assert len(bg.plot_ib_soft(s_curve, ib.mutual_information(soft), 1.0).axes) == 1
