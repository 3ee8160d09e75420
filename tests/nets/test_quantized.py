"""Quantized training in the stacked trainer (train_ensemble(..., quantize_bits=k), Lorenzen et al. 2022)."""
import numpy as np
import pandas as pd
import pytest

from ibutils import nets as train
from ibutils.mi.exact import exact_mi

from .ensemble_cases import LAYERS, assert_replica_matches, toy_data

KW = dict(layers=LAYERS, batch_size=64, lr=1e-2, progress=False)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_quantized_replica_equals_lone_network(activation):
    """Replica r of a stacked quantized ensemble gives the same numbers as a lone quantized network with seed r."""
    X, y, Xe, ye = toy_data()
    common = dict(activation=activation, epochs=12, quantize_bits=4, snapshot_epochs=[0, 5, 12],
                  estimators={"exact": exact_mi}, store_activations_at=[12], **KW)
    ens = train.train_ensemble(X, y, Xe, ye, n_seeds=3, seed=0, **common)
    one = train.train_ensemble(X, y, Xe, ye, n_seeds=1, seed=2, **common)
    assert_replica_matches(ens, one, 2, 2)
    a = ens.mi[ens.mi.seed == 2].drop(columns="seed").reset_index(drop=True)
    b = one.mi.drop(columns="seed").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    for A, B in zip(ens.activations[12], one.activations[12]):
        np.testing.assert_array_equal(A[2], B[0])
    # every layer takes at most 2^4 values per unit; tanh on the fixed grid of [-1, 1], ReLU >= 0
    for l, A in enumerate(ens.activations[12]):
        for r in range(3):
            for j in range(A.shape[2]):
                assert len(np.unique(A[r, :, j])) <= 16
        if activation == "tanh" and l < len(LAYERS):
            codes = (A + 1) / 2 * 15
            np.testing.assert_allclose(codes, np.round(codes), atol=1e-4)
        if activation == "relu" or l == len(LAYERS):
            assert A.min() >= 0
    # the exact information is bounded by the number of distinct vectors
    assert (ens.mi.ixt <= np.log2(len(X) + len(Xe)) + 1e-9).all()


def test_quantized_network_learns_and_differs_from_float():
    X, y, Xe, ye = toy_data()
    q = train.train_ensemble(X, y, Xe, ye, n_seeds=2, activation="tanh", epochs=40, quantize_bits=8,
                             snapshot_epochs=[], **KW)
    f = train.train_ensemble(X, y, Xe, ye, n_seeds=2, activation="tanh", epochs=40, snapshot_epochs=[], **KW)
    tr = q.metrics[q.metrics.split == "train"]
    first, last = tr[tr.epoch == 1].loss.mean(), tr[tr.epoch == 40].loss.mean()
    assert last < first  # the straight-through gradient trains the quantized network
    assert not np.allclose(q.weights[0][0], f.weights[0][0])


def test_quantize_bits_none_is_the_float_trainer():
    X, y, Xe, ye = toy_data()
    a = train.train_ensemble(X, y, Xe, ye, n_seeds=2, activation="tanh", epochs=5, snapshot_epochs=[], **KW)
    b = train.train_ensemble(X, y, Xe, ye, n_seeds=2, activation="tanh", epochs=5, snapshot_epochs=[],
                             quantize_bits=None, **KW)
    for (Wa, ba), (Wb, bb) in zip(a.weights, b.weights):
        np.testing.assert_array_equal(Wa, Wb)
        np.testing.assert_array_equal(ba, bb)
    pd.testing.assert_frame_equal(a.metrics, b.metrics, check_exact=True)


@pytest.mark.parametrize("bad", [0, 17, 2.5, True, "8"])
def test_bad_quantize_bits(bad):
    X, y, Xe, ye = toy_data()
    with pytest.raises(ValueError, match="quantize_bits"):
        train.train_ensemble(X, y, Xe, ye, n_seeds=1, activation="tanh", epochs=1, snapshot_epochs=[],
                             quantize_bits=bad, **KW)


def test_quantize_with_batch_norm_rejected():
    X, y, Xe, ye = toy_data()
    with pytest.raises(ValueError, match="batch_norm"):
        train.train_ensemble(X, y, Xe, ye, n_seeds=1, activation="tanh", epochs=1, snapshot_epochs=[],
                             quantize_bits=4, batch_norm=True, **KW)
