"""Tests of ibutils.studies.activations (chapter "Activations and estimators")."""
import numpy as np
import pandas as pd
import pytest

from ibutils.studies import activations as act
from ibutils.studies import harmonics as ex
from ibutils import mi


def test_range_max_binning_matches_per_replica_range():
    rng = np.random.default_rng(0)
    T = np.concatenate([-rng.uniform(0, 1, size=(3, 100, 4)), rng.exponential(size=(3, 100, 4))], axis=1)
    T *= np.array([1.0, 5.0, 20.0])[:, None, None]
    T = np.maximum(T, -1.0)
    y = rng.integers(0, 2, 200)
    scale = T.reshape(3, -1).max(axis=1)
    got = act.RangeMaxBinning(scale, n_bins=30, lo=-1.0)(T, y)
    for r in range(3):
        ref = mi.binning(T[r], y, n_bins=30, value_range=(-1.0, scale[r]))
        assert np.isclose(got.ixt[r], ref.ixt) and np.isclose(got.ity[r], ref.ity)
    # lo = 0 is the harmonics chapter's RunMaxBinning
    Tp = np.abs(T)
    sp = Tp.reshape(3, -1).max(axis=1)
    a, b = act.RangeMaxBinning(sp, n_bins=30)(Tp, y), ex.RunMaxBinning(sp, n_bins=30)(Tp, y)
    assert np.allclose(a.ixt, b.ixt) and np.allclose(a.ity, b.ity)
    with pytest.raises(ValueError, match="scale"):
        act.RangeMaxBinning([0.5, -2.0], lo=-1.0)
    with pytest.raises(ValueError, match="strategy"):
        act.RangeMaxBinning([1.0], strategy="adaptive")


def test_split_specs():
    plain, ranged = act.split_specs([{"name": "u", "kind": "binning", "n_bins": 30},
                                     {"name": "r", "kind": "range_max", "n_bins": 30, "lo": -1}])
    assert [s.name for s in plain] == ["u"] and ranged[0]["lo"] == -1
    with pytest.raises(ValueError, match="duplicate"):
        act.split_specs([{"name": "u", "kind": "binning"}, {"name": "u", "kind": "range_max"}])
    with pytest.raises(ValueError, match="unknown key"):
        act.split_specs([{"name": "r", "kind": "range_max", "value_range": [0, 1]}])


@pytest.mark.parametrize("shape,scale", [((3, 300, 5), 3.0), ((2, 400, 2), 0.2), ((2, 300, 3), 0.02)])
@pytest.mark.parametrize("bound", ["upper", "lower"])
def test_kde_sparse_equals_dense(shape, scale, bound):
    rng = np.random.default_rng(1)
    T = np.tanh(rng.normal(size=shape) * scale)
    T[:, :20] = T[:, 20:40]  # exact duplicates
    y = rng.integers(0, 3, shape[1])
    a = act.kde_sparse(T, y, noise_variance=1e-3, bound=bound)
    b = mi.kde(T, y, noise_variance=1e-3, bound=bound)
    assert np.allclose(a.ixt, b.ixt, atol=1e-9) and np.allclose(a.ity, b.ity, atol=1e-9)
    one = act.kde_sparse(T[0], y, noise_variance=1e-3, bound=bound)
    assert isinstance(one.ixt, float) and np.isclose(one.ixt, a.ixt[0])
    with pytest.raises(ValueError, match="noise_variance"):
        act.kde_sparse(T, y, noise_variance=0.0)


def test_hidden_only_skips_readout():
    calls = []
    f = act.HiddenOnly(lambda T, y: (calls.append(1), mi.MIPair(np.ones(len(T)), np.ones(len(T))))[1], 3)
    out = [f(np.zeros((2, 5, 1)), np.zeros(5, int)) for _ in range(6)]
    assert [bool(np.isnan(o.ixt).all()) for o in out] == [False, False, True] * 2 and len(calls) == 4


def _mi_frame(ixt, ity, seeds=(0, 1), estimator="e"):
    rows = []
    for s in seeds:
        for e, (xs, ys) in enumerate(zip(ixt, ity)):
            for l, (x, yv) in enumerate(zip(xs, ys), start=1):
                rows.append(dict(seed=s, epoch=[0, 10, 100, 1000][e], layer=l, estimator=estimator, ixt=x, ity=yv))
    return pd.DataFrame(rows)


def test_dpi_checks_counts_increases():
    ixt = [[5, 4, 4.5], [6, 5, 4], [7, 6, 5], [7, 6, 5]]   # layer 3 > layer 2 at epoch 0 by 0.5
    ity = [[0.5, 0.4, 0.3], [0.6, 0.7, 0.3], [0.9, 0.8, 0.7], [0.9, 0.8, 0.7]]
    c = act.dpi_checks(_mi_frame(ixt, ity), tol=0.05)
    r = c[(c.seed == 0) & (c.quantity == "ixt")].iloc[0]
    assert r.n_checks == 8 and np.isclose(r.share, 1 / 8) and np.isclose(r.max_increase, 0.5)
    r = c[(c.seed == 0) & (c.quantity == "ity")].iloc[0]
    assert np.isclose(r.share, 1 / 8) and np.isclose(r.max_increase, 0.1)
    s = act.dpi_summary(c)
    assert set(s.quantity) == {"ixt", "ity"} and (s.seeds_violating == 1).all()
    assert act.dpi_checks(_mi_frame(ixt, ity), tol=0.6).share.eq(0).all()


def test_phase_order_distinguishes_orders():
    # layer 1: I(X;T) rises then falls late (fitting first); layer 2: falls first then rises (swapped)
    ixt = [[3, 3], [5, 2], [6, 2.5], [5, 4]]
    ity = [[0.1, 0.1], [0.2, 0.2], [0.8, 0.8], [0.9, 0.9]]
    p = act.phase_order(_mi_frame(ixt, ity), threshold=0.1)
    l1, l2 = p[(p.seed == 0) & (p.layer == 1)].iloc[0], p[(p.seed == 0) & (p.layer == 2)].iloc[0]
    assert l1.order == "fitting first" and l1.peak_epoch == 100 and l1.trough_epoch == 1000
    assert l2.order == "compression first" and l2.peak_epoch == 0 and l2.trough_epoch == 10 and l2.fit_epoch == 100
    assert np.isclose(l2.drawdown, 1.0)
    s = act.phase_summary(p)
    assert s.set_index(["estimator", "layer"]).loc[("e", 2), "share_compression_first"] == 1.0
    flat = act.phase_order(_mi_frame([[1, 1]] * 4, ity))
    assert (flat.order == "no compression").all()


def test_bin_edges_adaptive_is_binning_rule():
    rng = np.random.default_rng(2)
    v = np.tanh(rng.normal(size=(500, 3)) * 4)
    e = act.bin_edges(v, n_bins=10, value_range=(-1, 1), lb=-1.000000000001)
    assert len(e["uniform"]) == 11 and np.isclose(e["share_uniform"].sum(), 1) and np.isclose(e["share_adaptive"].sum(), 1)
    assert np.all(np.diff(e["adaptive"]) >= 0)
    # saturated values: adaptive edges crowd near +-1, so more adaptive edges lie beyond |0.9|
    assert (np.abs(e["adaptive"]) > 0.9).sum() > (np.abs(e["uniform"]) > 0.9).sum()
    y = rng.integers(0, 2, 500)
    ref = mi.binning(v, y, n_bins=10, value_range=(-1.000000000001, 1), strategy="adaptive")
    codes = np.digitize(v, e["adaptive"])
    from ibutils.mi.entropy import pattern_entropy
    assert np.isclose(pattern_entropy(codes), ref.ixt)


def test_seed_spread_and_pick():
    ixt = [[3, 3], [5, 2], [6, 2.5], [5, 4]]
    ity = [[0.1, 0.1]] * 4
    df = _mi_frame(ixt, ity, seeds=(0, 1, 2, 3, 4))
    df.loc[df.seed == 3, "ixt"] += df.loc[df.seed == 3, "epoch"] / 100.0  # seed 3 keeps rising
    sp = act.seed_spread(df.drop(columns="estimator"), hidden_layers=2)
    assert np.isclose(sp.set_index("seed").loc[0, "total_drop"], 1.0)
    picks = act.pick_seeds(sp, n=3)
    assert len(picks) == 3 and 3 == picks[0]


def test_final_accuracy_and_verdict():
    m = pd.DataFrame(dict(activation=["a"] * 4 + ["b"] * 4, seed=[0, 0, 1, 1] * 2, epoch=[5] * 8,
                          split=["train", "eval"] * 4, loss=0.1, accuracy=[0.9, 0.8, 1.0, 0.9] * 2))
    acc = act.final_accuracy(m)
    assert set(acc.split) == {"train", "test"} and np.isclose(acc[(acc.activation == "a") & (acc.split == "test")]["mean"].iloc[0], 0.85)
    comp = pd.DataFrame(dict(activation=["tanh", "tanh", "relu", "elu"], layer=[1, 2, 1, 1],
                             mean=[0.5, 0.0, 0.0, 0.3], ci_low=[0.3, -0.1, -0.1, 0.2]))
    sat = {"tanh": "double", "relu": "single", "elu": "single"}
    v = act.saturation_verdict(comp, sat)
    assert v["verdict"] == "contradicted" and v["other"] == ["elu"] and v["double"] == ["tanh"]
    assert act.saturation_verdict(comp[comp.activation != "elu"], sat)["verdict"] == "reproduced"
    assert act.saturation_verdict(comp[comp.activation == "relu"], sat)["verdict"] == "inconclusive"


def test_run_setting_tiny_replay_and_cohort():
    pytest.importorskip("tensorflow")
    est = [{"name": "uniform", "kind": "range_max", "n_bins": 30, "lo": -1.0},
           {"name": "adaptive", "kind": "binning", "strategy": "adaptive", "n_bins": 30, "value_range": [-1.000000000001, 1]}]
    try:
        run, acts = act.run_setting(activation="elu", estimators=est, epochs=3, n_seeds=2, snapshots=[0, 3])
    except (FileNotFoundError, OSError, RuntimeError) as err:  # no data offline
        pytest.skip(str(err))
    assert set(run.mi.estimator) == {"uniform", "adaptive"} and len(acts) == 6 and acts[0].shape == (2, 4096, 10)
    assert (run.run_max > 0).all()
    mi_c, met = act.run_cohort(["tanh", "linear"], epochs=2, n_seeds=2, snapshots=[0, 2], layers=[4, 3])
    assert set(mi_c.activation) == {"tanh", "linear"} and mi_c.layer.max() == 2
    assert (mi_c[mi_c.layer == 1].ixt > 11.0).all() and (mi_c.ixt <= 12.0 + 1e-9).all()


def test_kde_sparse_dense_path_and_constant_layer():
    rng = np.random.default_rng(3)
    T = 0.5 + 0.01 * rng.normal(size=(2, 600, 4))  # every pair within the cutoff: dense path
    y = rng.integers(0, 2, 600)
    a, b = act.kde_sparse(T, y), mi.kde(T, y)
    assert np.allclose(a.ixt, b.ixt, atol=1e-9) and np.allclose(a.ity, b.ity, atol=1e-9)
    e = act.bin_edges(np.zeros((50, 3)), n_bins=10, value_range=(0, 1), lb=0.0)
    assert np.isclose(e["share_adaptive"].sum(), 1)
