"""Tests of ibutils.studies.activations (chapter "Activations and estimators")."""
import numpy as np
import pandas as pd
import pytest

from ibutils import mi
from ibutils.stats import compression
from ibutils.studies import activations as act


def _mi_frame(ixt, ity, seeds=(0, 1), estimator="e"):
    rows = []
    for s in seeds:
        for e, (xs, ys) in enumerate(zip(ixt, ity)):
            for l, (x, yv) in enumerate(zip(xs, ys), start=1):
                rows.append(dict(seed=s, epoch=[0, 10, 100, 1000][e], layer=l, estimator=estimator, ixt=x, ity=yv))
    return pd.DataFrame(rows)


def test_dpi_checks_counts_increases():
    ixt = [[5, 4, 4.5], [6, 5, 4], [7, 6, 5], [7, 6, 5]]   # layer 3 > layer 2 at epoch 0 by 0.5
    ity = [[0.5, 0.4, 0.3], [0.6, 0.7, 0.3], [0.9, 0.8, 0.7], [0.9, 0.8, 0.7]]
    c = act.dpi_checks(_mi_frame(ixt, ity), tol=0.05)
    r = c[(c.seed == 0) & (c.quantity == "ixt")].iloc[0]
    assert r.n_checks == 8 and np.isclose(r.share, 1 / 8) and np.isclose(r.max_increase, 0.5)
    r = c[(c.seed == 0) & (c.quantity == "ity")].iloc[0]
    assert np.isclose(r.share, 1 / 8) and np.isclose(r.max_increase, 0.1)
    s = act.dpi_summary(c)
    assert set(s.quantity) == {"ixt", "ity"} and (s.seeds_violating == 1).all()
    assert act.dpi_checks(_mi_frame(ixt, ity), tol=0.6).share.eq(0).all()


def test_phase_order_distinguishes_orders():
    # layer 1: I(X;T) rises then falls late (fitting first); layer 2: falls first then rises (swapped)
    ixt = [[3, 3], [5, 2], [6, 2.5], [5, 4]]
    ity = [[0.1, 0.1], [0.2, 0.2], [0.8, 0.8], [0.9, 0.9]]
    p = act.phase_order(_mi_frame(ixt, ity), threshold=0.1)
    l1, l2 = p[(p.seed == 0) & (p.layer == 1)].iloc[0], p[(p.seed == 0) & (p.layer == 2)].iloc[0]
    assert l1.order == "fitting first" and l1.peak_epoch == 100 and l1.trough_epoch == 1000
    assert l2.order == "compression first" and l2.peak_epoch == 0 and l2.trough_epoch == 10 and l2.fit_epoch == 100
    assert np.isclose(l2.drawdown, 1.0)
    s = act.phase_summary(p)
    assert s.set_index(["estimator", "layer"]).loc[("e", 2), "share_compression_first"] == 1.0
    flat = act.phase_order(_mi_frame([[1, 1]] * 4, ity))
    assert (flat.order == "no compression").all()


def test_bin_edges_adaptive_is_binning_rule():
    rng = np.random.default_rng(2)
    v = np.tanh(rng.normal(size=(500, 3)) * 4)
    e = act.bin_edges(v, n_bins=10, value_range=(-1, 1), lb=-1.000000000001)
    assert len(e["uniform"]) == 11 and np.isclose(e["share_uniform"].sum(), 1)
    assert np.isclose(e["share_adaptive"].sum(), 1)
    assert np.all(np.diff(e["adaptive"]) >= 0)
    # saturated values: adaptive edges crowd near +-1, so more adaptive edges lie beyond |0.9|
    assert (np.abs(e["adaptive"]) > 0.9).sum() > (np.abs(e["uniform"]) > 0.9).sum()
    y = rng.integers(0, 2, 500)
    ref = mi.binning(v, y, n_bins=10, value_range=(-1.000000000001, 1), strategy="adaptive")
    codes = np.digitize(v, e["adaptive"])
    from ibutils.mi.entropy import pattern_entropy
    assert np.isclose(pattern_entropy(codes), ref.ixt)


def test_seed_spread_and_pick():
    ixt = [[3, 3], [5, 2], [6, 2.5], [5, 4]]
    ity = [[0.1, 0.1]] * 4
    df = _mi_frame(ixt, ity, seeds=(0, 1, 2, 3, 4))
    df.loc[df.seed == 3, "ixt"] += df.loc[df.seed == 3, "epoch"] / 100.0  # seed 3 keeps rising
    sp = act.seed_spread(df.drop(columns="estimator"), hidden_layers=2)
    ref = compression(df[df.seed == 0], by=["layer"])["drop"].sum()  # the cross-fitted drop, summed over layers
    assert np.isclose(sp.set_index("seed").loc[0, "total_drop"], ref)
    assert sp.set_index("seed").loc[3, "total_drop"] < ref
    picks = act.pick_seeds(sp, n=3)
    assert len(picks) == 3 and 3 == picks[0]


def test_final_accuracy_and_verdict():
    m = pd.DataFrame(dict(activation=["a"] * 4 + ["b"] * 4, seed=[0, 0, 1, 1] * 2, epoch=[5] * 8,
                          split=["train", "eval"] * 4, loss=0.1, accuracy=[0.9, 0.8, 1.0, 0.9] * 2))
    acc = act.final_accuracy(m)
    assert set(acc.split) == {"train", "test"}
    assert np.isclose(acc[(acc.activation == "a") & (acc.split == "test")]["mean"].iloc[0], 0.85)
    runs = act.final_accuracy_runs(m)
    assert len(runs) == 8 and set(runs.split) == {"train", "test"}
    assert np.isclose(runs[(runs.activation == "a") & (runs.split == "test") & (runs.seed == 1)].accuracy.iloc[0], 0.9)
    comp = pd.DataFrame(dict(activation=["tanh", "tanh", "relu", "elu"], layer=[1, 2, 1, 1], n=5,
                             mean=[0.5, 0.0, 0.0, 0.3], ci_low=[0.3, -0.05, -0.05, 0.2],
                             ci_high=[0.7, 0.05, 0.05, 0.4]))
    sat = {"tanh": "double", "relu": "single", "elu": "single"}
    v = act.saturation_verdict(comp, sat)
    assert v["verdict"] == "contradicted" and v["other"] == ["elu"] and v["double"] == ["tanh"]
    assert act.saturation_verdict(comp[comp.activation != "elu"], sat)["verdict"] == "reproduced"
    assert act.saturation_verdict(comp[comp.activation == "relu"], sat)["verdict"] == "inconclusive"


def test_run_setting_tiny_replay_and_cohort():
    pytest.importorskip("tensorflow")
    est = [{"name": "uniform", "kind": "range_max", "n_bins": 30, "lo": -1.0},
           {"name": "adaptive", "kind": "binning", "strategy": "adaptive", "n_bins": 30,
            "value_range": [-1.000000000001, 1]}]
    try:
        run, acts = act.run_setting(activation="elu", estimators=est, epochs=3, n_seeds=2, snapshots=[0, 3])
    except (FileNotFoundError, OSError, RuntimeError) as err:  # no data offline
        pytest.skip(str(err))
    assert set(run.mi.estimator) == {"uniform", "adaptive"} and len(acts) == 6 and acts[0].shape == (2, 4096, 10)
    assert (run.run_max > 0).all()
    mi_c, met = act.run_cohort(["tanh", "linear"], epochs=2, n_seeds=2, snapshots=[0, 2], layers=[4, 3])
    assert set(mi_c.activation) == {"tanh", "linear"} and mi_c.layer.max() == 2
    assert (mi_c[mi_c.layer == 1].ixt > 11.0).all() and (mi_c.ixt <= 12.0 + 1e-9).all()


def test_bin_edges_constant_layer():
    e = act.bin_edges(np.zeros((50, 3)), n_bins=10, value_range=(0, 1), lb=0.0)
    assert np.isclose(e["share_adaptive"].sum(), 1)


# ------------------------------------------------------------------------------------ verdicts (issue 15)
SIG, NONE, WIDE, NEG = (0.5, 0.3, 0.7), (0.0, -0.05, 0.05), (0.1, -0.2, 0.4), (-0.5, -0.7, -0.3)


def _comp(by_est, n=5, readout=True, col="estimator"):
    """A compression table: per estimator (or activation) the hidden layers' (mean, lo, hi)."""
    rows = []
    for key, cis in by_est.items():
        for l, (m, lo, hi) in enumerate(cis, start=1):
            rows.append({col: key, "layer": l, "n": n, "mean": m, "ci_low": lo, "ci_high": hi,
                         "share_compressing": 0.5})
        if readout:
            rows.append({col: key, "layer": len(cis) + 1, "n": n, "mean": 0.0, "ci_low": -0.01, "ci_high": 0.01,
                         "share_compressing": 0.0})
    return pd.DataFrame(rows)


def _dpi(by_est, n=5):
    return pd.DataFrame([dict(estimator=e, quantity=q, share=m, share_lo=lo, share_hi=hi, max_increase=0.2, n_seeds=n)
                         for e, (ixt, ity) in by_est.items() for q, (m, lo, hi) in (("ixt", ixt), ("ity", ity))])


def _share(est, mci, n_runs=5):
    m, lo, hi = mci
    return pd.DataFrame([dict(estimator=est, n_seeds=5, n_runs=n_runs, n_pairs=8, n_first=6, share=m, share_lo=lo,
                              share_hi=hi)])


def _spread(n_compressing):
    return pd.DataFrame(dict(seed=range(len(n_compressing)), total_drop=np.linspace(0, 1, len(n_compressing)),
                             n_compressing=n_compressing))


def _setting(n=5, study=40):
    return pd.DataFrame([dict(n_seeds=n, epochs=8000, study_seeds=study, study_epochs=8000)])


DPI_OK, DPI_BAD = ((0.0, 0.0, 0.005), (0.001, 0.0, 0.004)), ((0.3, 0.2, 0.4), (0.0, 0.0, 0.005))


def _world(n=5):
    """Constructed results of every setting in which each claim of the overview is reproduced."""
    hid5 = [NONE, NONE, SIG, NONE, NONE]
    rng = np.random.default_rng(0)
    mi_a = pd.DataFrame([dict(seed=s, epoch=e, layer=l, estimator=est, ity=0.5,
                              ixt=(8.0 if est == "adaptive" else 6.0) + 0.1 * rng.normal())
                         for s in range(n) for e in (0, 100) for l in range(1, 6) for est in ("uniform", "adaptive")])
    accs = {"tanh": 0.97, "elu": 0.99, "linear": 0.88}
    acc_runs = pd.DataFrame([dict(activation=a, split=sp, seed=s, accuracy=v + 0.002 * rng.normal())
                             for a, v in accs.items() for sp in ("train", "test") for s in range(n)])
    t = {
        "activations_tanh": dict(compression=_comp({"uniform": hid5, "adaptive": hid5}, n),
                                 dpi=_dpi({"uniform": DPI_OK, "adaptive": DPI_OK}, n)),
        "activations_relu": dict(compression=_comp({"uniform": [NONE] * 5, "adaptive": [NONE] * 5}, n),
                                 dpi=_dpi({"uniform": DPI_BAD, "adaptive": DPI_OK}, n),
                                 seed_spread=_spread([0, 1] * 10)),
        "activations_elu": dict(compression=_comp({"uniform": hid5, "adaptive": hid5}, n),
                                dpi=_dpi({"uniform": DPI_BAD, "adaptive": DPI_OK}, n),
                                phase_share=_share("adaptive", (0.9, 0.8, 1.0), n), seed_spread=_spread([2, 0] * 10)),
        "activations_relu6": dict(compression=_comp({"uniform": [NONE] * 5, "adaptive": [NONE] * 3 + [SIG] * 2}, n),
                                  dpi=_dpi({"uniform": DPI_OK, "adaptive": DPI_OK}, n)),
        "activations_appendix_a": dict(compression=_comp({"uniform": [NONE] * 4, "adaptive": [NONE] * 4}, n),
                                       mi=mi_a, setting=_setting(n, 2)),
        "activations_appendix_b1": dict(compression=_comp({"adaptive": [NONE, SIG, NONE, NONE]}, n),
                                        setting=_setting(n, 30)),
        "activations_appendix_b2": dict(compression=_comp({"adaptive": [NONE, NONE, NONE, SIG, NONE]}, n),
                                        setting=_setting(n, 30)),
        "activations_cohort": dict(compression=_comp({"tanh": [SIG, NONE], "elu": [NONE, NONE], "linear": [NONE, NONE]},
                                                     n, readout=False, col="activation").assign(estimator="kde_upper"),
                                   accuracy_runs=acc_runs, setting=_setting(n, 5)),
    }
    for s in ("activations_tanh", "activations_relu", "activations_elu", "activations_relu6"):
        t[s]["setting"] = _setting(n)
    return t


def _verdicts(tables, **kw):
    return [r["verdict"] for r in act.claims_summary(tables, **kw)]


def test_verdict_parts():
    assert act.verdict_parts(["reproduced", "reproduced"]) == "reproduced"
    assert act.verdict_parts(["reproduced", "contradicted"]) == "partly reproduced"
    assert act.verdict_parts(["partly reproduced", "not reproduced"]) == "partly reproduced"
    assert act.verdict_parts(["not reproduced", "contradicted"]) == "contradicted"
    assert act.verdict_parts(["not reproduced", "inconclusive"]) == "not reproduced"
    assert act.verdict_parts(["inconclusive", "inconclusive"]) == "inconclusive"
    assert act.verdict_parts(["not reproduced", "not reproduced"]) == "not reproduced"
    assert act.verdict_parts([]) == "inconclusive"


def test_compression_effects_and_sentence():
    comp = _comp({"u": [SIG, NONE, WIDE], "a": [SIG, SIG, SIG]})
    e = act.with_effects(comp)
    assert list(e[e.estimator == "u"].effect) == ["supports", "excludes", "unclear", "excludes"]
    assert "hidden layer 1 compresses" in act.compression_sentence(comp, "u")
    assert "every hidden layer compresses" in act.compression_sentence(comp, "a")
    assert "no hidden layer compresses" in act.compression_sentence(_comp({"u": [NONE, WIDE]}), "u")
    assert "too few seeds" in act.compression_sentence(_comp({"u": [SIG, SIG]}, n=2), "u")
    # the margin decides: an interval [0.3, 0.7] is not above a margin of 0.4
    assert "no hidden layer" in act.compression_sentence(comp[comp.layer == 1].pipe(
        lambda c: pd.concat([c, comp[comp.layer == 4]])), "u", margin=0.4)


def test_compression_table_uses_cross_fitted_drop():
    ixt = [[3, 3], [5, 2], [6, 2.5], [5, 4]]
    df = _mi_frame(ixt, [[0.1, 0.1]] * 4, seeds=(0, 1, 2))
    t = act.compression_table(df)
    assert list(t.columns[:2]) == ["estimator", "layer"] and {"mean", "ci_low", "n", "mean_drop_max"} <= set(t.columns)
    assert (t.n == 3).all() and np.isclose(t.set_index("layer").loc[1, "mean_drop_max"], 1.0)
    c = act.cohort_compression(df.drop(columns="estimator").assign(activation="tanh"))
    assert list(c.columns[:3]) == ["activation", "estimator", "layer"] and set(c.estimator) == {"kde_upper"}


def test_dpi_word_and_sentence():
    d = _dpi({"ok": DPI_OK, "bad": DPI_BAD, "wide": ((0.01, 0.0, 0.03), (0.0, 0.0, 0.0))})
    assert act.dpi_word(d, "ok", margin=0.02) == "the DPI holds"
    assert act.dpi_word(d, "bad", margin=0.02) == "the DPI is broken"
    assert "too wide" in act.dpi_word(d, "wide", margin=0.02)
    assert "too few seeds" in act.dpi_word(_dpi({"ok": DPI_OK}, n=2), "ok", margin=0.02)
    assert act.dpi_sentence(d, "bad", margin=0.02).startswith("`bad`: the DPI is broken (violated checks: I(X;T) 0.300")


def test_phase_share_and_sentence():
    # seed 0: both compressing layers compress first; seed 1: one of two; seed 2: none compress
    order = {0: ["compression first", "compression first"], 1: ["compression first", "fitting first"],
             2: ["no compression", "no compression"], 3: ["fitting first", "no compression"]}
    phases = pd.DataFrame([dict(estimator="e", seed=s, layer=l, order=o) for s, os in order.items()
                           for l, o in enumerate(os, start=1)]
                          + [dict(estimator="e", seed=s, layer=3, order="compression first") for s in order])
    sh = act.phase_share(phases, hidden=2).iloc[0]          # layer 3 (read-out) left out
    assert (sh.n_seeds, sh.n_runs, sh.n_pairs, sh.n_first) == (4, 3, 5, 3)
    assert np.isclose(sh.share, (1.0 + 0.5 + 0.0) / 3)
    for mci, n, want in [((0.9, 0.8, 1.0), 5, "supports"), ((0.1, 0.0, 0.2), 5, "opposes"),
                         ((0.5, 0.45, 0.55), 5, "excludes"), ((0.6, 0.3, 0.9), 5, "unclear"),
                         ((0.9, 0.8, 1.0), 2, "too few")]:
        assert act.phase_effect(_share("e", mci, n).iloc[0]) == want
    assert "**compression comes first**" in act.phase_sentence(_share("e", (0.9, 0.8, 1.0)), "e", threshold=0.1)
    none = _share("e", (np.nan,) * 3, 0).assign(n_pairs=0)
    assert "no hidden layer" in act.phase_sentence(none, "e", threshold=0.1)


def test_only_verdict_each_outcome():
    def c(**acts):
        return _comp(acts, readout=False, col="activation")
    assert act.only_verdict(c(tanh=[SIG], relu=[NONE]), ["tanh"])["verdict"] == "reproduced"
    assert act.only_verdict(c(tanh=[SIG], sigmoid=[NONE], relu=[NEG]), ["tanh", "sigmoid"])["verdict"] \
        == "partly reproduced"
    v = act.only_verdict(c(tanh=[SIG], elu=[NONE, SIG]), ["tanh"])
    assert v["verdict"] == "contradicted" and v["others"] == ["elu"] and v["compressing"] == ["tanh", "elu"]
    assert act.only_verdict(c(tanh=[SIG], elu=[WIDE]), ["tanh"])["verdict"] == "inconclusive"
    assert act.only_verdict(c(tanh=[NONE], elu=[NONE]), ["tanh"])["verdict"] == "not reproduced"
    assert act.only_verdict(_comp(dict(tanh=[SIG], elu=[NONE]), n=2, readout=False, col="activation"),
                            ["tanh"])["verdict"] == "inconclusive"


def test_accuracy_claim_each_outcome():
    rng = np.random.default_rng(1)

    def runs(accs, n=5):
        return pd.DataFrame([dict(activation=a, split="test", seed=s, accuracy=v + 0.001 * rng.normal())
                             for a, v in accs.items() for s in range(n)])
    a = act.accuracy_claim(runs(dict(elu=0.99, tanh=0.97, linear=0.88)))
    assert a["verdict"] == "reproduced" and (a["best"], a["worst"]) == ("elu", "linear") and a["n"] == 5
    a = act.accuracy_claim(runs(dict(elu=0.97, tanh=0.99, linear=0.88)))
    assert a["verdict"] == "partly reproduced" and a["verdict_best"] == "partly reproduced"
    assert a["verdict_worst"] == "reproduced"
    a = act.accuracy_claim(runs(dict(elu=0.97, tanh=0.99, linear=0.995)))
    assert a["verdict"] == "contradicted" and a["verdict_best"] == a["verdict_worst"] == "contradicted"
    a = act.accuracy_claim(runs(dict(elu=0.97, tanh=0.9712, linear=0.9705)))   # all within the margin
    assert a["verdict"] == "not reproduced"
    assert act.accuracy_claim(runs(dict(elu=0.99, tanh=0.97, linear=0.88), n=2))["verdict"] == "inconclusive"
    assert act.accuracy_claim(runs(dict(elu=0.99, tanh=0.97)))["verdict"] == "inconclusive"


def test_runs_differ_effect():
    e, (p, lo, hi) = act.runs_differ_effect(_spread([0, 1] * 10))
    assert e == "supports" and p == 0.5 and 0.1 < lo < 0.3 and 0.7 < hi < 0.9
    assert act.runs_differ_effect(_spread([1] * 40))[0] == "opposes"
    assert act.runs_differ_effect(_spread([0] * 40))[0] == "opposes"
    # all of 3 (or 20) runs compressing is not yet evidence that runs agree: the exact interval is wide
    assert act.runs_differ_effect(_spread([2] * 3))[0] == "unclear"
    assert act.runs_differ_effect(_spread([1] * 20))[0] == "unclear"
    assert act.runs_differ_effect(_spread([0, 0, 0, 1, 1]))[0] == "unclear"
    assert act.runs_differ_effect(_spread([0, 1]))[0] == "too few"


def test_claims_summary_reproduced_and_no_data(monkeypatch):
    monkeypatch.delenv("IBUTILS_RESULTS_DIR", raising=False)
    from ibutils.publish.report import claims_table

    rows = act.claims_summary(_world())
    assert len(rows) == 12 and [r["verdict"] for r in rows] == ["reproduced"] * 12, \
        [(r["claim"], r["verdict"]) for r in rows if r["verdict"] != "reproduced"]
    ct = claims_table("t", rows, profile="quick")
    assert (ct.verdict == "reproduced").all()
    by = ct.set_index("source")
    assert int(by.loc["Rasmussen 2020, App. A", "study_seeds"]) == 2 and bool(by.loc["Rasmussen 2020, App. A",
                                                                                    "at_study_scale"])
    assert int(ct.study_seeds.iloc[0]) == 40 and not ct.at_study_scale.iloc[0]
    empty = act.claims_summary({})
    assert len(empty) == 12 and {r["verdict"] for r in empty} == {"inconclusive"}
    assert {r["measured"] for r in empty} == {"no data"}


def test_claims_summary_too_few_seeds(monkeypatch):
    monkeypatch.delenv("IBUTILS_RESULTS_DIR", raising=False)
    from ibutils.publish.report import claims_table

    rows = act.claims_summary(_world(n=2))
    assert {r["verdict"] for r in rows} == {"inconclusive"} and {r["n_seeds"] for r in rows} == {2}
    assert all("too few seeds" in r["note"] for r in rows)
    ct = claims_table("t", [dict(r, n_seeds=2) for r in act.claims_summary(_world())], profile="quick")
    assert (ct.verdict == "inconclusive").all() and ct.note.str.contains("too few seeds").all()


def _uniform_above(mi_a):
    """Appendix A's MI with the uniform estimate one bit above the adaptive one."""
    return mi_a.assign(ixt=np.where(mi_a.estimator == "uniform", 9.0, 8.0) + 0.01 * mi_a.seed)


@pytest.mark.parametrize("change,index,want", [
    # tanh (row 2): adaptive shows no compression -> partly; neither -> not; both rising -> contradicted
    (lambda t: t["activations_tanh"].update(compression=_comp({"uniform": [SIG] * 5, "adaptive": [NONE] * 5})),
     2, "partly reproduced"),
    (lambda t: t["activations_tanh"].update(compression=_comp({"uniform": [NONE] * 5, "adaptive": [NONE] * 5})),
     2, "not reproduced"),
    (lambda t: t["activations_tanh"].update(compression=_comp({"uniform": [NEG] * 5, "adaptive": [NEG] * 5})),
     2, "contradicted"),
    # ReLU (row 3): a compressing layer contradicts "no compression"; a wide interval leaves it open
    (lambda t: t["activations_relu"].update(compression=_comp({"uniform": [NONE] * 5, "adaptive": [SIG] + [NONE] * 4})),
     3, "contradicted"),
    (lambda t: t["activations_relu"].update(compression=_comp({"uniform": [WIDE] + [NONE] * 4,
                                                               "adaptive": [NONE] * 5})), 3, "inconclusive"),
    # ELU (row 4): compression without the swapped order -> partly; order reversed and no compression -> contradicted
    (lambda t: t["activations_elu"].update(phase_share=_share("adaptive", (0.5, 0.2, 0.8))), 4, "partly reproduced"),
    (lambda t: t["activations_elu"].update(phase_share=_share("adaptive", (0.1, 0.0, 0.2)),
                                           compression=_comp({"uniform": [NONE] * 5, "adaptive": [NONE] * 5})),
     4, "contradicted"),
    (lambda t: t["activations_elu"].update(phase_share=_share("adaptive", (0.5, 0.2, 0.8)),
                                           compression=_comp({"uniform": [NONE] * 5, "adaptive": [NONE] * 5})),
     4, "not reproduced"),
    # a single run-layer drawdown (one run compresses) no longer makes ELU "partly"
    (lambda t: t["activations_elu"].update(phase_share=_share("adaptive", (1.0, 1.0, 1.0), n_runs=1),
                                           compression=_comp({"uniform": [NONE] * 5, "adaptive": [WIDE] * 5})),
     4, "not reproduced"),
    (lambda t: t["activations_elu"].update(phase_share=_share("adaptive", (1.0, 1.0, 1.0), n_runs=1)),
     4, "partly reproduced"),
    # ReLU6 (row 5): uniform compresses -> partly; adaptive only one of the last two -> partly
    (lambda t: t["activations_relu6"].update(compression=_comp({"uniform": [SIG] * 5,
                                                                "adaptive": [NONE] * 3 + [SIG] * 2})),
     5, "partly reproduced"),
    (lambda t: t["activations_relu6"].update(compression=_comp({"uniform": [SIG] * 5, "adaptive": [NONE] * 5})),
     5, "contradicted"),
    # DPI (rows 0, 1)
    (lambda t: t["activations_elu"].update(dpi=_dpi({"uniform": DPI_BAD, "adaptive": DPI_BAD})), 0, "contradicted"),
    (lambda t: t["activations_elu"].update(dpi=_dpi({"uniform": DPI_BAD, "adaptive": ((0.01, 0.0, 0.03),) * 2})),
     0, "inconclusive"),
    (lambda t: t["activations_elu"].update(dpi=_dpi({"uniform": DPI_OK, "adaptive": DPI_OK})), 1, "partly reproduced"),
    (lambda t: [t[s].update(dpi=_dpi({"uniform": DPI_OK, "adaptive": DPI_OK})) for s in ("activations_relu",
                                                                                       "activations_elu")],
     1, "not reproduced"),
    # runs differ (row 6): every ELU run compresses -> partly; every run of both -> contradicted
    (lambda t: t["activations_elu"].update(seed_spread=_spread([1] * 40)), 6, "partly reproduced"),
    (lambda t: [t[s].update(seed_spread=_spread([1] * 40)) for s in ("activations_relu", "activations_elu")],
     6, "contradicted"),
    (lambda t: t["activations_elu"].update(seed_spread=_spread([1] * 3)), 6, "partly reproduced"),
    # Appendix A (row 7): uniform above adaptive -> contradicted
    (lambda t: t["activations_appendix_a"].update(mi=_uniform_above(t["activations_appendix_a"]["mi"])),
     7, "contradicted"),
    # Appendix B (row 8): one network compresses -> partly
    (lambda t: t["activations_appendix_b2"].update(compression=_comp({"adaptive": [NONE] * 5})),
     8, "partly reproduced"),
    # cohort (rows 9-11): ELU compresses -> both "only" claims contradicted; a missing table -> inconclusive
    (lambda t: t["activations_cohort"].update(compression=_comp(
        {"tanh": [SIG, NONE], "elu": [SIG, NONE], "linear": [NONE, NONE]}, readout=False, col="activation")),
     9, "contradicted"),
    (lambda t: t["activations_cohort"].update(compression=_comp(
        {"tanh": [SIG, NONE], "elu": [SIG, NONE], "linear": [NONE, NONE]}, readout=False, col="activation")),
     10, "contradicted"),
    (lambda t: t["activations_cohort"].pop("accuracy_runs"), 11, "inconclusive"),
    (lambda t: t.pop("activations_relu6"), 5, "inconclusive"),
])
def test_claims_summary_each_verdict(change, index, want):
    t = _world()
    change(t)
    got = _verdicts(t)
    assert got[index] == want, (index, got)


def test_claims_cohort_and_words():
    t = _world()["activations_cohort"]
    rows = act.claims_cohort(t["compression"], t["accuracy_runs"], scale=dict(n_seeds=5, epochs=8000, study_seeds=5,
                                                                              study_epochs=8000))
    assert [r["verdict"] for r in rows] == ["reproduced"] * 3 and rows[0]["n_seeds"] == 5
    words = act.cohort_words(rows)
    assert words == dict(saturation="reproduced", tanh="reproduced", accuracy="reproduced",
                         accuracy_note=rows[2]["note"])
    assert words["accuracy_note"].startswith("ELU best: reproduced; linear worst: reproduced")
    few = act.cohort_words([dict(r, n_seeds=2, note="too few seeds; " + r["note"]) for r in rows])
    assert {few[k] for k in ("saturation", "tanh", "accuracy")} == {"inconclusive (too few seeds)"}
    assert few["accuracy_note"] == rows[2]["note"]
    none = act.claims_cohort(None, None)
    assert [r["verdict"] for r in none] == ["inconclusive"] * 3


def test_overview_tables_and_read_results(tmp_path):
    world = _world()
    for s, tabs in world.items():
        (tmp_path / s).mkdir()
        for name, df in tabs.items():
            df.to_csv(tmp_path / s / f"{name}.csv", index=False)
    tables = act.read_results(tmp_path)
    assert set(tables) == set(act.SETTINGS) and "mi" in tables["activations_appendix_a"]
    assert "mi" not in tables["activations_tanh"]
    assert _verdicts(tables) == ["reproduced"] * 12
    assert act.read_results("") == {} and "were not found" in act.found_text({})
    assert act.found_text(tables) == f"Results found for 8 of {len(act.SETTINGS)} settings."
    assert "tanh (2.1): 5 seeds x 8,000 epochs" in act.scales_text(tables)
    allc = act.overview_compression(tables)
    assert set(allc.row) >= {"tanh (2.1) / uniform", "tanh / KDE"} and (allc.layer <= 5).all()
    assert set(allc.effect) == {"supports", "excludes"}
    cells = act.overview_cells(allc)
    assert cells.loc["tanh (2.1) / uniform", 3] == "0.500 [0.300, 0.700]"
    dp = act.overview_dpi_phases(tables)
    r = dp.set_index(["setting", "estimator"]).loc[("ELU (2.3)", "adaptive")]
    assert r.dpi == "the DPI holds" and np.isclose(r.share_compression_first, 0.9)
    assert dp.set_index(["setting", "estimator"]).loc[("ELU (2.3)", "uniform"), "dpi"] == "the DPI is broken"
    assert len(act.overview_compression({})) == 0 and "no results" in act.overview_cells(
        act.overview_compression({})).iloc[0, 0]


def test_page_text_helpers():
    specs = [{"name": "u", "kind": "range_max", "n_bins": 30, "lo": -1.0},
             {"name": "a", "kind": "binning", "strategy": "adaptive", "n_bins": 30, "value_range": [0, 1]},
             {"name": "f", "kind": "binning", "n_bins": 30, "value_range": [-1, 1]}]
    assert act.estimators_text(specs) == ("`u`: 30 equal bins on [-1, maximum activation of the run]; `a`: 30 adaptive "
                                          "bins per layer and epoch, lower bound 0; `f`: 30 equal bins on [-1, 1]")
    txt = act.scale_text("quick", n_seeds=3, epochs=150, n_snapshots=12, batch_size=256, study_seeds=40,
                         study_epochs=8000)
    assert txt.startswith("the quick profile: 3 seeds x 150 epochs (the study: 40 seeds x 8,000 epochs; below")
    assert txt.endswith("minibatches of 256, MI at 12 snapshot epochs") and "paper scale" not in txt
    assert "paper scale" in act.scale_text("paper", n_seeds=40, epochs=8000, n_snapshots=274, batch_size=None)
    v = np.linspace(-1, 3, 200)
    edges, vr = act.bins_illustration(v, specs, 3.0, n_bins=10)
    assert vr == (-1.0, 3.0) and len(edges["uniform"]) == 11
    edges, vr = act.bins_illustration(v, specs[2:], 3.0, n_bins=10)
    assert vr == (-1.0, 1.0)
    acc = pd.DataFrame(dict(activation=["elu", "linear", "tanh"], split="test", mean=[0.99, 0.88, 0.97],
                            ci_low=[0.98, 0.87, 0.96], ci_high=[1.0, 0.89, 0.98], n=5))
    g = act.accuracy_glue(acc)
    assert g["best_act"] == "elu" and g["worst_act"] == "linear" and g["elu_acc"] == "0.990 [0.980, 1.000]"
    assert act.saturation_classes(["tanh", "relu", "linear"]) == dict(tanh="double", relu="single", linear="none")
