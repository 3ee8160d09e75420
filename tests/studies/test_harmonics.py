"""Tests of ibutils.studies.harmonics on tiny settings."""
import numpy as np
import pandas as pd
import pytest

from ibutils.studies import harmonics as ex
from ibutils import mi


def test_parse_estimators_validates():
    specs = ex.parse_estimators([{"name": "a", "kind": "binning", "n_bins": 30, "value_range": [-1, 1]},
                                 {"name": "b", "kind": "run_max", "n_bins": 100, "subset": "test"}])
    assert specs[0].kwargs["value_range"] == (-1, 1) and specs[1].subset == "test"
    with pytest.raises(ValueError, match="kind"):
        ex.parse_estimators([{"name": "a", "kind": "nope"}])
    with pytest.raises(ValueError, match="duplicate"):
        ex.parse_estimators([{"name": "a", "kind": "kde"}, {"name": "a", "kind": "kde"}])
    with pytest.raises(ValueError, match="subset"):
        ex.parse_estimators([{"name": "a", "kind": "kde", "subset": "val"}])


def test_run_max_binning_matches_per_replica_range():
    rng = np.random.default_rng(0)
    T = rng.exponential(size=(3, 200, 4)) * np.array([1.0, 5.0, 20.0])[:, None, None]
    y = rng.integers(0, 2, 200)
    scale = T.reshape(3, -1).max(axis=1)
    got = ex.RunMaxBinning(scale, n_bins=100)(T, y)
    for r in range(3):
        ref = mi.binning(T[r], y, n_bins=100, value_range=(0, scale[r]))
        assert np.isclose(got.ixt[r], ref.ixt) and np.isclose(got.ity[r], ref.ity)
    with pytest.raises(ValueError):
        ex.RunMaxBinning(scale)(T[:2], y)


def test_subset_estimator_uses_rows():
    rng = np.random.default_rng(1)
    T = rng.normal(size=(2, 50, 3))
    y = rng.integers(0, 2, 50)
    ests = ex.make_estimators(ex.parse_estimators([{"name": "t", "kind": "binning", "subset": "test", "n_bins": 5,
                                                    "value_range": [-3, 3]}]), X_probe=np.zeros((50, 2)), n_train=40)
    got = ests["t"](T, y)
    ref = mi.binning(T[:, 40:], y[40:], n_bins=5, value_range=(-3, 3))
    assert np.allclose(got.ixt, ref.ixt)


def test_snr_transition_and_kink_on_synthetic_curves():
    ep = np.arange(1, 201)
    snr = np.where(ep < 60, 10.0, 0.1)
    grads = pd.DataFrame({"seed": 0, "epoch": ep, "layer": 1, "snr": snr})
    t = ex.snr_transition(grads, window=1)
    assert t.transition_epoch.iloc[0] == 60 and np.isclose(t.drop_decades.iloc[0], 2.0)
    loss = np.where(ep < 30, 1.0 - ep / 30, 0.0) + 0.01
    metrics = pd.DataFrame({"seed": 0, "epoch": ep, "split": "train", "loss": loss, "accuracy": 1.0})
    assert ex.loss_kink(metrics).kink_epoch.iloc[0] == 28
    inf = pd.DataFrame({"seed": 0, "epoch": ep, "layer": 1, "snr": np.inf})
    assert np.isnan(ex.snr_transition(inf).transition_epoch.iloc[0])


def test_split_by_max_activation_halves():
    rm = pd.DataFrame({"seed": [0, 1, 2, 3], "max_activation": [5.0, 1.0, 9.0, 2.0]})
    mi_df = pd.DataFrame({"seed": [0, 1, 2, 3], "epoch": 0, "layer": 1, "ixt": 1.0, "ity": 0.5})
    out = ex.split_by_max_activation(mi_df, rm)
    assert list(out.half) == ["large", "small", "large", "small"]


def test_snapshot_schedule_int():
    e = ex.snapshot_schedule(10, 100)
    assert e[0] == 0 and e[-1] == 100 and len(e) <= 12
    assert ex.snapshot_schedule("tishby", 100) == "tishby"


def test_loss_rate_identity_small_lr():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 2, size=(512, 12)).astype(float)
    y = (X.sum(1) > 6).astype(int)
    df = ex.loss_rate_check(X, y, layers=[5, 3], lrs=(1e-2, 1e-3), warmup_epochs=(0,), batch_size=128)
    assert (df.rel_error < 0.2).all()
    assert df.rel_error.iloc[1] < df.rel_error.iloc[0]


def test_run_harmonics_replay_is_deterministic(monkeypatch):
    pytest.importorskip("tensorflow")
    try:
        from ibutils.data import load_harmonics
        load_harmonics("saxe")
    except Exception:
        pytest.skip("harmonics data not available")
    kw = dict(activation="relu", epochs=4, n_seeds=2, snapshots=3, batch_size=1024,
              estimators=[{"name": "pm1", "kind": "binning", "n_bins": 30, "value_range": [-1, 1]},
                          {"name": "rm", "kind": "run_max", "n_bins": 100}])
    r = ex.run_harmonics(**kw)
    assert set(r.mi.estimator) == {"pm1", "rm"} and (r.run_max > 0).all()
    assert r.mi.ixt.between(0, 12).all()
    r2 = ex.run_harmonics(**kw)
    pd.testing.assert_frame_equal(r.mi, r2.mi)
    err = ex.error_curves(r.metrics)
    assert set(err.split) == {"train", "test"} and err.error.between(0, 1).all()
