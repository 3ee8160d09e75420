"""ibutils.studies._protocols: the shared network and Rasmussen's run-max replay, on a stand-in trainer."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ibutils.nets.hooks import Snapshot
from ibutils.studies import _protocols as proto


def _fake_trainer(calls):
    """A deterministic stand-in for train_ensemble: seeds 3 and 4, two hidden layers and a read-out."""
    seeds = np.array([3, 4])
    y = np.array([0, 1, 0])

    def train(estimators, hooks=(), **kw):
        calls.append(dict(estimators=dict(estimators), hooks=list(hooks), kw=kw))
        snap = {1: np.array([[[3.0], [0.1], [0.0]], [[0.2], [0.1], [0.0]]]),  # snapshot maxima: 3.0 and 0.2
                2: np.full((2, 3, 1), 0.5), 3: np.full((2, 3, 2), 100.0)}  # the read-out is left out
        for layer, T in snap.items():
            for h in hooks:
                h.on_snapshot(Snapshot(0, layer, 3, seeds, T, y))
        rows = [dict(seed=s, epoch=0, layer=l, estimator=name, ixt=float(np.asarray(f(T, y).ixt)[r]), ity=0.0)
                for name, f in estimators.items() for l, T in snap.items() for r, s in enumerate(seeds)]
        activity = pd.DataFrame(dict(seed=[3, 3, 4, 4, 3, 4], epoch=1, layer=[1, 2, 1, 2, 3, 3],
                                     max_abs=[0.5, 2.0, 1.0, 0.7, 9.0, 9.0]))  # probe maxima: 2.0 and 1.0
        return SimpleNamespace(mi=pd.DataFrame(rows, columns=["seed", "epoch", "layer", "estimator", "ixt", "ity"]),
                               unfiltered=dict(activity=activity), seeds=seeds)

    return train


def test_train_with_run_max_replays_with_each_runs_maximum():
    calls, seen = [], []

    def first(T, y):
        return SimpleNamespace(ixt=np.ones(len(T)), ity=np.zeros(len(T)))

    def replay(run_max):
        seen.append(np.asarray(run_max))
        return {"scaled": lambda T, y: SimpleNamespace(ixt=np.asarray(T).max(axis=(1, 2)) / run_max, ity=0.0)}

    res, mi, run_max = proto.train_with_run_max(_fake_trainer(calls), {"plain": first}, replay, n_hidden=2,
                                                first_pass=dict(store_activations_at=[1]))
    np.testing.assert_array_equal(seen[0], [3.0, 1.0])  # max(probe, snapshots) over the hidden layers
    assert run_max.name == "max_activation" and run_max.index.name == "seed" and list(run_max.index) == [3, 4]
    assert len(calls) == 2 and calls[0]["kw"] == dict(store_activations_at=[1]) and calls[1]["kw"] == {}
    assert len(calls[0]["hooks"]) == 1 and calls[1]["hooks"] == [] and list(calls[1]["estimators"]) == ["scaled"]
    assert set(mi.estimator) == {"plain", "scaled"} and mi.index.equals(pd.RangeIndex(len(mi)))
    got = mi.query("estimator == 'scaled' and layer == 1").sort_values("seed").ixt.to_numpy()
    np.testing.assert_allclose(got, [1.0, 0.2])


def test_train_with_run_max_without_replay_trains_once():
    calls = []
    res, mi, run_max = proto.train_with_run_max(_fake_trainer(calls), {}, None, n_hidden=2)
    assert len(calls) == 1 and calls[0]["hooks"] == [] and len(mi) == 0
    np.testing.assert_array_equal(run_max.to_numpy(), [2.0, 1.0])  # the probe's maxima only


def test_snapshot_schedule_and_layers():
    assert proto.LAYERS == [10, 7, 5, 4, 3]
    e = proto.snapshot_schedule(10, 100)
    assert e[0] == 0 and e[-1] == 100 and len(e) <= 12
    assert proto.snapshot_schedule("tishby", 100) == "tishby"
    with pytest.raises(ValueError):
        proto.snapshot_schedule(True, 100)
