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


# ----------------------------------------------------------------------------- brute force (issue 17)
def brute_force_mi(T, y):
    """I(X;T) = H(T) and I(T;Y) by counting rows in Python dicts (X uniform over the N rows)."""
    N = len(T)
    rows = [tuple(float(v) + 0.0 for v in r) for r in np.asarray(T)]
    n_t, n_ty = {}, {}
    for r, c in zip(rows, np.asarray(y).tolist()):
        n_t[r] = n_t.get(r, 0) + 1
        n_ty[(r, c)] = n_ty.get((r, c), 0) + 1
    n_y = {c: int((np.asarray(y) == c).sum()) for c in set(np.asarray(y).tolist())}
    h_t = -sum(n / N * np.log2(n / N) for n in n_t.values())
    ity = sum(n / N * np.log2(n * N / (n_t[r] * n_y[c])) for (r, c), n in n_ty.items())
    return h_t, ity


@pytest.mark.parametrize("seed", range(6))
def test_exact_mi_matches_brute_force_counting_with_ties(seed):
    """Quantized-like layers (few levels per unit, many tied rows), stacked R > 1, several classes."""
    rng = np.random.default_rng(seed)
    R, N, d = 3, int(rng.integers(5, 200)), int(rng.integers(1, 5))
    levels = int(rng.integers(2, 5))
    T = (rng.integers(0, levels, (R, N, d)) / (levels - 1) * 2 - 1).astype(np.float32)
    if seed % 2:
        T[1] = T[0]  # identical replicas give identical values
        T[2, :, 0] = -0.0 * T[2, :, 0]  # signed zeros count as zero
    y = rng.integers(0, 2 + seed % 3, N)
    got = exact_mi(T, y)
    assert got.ixt.shape == (R,) and got.ity.shape == (R,)
    for r in range(R):
        h, i = brute_force_mi(T[r], y)
        assert got.ixt[r] == pytest.approx(h, abs=1e-9)
        assert got.ity[r] == pytest.approx(i, abs=1e-9)
        assert distinct_rows(T)[r] == len({tuple(v) for v in (T[r] + 0.0).tolist()})
    one = exact_mi(T[2], y)  # (N, d) gives floats, the same numbers
    assert one.ixt == pytest.approx(got.ixt[2]) and one.ity == pytest.approx(got.ity[2])


def test_exact_mi_bounds_and_constant_layer():
    rng = np.random.default_rng(7)
    T = rng.integers(0, 3, (2, 64, 2)).astype(np.float64)
    y = rng.integers(0, 2, 64)
    p = exact_mi(T, y)
    assert np.all(p.ity <= p.ixt + 1e-12) and np.all(p.ixt <= np.log2(9) + 1e-12)
    c = exact_mi(np.zeros((64, 3)), y)
    assert c.ixt == pytest.approx(0.0) and c.ity == pytest.approx(0.0)
