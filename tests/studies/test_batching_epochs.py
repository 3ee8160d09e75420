"""Exact cases for ibutils.studies.batching_epochs (seed 002, sections 0.2.6 and 0.3.2)."""
import numpy as np
import pandas as pd
import pytest

from ibutils import mi
from ibutils.studies import batching_epochs as batching
from ibutils.nets.schedules import DeltaSkip


def test_b1_equals_single_epoch_binning():
    rng = np.random.default_rng(1)
    T = np.tanh(rng.normal(size=(3, 200, 4)) * 2)
    y = rng.integers(0, 2, 200)
    ref = mi.binning(T, y, n_bins=30, value_range=(-1, 1))
    res = batching.batching_binning(T[:, None], y, n_bins=30)
    np.testing.assert_allclose(res.ixt, ref.ixt, atol=1e-12)
    np.testing.assert_allclose(res.ity, ref.ity, atol=1e-12)
    np.testing.assert_allclose(res.h_t_given_x, 0.0, atol=1e-12)


def test_identical_epochs_have_zero_conditional_entropy():
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 5, size=(100, 3))
    y = rng.integers(0, 2, 100)
    one = batching.batching_mi(codes[None], y)
    many = batching.batching_mi(np.stack([codes] * 7), y)
    assert many.h_t_given_x == 0.0
    assert many.ixt == pytest.approx(one.ixt, abs=1e-12)
    assert many.ity == pytest.approx(one.ity, abs=1e-12)


def test_known_values_constructed_example():
    # N = 4 inputs, b = 2 epochs. Epoch 1 codes 0,1,2,3; epoch 2 codes 0,1,2,4 (x_3 changes bin).
    codes = np.array([[0, 1, 2, 3], [0, 1, 2, 4]])[:, :, None]
    y = np.array([0, 0, 1, 1])
    res = batching.batching_mi(codes, y)
    # pooled: 0,1,2 twice each, 3 and 4 once: H(T) = 3 * (2/8) * 2 + 2 * (1/8) * 3 = 2.25
    assert res.h_t == pytest.approx(2.25)
    # only x_3 is uncertain (1 bit), H(T|X) = 1/4
    assert res.h_t_given_x == pytest.approx(0.25)
    assert res.ixt == pytest.approx(2.0)
    # H(T|Y=0) = 1 bit (codes 0,1 twice each), H(T|Y=1) = 1.5 bits (2,2,3,4): I(T;Y) = 2.25 - 1.25
    assert res.ity == pytest.approx(1.0)
    # every input moves to a fresh code each epoch: I(X;T) = log2 N (no compression)
    fresh = np.arange(8).reshape(2, 4)[:, :, None]
    assert batching.batching_mi(fresh, y).ixt == pytest.approx(2.0)
    assert batching.batching_mi(fresh, y).h_t_given_x == pytest.approx(1.0)


def test_batching_rejects_bad_input():
    with pytest.raises(ValueError, match="integer"):
        batching.batching_mi(np.zeros((2, 3, 1)), [0, 1, 0])
    with pytest.raises(ValueError, match="shape"):
        batching.batching_mi(np.zeros((3, 1), int), [0, 1, 0])
    with pytest.raises(ValueError, match="n_bins"):
        batching.uniform_codes(np.zeros(3), 0)


def test_recorder_matches_direct_computation():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 50)
    acts = [np.tanh(rng.normal(size=(2, 50, 3)) * (1 + 0.01 * e)) for e in range(6)]
    rec = batching.BatchingRecorder(range(6), n_layers=1, window_ends=[5], bs=[1, 3], n_bins=[10])
    for a in acts:
        rec(a, y)
    df = rec.table([7, 8])
    ref = batching.batching_binning(np.stack(acts[3:6], axis=1), y, n_bins=10)
    got = df.query("b == 3").sort_values("seed").ixt.to_numpy()
    np.testing.assert_allclose(got, ref.ixt)
    assert set(df.b) == {1, 3} and set(df.epoch) == {5}


def _dense(values):
    """A dense tidy MI frame with one seed and one layer: ixt = values, ity = 0."""
    e = np.arange(len(values))
    return pd.DataFrame(dict(seed=0, epoch=e, layer=1, estimator="m", ixt=values, ity=0.0))


def test_delta_approx_doubles_and_keeps():
    v = np.zeros(40)
    v[:3] = [0.0, 1.0, 2.0]  # jumps at the start, flat after
    v[2:] = 2.0
    ep = batching.replay_schedule(batching.DeltaApprox(39, delta=0.2), _dense(v))
    # skip stays 1 while moving (0->1->2), then doubles: 2, 3, 5, 9, 17, 33, 39
    assert ep.tolist() == [0, 1, 2, 3, 5, 9, 17, 33, 39]
    # the trainer's DeltaSkip also replays
    assert batching.replay_schedule(DeltaSkip(39, threshold=0.05), _dense(v))[-1] == 39


def test_delta_exact_backtracks_and_error_is_zero_on_linear_pieces():
    v = np.concatenate([np.zeros(20), np.arange(1, 21) * 1.0])  # flat, then slope 1 per epoch
    df = _dense(v)
    ep = batching.delta_exact_epochs(df, delta=2.0)
    d = np.abs(np.diff(v[ep]))
    assert (d <= 2.0 + 1e-12).all() and ep[0] == 0 and ep[-1] == 39
    err = batching.schedule_error(df, np.arange(40))
    assert err.max_abs.max() == 0.0
    err = batching.schedule_error(df, [0, 39])
    # straight line 0 -> 20 over 39 epochs vs the kinked truth: largest gap at epoch 19
    assert err.query("quantity == 'ixt'").max_abs.iloc[0] == pytest.approx(20 * 19 / 39)
    assert batching.mi_distance({"m": (np.array([[1.0]]), np.array([[0.0]]))},
                                {"m": (np.array([[4.0]]), np.array([[0.5]]))}, normalise=True, h_x=12, h_y=1) == 0.5
