"""ibutils.mi.exact: distinct raw layer vectors and the exact I(X;T) = H(T) (seed 002, section 0.1)."""
import numpy as np
import pytest

from ibutils import mi
from ibutils.mi.exact import count_distinct, distinct_rows, exact_mi, exact_row_ids


def test_distinct_rows_gives_log2_n():
    rng = np.random.default_rng(0)
    T = rng.normal(size=(64, 3)).astype(np.float32)
    y = np.arange(64) % 2
    assert distinct_rows(T) == 64
    assert exact_mi(T, y).ixt == pytest.approx(6.0, abs=1e-12)
    # agrees with pattern_mi on stacked input
    T2 = np.stack([T, np.round(T)])
    np.testing.assert_allclose(exact_mi(T2, y).ixt, mi.pattern_mi(T2, y).ixt)
    np.testing.assert_allclose(exact_mi(T2, y).ity, mi.pattern_mi(T2, y).ity)


def test_constructed_collisions_counted():
    # 8 inputs; rows 0,1,2 equal, rows 3,4 equal -> 5 distinct, H = (3/8)log(8/3)+(2/8)log(4)+3(1/8)log 8
    T = np.arange(8, dtype=np.float32)[:, None] * np.ones((1, 2), np.float32)
    T[1] = T[2] = T[0]
    T[4] = T[3]
    assert distinct_rows(T) == 5
    h = 3 / 8 * np.log2(8 / 3) + 2 / 8 * 2 + 3 / 8 * 3
    assert exact_mi(T, np.zeros(8)).ixt == pytest.approx(h, abs=1e-12)
    # -0.0 and 0.0 are the same vector
    assert distinct_rows(np.array([[0.0], [-0.0], [1.0]])) == 2
    np.testing.assert_array_equal(count_distinct([[1, 1, 2], [3, 4, 5]]), [2, 3])
    ids = exact_row_ids(np.stack([T, T[::-1]]))
    assert ids.shape == (2, 8) and ids[0, 0] == ids[1, 7]  # equal rows, equal ids across items
