import numpy as np
import pytest

from ibutils.studies import weighted_binning as dpi
from ibutils.mi import weighted_binning_example


def test_dpi_gaps_and_max_violation_exact():
    np.testing.assert_array_equal(dpi.dpi_gaps([3.0, 1.0, 2.5]), [-2.0, 1.5])
    assert dpi.max_violation([3.0, 1.0, 2.5]) == 1.5
    assert dpi.max_violation([3.0, 2.0, 1.0]) == 0.0
    np.testing.assert_array_equal(dpi.max_violation([[1.0, 2.0], [2.0, 1.0]]), [1.0, 0.0])
    with pytest.raises(ValueError, match="at least 2"):
        dpi.dpi_gaps([1.0])


def test_weighted_binning_seeds_matches_example():
    df = dpi.weighted_binning_seeds([0, 1])
    assert len(df) == 4
    r = weighted_binning_example(0)
    row = df.query("seed == 0 and binning == 'standard'").iloc[0]
    assert row.hidden == r.standard[1]
    assert row.output_minus_hidden == pytest.approx(r.standard[2] - r.standard[1])
    assert row.hidden == pytest.approx(8.315457, abs=1e-6)
    w = df.query("seed == 0 and binning == 'weighted'").iloc[0]
    assert w.max_violation == pytest.approx(9.849520 - 9.838765, abs=1e-5)
    with pytest.raises(ValueError, match="seeds"):
        dpi.weighted_binning_seeds([])
