"""ibutils.mi.ranged: bins on each replica's run maximum (Rasmussen 2020, Settings 1.2, 2.2-2.3)."""
import numpy as np
import pytest

from ibutils import mi
from ibutils.mi.ranged import RunMaxBinning


def test_run_max_binning_matches_per_replica_range():
    rng = np.random.default_rng(0)
    T = rng.exponential(size=(3, 200, 4)) * np.array([1.0, 5.0, 20.0])[:, None, None]
    y = rng.integers(0, 2, 200)
    scale = T.reshape(3, -1).max(axis=1)
    got = RunMaxBinning(scale, n_bins=100)(T, y)
    for r in range(3):
        ref = mi.binning(T[r], y, n_bins=100, value_range=(0, scale[r]))
        assert np.isclose(got.ixt[r], ref.ixt) and np.isclose(got.ity[r], ref.ity)
    with pytest.raises(ValueError):
        RunMaxBinning(scale)(T[:2], y)


def test_lower_end_and_strategies():
    rng = np.random.default_rng(0)
    T = np.concatenate([-rng.uniform(0, 1, size=(3, 100, 4)), rng.exponential(size=(3, 100, 4))], axis=1)
    T *= np.array([1.0, 5.0, 20.0])[:, None, None]
    T = np.maximum(T, -1.0)
    y = rng.integers(0, 2, 200)
    scale = T.reshape(3, -1).max(axis=1)
    got = RunMaxBinning(scale, n_bins=30, lo=-1.0)(T, y)
    for r in range(3):
        ref = mi.binning(T[r], y, n_bins=30, value_range=(-1.0, scale[r]))
        assert np.isclose(got.ixt[r], ref.ixt) and np.isclose(got.ity[r], ref.ity)
    tish = RunMaxBinning(scale, n_bins=30, lo=-1.0, strategy="tishby")(T, y)
    U = (T + 1.0) / (scale + 1.0)[:, None, None]
    ref = mi.binning(U, y, n_bins=30, value_range=(0.0, 1.0), strategy="tishby")
    np.testing.assert_array_equal(tish.ixt, ref.ixt)
    with pytest.raises(ValueError, match="scale"):
        RunMaxBinning([0.5, -2.0], lo=-1.0)
    with pytest.raises(ValueError, match="strategy"):
        RunMaxBinning([1.0], strategy="adaptive")


def test_lo_zero_is_bit_identical_to_dividing_by_the_maximum():
    """The harmonics chapter's old RunMaxBinning binned T / max_r on [0, 1]: lo = 0 must give the same bits."""
    rng = np.random.default_rng(4)
    T = rng.exponential(size=(3, 300, 5)).astype(np.float32)
    y = rng.integers(0, 2, 300)
    scale = T.reshape(3, -1).max(axis=1).astype(np.float64) * np.array([1.0, 1.3, 2.0])
    old = mi.binning(np.asarray(T, np.float64) / scale[:, None, None], y, n_bins=100, value_range=(0.0, 1.0))
    new = RunMaxBinning(scale, n_bins=100)(T, y)
    np.testing.assert_array_equal(new.ixt, old.ixt)
    np.testing.assert_array_equal(new.ity, old.ity)
