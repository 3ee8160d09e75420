"""Exact cases for ibutils.studies.compression_rebuttal (seed 002, section 0.1)."""
import numpy as np
import pandas as pd
import pytest

from ibutils.mi.exact import distinct_rows, exact_mi
from ibutils.nets.hooks import Snapshot
from ibutils.studies import compression_rebuttal as rebuttal


def test_saturation_zero_fractions_and_dead_units():
    T = np.array([[[1.0, 0.0], [-1.0, 0.0], [0.5, 0.0], [0.2, 0.3]]])
    np.testing.assert_allclose(rebuttal.saturation_fraction(T), [2 / 8])
    np.testing.assert_allclose(rebuttal.zero_fraction(T), [3 / 8])
    np.testing.assert_array_equal(rebuttal.dead_units(T), [0])
    np.testing.assert_array_equal(rebuttal.dead_units(np.zeros((2, 5, 3))), [3, 3])


def test_collision_attribution_by_layer_and_cause():
    # 4 distinct inputs. Layer 1 merges inputs 0,1 on a saturated row (+1),
    # layer 2 merges (the images of) inputs 2,3 on a row with an exact zero.
    l1 = np.array([[[1.0, 0.3], [1.0, 0.3], [0.1, 0.2], [0.4, 0.5]]])
    l2 = np.array([[[0.7], [0.7], [0.0], [0.0]]])
    df = rebuttal.collision_attribution([l1, l2])
    a, b = df.iloc[0], df.iloc[1]
    assert (a.n_distinct, a.merges, a.merges_saturation, a.merges_zero, a.merges_other) == (3, 1, 1, 0, 0)
    assert (b.n_distinct, b.merges, b.merges_saturation, b.merges_zero, b.merges_other) == (2, 1, 0, 1, 0)
    assert (a.collisions, b.collisions, a.inputs_colliding, b.inputs_colliding) == (1, 2, 2, 4)
    # a merge of rows without +-1 or 0 is "other"
    l3 = np.array([[[0.5], [0.5], [0.2], [0.3]]])
    assert rebuttal.collision_attribution([l3]).iloc[0].merges_other == 1
    with pytest.raises(ValueError, match="layers"):
        rebuttal.collision_attribution([l1, l2[:, :3]])


def test_collision_attribution_with_many_replicas_of_many_distinct_values():
    """The paper profile's failure: 10 replicas x 4,096 rows of 4 units with (nearly) all values distinct give row
    ids near 2**61 (exact_row_ids does not densify them), and replica * (max id + 1) overflowed int64."""
    from ibutils.mi.exact import exact_row_ids

    rng = np.random.default_rng(0)
    R, N = 10, 4096
    T = rng.uniform(-0.9, 0.9, size=(R, N, 4)).astype(np.float32)
    assert int(exact_row_ids(T).max()) * R > np.iinfo(np.int64).max  # the overflow the test is about
    T[3, 1] = T[3, 0]  # one collision, in replica 3
    out = rebuttal.collision_attribution([T])
    assert out.n_distinct.tolist() == [N] * 3 + [N - 1] + [N] * 6
    assert out.inputs_colliding.tolist() == [0] * 3 + [2] + [0] * 6
    assert out.merges_other.tolist() == [0] * 3 + [1] + [0] * 6


def test_collision_counter_records_per_layer_and_snapshot():
    c = rebuttal.CollisionCounter()
    y = np.array([0, 1, 0, 1])
    a = np.array([[[0.0], [1.0], [2.0], [3.0]], [[0.0], [0.0], [2.0], [3.0]]])
    seeds = np.array([10, 11])
    for epoch in (0, 5):  # two snapshots, two layers each, as the trainer calls the hook
        c.on_snapshot(Snapshot(epoch, 1, 2, seeds, a, y))
        c.on_snapshot(Snapshot(epoch, 2, 2, seeds, a[:, :, :1] * 0, y))
    c.on_snapshot(Snapshot(7, 1, 2, seeds[:0], a[:0], y))  # no finite replica: nothing recorded
    df = c.table()
    assert list(df.columns) == ["seed", "epoch", "layer", "n_distinct", "exact_ixt", "frac_saturated", "frac_zero",
                                "dead_units"]
    assert len(df) == 8 and set(df.epoch) == {0, 5}
    assert df.query("layer == 1 and seed == 11").n_distinct.tolist() == [3, 3]
    assert df.query("layer == 2").n_distinct.tolist() == [1, 1, 1, 1]
    np.testing.assert_allclose(df.query("layer == 1 and epoch == 5").exact_ixt, [2.0, 1.5])
    np.testing.assert_allclose(df.query("layer == 1").exact_ixt, np.repeat(exact_mi(a, y).ixt, 2))
    assert df.query("layer == 2").dead_units.tolist() == [1] * 4 and (df.query("layer == 2").frac_zero == 1).all()


def test_forward_numpy_float64_keeps_tanh_distinct_where_float32_saturates():
    # one 1-in/1-out tanh layer with a huge weight, then a 2-class read-out
    W1, b1 = np.array([[[10.0]]]), np.zeros((1, 1))
    W2, b2 = np.array([[[1.0, -1.0]]]), np.zeros((1, 2))
    X = np.array([[1.0], [1.1], [0.0]])
    h32 = rebuttal.forward_numpy([(W1, b1), (W2, b2)], X, "tanh", dtype=np.float32)
    h64 = rebuttal.forward_numpy([(W1, b1), (W2, b2)], X, "tanh", dtype=np.float64)
    assert distinct_rows(h32[0][0]) == 2  # tanh(10) == tanh(11) == 1.0 in float32, not in float64
    assert distinct_rows(h64[0][0]) == 3
    np.testing.assert_allclose(h64[1].sum(axis=2), 1.0)


# --------------------------------------------------------------------------- claims
N_IN = 16  # H(X) = 4 bits


def _tables(k=4, acts=("tanh", "leaky_relu", "relu"), bin_drop=1.5, exact_drop=0.0, relu64=3.0, other=0,
            zero=5, noise=0.02):
    """Constructed tables for :func:`rebuttal.claims`: 3 layers (2 hidden + read-out), 21 snapshots;
    the binned I(X;T) rises to epoch 5 and falls by ``bin_drop`` bits, the exact one by
    ``exact_drop``; ReLU's float64 network keeps ``relu64`` bits per hidden layer."""
    rng = np.random.default_rng(0)
    epochs = np.arange(21)
    shape = np.where(epochs <= 5, epochs / 5, 1 - (epochs - 5) / 15)  # 0 -> 1 at epoch 5 -> 0
    fall = np.clip((epochs - 5) / 15, 0, 1)
    counts, att, prec = [], [], []
    for a in acts:
        for s in range(k):
            for layer in (1, 2, 3):
                ex = 4.0 - exact_drop * fall
                counts.append(pd.DataFrame(dict(
                    activation=a, seed=s, epoch=epochs, layer=layer, exact_ixt=ex,
                    n_distinct=np.round(2 ** ex).astype(int),
                    bin_ixt=2.0 + bin_drop * shape + noise * rng.standard_normal(len(epochs)))))
                for dt in ("float32", "float64"):
                    bits = relu64 if (a == "relu" and layer < 3 and dt == "float64") else 4.0
                    bits = bits + (noise * rng.standard_normal() if bits < 4 else 0.0)
                    prec.append(dict(activation=a, seed=s, layer=layer, dtype=dt, exact_ixt=bits,
                                     n_distinct=int(round(2 ** bits))))
                att.append(dict(activation=a, seed=s, epoch=20, layer=layer, merges=zero + other,
                                merges_saturation=0, merges_zero=zero, merges_other=other))
    return pd.concat(counts, ignore_index=True), pd.DataFrame(att), pd.DataFrame(prec)


def _v(**kw):
    return [r["verdict"] for r in rebuttal.claims(*_tables(**kw), n_inputs=N_IN)]


def test_claims_reproduced_and_kinds():
    rows = rebuttal.claims(*_tables(), n_inputs=N_IN)
    assert [r["verdict"] for r in rows] == ["reproduced"] * 4
    assert [r.get("kind", "replication") for r in rows] == ["replication", "replication",
                                                            "demonstration", "demonstration"]
    assert "(tanh and leaky ReLU)" in rows[0]["claim"]


def test_claims_real_compression_contradicts_both():
    v = _v(exact_drop=1.0)
    assert v[0] == "contradicted" and v[1] == "contradicted"


def test_claims_no_binned_compression_is_inconclusive():
    rows = rebuttal.claims(*_tables(bin_drop=0.0), n_inputs=N_IN)
    assert rows[1]["verdict"] == "inconclusive" and "no binned compression" in rows[1]["note"]


def test_claims_relu_and_rounding_rows():
    assert _v(relu64=4.0)[2] == "not reproduced"
    assert _v(other=1, zero=20)[3] == "partly reproduced"
    assert _v(other=5, zero=5)[3] == "not reproduced"
    assert len(_v(acts=("tanh", "leaky_relu"))) == 3  # no ReLU row without ReLU


def test_claims_too_few_seeds_inconclusive():
    assert _v(k=2) == ["inconclusive"] * 4
