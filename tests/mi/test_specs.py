"""ibutils.mi.specs: params-file estimator specs to estimator callables."""
import numpy as np
import pytest

from ibutils import mi
from ibutils.mi.kde_bank import KDEBank
from ibutils.mi.ranged import RunMaxBinning
from ibutils.mi.specs import make_estimators, parse_specs


def test_parse_specs_validates_and_names_index_and_key():
    specs = parse_specs([{"name": "a", "kind": "binning", "n_bins": 30, "value_range": [-1, 1]},
                         {"name": "b", "kind": "run_max", "n_bins": 100, "subset": "test"}])
    assert specs[0].kwargs["value_range"] == (-1, 1) and specs[1].subset == "test"
    assert parse_specs(specs) == specs  # parsed specs pass through
    with pytest.raises(ValueError, match=r"estimators\[0\] \(a\): 'kind'"):
        parse_specs([{"name": "a", "kind": "nope"}])
    with pytest.raises(ValueError, match=r"estimators\[1\] \(a\): duplicate"):
        parse_specs([{"name": "a", "kind": "kde"}, {"name": "a", "kind": "kde"}])
    with pytest.raises(ValueError, match=r"estimators\[0\] \(a\): 'subset'"):
        parse_specs([{"name": "a", "kind": "kde", "subset": "val"}])
    with pytest.raises(ValueError, match=r"estimators\[1\]: missing 'name'"):
        parse_specs([{"name": "a", "kind": "kde"}, {"kind": "kde"}])
    with pytest.raises(ValueError, match=r"estimators\[0\] \(r\): unknown key\(s\) \['value_range'\]"):
        parse_specs([{"name": "r", "kind": "range_max", "value_range": [0, 1]}])
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['n_bin'\]"):
        parse_specs([{"name": "b", "kind": "binning", "n_bin": 30}])
    with pytest.raises(ValueError, match=r"estimators\[0\]: expected a mapping"):
        parse_specs(["binning"])
    with pytest.raises(ValueError, match="'kind'"):
        parse_specs([{"name": "e", "kind": "edge"}], kinds=("binning", "kde"))


def test_subset_estimator_uses_rows():
    rng = np.random.default_rng(1)
    T = rng.normal(size=(2, 50, 3))
    y = rng.integers(0, 2, 50)
    ests = make_estimators([{"name": "t", "kind": "binning", "subset": "test", "n_bins": 5, "value_range": [-3, 3]},
                            {"name": "tr", "kind": "kde", "subset": "train", "noise_variance": 0.1}],
                           X_probe=np.zeros((50, 2)), n_train=40)
    got = ests["t"](T, y)
    ref = mi.binning(T[:, 40:], y[40:], n_bins=5, value_range=(-3, 3))
    assert np.allclose(got.ixt, ref.ixt)
    np.testing.assert_array_equal(ests["tr"](T, y).ixt, mi.kde(T[:, :40], y[:40], noise_variance=0.1).ixt)
    with pytest.raises(ValueError, match=r"estimators\[0\] \(t\): 'subset'"):
        make_estimators([{"name": "t", "kind": "binning", "subset": "test"}], n_probe=50)


def test_run_max_kinds_need_the_maxima():
    rng = np.random.default_rng(2)
    T = rng.exponential(size=(2, 40, 3))
    y = rng.integers(0, 2, 40)
    specs = [{"name": "rm", "kind": "run_max"}, {"name": "ra", "kind": "range_max", "lo": -1.0, "strategy": "tishby"},
             {"name": "b", "kind": "binning"}]
    assert list(make_estimators(specs)) == ["b"]  # skipped without run_max
    scale = T.reshape(2, -1).max(axis=1)
    ests = make_estimators(specs, run_max=scale)
    assert isinstance(ests["rm"], RunMaxBinning) and ests["rm"].n_bins == 100 and ests["rm"].lo == 0.0
    assert ests["ra"].n_bins == 30 and ests["ra"].lo == -1.0 and ests["ra"].strategy == "tishby"
    np.testing.assert_array_equal(ests["rm"](T, y).ixt, RunMaxBinning(scale, n_bins=100)(T, y).ixt)


def test_edge_and_exact_kinds():
    rng = np.random.default_rng(3)
    X = rng.integers(0, 2, size=(60, 4)).astype(float)
    T = np.tanh(rng.normal(size=(2, 60, 3)))
    y = rng.integers(0, 2, 60)
    with pytest.raises(ValueError, match=r"estimators\[0\] \(e\): kind 'edge' needs X_probe"):
        make_estimators([{"name": "e", "kind": "edge"}], n_probe=60)
    ests = make_estimators([{"name": "e", "kind": "edge", "subset": "test"}, {"name": "x", "kind": "exact"}],
                           X_probe=X, n_train=40)
    got = ests["e"](T, y)
    assert np.isclose(got.ixt[1], mi.edge(X[40:], T[1, 40:], U=12.0))
    assert np.isclose(got.ity[0], mi.edge(T[0, 40:], y[40:].astype(float), U=1.0))
    np.testing.assert_array_equal(ests["x"](T, y).ixt, [np.log2(60)] * 2)


def test_kde_bank_on_sampled_rows_shares_one_pass():
    rng = np.random.default_rng(0)
    T = np.tanh(rng.normal(size=(3, 64, 4)))
    y = rng.integers(0, 2, 64)
    specs = [{"name": "b", "kind": "binning", "bin_size": 0.07},
             {"name": "u", "kind": "kde", "noise_variance": 1e-3, "bound": "upper"},
             {"name": "l", "kind": "kde", "noise_variance": 1e-3, "bound": "lower"}]
    ests = make_estimators(specs, n_probe=64, kinds=("binning", "kde"), kde_bank="numpy", kde_samples=32)
    assert list(ests) == ["b", "u", "l"]
    np.testing.assert_allclose(ests["b"](T, y).ixt, mi.binning(T, y, bin_size=0.07).ixt)
    rows = np.sort(np.random.default_rng(0).choice(64, 32, replace=False))
    np.testing.assert_allclose(ests["u"](T, y).ixt, mi.kde(T[:, rows], y[rows], noise_variance=1e-3).ixt, rtol=1e-6)
    np.testing.assert_allclose(ests["l"](T, y).ixt, mi.kde(T[:, rows], y[rows], noise_variance=1e-3, bound="lower").ixt,
                               rtol=1e-6)
    banks = {c.cell_contents for name in ("u", "l") for c in ests[name].keywords["f"].__closure__
             if isinstance(c.cell_contents, KDEBank)}
    assert len(banks) == 1 and banks.pop().passes == 1  # u and l on the same layer: one distance pass
    with pytest.raises(ValueError, match="kind"):
        make_estimators([{"name": "x", "kind": "ksg"}], n_probe=64, kinds=("binning", "kde"))
    with pytest.raises(ValueError, match="duplicate"):
        make_estimators([{"name": "x", "kind": "binning"}] * 2, n_probe=64)
    with pytest.raises(ValueError, match=r"estimators\[0\] \(u\): key\(s\) \['chunk_size'\]"):
        make_estimators([{"name": "u", "kind": "kde", "chunk_size": 10}], kde_bank="numpy")


def test_ksg_kind_per_replica():
    """kind 'ksg' (issue 17): I(X;T) against the probe inputs, I(T;Y) against the labels, per replica."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2))
    T = np.stack([X + 0.1 * rng.normal(size=X.shape), rng.normal(size=X.shape)])
    y = (X[:, 0] > 0).astype(int)
    f = make_estimators([{"name": "k", "kind": "ksg", "k": 3}], X_probe=X)["k"]
    r = f(T, y)
    np.testing.assert_allclose(r.ixt, [mi.ksg(X, T[0], k=3), mi.ksg(X, T[1], k=3)])
    np.testing.assert_allclose(r.ity, [mi.ksg(T[0], y.astype(float), k=3), mi.ksg(T[1], y.astype(float), k=3)])
    assert r.ixt[0] > r.ixt[1]
    with pytest.raises(ValueError, match="X_probe"):
        make_estimators([{"name": "k", "kind": "ksg"}], n_probe=64)
