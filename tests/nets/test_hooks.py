"""Snapshot hooks (ibutils.nets.hooks) and estimator layer sets (ibutils.mi.base.Measure) in the trainer."""
import functools

import numpy as np
import pytest

from ibutils import mi
from ibutils.mi.base import Measure
from ibutils.nets import train_ensemble
from ibutils.nets.hooks import ActivationHistograms, LayerMaxima

from .ensemble_cases import LAYERS, toy_data

KW = dict(layers=LAYERS, batch_size=64, progress=False)
L = len(LAYERS) + 1
N_PROBE = 250  # toy_data: 200 training + 50 evaluation rows, mi_data="full"
BINS = functools.partial(mi.binning, n_bins=30, value_range=(-1, 1))


class Recorder:
    """Keeps what the trainer passes: epoch, layer, n_layers, seeds and the shapes of T and y."""

    def __init__(self):
        self.calls = []

    def on_snapshot(self, s):
        self.calls.append(dict(epoch=s.epoch, layer=s.layer, n_layers=s.n_layers, seeds=tuple(int(x) for x in s.seeds),
                               T=np.array(s.T), y=np.asarray(s.y), readout=s.is_readout))

    def table(self):  # pragma: no cover - not needed here
        return None


def test_hook_called_for_every_layer_of_every_snapshot():
    X, y, Xe, ye = toy_data()
    rec, mx, hist = Recorder(), LayerMaxima(), ActivationHistograms(n_bins=4)
    r = train_ensemble(X, y, Xe, ye, activation="tanh", n_seeds=2, seed=5, epochs=3, lr=0.01,
                       snapshot_epochs=[0, 2, 3], store_activations_at=[3], hooks=[rec, mx, hist], **KW)
    assert [(c["epoch"], c["layer"]) for c in rec.calls] == [(e, l) for e in (0, 2, 3) for l in range(1, L + 1)]
    assert all(c["n_layers"] == L and c["seeds"] == (5, 6) and c["readout"] == (c["layer"] == L) for c in rec.calls)
    widths = LAYERS + [2]
    assert [c["T"].shape for c in rec.calls[:L]] == [(2, N_PROBE, w) for w in widths]
    np.testing.assert_array_equal(rec.calls[0]["y"], np.concatenate([y, ye]))
    for l in range(1, L + 1):  # the last snapshot's activity is the stored one
        np.testing.assert_array_equal(rec.calls[-L + l - 1]["T"], r.activations[3][l - 1])
    t = mx.table()
    assert list(t.columns) == ["seed", "epoch", "layer", "max"] and len(t) == 2 * 3 * L
    row = t.query("seed == 6 and epoch == 3 and layer == 2")["max"].item()
    assert row == pytest.approx(float(r.activations[3][1][1].max()))
    rm = mx.run_max()
    assert list(rm.seed) == [5, 6] and (rm.run_max <= 1.0).all()  # tanh hidden layers
    h = hist.table()
    per_layer = np.array([N_PROBE * w for w in widths])  # every activation of the layer falls in some bin
    assert len(h) == 2 * 3 * L
    np.testing.assert_array_equal(h[["b00", "b01", "b02", "b03"]].sum(axis=1), per_layer[h.layer.to_numpy() - 1])


def test_all_replicas_diverged_hooks_still_called_and_tables_keyed():
    """Linear layers and a huge SGD step: every replica is finite at epoch 0 and diverged from epoch 1 on."""
    X, y, Xe, ye = toy_data()
    rec, mx, hist = Recorder(), LayerMaxima(), ActivationHistograms(n_bins=5)
    ests = {"bins": BINS, "hidden": Measure(BINS, layers="hidden")}
    with pytest.warns(RuntimeWarning, match="diverged"):
        r = train_ensemble(X, y, Xe, ye, activation="linear", n_seeds=3, epochs=3, lr=1e30, optimizer="sgd",
                           snapshot_epochs=[0, 1, 2, 3], estimators=ests, hooks=[rec, mx, hist], **KW)
    assert r.dropped_seeds == [0, 1, 2] and list(r.snapshot_epochs) == [0, 1, 2, 3]
    # every layer of every snapshot, also those without a finite replica
    assert [(c["epoch"], c["layer"]) for c in rec.calls] == [(e, l) for e in range(4) for l in range(1, L + 1)]
    assert all(c["seeds"] == (0, 1, 2) for c in rec.calls[:L])
    for c in rec.calls[L:]:
        assert c["seeds"] == () and c["T"].shape[0] == 0 and c["T"].shape[1] == N_PROBE and len(c["y"]) == N_PROBE
    # the tables hold the snapshot before the divergence, keyed by seed, epoch and layer
    for t in (mx.table(), hist.table()):
        assert len(t) == 3 * L and set(t.epoch) == {0}
        assert list(zip(t.seed, t.layer)) == [(s, l) for s in range(3) for l in range(1, L + 1)]
    assert list(mx.run_max().seed) == [0, 1, 2]
    # the MI table: the estimators at epoch 0 only, NaN afterwards
    u = r.unfiltered["mi"]
    assert np.isfinite(u.query("epoch == 0 and estimator == 'bins'").ixt).all()
    assert u.query("epoch > 0").ixt.isna().all()


def test_measure_hidden_is_nan_in_the_readout_only():
    X, y, Xe, ye = toy_data()
    calls = []

    def counted(T, y):
        calls.append(T.shape[2])
        return BINS(T, y)

    ests = {"all": BINS, "hidden": Measure(counted, layers="hidden"), "some": Measure(BINS, layers=(1, 3))}
    r = train_ensemble(X, y, Xe, ye, activation="tanh", n_seeds=2, epochs=2, lr=0.01, snapshot_epochs=[0, 2],
                       estimators=ests, **KW)
    m = r.mi.set_index(["estimator", "seed", "epoch", "layer"]).sort_index()
    hid, full = m.loc["hidden"], m.loc["all"]
    readout = hid.index.get_level_values("layer") == L
    assert hid.ixt[readout].isna().all() and hid.ity[readout].isna().all()
    assert np.isfinite(hid.ixt[~readout]).all() and np.isfinite(hid.ity[~readout]).all()
    np.testing.assert_array_equal(hid.ixt[~readout].to_numpy(), full.ixt[~readout].to_numpy())
    assert np.isfinite(full.ixt).all()
    assert calls == LAYERS * 2  # never called on the read-out (2 snapshots)
    some = m.loc["some"]
    on = np.isin(some.index.get_level_values("layer"), [1, 3])
    assert np.isfinite(some.ixt[on]).all() and some.ixt[~on].isna().all()
    with pytest.raises(ValueError, match="layers"):
        Measure(BINS, layers="readout")
