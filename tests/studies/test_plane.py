"""Tests of ibutils.studies.plane: schedules, estimator specs, histograms, summaries and a tiny sweep."""
import numpy as np
import pandas as pd
import pytest

from ibutils.studies import plane as sw


def test_schedule():
    e = sw.sweep_schedule(1000, n_log=10, n_lin=5)
    assert e[0] == 0 and e[-1] == 1000 and e == sorted(set(e)) and 250 in e


def test_summaries():
    mi = pd.DataFrame(dict(point="p", seed=np.repeat([0, 1], 6), epoch=np.tile([0, 10, 20], 4),
                           layer=np.tile(np.repeat([1, 2], 3), 2), estimator="e",
                           ixt=[1, 3, 2, 5, 5, 5, 1, 4, 2, 5, 5, 5.0], ity=0.0))
    c = sw.compression_by_point(mi).set_index("layer")
    # cross-fitted drop (ibutils.stats.compression): the peak located on one half of the snapshots
    # before the end window is measured on its neighbours: seed 0 (3 + 1.5) / 2 - 2, seed 1 (4 + 1.5) / 2 - 2
    assert c.loc[1, "mean"] == pytest.approx(0.5) and c.loc[2, "mean"] == 0
    late = sw.late_drop(mi, start=9).set_index(["seed", "layer"])["late_drop"]
    assert late.loc[(0, 1)] == pytest.approx(1.0) and late.loc[(1, 1)] == pytest.approx(2.0)
    gmax = pd.DataFrame(dict(point="p", seed=[0, 0, 1, 1], layer=[1, 2, 1, 2], grad_max=[0.0, 0.0, 0.5, 0.0]))
    fr = sw.frozen_runs(mi, gmax, hidden_layers=1).set_index("seed")
    assert not fr.loc[0, "frozen"] and fr.loc[1, "hidden_grad"] == 0.5
    assert sw.fmt_ci(1, 0.5, 1.5) == "1.000 [0.500, 1.500]" and sw.fmt_ci(np.nan, 0, 0) == "n/a"


def test_tiny_sweep_trains_each_point_alone():
    pts = [dict(point="b0", initial_bias=0.0), dict(point="b-3", initial_bias=-3.0),
           dict(point="tanh", activation="tanh", max_norm=0.8)]
    r = sw.run_sweep(pts, n_seeds=2, epochs=4, snapshots=[0, 4], probe_every=2, max_workers=2, histograms=True,
                     estimators=[{"name": "bins", "kind": "binning", "bin_size": 0.07}])
    assert list(r.points.point) == ["b0", "b0", "b-3", "b-3", "tanh", "tanh"]
    assert r.points.seed.is_unique and set(r.mi.point) == {"b0", "b-3", "tanh"} and set(r.mi.estimator) == {"bins"}
    # activation histograms (a snapshot hook): one row per run, snapshot and layer, the point's label first
    h = r.histograms
    assert list(h.columns[:6]) == ["point", "seed", "epoch", "layer", "lo", "hi"] and "b29" in h
    assert len(h) == 6 * 2 * 6 and set(h.epoch) == {0, 4} and (h.groupby("seed").point.nunique() == 1).all()
    assert "dead_fraction" in r.activity and set(r.activity.epoch) == {2, 4}
    # bias -3 kills the ReLU network: frozen, its first layer mostly dead
    fr = sw.frozen_runs(r.mi, r.grad_max, estimator="bins").set_index("point")
    assert fr.loc["b-3", "frozen"].all() and (fr.loc["b-3", "hidden_grad"] == 0).all()
    # each point is a task of its own (a stack of its seeds): its tables do not depend on the other points of
    # the sweep nor on how many run at once (serial and cluster runs do the same arithmetic)
    r2 = sw.run_sweep([dict(point="other", initial_bias=0.5), pts[1]], n_seeds=2, epochs=4, snapshots=[0, 4], probe_every=2,
                      max_workers=1, histograms=True, estimators=[{"name": "bins", "kind": "binning", "bin_size": 0.07}])
    for name in ("mi", "metrics", "activity", "grad_max", "histograms"):
        a, b = getattr(r, name), getattr(r2, name)
        pd.testing.assert_frame_equal(a[a.point == "b-3"].reset_index(drop=True), b[b.point == "b-3"].reset_index(drop=True))
    assert not r2.mi[r2.mi.point == "other"].ixt.equals(r.mi[r.mi.point == "b0"].ixt.reset_index(drop=True))
    # seed shards: 3 seeds in tasks of at most 2 give, for the first two seeds, the tables of one 2-seed task,
    # and the tables of all three in the order one ensemble gives
    r3 = sw.run_sweep(pts[:1], n_seeds=3, seeds_per_task=2, epochs=4, snapshots=[0, 4], probe_every=2,
                      estimators=[{"name": "bins", "kind": "binning", "bin_size": 0.07}])
    r1 = sw.run_sweep(pts[:1], n_seeds=2, epochs=4, snapshots=[0, 4], probe_every=2,
                      estimators=[{"name": "bins", "kind": "binning", "bin_size": 0.07}])
    assert list(r3.points.seed) == [0, 1, 2] and list(r3.points.seed_index) == [0, 1, 2]
    for name in ("mi", "metrics", "activity", "grad_max"):
        a, b = getattr(r3, name), getattr(r1, name)
        pd.testing.assert_frame_equal(a[a.seed < 2].reset_index(drop=True), b)
    assert list(r3.mi.columns) == list(r1.mi.columns) and r3.mi.groupby("estimator").seed.is_monotonic_increasing.all()
    with pytest.raises(ValueError, match="seeds_per_task"):
        sw.run_sweep(pts[:1], n_seeds=2, epochs=1, seeds_per_task=0)
    with pytest.raises(ValueError, match="unknown keys"):
        sw.run_sweep([dict(point="x", dropout=0.1)], n_seeds=1, epochs=1)
    with pytest.raises(ValueError, match=r"estimators\[0\] \(e\): 'kind'"):
        sw.run_sweep(pts[:1], n_seeds=1, epochs=1, estimators=[{"name": "e", "kind": "edge"}])


# --------------------------------------------------------------------------------------- claims
def _values(mean: float, n: int, sd: float = 0.01) -> np.ndarray:
    """``n`` values with the given mean and a small, exact spread (deterministic)."""
    z = np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1)
    return mean + sd * z


def _frozen(ranges: dict, n: int = 4) -> pd.DataFrame:
    rows = []
    for p, m in ranges.items():
        for i, v in enumerate(_values(m, n) if m else np.zeros(n)):
            rows.append(dict(point=p, seed=len(rows), mi_range=float(v), hidden_grad=0.0 if v < 1e-3 else 0.1,
                             frozen=bool(v < 1e-3)))
    return pd.DataFrame(rows)


def _late(falls: dict, n: int = 4, layer: int = 5) -> pd.DataFrame:
    return pd.DataFrame([dict(point=p, seed=i, layer=layer, late_drop=float(v), from_epoch=1000)
                         for p, m in falls.items() for i, v in enumerate(_values(m, n))])


def _verdicts(rows):
    return [r["verdict"] for r in rows]


def test_verdict_several():
    assert sw.verdict_several(["supports", "supports", "unclear"]) == "reproduced"
    assert sw.verdict_several(["supports", "unclear", "unclear"]) == "partly reproduced"
    assert sw.verdict_several(["unclear", "excludes"]) == "not reproduced"
    assert sw.verdict_several(["opposes", "unclear"]) == "contradicted"
    assert sw.verdict_several(["supports", "supports", "too few"]) == "inconclusive"
    assert sw.verdict_several([]) == "inconclusive"


def test_claims_bias_verdicts():
    biases = [-3, -1, 0, 0.2, 1, 2, 3, 5]
    labels = [f"relu {b:g}" for b in biases]
    still = {p: 0.0 for p in labels}
    kw = dict(biases=biases, late_layer=5, n_seeds=4, epochs=100)
    # frozen negative biases: I(X;T) never moves -> "absent" claim reproduced;
    # large biases that train: movement significant -> contradicted (rule book, not by hand)
    fr = _frozen({**still, "relu 3": 2.0, "relu 5": 2.0, "relu 8": 2.0})
    late = _late({"relu 0.2": 0.5, "relu 1": 0.5, "relu 2": 0.5})
    rows = sw.claims_bias(fr, late, **kw)
    assert [r["claim"] for r in rows] == [sw.CLAIM_BIAS_NEG, sw.CLAIM_BIAS_BIG, sw.CLAIM_BIAS_LATE]
    assert _verdicts(rows) == ["reproduced", "contradicted", "reproduced"]
    assert rows[0]["study_seeds"] == 1 and rows[0]["study_epochs"] == 8000 and rows[0]["n_seeds"] == 4
    # one negative bias trains -> the absence is contradicted; a wide interval -> inconclusive
    fr2 = pd.concat([_frozen({"relu -3": 0.0, "relu 3": 0.0, "relu 5": 0.0}),
                     pd.DataFrame(dict(point="relu -1", seed=range(100, 104), mi_range=[0.0, 3.0, 0.0, 3.0],
                                       hidden_grad=0.0, frozen=[True, False, True, False]))], ignore_index=True)
    # late fall: two of three significant -> partly; none with one rising -> contradicted; none -> not
    rows = sw.claims_bias(fr2, _late({"relu 0.2": 0.5, "relu 1": 0.5, "relu 2": 0.0}), **kw)
    assert _verdicts(rows) == ["inconclusive", "reproduced", "partly reproduced"]
    rows = sw.claims_bias(fr, _late({"relu 0.2": -0.5, "relu 1": 0.0, "relu 2": 0.0}), **kw)
    assert rows[2]["verdict"] == "contradicted"
    rows = sw.claims_bias(fr, _late({"relu 0.2": 0.0, "relu 1": 0.0, "relu 2": 0.0}), **kw)
    assert rows[2]["verdict"] == "not reproduced"
    # two seeds: every row inconclusive, whatever the data (also after claims_table)
    from ibutils.publish.report import claims_table

    rows = sw.claims_bias(_frozen(still, n=2), _late({"relu 0.2": 0.5, "relu 1": 0.5, "relu 2": 0.5}, n=2), **kw)
    assert set(_verdicts(rows)) == {"inconclusive"} and all(r["n_seeds"] == 2 for r in rows)
    tab = claims_table("t", rows, profile="quick")
    assert (tab.verdict == "inconclusive").all() and tab.note.str.contains("too few").all()
    # the page's late-fall word is the claim's verdict
    s = sw.late_summary(_late({"relu 0.2": 0.5, "relu 1": 0.5, "relu 2": 0.0}),
                        pd.DataFrame(columns=["point", "layer", "n", "mean", "ci_low", "ci_high"]),
                        biases=biases, tanh_bias=2, late_layer=5)
    assert s["late_word"] == "partly reproduced" and s["n_late"] == "2" and s["n_sel"] == "3"


def _comp(drops: dict, layers=(1, 2, 3, 4, 5), n: int = 4, half: float = 0.05) -> pd.DataFrame:
    """A compression_by_point-like summary: ``drops[point]`` is one mean per layer (or a scalar)."""
    rows = []
    for p, m in drops.items():
        ms = m if np.ndim(m) else [m] * len(layers)
        for l, v in zip(layers, ms):
            rows.append(dict(point=p, layer=l, n=n, mean=v, ci_low=v - half, ci_high=v + half,
                             share_compressing=float(v > 0.1)))
    return pd.DataFrame(rows)


def _acc(means: dict, n: int = 4, sd: float = 0.002) -> pd.DataFrame:
    return pd.DataFrame([dict(point=p, seed=k * 100 + i, seed_index=i, accuracy=float(v))
                         for k, (p, m) in enumerate(means.items()) for i, v in enumerate(_values(m, n, sd))])


def test_claims_weightnorm_verdicts():
    comp = _comp({"tanh none": 0.0, "tanh 0.8": [0.5, 0.5, 0, 0, 0], "relu none": 0.0, "relu 0.8": [0, 0, 0.4, 0, 0],
                  "relu 0.4": 0.0})
    acc = _acc({"tanh none": 0.90, "tanh 0.8": 0.90, "relu none": 0.90, "relu 0.8": 0.905, "relu 0.4": 0.70})
    rows = sw.claims_weightnorm(comp, acc, hidden_layers=5, n_seeds=4, epochs=1500)
    assert [r["claim"] for r in rows] == [sw.CLAIM_NORM_TANH, sw.CLAIM_NORM_RELU, sw.CLAIM_NORM_ACC, sw.CLAIM_NORM_04]
    assert _verdicts(rows) == ["reproduced", "reproduced", "reproduced", "reproduced"]
    assert rows[0]["study_seeds"] == 1 and rows[0]["study_epochs"] == 1500
    # one tanh layer -> partly; every ReLU layer rising -> contradicted (verdict_any: opposite in all);
    # a 5-point loss -> contradicted; 0.4 better than none -> contradicted
    comp = _comp({"tanh 0.8": [0.5, 0, 0, 0, 0], "tanh none": 0.0, "relu 0.8": -0.5, "relu none": 0.0})
    acc = _acc({"tanh none": 0.90, "tanh 0.8": 0.85, "relu none": 0.80, "relu 0.8": 0.80, "relu 0.4": 0.90})
    assert _verdicts(sw.claims_weightnorm(comp, acc, hidden_layers=5, n_seeds=4, epochs=1500)) == [
        "partly reproduced", "contradicted", "contradicted", "contradicted"]
    # nothing significant (one ReLU layer rising is not enough to contradict "somewhere"): not reproduced;
    # a noisy accuracy change -> inconclusive
    comp = _comp({"tanh 0.8": 0.0, "relu 0.8": [0, -0.5, 0, 0, 0], "tanh none": 0.0, "relu none": 0.0})
    acc = _acc({"tanh none": 0.90, "tanh 0.8": 0.90, "relu none": 0.90, "relu 0.8": 0.90, "relu 0.4": 0.90})
    acc.loc[acc.point == "tanh 0.8", "accuracy"] = [0.98, 0.84, 0.97, 0.83]  # paired changes +-0.07
    assert _verdicts(sw.claims_weightnorm(comp, acc, hidden_layers=5, n_seeds=4, epochs=1500)) == [
        "not reproduced", "not reproduced", "inconclusive", "not reproduced"]
    # too few seeds
    comp = _comp({"tanh 0.8": 0.5, "relu 0.8": 0.5}, n=2)
    acc = _acc({"tanh none": 0.9, "tanh 0.8": 0.9, "relu none": 0.9, "relu 0.8": 0.9, "relu 0.4": 0.7}, n=2)
    assert set(_verdicts(sw.claims_weightnorm(comp, acc, hidden_layers=5, n_seeds=2, epochs=40))) == {"inconclusive"}


def test_claims_without_published_result_are_inconclusive():
    comp = _comp({"relu": 0.5, "relu + BN": 0.0})
    acc = _acc({"relu": 0.9, "relu + BN": 0.95})
    rows = sw.claims_batchnorm(comp, acc, activations=["relu"], hidden_layers=5, n_seeds=4, epochs=1500)
    assert _verdicts(rows) == ["inconclusive"] and "without BN 5, with BN 0 of 5" in rows[0]["measured"]
    # the pages' sentences count intervals above the margin from 2 seeds on; the claims need 3
    two = _comp({"relu": 0.5}, n=2)
    assert sw.compressing_layers(two, "relu", [1, 2], margin=0.1) == 2
    assert sw.compressing_layers(two, "relu", [1, 2], margin=0.1, significant=True) == 0
    assert rows[0]["study_seeds"] is None and rows[0]["study_epochs"] == 1500 and rows[0]["note"]
    last = _comp({"relu [10]": 0.5, "relu [1,1,1,1]": 0.0}, layers=(1,)).set_index("point")
    rows = sw.claims_architecture(last, activations=["relu"], n_arch=2, noise_variance=1e-3, n_seeds=4, epochs=100)
    assert _verdicts(rows) == ["inconclusive"] and "significant in 1 of 2 architectures" in rows[0]["measured"]


def test_crossfit_range_is_unbiased_for_a_flat_quantity():
    rng = np.random.default_rng(0)
    flat = [sw.crossfit_range(rng.normal(size=(10, 6))).mean() for _ in range(400)]
    plain = [np.ptp(rng.normal(size=(10, 6)).mean(axis=0)) for _ in range(400)]
    assert abs(np.mean(flat)) < 0.05 and np.mean(plain) > 0.5  # the plain spread of the means is biased
    x = np.tile([0.0, 1.0, 0.0], (4, 1)) + rng.normal(scale=0.01, size=(4, 3))
    np.testing.assert_allclose(sw.crossfit_range(x), 1.0, atol=0.05)
    assert np.isnan(sw.crossfit_range(np.ones((1, 3)))).all()


def _drops(cells: dict, values, points, n: int = 4) -> pd.DataFrame:
    """Per-seed drops: ``cells[(kind, value, point)]`` is the mean (default 0)."""
    rows = []
    for k in sw.ESTIMATOR_KINDS:
        for v in values:
            for p in points:
                for s, d in enumerate(_values(cells.get((k, v, p), 0.0), n)):
                    rows.append(dict(estimator=f"{k} {v:g}", point=p, seed=s, layer=4, drop=float(d), kind=k,
                                     value=float(v), compresses=bool(d > 0.1)))
    return pd.DataFrame(rows)


def _final_mi(ixt: dict, points, n: int = 4, est: str = "binning 1e-05", layers=(1, 2, 3, 4)) -> pd.DataFrame:
    return pd.DataFrame([dict(point=p, seed=s, epoch=100, layer=l, estimator=est, ixt=float(v), ity=0.0)
                         for p in points for l in layers for s, v in enumerate(_values(ixt.get((p, l), 12.0), n))])


def test_claims_estimators_verdicts():
    values, pts = [1e-5, 1e-1, 1.0], ["tanh adam"]
    kw = dict(values=values, points=pts, hidden_layers=4, n_seeds=4, epochs=8000)
    # the parameter moves every estimator's drop, binning and upper agree, all layers at 12 bits
    cells = {(k, 1e-1, "tanh adam"): 1.0 for k in sw.ESTIMATOR_KINDS}
    rows = sw.claims_estimators(_drops(cells, values, pts), _final_mi({}, pts), **kw)
    assert [r["claim"] for r in rows] == [sw.CLAIM_EST_INFLUENCE, sw.CLAIM_EST_LIKE, sw.CLAIM_EST_SMALL]
    assert _verdicts(rows) == ["reproduced", "reproduced", "reproduced"]
    assert rows[0]["study_seeds"] == 5 and rows[0]["study_epochs"] == 8000
    # only binning moves: influence partly; binning and upper differ: "acts like" contradicted;
    # a deep layer below the first: "no difference" contradicted
    cells = {("binning", 1e-1, "tanh adam"): 1.0}
    rows = sw.claims_estimators(_drops(cells, values, pts), _final_mi({("tanh adam", 4): 9.0}, pts), **kw)
    assert _verdicts(rows) == ["partly reproduced", "contradicted", "contradicted"]
    # nothing moves: influence not reproduced; a noisy layer difference: inconclusive
    mi = pd.concat([_final_mi({}, pts, layers=(1, 2, 3)),
                    pd.DataFrame(dict(point="tanh adam", seed=range(4), epoch=100, layer=4, estimator="binning 1e-05",
                                      ixt=[12.0, 11.0, 12.0, 11.0], ity=0.0))], ignore_index=True)
    rows = sw.claims_estimators(_drops({}, values, pts), mi, **kw)
    assert _verdicts(rows) == ["not reproduced", "reproduced", "inconclusive"]
    # too few seeds
    rows = sw.claims_estimators(_drops(cells, values, pts, n=2), _final_mi({}, pts, n=2), **kw)
    assert set(_verdicts(rows)) == {"inconclusive"}


def test_page_sentences_follow_the_numbers():
    w = np.array([1.0, 2.0])

    def msw(relu, tanh):
        return pd.DataFrame([dict(activation=a, bias=b, w=x, entropy=h)
                             for a, hs in (("relu", relu), ("tanh", tanh)) for b, h in zip((0.0, 2.0), hs)
                             for x in w])

    s = sw.minimal_bias_summary(msw((1.0, 1.5), (1.5, 1.0)))["minimal_sentence"]
    assert "raises the entropy of ReLU's output" in s and "lowers that of tanh" in s and "saturation" in s
    s = sw.minimal_bias_summary(msw((1.0, 1.02), (1.5, 1.49)))["minimal_sentence"]
    assert "less than 0.1 bit for both" in s and "saturation" not in s
    s = sw.minimal_bias_summary(msw((1.5, 1.0), (1.0, 1.02)))["minimal_sentence"]
    assert "lowers the entropy of ReLU's output" in s and "leaves that of tanh unchanged" in s
    assert "half-zero" not in s
    # the overview: no data, no finding; seeds in words from the points tables
    assert sw.headline(None, None, None, None).startswith("No sweep results")
    pts = pd.DataFrame(dict(setting=["plane_bias"] * 4 + ["plane_batchnorm"] * 6, point=list("aabb") + list("cccddd")))
    runs = sw.runs_table(pts)
    assert list(runs.runs) == [4, 6] and sw.seeds_text(runs) == "2 to 3 seeds"
    assert sw.seeds_text(sw.runs_table(None)).startswith("several")
    f = sw.found_summary(pd.DataFrame(dict(setting=["plane_bias"], verdict=["reproduced"])))
    assert f["n_found"] == "1" and "plane_bias" not in f["missing"]
    assert sw.found_summary(None)["found_text"].startswith("The sweeps' results were not found")
    fz = pd.DataFrame(dict(point=["relu -3", "relu -3", "relu 5", "tanh 2"], frozen=[True, True, False, False]))
    est = pd.DataFrame(dict(estimator=["binning 1e-05", "binning 0.1"], point="tanh adam", mean=[0.0, 1.0]))
    last = pd.DataFrame(dict(sweep="plane_bias", point=["relu 0", "relu 1"], mean=[0.1, 0.2]))
    h = sw.headline(pd.DataFrame(dict(verdict=["reproduced", "inconclusive"])), fz, last, est)
    assert "2 of 2 runs with a negative bias" in h and "0 of 1 with a bias of 3 or more" in h
    assert "1.000 bits" in h and "more than" in h and "reproduced: 1, inconclusive: 1" in h
    sc = sw.scale_table(pd.DataFrame(dict(chapter=["c"], profile=["paper"], n_seeds=[10], epochs=[8000],
                                          study_seeds=[1], study_epochs=[8000])))
    assert "paper scale" in sc.scale[0] and "at its scale" in sc.scale[0]
    sc = sw.scale_table(pd.DataFrame(dict(chapter=["c"], profile=["quick"], n_seeds=[2], epochs=[100],
                                          study_seeds=[1], study_epochs=[8000])))
    assert "paper" not in sc.scale[0] and "below its scale" in sc.scale[0]
