"""Tests of ibutils.studies.estimators: adapters, caps, summaries and claims on constructed tables."""
import numpy as np
import pandas as pd
import pytest

from ibutils.mi import tasks as tk
from ibutils.publish import report
from ibutils.studies import estimators as ek


def test_binning_adapter_rules_and_discrete_labels():
    t = tk.get("mixture-m5")
    X, Y = t.sample(1500, 0)
    assert abs(ek.binning_mi(X, Y, rule="run-max", n_bins=30, discrete_x=True) - t.mi_bits) < 0.06
    # continuous pair: the plug-in H(bX) + H(bY) - H(bX, bY) computed by hand
    g = tk.get("1v1-normal-0.75")
    a, b = g.sample(800, 1)

    def h(codes):
        _, c = np.unique(codes, axis=0, return_counts=True)
        p = c / c.sum()
        return -(p * np.log2(p)).sum()

    ca, cb = ek._codes(a, "run-max", 10), ek._codes(b, "run-max", 10)
    by_hand = h(ca) + h(cb) - h(np.hstack([ca, cb]))
    assert ek.binning_mi(a, b, rule="run-max", n_bins=10) == pytest.approx(by_hand, abs=1e-9)
    cf = ek._codes(a, "fixed", 10)
    assert cf.min() == 0 and cf.max() == 9  # values outside [-1, 1] in the end bins
    with pytest.raises(ValueError, match="rule"):
        ek.binning_mi(a, b, rule="quantile")


def test_kde_pair_combination_cancels_the_constants():
    # well-separated points and a tiny kernel: every point its own cluster, I_K = log2 N for X, Y and (X, Y)
    rng = np.random.default_rng(0)
    x, y = rng.permutation(np.arange(200.0))[:, None], rng.permutation(np.arange(200.0))[:, None]
    v = ek.kde_pair_mi(x, y, noise_variances=(1e-7,), bounds=("upper",))[(1e-7, "upper")]
    assert v == pytest.approx(np.log2(200), abs=1e-6)  # log2 N + log2 N - log2 N
    x, y = rng.normal(size=(400, 1)), rng.normal(size=(400, 1))
    assert abs(ek.kde_pair_mi(x, y, noise_variances=(1.0,), bounds=("upper",))[(1.0, "upper")]) < 0.05


def test_status_caps_and_run_one_rows():
    big, small, mix = tk.get("25v25-normal-dense-0.5"), tk.get("1v1-normal-0.75"), tk.get("mixture-m2")
    assert ek.status(big, "ksg", 10000) == "capped" and ek.status(big, "ksg", 5000) == "ok"
    assert ek.status(small, "ksg", 10000) == "ok" and ek.status(big, "edge", 10000) == "ok"
    assert ek.status(big, "kde", 5000) == "ok" and ek.status(mix, "kde", 10000) == "capped"
    assert ek.status(small, "kde", 10000) == "capped" and ek.status(small, "binning", 10**6) == "ok"
    assert ek.status(small, "kde", 5000) == "ok" and ek.status(big, "mine", 10000) == "ok"
    assert ek.status(small, "mine", 20000) == "capped"
    with pytest.raises(ValueError, match="estimator"):
        ek.status(small, "nope", 10)
    with pytest.raises(ValueError, match="caps"):
        ek.status(small, "ksg", 10, caps={"nope": 1})
    rows = ek.run_one(small, 300, 0, bins=(10,), ks=(3, 5), kde_variances=(0.1,))
    assert list(rows.columns) == ["task", "family", "dims", "estimator", "setting", "N", "seed", "estimate", "truth",
                                  "seconds", "status"]
    assert len(rows) == len(ek.settings(bins=(10,), ks=(3, 5), kde_variances=(0.1,))) - 1  # MINE: run_mine
    assert (rows.status == "ok").all()
    capped = ek.run_one(big, 300, 0, bins=(10,), ks=(3, 5), kde_variances=(0.1,), caps={"ksg_n": 100})
    assert (capped[capped.estimator == "ksg"].status == "capped").all() and (capped[capped.estimator != "ksg"].status == "ok").all()
    again = ek.run_one(small, 300, 0, bins=(10,), ks=(3, 5), kde_variances=(0.1,))
    np.testing.assert_array_equal(again.estimate, rows.estimate)


def _runs(estimates, truth=1.0, task="t", setting="k=3", estimator="ksg", N=1000, status="ok", dims="1x1",
          family="normal"):
    return pd.DataFrame(dict(task=task, family=family, dims=dims, estimator=estimator, setting=setting, N=N,
                             seed=range(len(estimates)), estimate=estimates, truth=truth, seconds=0.1, status=status))


@pytest.mark.parametrize("est,verdict", [([1.0, 1.01, 0.99], "within"), ([0.5, 0.52, 0.48], "off"),
                                         ([1.0, 0.8, 1.2], "unclear"), ([1.0, 1.0], "too few")])
def test_summarize_classifies(est, verdict):
    s = ek.summarize(_runs(est))
    assert s.verdict.iloc[0] == verdict
    assert s["mean"].iloc[0] == pytest.approx(np.mean(est))


def test_summarize_capped_and_tables():
    runs = pd.concat([_runs([1.0, 1.01, 0.99]), _runs([np.nan] * 3, status="capped", setting="k=10"),
                      _runs([2.0, 2.1, 1.9], estimator="edge", setting="default")], ignore_index=True)
    s = ek.summarize(runs)
    assert s.set_index("setting").loc["k=10", "verdict"] == "capped"
    wl = ek.within_lists(s, 1000).set_index("setting")
    assert wl.loc["k=3", "within"] == "t" and wl.loc["k=10", "capped"] == "t" and wl.loc["k=10", "n_tasks"] == 0
    et = ek.error_table(s, 1000, main=(("ksg", "k=3"), ("ksg", "k=10"), ("edge", "default"), ("kde", "upper, s2=0.1")))
    assert list(et.iloc[0]) == [1.0, "+0% [-2, +2]", "capped", "+100% [+75, +125]", "-"]
    assert ek.reference_n(s) == 1000 and ek.reference_n(s.assign(N=5000)) == 5000
    tt = ek.timing_table(runs)
    assert list(tt.columns) == ["estimator", "setting", "N=1,000"] and len(tt) == 2
    g = ek.run_glue(runs)
    assert g["ek_ns"] == "1,000" and g["ek_n_seeds"] == 3


def test_run_mine_rows_caps_and_one_hot():
    t, mix = tk.get("1v1-normal-0.75"), tk.get("mixture-m2")
    r = ek.run_mine(t, 400, (0, 1, 2), steps=100)
    assert list(r.columns) == ["task", "family", "dims", "estimator", "setting", "N", "seed", "estimate", "truth",
                               "seconds", "status"]
    assert list(r.seed) == [0, 1, 2] and (r.status == "ok").all() and set(r.estimator) == {"mine"}
    assert np.all(np.abs(r.estimate - t.mi_bits) < 0.3), r.estimate  # 100 steps: rough, but well above 0
    np.testing.assert_array_equal(ek.run_mine(t, 400, (0, 1, 2), steps=100).estimate, r.estimate)  # seeded
    m = ek.run_mine(mix, 400, (0, 1, 2), steps=100)  # class ids one-hot
    assert np.all(np.abs(m.estimate - mix.mi_bits) < 0.3), m.estimate
    c = ek.run_mine(t, 400, (0, 1, 2), steps=100, caps={"mine_n": 100})
    assert (c.status == "capped").all() and c.estimate.isna().all()
    with pytest.raises(ValueError, match="steps"):
        ek.run_mine(t, 400, (0,), steps=0)
    runs = ek.run_benchmark(["1v1-normal-0.75"], ns=(300,), seeds=(0, 1, 2), bins=(30,), ks=(3,), kde_variances=(0.1,),
                            mine_steps=50, caps={"mine_n": 200})
    g = ek.mine_glue(runs, 50, caps={"mine_n": 200})
    assert g["ek_mine_ns_text"] == "MINE ran at N = none and was capped at N = 300 (above 200, to keep the page's time)"
    assert "50 Adam steps" in g["ek_mine_settings"] and g["ek_mine_steps"] == "50" and ek.label("mine", "default") == "MINE"
    assert ek.mine_glue(runs[runs.estimator != "mine"], 0)["ek_mine_ns_text"].startswith("MINE was not run")
    k = ek.mine_glue(pd.concat([runs, _runs([np.nan] * 3, estimator="kde", setting="upper, s2=0.1", N=10000,
                                            status="capped")]), 50)
    assert k["ek_caps_text"] == ("the KDE (the entropy combination and the class-label form) up to N = 5,000, so it "
                                 "is capped at N = 10,000 (their pairwise work grows as N squared)")
    assert g["ek_caps_text"] == "no cap applies to this run: KSG and the KDE ran at every sample size (N up to 300)"
    both = ek.caps_sentence(pd.concat([runs, _runs([np.nan], estimator="ksg", N=10000, status="capped")]),
                            caps={"ksg_n": 5000, "ksg_dim": 4})
    assert both == ("KSG runs up to N = 5,000 in more than 4 dimensions, so it is capped at N = 10,000 (their pairwise "
                    "work grows as N squared)")
    with pytest.raises(ValueError, match="mine_steps"):
        ek.run_benchmark(["1v1-normal-0.75"], ns=(300,), mine_steps=-1)


def _claims_inputs(ksg_low=(0.6, 0.6, 0.6), ksg_high=(1.0, 1.05, 0.95), fixed=(0.9, 0.92, 0.88),
                   runmax=(0.6, 0.62, 0.58), upper=5.0, lower=1.0, binned=(11.0, 11.1, 10.9), mine_high=None):
    truth = 0.6
    runs = pd.concat([
        _runs(list(ksg_low), truth=truth, task="1v1-normal-0.75", dims="1x1"),
        _runs(list(ksg_high), truth=1.864, task="25v25-normal-dense-0.5", dims="25x25"),
        _runs(list(fixed), truth=truth, task="1v1-normal-0.75", estimator="binning", setting="fixed, 30 bins"),
        _runs(list(runmax), truth=truth, task="1v1-normal-0.75", estimator="binning", setting="run-max, 30 bins"),
    ] + ([_runs(list(mine_high), truth=1.864, task="25v25-normal-dense-0.5", dims="25x25", estimator="mine",
                setting="default")] if mine_high is not None else []), ignore_index=True)
    noisy = pd.DataFrame([dict(seed=s, s2=0.01, estimator=e, estimate=v, truth=3.0, truth_se=0.02)
                          for s in range(3) for e, v in (("kde upper", upper), ("kde lower", lower))])
    det = pd.DataFrame([dict(situation=sit, seed=s, quantity="ixt", estimator="binning", setting="fixed [-1, 1]",
                             param=30.0, estimate=binned[s] if sit == "tanh" else 5.0, truth=12.0)
                        for s in range(3) for sit in ek.LAYERS])
    return runs, ek.summarize(runs), noisy, det


def test_claims_reproduced_and_valid():
    runs, s, noisy, det = _claims_inputs()
    rows = ek.claims(runs, s, noisy, det, n=1000)
    df = report.claims_table("t", rows)
    assert list(df.verdict) == ["reproduced"] * 5
    assert set(df.kind) == {"demonstration"}


def test_claims_other_verdicts():
    # KSG off on the low-dim task, unbiased in high dim, no range effect, bounds violated, binning exact on tanh
    runs, s, noisy, det = _claims_inputs(ksg_low=(0.3, 0.31, 0.29), ksg_high=(1.864, 1.87, 1.86), fixed=(0.6, 0.61, 0.59),
                                         upper=2.0, binned=(12.0, 12.0, 12.0))
    v = [r["verdict"] for r in ek.claims(runs, s, noisy, det, n=1000)]
    assert v == ["not reproduced", "not reproduced", "contradicted", "not reproduced", "partly reproduced"]
    # too few seeds: inconclusive
    runs, s, noisy, det = _claims_inputs()
    few = runs[runs.seed < 2]
    v = [r["verdict"] for r in ek.claims(few, ek.summarize(few), noisy[noisy.seed < 2], det[det.seed < 2], n=1000)]
    assert v == ["inconclusive"] * 5
    # partly: two low-dimensional tasks, one within
    runs2 = pd.concat([runs, _runs([0.9, 0.91, 0.89], truth=0.6, task="2v2-normal-dense-0.5", dims="2x2")])
    assert ek.claims(runs2, ek.summarize(runs2), noisy, det, n=1000)[0]["verdict"] == "partly reproduced"
    # range rule: an effect on one 1x1 task of two
    same = [_runs([0.5, 0.51, 0.49], truth=0.6, task="wiggly", estimator="binning", setting=st)
            for st in ("fixed, 30 bins", "run-max, 30 bins")]
    runs3 = pd.concat([runs] + same, ignore_index=True)
    row = ek.claims(runs3, ek.summarize(runs3), noisy, det, n=1000)[2]
    assert row["verdict"] == "partly reproduced" and "on 1 of 2" in row["measured"]


def _high(task, ksg, mine, truth=2.0, dims="25x25", N=1000):
    return pd.concat([_runs(list(ksg), truth=truth, task=task, dims=dims, N=N),
                      _runs(list(mine), truth=truth, task=task, dims=dims, N=N, estimator="mine", setting="default")])


def test_mine_vs_ksg_claim_verdicts():
    runs, s, noisy, det = _claims_inputs(mine_high=(1.85, 1.88, 1.86))  # KSG 0.86 bit below, MINE close
    rows = ek.claims(runs, s, noisy, det, n=1000)
    assert len(rows) == 6 and rows[5]["verdict"] == "reproduced" and "25v25-normal-dense-0.5 at N = 1,000" in rows[5]["measured"]
    assert report.claims_table("t", rows).verdict.iloc[5] == "reproduced"
    assert len(ek.claims(*_claims_inputs(), n=1000)) == 5  # no MINE runs: no MINE row
    good, bad, same = (1.0, 1.05, 0.95), (1.95, 2.0, 2.05), (1.0, 1.02, 0.98)
    worse = _high("a", good, (3.5, 3.6, 3.4))  # MINE 1.5 bit off, KSG 1 bit off: opposes
    cases = {"reproduced": _high("a", good, bad),
             "partly reproduced": pd.concat([_high("a", good, bad), _high("b", same, same, dims="5x5")]),
             "not reproduced": _high("a", same, same),
             "contradicted": worse,
             "inconclusive": _high("a", good[:2], bad[:2])}
    for verdict, r in cases.items():
        assert ek.mine_vs_ksg(r)["verdict"] == verdict, verdict
    # low-dimensional tasks and other families do not count; KSG and MINE are paired at the largest common N
    assert ek.mine_vs_ksg(_high("a", good, bad, dims="2x2"))["measured"] == "not run"
    two_n = pd.concat([_high("a", same, same, N=1000), _high("a", good, bad, N=5000).query("estimator == 'mine'")])
    assert ek.mine_vs_ksg(two_n)["verdict"] == "not reproduced"


def test_glue_functions_on_small_runs():
    runs = ek.run_benchmark(["1v1-normal-0.75", "mixture-m2"], ns=(300,), seeds=(0, 1, 2), bins=(30,), ks=(3, 10),
                            kde_variances=(0.1,))
    s = ek.summarize(runs)
    g = ek.benchmark_glue(s, 300)
    assert g["ek_count_ksg_k3"].startswith("KSG, k=3 is within 10% of the truth on ")
    assert g["ek_n_tasks"] == 2
    X = ((np.arange(256)[:, None] >> np.arange(8)) & 1).astype(float)
    det, noisy = ek.run_layers((0,), bins=(30,), kde_variances=(1e-3,), noise_variances=(1e-2,), n_mc=300,
                               data=(X, X[:, 0].astype(int)))
    lg = ek.layer_glue(det, noisy)
    assert lg["ek_tanh_truth_ixt"] == 8.0 and lg["ek_n_layer_seeds"] == 1
    fc = ek.failure_checks(n=400)
    fg = ek.failure_glue(fc, s)
    assert fg["ek_scale_scaled"] < fg["ek_scale_std"] and fg["ek_dup_twice"] > fg["ek_dup_once"]
    assert fg["ek_ksg_lo_dims"] == "1x1"
    assert ek.task_table(["mixture-m2"]).truth.iloc[0] == 0.5


def test_high_dim_ties_and_noisy_sentences_follow_the_numbers():
    far = pd.concat([_runs([1.0, 1.01, 0.99], truth=2.0, task="25v25-normal-dense-0.5", dims="25x25"),
                     _runs([2.0, 2.01, 1.99], truth=2.0, task="50v50-normal-dense-0.5", dims="50x50", estimator="edge",
                           setting="default"),
                     _runs([0.6, 0.6, 0.6], truth=0.6, task="1v1-normal-0.75")])
    s = ek.summarize(far)
    text = ek.high_dim_text(s, 1000)
    assert "only these settings" in text and text.endswith(": EDGE on 50v50-normal-dense-0.5") and "KSG" not in text
    none = ek.high_dim_text(ek.summarize(far[far.estimator == "ksg"]), 1000)
    assert "none of the 1 settings" in none and none.endswith("do not trust any of them there")
    assert ek.high_dim_text(s, 5000).startswith("no task with 25 or more columns")

    def lay(ksg_gap, edge_gap):
        rows = [dict(situation=sit, quantity=q, estimator=e, gap=gap)
                for sit in ("tanh", "saturated tanh") for e, q, gap in (("ksg", "ity", ksg_gap), ("edge", "ixt", edge_gap))]
        return pd.DataFrame(rows)
    assert ek.ties_text(lay(-2.0, -3.0)).startswith("KSG and EDGE are far off in both situations (KSG on I(T;Y) "
                                                   "misses by -2.00 bits (tanh)")
    assert ek.ties_text(lay(-2.0, 0.05)).startswith("KSG and EDGE are not off by more than 0.1 bit")

    def noisy(b_est, e_gap):
        return pd.DataFrame([dict(estimator="binning run-max, 30 bins", estimate=b_est, truth=3.0, gap=b_est - 3.0),
                             dict(estimator="edge", estimate=3.0 + e_gap, truth=3.0, gap=e_gap)])
    t = ek.noisy_others_text(noisy(11.9, -1.0), n_patterns=4096)
    assert "ignores the noise and stays near log2 N" in t and t.endswith("EDGE underestimates, by -1.00 to -1.00 bits")
    t = ek.noisy_others_text(noisy(3.02, 0.5), n_patterns=4096)
    assert "ignores the noise" not in t and "EDGE overestimates" in t
