"""Exact cases for ibutils.studies.compression_rebuttal (seed 002, section 0.1)."""
import numpy as np
import pytest

from ibutils import mi
from ibutils.studies import compression_rebuttal as rebuttal


def test_distinct_rows_gives_log2_n():
    rng = np.random.default_rng(0)
    T = rng.normal(size=(64, 3)).astype(np.float32)
    y = np.arange(64) % 2
    assert rebuttal.distinct_rows(T) == 64
    assert rebuttal.exact_mi(T, y).ixt == pytest.approx(6.0, abs=1e-12)
    # agrees with pattern_mi on stacked input
    T2 = np.stack([T, np.round(T)])
    np.testing.assert_allclose(rebuttal.exact_mi(T2, y).ixt, mi.pattern_mi(T2, y).ixt)
    np.testing.assert_allclose(rebuttal.exact_mi(T2, y).ity, mi.pattern_mi(T2, y).ity)


def test_constructed_collisions_counted():
    # 8 inputs; rows 0,1,2 equal, rows 3,4 equal -> 5 distinct, H = (3/8)log(8/3)+(2/8)log(4)+3(1/8)log 8
    T = np.arange(8, dtype=np.float32)[:, None] * np.ones((1, 2), np.float32)
    T[1] = T[2] = T[0]
    T[4] = T[3]
    assert rebuttal.distinct_rows(T) == 5
    h = 3 / 8 * np.log2(8 / 3) + 2 / 8 * 2 + 3 / 8 * 3
    assert rebuttal.exact_mi(T, np.zeros(8)).ixt == pytest.approx(h, abs=1e-12)
    # -0.0 and 0.0 are the same vector
    assert rebuttal.distinct_rows(np.array([[0.0], [-0.0], [1.0]])) == 2
    np.testing.assert_array_equal(rebuttal.count_distinct([[1, 1, 2], [3, 4, 5]]), [2, 3])


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


def test_collision_counter_records_per_layer_and_snapshot():
    c = rebuttal.CollisionCounter(n_layers=2)
    y = np.array([0, 1, 0, 1])
    a = np.array([[[0.0], [1.0], [2.0], [3.0]], [[0.0], [0.0], [2.0], [3.0]]])
    for _ in range(2):  # two snapshots, two layers each
        res = c(a, y)
        c(a[:, :, :1] * 0, y)
    np.testing.assert_allclose(res.ixt, [2.0, 1.5])
    df = c.table([0, 5], [10, 11])
    assert len(df) == 8 and set(df.epoch) == {0, 5}
    assert df.query("layer == 1 and seed == 11").n_distinct.tolist() == [3, 3]
    assert df.query("layer == 2").n_distinct.tolist() == [1, 1, 1, 1]
    with pytest.raises(ValueError, match="match"):
        c.table([0], [10, 11])


def test_forward_numpy_float64_keeps_tanh_distinct_where_float32_saturates():
    # one 1-in/1-out tanh layer with a huge weight, then a 2-class read-out
    W1, b1 = np.array([[[10.0]]]), np.zeros((1, 1))
    W2, b2 = np.array([[[1.0, -1.0]]]), np.zeros((1, 2))
    X = np.array([[1.0], [1.1], [0.0]])
    h32 = rebuttal.forward_numpy([(W1, b1), (W2, b2)], X, "tanh", dtype=np.float32)
    h64 = rebuttal.forward_numpy([(W1, b1), (W2, b2)], X, "tanh", dtype=np.float64)
    assert rebuttal.distinct_rows(h32[0][0]) == 2  # tanh(10) == tanh(11) == 1.0 in float32, not in float64
    assert rebuttal.distinct_rows(h64[0][0]) == 3
    np.testing.assert_allclose(h64[1].sum(axis=2), 1.0)
