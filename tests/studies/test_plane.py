"""Tests of ibutils.studies.plane: schedules, estimator specs, histograms, summaries and a tiny sweep."""
import numpy as np
import pandas as pd
import pytest

from ibutils.studies import plane as sw


def test_schedule_and_estimator_specs():
    e = sw.sweep_schedule(1000, n_log=10, n_lin=5)
    assert e[0] == 0 and e[-1] == 1000 and e == sorted(set(e)) and 250 in e
    rng = np.random.default_rng(0)
    T = np.tanh(rng.normal(size=(3, 64, 4)))
    y = rng.integers(0, 2, 64)
    ests = sw.make_estimators([{"name": "b", "kind": "binning", "bin_size": 0.07},
                               {"name": "u", "kind": "kde", "noise_variance": 1e-3, "bound": "upper"},
                               {"name": "l", "kind": "kde", "noise_variance": 1e-3, "bound": "lower"}],
                              n_probe=64, kde_samples=32)
    from ibutils import mi
    ixt, _ = ests["b"](T, y)
    np.testing.assert_allclose(ixt, mi.binning(T, y, bin_size=0.07).ixt)
    rows = np.sort(np.random.default_rng(0).choice(64, 32, replace=False))
    np.testing.assert_allclose(ests["u"](T, y).ixt, mi.kde(T[:, rows], y[rows], noise_variance=1e-3).ixt, rtol=1e-6)
    np.testing.assert_allclose(ests["l"](T, y).ixt, mi.kde(T[:, rows], y[rows], noise_variance=1e-3, bound="lower").ixt,
                               rtol=1e-6)
    with pytest.raises(ValueError, match="kind"):
        sw.make_estimators([{"name": "x", "kind": "ksg"}], n_probe=64)
    with pytest.raises(ValueError, match="duplicate"):
        sw.make_estimators([{"name": "x", "kind": "binning"}] * 2, n_probe=64)


def test_histogram_recorder():
    rec = sw.HistogramRecorder(n_layers=2, n_bins=4)
    T = np.arange(2 * 8 * 1, dtype=float).reshape(2, 8, 1)
    for _ in range(4):  # 2 snapshots x 2 layers
        ixt, ity = rec(T, None)
        assert (ixt == 0).all()
    df = rec.frame([0, 5], [10, 11])
    assert len(df) == 8 and set(df.epoch) == {0, 5} and set(df.layer) == {1, 2}
    assert (df[[f"b{k:02d}" for k in range(4)]].sum(axis=1) == 8).all()


def test_summaries():
    mi = pd.DataFrame(dict(point="p", seed=np.repeat([0, 1], 6), epoch=np.tile([0, 10, 20], 4),
                           layer=np.tile(np.repeat([1, 2], 3), 2), estimator="e",
                           ixt=[1, 3, 2, 5, 5, 5, 1, 4, 2, 5, 5, 5.0], ity=0.0))
    c = sw.compression_by_point(mi).set_index("layer")
    assert c.loc[1, "mean"] == pytest.approx(1.5) and c.loc[2, "mean"] == 0
    late = sw.late_drop(mi, start=9).set_index(["seed", "layer"])["late_drop"]
    assert late.loc[(0, 1)] == pytest.approx(1.0) and late.loc[(1, 1)] == pytest.approx(2.0)
    gmax = pd.DataFrame(dict(point="p", seed=[0, 0, 1, 1], layer=[1, 2, 1, 2], grad_max=[0.0, 0.0, 0.5, 0.0]))
    fr = sw.frozen_runs(mi, gmax, hidden_layers=1).set_index("seed")
    assert not fr.loc[0, "frozen"] and fr.loc[1, "hidden_grad"] == 0.5
    assert sw.fmt_ci(1, 0.5, 1.5) == "1.000 [0.500, 1.500]" and sw.fmt_ci(np.nan, 0, 0) == "n/a"


def test_tiny_sweep_stacks_points():
    pts = [dict(point="b0", initial_bias=0.0), dict(point="b-3", initial_bias=-3.0),
           dict(point="tanh", activation="tanh", max_norm=0.8)]
    r = sw.run_sweep(pts, n_seeds=2, epochs=4, snapshots=[0, 4], probe_every=2, max_workers=2,
                     estimators=[{"name": "bins", "kind": "binning", "bin_size": 0.07}])
    assert list(r.points.point) == ["b0", "b0", "b-3", "b-3", "tanh", "tanh"]
    assert r.points.seed.is_unique and set(r.mi.point) == {"b0", "b-3", "tanh"}
    assert "dead_fraction" in r.activity and set(r.activity.epoch) == {2, 4}
    # bias -3 kills the ReLU network: frozen, its first layer mostly dead
    fr = sw.frozen_runs(r.mi, r.grad_max, estimator="bins").set_index("point")
    assert fr.loc["b-3", "frozen"].all() and (fr.loc["b-3", "hidden_grad"] == 0).all()
    with pytest.raises(ValueError, match="unknown keys"):
        sw.run_sweep([dict(point="x", dropout=0.1)], n_seeds=1, epochs=1)
