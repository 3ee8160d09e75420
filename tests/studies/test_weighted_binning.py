import numpy as np
import pandas as pd
import pytest

from ibutils.mi import weighted_binning_example
from ibutils.publish import report
from ibutils.studies import weighted_binning as dpi


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


# ------------------------------------------------------------------------------- the page's claims
class _One:
    """A stand-in for ``weighted_binning_example``'s result."""

    def __init__(self, standard, weighted):
        self.standard, self.weighted = np.asarray(standard, float), np.asarray(weighted, float)


def _runs(n_seeds=5, *, std_gain=1.7, w_viol=0.02, noise=0.02):
    """A constructed :func:`weighted_binning_seeds` table: the standard hidden layer ``std_gain`` bits
    below the input, the weighted one ``w_viol`` bits below; each seed adds ``noise * (seed - mean)``."""
    rows = []
    for s in range(n_seeds):
        e = noise * (s - (n_seeds - 1) / 2)
        for name, loss in (("standard", std_gain + e), ("weighted", w_viol + e)):
            h = [9.8, 9.8 - loss, 9.8]
            rows.append(dict(seed=s, binning=name, input=h[0], hidden=h[1], output=h[2], hidden_minus_input=-loss,
                             output_minus_hidden=loss, max_violation=float(dpi.max_violation(h))))
    return pd.DataFrame(rows)


SEED_ONE = _One(dpi.SEED_STANDARD, dpi.SEED_WEIGHTED)
OUR_ONE = _One([9.839, 8.315, 9.839], [9.839, 9.850, 9.839])


def _verdicts(one=SEED_ONE, runs=None, **kw):
    rows = dpi.claims(one, _runs() if runs is None else runs, **kw)
    return [r["verdict"] for r in rows], rows


def test_claims_seed_numbers_are_a_fact_about_one_draw():
    assert _verdicts(SEED_ONE)[0][0] == "reproduced"
    assert _verdicts(OUR_ONE)[0][0] == "partly reproduced"  # the pattern, not the digits
    assert _verdicts(_One([9.8, 9.7, 9.8], [9.8, 9.8, 9.8]))[0][0] == "not reproduced"
    v, rows = _verdicts(SEED_ONE, n_edges=30)  # the page's hint `-p n_edges=30`: not the seed's setting
    assert v == ["different setting"] * 4
    assert "n_edges 30 (the study: 50); at this setting the rules give: reproduced" in rows[0]["note"]
    assert rows[0]["claim"].startswith("One draw (1,000 samples, 30 edges)") and "30 edges" in rows[3]["claim"]
    assert "different setting" not in dpi.conclusion(rows)
    assert _verdicts(SEED_ONE)[1][0]["n_seeds"] is None


def test_claims_reproduced_not_reproduced_and_contradicted():
    v, rows = _verdicts(runs=_runs(w_viol=0.25))  # weighted violates, below a quarter of 1.7 by > 0.1
    assert v[1:] == ["reproduced"] * 3
    assert all(r["study_seeds"] == 1 and r["study_epochs"] == 0 and r["n_seeds"] == 5 for r in rows[1:])
    v, _ = _verdicts(runs=_runs(w_viol=0.02))  # the seed's size: below the margin
    assert v[1:] == ["reproduced", "not reproduced", "reproduced"]
    v, _ = _verdicts(runs=_runs(w_viol=0.4))  # a violation, but not much smaller (0.425 - 0.4 < margin)
    assert v[1:] == ["reproduced", "reproduced", "not reproduced"]
    v, _ = _verdicts(runs=_runs(w_viol=1.0))  # weighted as bad as 1.0: opposite of "much smaller"
    assert v[3] == "contradicted"
    v, _ = _verdicts(runs=_runs(std_gain=-0.5))  # the output significantly *below* the hidden layer
    assert v[1] == "contradicted"
    v, _ = _verdicts(runs=_runs(w_viol=0.3, noise=0.3))  # wide intervals: nothing significant
    assert v[2] == "not reproduced"


def test_claims_too_few_seeds_are_inconclusive():
    v, rows = _verdicts(runs=_runs(n_seeds=2, w_viol=0.25))
    assert v == ["reproduced"] + ["inconclusive"] * 3
    df = report.claims_table("weighted", rows)
    assert df.verdict.tolist() == v


def test_conclusion_follows_the_verdicts():
    _, rows = _verdicts(runs=_runs(w_viol=0.25))
    assert dpi.conclusion(rows) == ("Standard binning violates the DPI of this lossless network; weighted binning "
                                    "does too; with a much smaller violation, as the Deep Bottleneck analyses conclude.")
    _, rows = _verdicts(runs=_runs(w_viol=0.02))
    assert "that weighted binning still violates it is not reproduced" in dpi.conclusion(rows)


def test_page_helpers_on_real_runs():
    runs = dpi.weighted_binning_seeds([0, 1, 2])
    summ = dpi.seeds_summary(runs)
    assert set(summ.quantity) == set(dpi.QUANTITIES) and (summ.n == 3).all()
    g = dpi.seeds_glue(runs)
    assert g["wbs_n_seeds"] == 3 and 0 <= g["wbs_share_smaller"] <= 100
    assert g["wbs_seed_violation"] == pytest.approx(0.009, abs=1e-3)
    one = weighted_binning_example(0)
    g1 = dpi.one_seed_glue(one, n_samples=1000, n_edges=50)
    assert g1["wb_standard_hidden"] == pytest.approx(8.315, abs=1e-3)
    assert g1["wb_pattern_text"] == "The pattern is the Deep Bottleneck analyses', the digits are not"
    assert g1["wb_log2n"] == pytest.approx(9.966, abs=1e-3)
    assert list(dpi.one_seed_table(one).columns) == list(dpi.LAYERS)
