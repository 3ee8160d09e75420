import numpy as np
import pandas as pd
import pytest

from ibutils.publish.report import claims_table
from ibutils.studies import measuring_information as ed


def test_all_binary_patterns_exact():
    p = ed.all_binary_patterns(3)
    assert p.shape == (8, 3)
    np.testing.assert_array_equal(p[5], [1, 0, 1])
    assert len(np.unique(ed.all_binary_patterns(12), axis=0)) == 4096
    with pytest.raises(ValueError, match="n_bits"):
        ed.all_binary_patterns(0)


def test_known_answers_values():
    df = ed.known_answers(seed=0, n_samples=2000).set_index(["case", "estimator"])
    exact = df[df.index.get_level_values(0).str.startswith("4,096")]
    np.testing.assert_array_equal(exact.estimate.to_numpy(), [12.0, 12.0])
    onehot = df.xs("binning, 2 bins on [0, 1]", level=1)
    assert onehot.loc[onehot.index.str.startswith("one-hot"), "estimate"].item() == pytest.approx(2.0, abs=1e-12)
    chan = df[df.index.get_level_values(0).str.startswith("Gaussian channel")]
    upper = chan.xs("KDE upper bound", level=1).iloc[0]
    lower = chan.xs("KDE lower bound", level=1).iloc[0]
    assert lower.estimate < upper.truth < upper.estimate  # the bounds bracket the truth
    ksg_row = df.xs("KSG (k = 3)", level=1)
    corr = ksg_row[ksg_row.index.str.startswith("correlated")].iloc[0]
    assert corr.estimate == pytest.approx(corr.truth, abs=0.1)
    indep_edge = df.xs("EDGE", level=1).loc["independent Gaussians"]
    assert abs(indep_edge.estimate) < 0.05
    np.testing.assert_allclose(df.error, df.estimate - df.truth)


def test_known_answers_rejects_bad_rho():
    with pytest.raises(ValueError, match="rho"):
        ed.known_answers(rho=1.0)


def test_random_tanh_layer_seeded_and_scaled():
    x = ed.all_binary_patterns(6)
    a, b = ed.random_tanh_layer(x, 4, 3.0, seed=1), ed.random_tanh_layer(x, 4, 3.0, seed=1)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (64, 4)
    assert ed.saturation_fraction(ed.random_tanh_layer(x, 4, 30.0)) > ed.saturation_fraction(a)
    with pytest.raises(ValueError, match="weight_scale"):
        ed.random_tanh_layer(x, 4, 0.0)


def test_saturation_fraction_exact():
    assert ed.saturation_fraction([0.0, 0.995, -1.0, 0.5]) == 0.5


def test_estimator_sweep_limits():
    x = ed.all_binary_patterns(8)
    y = np.arange(256) % 2
    assert ed.estimator_sweep(x, y, "n_bins", [2]).ixt.item() == 0.0  # 0 and 1 share the bin [0, 1] of (-1, 1)
    df = ed.estimator_sweep(x, y, "n_bins", [1, 2], value_range=(0, 1))
    np.testing.assert_allclose(df.ixt, [0.0, 8.0])
    df = ed.estimator_sweep(x, y, "bin_size", [0.5, 10.0])
    np.testing.assert_allclose(df.ixt, [8.0, 0.0], atol=1e-12)
    up = ed.estimator_sweep(x, y, "kde_upper", [1e-4, 100.0]).ixt.to_numpy()
    assert up[0] == pytest.approx(8.0, abs=1e-6) and up[1] < 0.1
    with pytest.raises(ValueError, match="parameter"):
        ed.estimator_sweep(x, y, "bins", [2])


def test_chain_violates_dpi_for_binning_not_exact():
    x = ed.all_binary_patterns(12)
    y = np.arange(4096) % 2
    df = ed.chain_estimates(ed.tanh_chain(x, seed=0), y)
    assert list(df.layer) == [0, 1, 2, 3]
    np.testing.assert_allclose(df.exact, 12.0)
    assert df.attrs["dpi_violation"]["exact"] == 0.0
    assert df.attrs["dpi_violation"]["binning"] > 1.0
    assert df.attrs["dpi_violation"]["kde_upper"] > 1.0
    with pytest.raises(ValueError, match="widths"):
        ed.tanh_chain(x, widths=(3,), gains=(1.0, 2.0))


def test_naive_edge_exact_cases():
    n = 500
    x = np.arange(n, dtype=float)
    # one sample per bucket and y = x: the plug-in MI is ln N nats (with 5e8 hash buckets)
    assert ed.naive_edge(x, x, epsilon=1.0, c_h=10**6) == pytest.approx(np.log(n))  # no hash collisions
    # one bucket for everything: 0
    assert ed.naive_edge(x, x[::-1], epsilon=1e6) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="epsilon"):
        ed.naive_edge(x, x, epsilon=-1.0)


def test_edge_toy_naive_bias_vs_edge():
    df = ed.edge_toy([0], n_samples=4000, epsilon_factors=(1.0, 16.0))
    fine, coarse = df.iloc[0], df.iloc[1]
    assert 2.5 < fine.naive_nats < 3.0  # the seed's 2.77 (nats) on independent data
    assert fine.naive_bits == pytest.approx(fine.naive_nats / np.log(2))
    assert coarse.naive_nats < fine.naive_nats
    assert abs(fine.edge_bits) < 0.05


# --------------------------------------------------------------------------- claims
def _inputs(exact=12.0, bs_range=5.0, kde_range=8.0, fine=(12.0, 12.0, 12.0), viol_bin=7.0, viol_exact=0.0,
            edge=(2.76, 2.78, 2.77)):
    """Constructed tables for :func:`ed.claims`: sweeps whose I(X;T) spans the given ranges, a
    3-layer chain with the given fine-grid values and DPI violations, and the EDGE toy per seed."""
    sweeps = pd.DataFrame(dict(
        parameter=["n_bins"] * 2 + ["bin_size"] * 2 + ["kde_upper"] * 2 + ["kde_lower"] * 2,
        value=[2, 1000, 1e-5, 1.0, 1e-5, 1.0, 1e-5, 1.0],
        ixt=[12 - bs_range, 12, 12, 12 - bs_range, 12, 12 - kde_range, 12, 12 - kde_range], ity=0.0))
    chain = pd.DataFrame(dict(layer=[0, 1, 2, 3], binning=[12, 4, 11, 3], bin_size=[12, 4, 11, 3],
                              bin_size_fine=[12.0, *fine], kde_upper=[12, 4, 11, 3], exact=12.0))
    chain.attrs["dpi_violation"] = dict(binning=viol_bin, bin_size=viol_bin, bin_size_fine=0.0, kde_upper=viol_bin,
                                        exact=viol_exact)
    toy = pd.DataFrame(dict(seed=range(len(edge)), epsilon_factor=1.0, naive_nats=list(edge), edge_bits=0.0))
    return dict(exact_ixt=exact, sweeps=sweeps, chain=chain, toy=toy)


def test_claims_reproduced_and_kinds():
    rows = ed.claims(**_inputs())
    assert [r["verdict"] for r in rows] == ["reproduced"] * 6
    assert [r["kind"] for r in rows[:5]] == ["demonstration"] * 5 and "kind" not in rows[5]
    df = claims_table("t", rows)
    assert list(df.kind) == ["demonstration"] * 5 + ["replication"]


def test_claims_not_reproduced_cases():
    assert ed.claims(**_inputs(exact=11.5))[0]["verdict"] == "not reproduced"
    rows = ed.claims(**_inputs(), edge_n=1000)  # another sample size than the seed's 4,000: not compared
    assert rows[-1]["verdict"] == "different setting" and "(N = 1,000)" in rows[-1]["claim"]
    assert ed.claims(**_inputs())[-1]["verdict"] != "different setting"
    assert ed.claims(**_inputs(bs_range=0.5))[1]["verdict"] == "not reproduced"
    assert ed.claims(**_inputs(kde_range=0.5))[2]["verdict"] == "not reproduced"
    # the "between layers" claim is measured between the chain's layers
    assert ed.claims(**_inputs(fine=(12.0, 11.5, 12.0)))[3]["verdict"] == "not reproduced"
    assert ed.claims(**_inputs(viol_exact=0.5))[4]["verdict"] == "not reproduced"
    assert ed.claims(**_inputs(viol_bin=0.05))[4]["verdict"] == "not reproduced"


def test_claims_edge_value_tolerances_and_seeds():
    assert ed.claims(**_inputs(edge=(2.64, 2.66, 2.65)))[5]["verdict"] == "partly reproduced"
    assert ed.claims(**_inputs(edge=(2.0, 2.1, 2.05)))[5]["verdict"] == "not reproduced"
    rows = ed.claims(**_inputs(edge=(2.76, 2.78)))
    assert rows[5]["verdict"] == "inconclusive" and rows[5]["n_seeds"] == 2


def test_chain_has_a_fine_grid_column():
    x = ed.all_binary_patterns(12)
    df = ed.chain_estimates(ed.tanh_chain(x, seed=0), np.arange(4096) % 2)
    np.testing.assert_allclose(df.bin_size_fine, 12.0)  # bins of 1e-5 keep every pattern apart
    assert df.attrs["dpi_violation"]["bin_size_fine"] == 0.0
