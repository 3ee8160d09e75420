import numpy as np
import pytest

from ibutils.studies import minimal_model as minimal
from ibutils.mi.entropy import binned_entropy_rows


def test_binned_entropy_exact_values():
    # four values in four equal bins: 2 bits; the maximum falls in the last bin
    assert binned_entropy_rows([0.0, 1.0, 2.0, 3.0], 4)[0] == pytest.approx(2.0, abs=1e-12)
    # two bins over [0, 3]: {0, 1} | {2, 3} -> 1 bit
    assert binned_entropy_rows([0.0, 1.0, 2.0, 3.0], 2)[0] == pytest.approx(1.0, abs=1e-12)
    # a constant has zero entropy whatever the bins
    assert binned_entropy_rows(np.ones(10), 30)[0] == 0.0
    # a fixed range: values outside fall in the end bins
    h = binned_entropy_rows([-5.0, -0.9, 0.9, 5.0], 2, value_range=(-1, 1))[0]
    assert h == pytest.approx(1.0, abs=1e-12)
    # "global" uses one range for all rows, "row" each row's own
    rows = np.array([[0.0, 1.0], [0.0, 10.0]])
    np.testing.assert_allclose(binned_entropy_rows(rows, 2, "row"), [1.0, 1.0])
    np.testing.assert_allclose(binned_entropy_rows(rows, 2, "global"), [0.0, 1.0])


def test_binned_entropy_rejects_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        binned_entropy_rows([0.0, np.nan], 2)
    with pytest.raises(ValueError, match="n_bins"):
        binned_entropy_rows([0.0, 1.0], 0)
    with pytest.raises(ValueError, match="empty"):
        binned_entropy_rows(np.empty((1, 0)), 2)


def test_weight_grid_matches_the_study():
    w = minimal.weight_grid()
    assert len(w) == 199 and w[0] == 0.1 and w[-1] == 19.9


def test_input_entropies_match_the_study():
    """The seed reports 5.11 bits (50 bins) and, for its second sample, 4.98 and 1.76 bits."""
    x1, x2 = minimal.sample_inputs(1000, 0)
    assert binned_entropy_rows(x1, 50)[0] == pytest.approx(5.11, abs=0.005)
    assert binned_entropy_rows(x2, 50)[0] == pytest.approx(4.98, abs=0.005)
    assert binned_entropy_rows(x2, 5)[0] == pytest.approx(1.76, abs=0.005)


def test_positively_homogeneous_units_are_flat_under_per_weight_bins():
    x, _ = minimal.sample_inputs(500, 3)
    w = minimal.weight_grid(0.5, 5.0, 0.5)
    sweep = minimal.entropy_sweep(x, w, ["linear", "relu"], n_bins=20, mode="per_weight")
    h_in = binned_entropy_rows(x, 20)[0]
    lin = sweep.query("activation == 'linear'").entropy
    np.testing.assert_allclose(lin, h_in, atol=1e-9)
    relu = sweep.query("activation == 'relu'").entropy
    assert np.ptp(relu) < 1e-9


def test_tanh_falls_under_global_bins_and_trends_classify():
    x, _ = minimal.sample_inputs(1000, 0)
    sweep = minimal.entropy_sweep(x, minimal.weight_grid(), ["tanh", "linear"], n_bins=50, mode="global")
    t = minimal.trends(sweep).set_index("activation")
    assert t.loc["tanh", "direction"] == "falls"
    assert t.loc["linear", "direction"] == "rises"
    with pytest.raises(ValueError, match="mode"):
        minimal.entropy_sweep(x, [1.0], ["tanh"], mode="weird")
