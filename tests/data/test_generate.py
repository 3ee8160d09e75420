"""Tests of ibutils.data.generate: the regenerated 12-bit dataset and the label statistics."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from scipy import special, stats

from ibutils.data import generate as h

REAL_DIR = os.environ.get("IBUTILS_DATA_DIR", "")


@pytest.fixture
def original():
    if not REAL_DIR:
        pytest.skip("IBUTILS_DATA_DIR is not set: real-data test skipped (CI sets it to ../shared/data)")
    if not (Path(REAL_DIR) / "harmonics/var_u.mat").is_file():
        pytest.skip("var_u.mat is missing from IBUTILS_DATA_DIR")
    from ibutils.data import load_var_u

    F, y, _ = load_var_u(download=False)
    return F, y


def test_share_by_active_bits_reproduces_original(original):
    F, y = original
    np.testing.assert_array_equal(F, h.all_patterns())  # var_u is in binary-counting order
    share = h.share_by_active_bits(y, F)
    np.testing.assert_allclose(share, h.ORIGINAL_SHARE_BY_ACTIVE_BITS, rtol=0, atol=1e-15)
    np.testing.assert_allclose(100 * share[5:8], [7.5757575757, 57.5757575757, 92.4242424242], atol=1e-8)
    assert np.all(share[:5] == 0) and np.all(share[8:] == 1)
    info = h.label_information(y)
    assert info["H_Y_given_X"] == 0 and info["I_XY"] == pytest.approx(0.99916, abs=1e-5)


def test_original_constant_is_consistent():
    counts = np.bincount(h.active_bits(), minlength=13)
    assert counts.tolist()[5:8] == [792, 924, 792]
    assert round(float(counts @ h.ORIGINAL_SHARE_BY_ACTIVE_BITS)) == 2118


def test_generator_shapes_and_determinism():
    X, y, p = h.generate_harmonics(seed=0)
    assert X.shape == (4096, 12) and X.dtype == np.uint8
    assert y.shape == p.shape == (4096,) and y.dtype == np.int64
    X2, y2, p2 = h.generate_harmonics(seed=0)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(p, p2)
    _, y3, _ = h.generate_harmonics(seed=1)
    assert not np.array_equal(y, y3)
    np.testing.assert_array_equal(X, h.all_patterns())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generator_statistics_are_sensible(seed):
    g = h.harmonics_generation(seed=seed)
    share = h.share_by_active_bits(g.y)
    assert share[6] == pytest.approx(0.5758, abs=0.002)  # by construction of the threshold
    assert share[0] == 0 and share[12] == 1
    assert np.all(np.diff(share) >= 0)  # more active bits, more positives
    info = h.label_information(g.p_y1)
    assert 0.45 < info["p_y1"] < 0.6
    assert 0.9 < info["I_XY"] < info["H_Y"] <= 1.0


def test_deep_bottleneck_draws_reproduce_published_numbers():
    """The notebook (Deep Bottleneck documentation §9.3.2) printed θ ≈ 468.67 and these shares."""
    g = h.harmonics_generation(scheme="deep_bottleneck")
    assert round(g.threshold, 2) == h.DEEP_BOTTLENECK_THRESHOLD
    share = 100 * h.share_by_active_bits(g.y)
    np.testing.assert_allclose(share[5:8], [9.848484848484848, 57.57575757575758, 96.08585858585859],
                               atol=1e-9)
    assert np.all(share[:5] == 0) and np.all(share[8:] == 100)


def test_frequency_components_match_direct_loop():
    """The vectorised G equals the seed's loop ``Σ_m a_nm[n][m] sph_harm(m, n, θ, φ)``."""
    rng = np.random.default_rng(5)
    az, pol = h.sample_sphere(4, rng)
    L = 6
    coeffs = h.random_coefficients(L, rng)
    G = h.frequency_components(az, pol, coeffs, L)
    for i in range(4):
        for n in range(L + 1):
            direct = sum(coeffs[n * n + n + m] * special.sph_harm_y(n, m, pol[i], az[i])
                         for m in range(-n, n + 1))
            assert G[i, n] == pytest.approx(direct, abs=1e-12)
    X = h.all_patterns(4)
    f = h.rotation_invariant_energy(X, G)
    assert f[0] == 0 and f[-1] == pytest.approx(np.abs(G.sum(axis=0)).sum())


def test_sphere_sampling_is_uniform():
    az, pol = h.sample_sphere(20000, np.random.default_rng(0))
    assert stats.kstest(np.cos(pol), "uniform", args=(-1, 2)).pvalue > 1e-3
    assert stats.kstest(az, "uniform", args=(0, 2 * np.pi)).pvalue > 1e-3


def test_sampled_labels_and_gamma():
    a = h.harmonics_generation(seed=0, labels="sample")
    b = h.harmonics_generation(seed=0, labels="sample")
    t = h.harmonics_generation(seed=0)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.p_y1, t.p_y1)
    assert 0 < np.mean(a.y != t.y) < 0.05
    sharp = h.harmonics_generation(seed=0, gamma=100.0)
    assert h.label_information(sharp.p_y1)["I_XY"] > h.label_information(t.p_y1)["I_XY"]


def test_label_information_values():
    info = h.label_information(np.full(8, 0.5))
    assert info["H_Y"] == pytest.approx(1.0) and info["I_XY"] == pytest.approx(0.0)
    info = h.label_information(np.array([0, 1, 0, 1]))
    assert info["I_XY"] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        h.label_information(np.array([1.5]))


def test_compare_with_original(original):
    _, y = original
    g = h.harmonics_generation(seed=0)
    from ibutils.data import compare_with_original  # lives in data.harmonics (it loads the original set)

    out = compare_with_original(g.p_y1, original=y)
    by_bits, summary = out["by_active_bits"], out["summary"]
    assert by_bits.shape == (13, 3) and by_bits["n_patterns"].sum() == 4096
    np.testing.assert_allclose(by_bits["original_pct"], 100 * h.ORIGINAL_SHARE_BY_ACTIVE_BITS)
    assert summary.loc["I_XY", "original"] == pytest.approx(0.99916, abs=1e-5)
    assert summary.loc["p_y1", "generated"] == pytest.approx(g.p_y1.mean())


def test_bad_arguments():
    with pytest.raises(ValueError, match="labels"):
        h.harmonics_generation(labels="soft")
    with pytest.raises(ValueError, match="scheme"):
        h.harmonics_generation(scheme="x")
    with pytest.raises(ValueError, match="max_degree"):
        h.harmonics_generation(max_degree=-1)
