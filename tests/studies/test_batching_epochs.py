"""Exact cases for ibutils.studies.batching_epochs (seed 002, sections 0.2.6 and 0.3.2)."""
import numpy as np
import pandas as pd
import pytest

from ibutils.mi.batching import batching_binning
from ibutils.nets.hooks import Snapshot
from ibutils.nets.schedules import DeltaSkip
from ibutils.studies import batching_epochs as batching


def test_recorder_matches_direct_computation():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 50)
    acts = [np.tanh(rng.normal(size=(2, 50, 3)) * (1 + 0.01 * e)) for e in range(6)]
    rec = batching.BatchingRecorder(window_ends=[5], bs=[1, 3], n_bins=[10])
    for e, a in enumerate(acts):  # one layer, snapshots at every epoch
        rec.on_snapshot(Snapshot(e, 1, 1, np.array([7, 8]), a, y))
    df = rec.table()
    ref = batching_binning(np.stack(acts[3:6], axis=1), y, n_bins=10)
    got = df.query("b == 3").sort_values("seed").ixt.to_numpy()
    np.testing.assert_allclose(got, ref.ixt)
    assert set(df.b) == {1, 3} and set(df.epoch) == {5} and set(df.seed) == {7, 8}
    assert list(df.columns) == ["seed", "epoch", "layer", "n_bins", "b", "ixt", "ity", "h_t", "h_t_given_x"]


def test_recorder_keeps_replicas_finite_in_the_whole_window():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 40)
    acts = [np.tanh(rng.normal(size=(3, 40, 2))) for _ in range(3)]
    rec = batching.BatchingRecorder(window_ends=[2], bs=[2, 3], n_bins=[8])
    rec.on_snapshot(Snapshot(0, 1, 1, np.array([0, 1, 2]), acts[0], y))
    rec.on_snapshot(Snapshot(1, 1, 1, np.array([0, 2]), acts[1][[0, 2]], y))  # seed 1 diverged
    rec.on_snapshot(Snapshot(2, 1, 1, np.array([0, 2]), acts[2][[0, 2]], y))
    df = rec.table()
    assert set(df.seed) == {0, 2} and sorted(set(df.b)) == [2, 3]
    ref = batching_binning(np.stack([a[[0, 2]] for a in acts], axis=1), y, n_bins=8)
    np.testing.assert_allclose(df.query("b == 3").ixt, ref.ixt)
    empty = batching.BatchingRecorder(window_ends=[9]).table()
    assert len(empty) == 0 and "h_t_given_x" in empty


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


# --------------------------------------------------------------------------- claims
def _claims_tables(k=4, htx=1.0, htx_zero_layer=None, drop_b5=1.0, drop_b1=0.0, max_abs=0.02, share=0.3,
                   noise=0.02):
    """Constructed tables for :func:`batching.claims`: layers 1-2 hidden, 3 the read-out; window
    ends every 10 epochs to 100; the fine grid's I(X;T) peaks at epoch 30 and falls by ``drop_b*``
    bits; H(T|X) is ``htx`` for b = 5 (0 in ``htx_zero_layer``); the approximate schedule's largest
    error per seed is ``max_abs``."""
    rng = np.random.default_rng(0)
    ends = np.arange(10, 101, 10)
    shape = np.where(ends <= 30, (ends - 10) / 20, 1 - (ends - 30) / 70)
    rows = []
    for s in range(k):
        for layer in (1, 2, 3):
            for nb in (30, 1000):
                for b, drop in ((1, drop_b1), (5, drop_b5)):
                    h = 0.0 if b == 1 or layer == htx_zero_layer else htx
                    rows.append(pd.DataFrame(dict(
                        seed=s, epoch=ends, layer=layer, n_bins=nb, b=b,
                        ixt=8.0 + (drop if nb == 1000 else 0.0) * shape + noise * rng.standard_normal(len(ends)),
                        h_t_given_x=h + (noise * abs(rng.standard_normal(len(ends))) if h else 0.0))))
    tab = pd.concat(rows, ignore_index=True)
    cmp = pd.DataFrame(dict(schedule="seed approx d=0.2", quantity="both", n_evals=int(share * 101), n_dense=101,
                            share_evaluated=share, seed=range(k),
                            max_abs=max_abs + noise * rng.standard_normal(k), mean_abs=0.001))
    return tab, batching.batching_compression(tab), cmp


def _v(**kw):
    return [r["verdict"] for r in batching.claims(*_claims_tables(**kw), delta=0.2)]


def test_claims_reproduced():
    assert _v() == ["reproduced"] * 3


def test_claims_htx_every_hidden_layer():
    assert _v(htx_zero_layer=2)[0] == "partly reproduced"
    assert _v(htx=0.0)[0] == "not reproduced"


def test_claims_batching_needs_both_drops():
    assert _v(drop_b5=1.0, drop_b1=1.0)[1] == "not reproduced"  # no extra drop from batching
    assert _v(drop_b5=0.0)[1] == "not reproduced"
    assert _v(drop_b5=0.0, drop_b1=1.0)[1] == "contradicted"  # batching removes the drop


def test_claims_delta_skip_error_and_share():
    assert _v(max_abs=0.5)[2] == "contradicted"
    assert _v(max_abs=0.09, noise=0.05)[2] == "inconclusive"
    assert _v(share=0.8)[2] == "not reproduced"


def test_claims_delta_skip_at_another_delta_is_a_different_setting():
    """The page's hint `-p "deltas=[0.05]"`: the seed's rule was run with delta 0.2 or 0.1 only."""
    tab, comp, cmp = _claims_tables()
    cmp = cmp.assign(schedule=cmp.schedule.str.replace("d=0.2", "d=0.05"))
    rows = batching.claims(tab, comp, cmp, delta=0.05)
    assert rows[2]["verdict"] == "different setting" and rows[2]["claim"].startswith("Delta skip (d=0.05)")
    assert "delta 0.05 (the study: 0.1 or 0.2)" in rows[2]["note"]
    assert [r["verdict"] for r in rows[:2]] == _v()[:2]


def test_claims_too_few_seeds_and_missing_schedule():
    assert _v(k=2) == ["inconclusive"] * 3
    tab, comp, cmp = _claims_tables()
    with pytest.raises(ValueError, match="approx d=0.1"):
        batching.claims(tab, comp, cmp, delta=0.1)
