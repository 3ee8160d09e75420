import numpy as np
import pandas as pd
import pytest

from ibutils.mi.entropy import binned_entropy_rows
from ibutils.publish import report
from ibutils.studies import minimal_model as minimal


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


# ------------------------------------------------------------------------------- the page's claims
NAMES = ["tanh", "sigmoid", "relu", "elu", "softplus", "linear"]  # double: sigmoid, tanh


def _stats(n_seeds=5, *, g_drop=None, g_rise=None, o_drop=None, spread=0.0, excess=None, relu_bias_drop=0.6,
           noise=0.02, names=NAMES):
    """A constructed :func:`minimal.run_seeds`-like table with the study's pattern unless told otherwise.

    Each ``*_drop``/``g_rise``/``excess`` is a dict activation -> mean value (defaults below); every
    seed adds ``noise * (seed - mean seed)`` so that the intervals have a width."""
    double = {"tanh", "sigmoid"}
    g_drop = {a: (3.0 if a in double else -0.05) for a in names} | (g_drop or {})
    g_rise = {a: (-1.0 if a in double else 3.0) for a in names} | (g_rise or {})
    o_drop = {a: (3.0 if a in double | {"elu", "softplus"} else 0.0) for a in names} | (o_drop or {})
    excess = {a: (0.5 if a in double else -1.0) for a in names} | (excess or {})
    rows = []
    for s in range(n_seeds):
        e = noise * (s - (n_seeds - 1) / 2)
        for a in names:
            rows.append(dict(seed=s, binning="global", activation=a, bias=0.0, drop=g_drop[a] + e,
                             rise=g_rise[a] + e, spread=5.0, excess=-0.5 + e))
            rows.append(dict(seed=s, binning="per_weight", activation=a, bias=0.0, drop=o_drop[a] + e, rise=0.0,
                             spread=(spread + abs(e) if a == "linear" else 1.0), excess=excess[a] + e))
        for b in (0.0, 1.0, 2.0):
            rows.append(dict(seed=s, binning="bias", activation="relu", bias=b,
                             drop=(relu_bias_drop if b > 0 else 0.0) + e, rise=0.0, spread=0.0, excess=0.0))
    return pd.DataFrame(rows)


def _verdicts(stats, h_input=5.109, **kw):
    rows = minimal.claims(h_input, stats, NAMES, **kw)
    return [r["verdict"] for r in rows], rows


def test_claims_reproduced_on_the_studys_pattern():
    v, rows = _verdicts(_stats())
    assert v == ["reproduced"] * 9
    assert [r["kind"] for r in rows if "kind" in r] == ["demonstration"]
    assert rows[0]["n_seeds"] is None and all(r["n_seeds"] == 5 for r in rows[1:])
    assert all(r["study_seeds"] == 1 and r["study_epochs"] == 0 for r in rows)
    assert "2 of 2; smallest: elu 3.000" in rows[6]["measured"]
    df = report.claims_table("minimal", rows)
    assert df.at_study_scale.tolist() == [False] + [True] * 8


def test_claims_input_entropy_is_a_fact_about_one_draw():
    assert _verdicts(_stats(), h_input=5.2)[0][0] == "not reproduced"
    assert _verdicts(_stats(), h_input=5.1149)[0][0] == "reproduced"



def test_claims_at_another_setting_say_so_and_stay_out_of_the_tallies():
    """`python -m ibutils run params/minimal_model.yaml -p n_bins=30 -p seed=1` (the page's own hint)."""
    v, rows = _verdicts(_stats(), n_bins=30, seed=1)
    assert v == [report.DIFFERENT] * 8 + ["reproduced"]  # the bias extension keeps its own 5 bins
    assert rows[0]["claim"] == "Input entropy of 1,000 N(0,1) samples (seed 1), 30 bins"
    assert "50 bins" in rows[0]["reported"] and "n_bins 30 (the study: 50)" in rows[0]["note"]
    assert "seed 1 (the study: 0)" in rows[0]["note"]
    assert all("(30 bins)" in r["claim"] for r in rows[1:8])
    assert "at this setting the rules give: reproduced" in rows[1]["note"]
    v, rows = _verdicts(_stats(), seed=1)  # another draw: only the one-draw number is the seed's own
    assert v == [report.DIFFERENT] + ["reproduced"] * 8
    v, rows = _verdicts(_stats(), bias_n_bins=3)
    assert v[-1] == report.DIFFERENT and "(3 bins per weight)" in rows[-1]["claim"]
    df = report.claims_table("minimal", _verdicts(_stats(), n_bins=30)[1])
    assert int(report.tallies(df)["all"].sum()) == 0


def test_claims_too_few_seeds_are_inconclusive():
    v, rows = _verdicts(_stats(n_seeds=2))
    assert v[0] == "reproduced" and v[1:] == ["inconclusive"] * 8
    df = report.claims_table("minimal", rows)
    assert (df.verdict.iloc[1:] == "inconclusive").all()


def test_claims_global_fall_partly_not_contradicted():
    assert _verdicts(_stats(g_drop={"sigmoid": 0.0}))[0][1] == "partly reproduced"
    assert _verdicts(_stats(g_drop={"sigmoid": 0.0, "tanh": 0.05}))[0][1] == "not reproduced"
    assert _verdicts(_stats(g_drop={"sigmoid": -1.0, "tanh": 0.0}))[0][1] == "contradicted"
    # a drop beyond the margin but with an interval reaching below it does not count
    assert _verdicts(_stats(g_drop={"sigmoid": 0.15}, noise=0.2))[0][1] == "partly reproduced"


def test_claims_global_rise_and_only_double_fall():
    v, _ = _verdicts(_stats(g_rise={"linear": -0.5}))
    assert v[2] == "partly reproduced"
    v, _ = _verdicts(_stats(g_drop={"relu": 1.0}))  # a non-double function falls: "only" fails
    assert v[3] == "contradicted" and v[1] == "reproduced"
    v, _ = _verdicts(_stats(g_drop={"relu": 0.1}, noise=0.1))  # too wide to rule a fall out
    assert v[3] == "inconclusive"


def test_claims_per_weight_rows():
    v, _ = _verdicts(_stats(spread=0.5))
    assert v[4] == "contradicted"  # linear is not constant
    v, _ = _verdicts(_stats(o_drop={"elu": 0.0}))
    assert v[5] == "reproduced" and v[6] == "partly reproduced"
    v, _ = _verdicts(_stats(o_drop={"tanh": -0.5, "sigmoid": 0.0}))
    assert v[5] == "contradicted"
    v, _ = _verdicts(_stats(excess={"tanh": 0.0, "sigmoid": 0.0}))
    assert v[7] == "not reproduced"  # no maximum significantly above the input's entropy
    v, _ = _verdicts(_stats(excess={"tanh": -1.0, "sigmoid": -1.0}))
    assert v[7] == "contradicted"  # every maximum significantly below it


def test_claims_bias_demonstration():
    v, rows = _verdicts(_stats(relu_bias_drop=0.0))
    assert v[8] == "not reproduced" and rows[8]["kind"] == "demonstration"
    assert _verdicts(_stats(relu_bias_drop=-0.5))[0][8] == "contradicted"


def test_curve_stats_on_constructed_curves():
    w = np.arange(1, 21, dtype=float)
    rise = pd.DataFrame({"activation": "linear", "saturation": "none", "bias": 0.0, "w": w, "entropy": w / 10})
    hump = np.r_[np.linspace(0, 3, 10), np.full(10, 1.0)]
    fall = pd.DataFrame({"activation": "tanh", "saturation": "double", "bias": 0.0, "w": w, "entropy": hump})
    st = minimal.curve_stats(pd.concat([rise, fall]), h_input=2.0).set_index("activation")
    assert st.loc["linear", "first"] == pytest.approx(0.1)
    assert st.loc["linear", "end"] == pytest.approx(np.mean([1.9, 2.0]))  # the last 10% of the weights
    assert st.loc["linear", "rise"] == pytest.approx(1.85)
    assert st.loc["linear", "spread"] == pytest.approx(1.9)
    assert st.loc["linear", "excess"] == pytest.approx(0.0)
    assert st.loc["linear", "drop"] < 0  # still rising: no fall
    assert st.loc["tanh", "drop_max"] == pytest.approx(2.0)
    # cross-fitted: the peak is measured on its neighbours, so the drop is conservative but clearly positive
    assert 0.5 * 2.0 < st.loc["tanh", "drop"] < 2.0
    assert st.loc["tanh", "excess"] == pytest.approx(1.0)


def test_run_seeds_reproduces_the_studys_pattern_at_small_scale():
    names = ["tanh", "sigmoid", "relu", "elu", "softplus", "linear"]
    st = minimal.run_seeds([0, 1, 2], minimal.weight_grid(0.1, 19.9, 0.5), names, n_samples=500,
                           bias_values=[0.0, 2.0], bias_activations=["relu"])
    assert set(st.binning) == set(minimal.BINNINGS) and st.seed.nunique() == 3
    rows = minimal.claims(5.0, st, names, n_samples=500)  # not the seed's 1,000 samples: not compared
    assert [r["verdict"] for r in rows] == [report.DIFFERENT] * 8 + ["reproduced"]
    assert all(r["note"].startswith("n_samples 500 (the study: 1000); at this setting the rules give: reproduced")
               for r in rows[1:8])
    table = minimal.seeds_table(st, names)
    assert list(table.index) == names and list(table.columns)[0] == "global drop"
    glue = minimal.seeds_glue(st, names)
    assert glue["mm_n_seeds"] == 3 and "elu" in glue["mm_own_single_drops"]
    assert glue["mm_relu_bias_drops"] == "1 of 1"
    with pytest.raises(ValueError, match="seeds"):
        minimal.run_seeds([], [1.0], names)


def test_one_draw_sentences():
    x, xb = minimal.sample_inputs(1000, 0)
    names = ["tanh", "relu", "linear", "elu", "softplus"]
    g = minimal.entropy_sweep(x, minimal.weight_grid(), names, mode="global")
    glue = minimal.global_glue(minimal.trends(g), names)
    assert glue["global_falls"] == "tanh" and glue["global_pattern"].startswith("the pattern")
    fake = minimal.trends(g).assign(direction="rises")
    assert minimal.global_glue(fake, names)["global_pattern"].startswith("not quite")
    o = minimal.entropy_sweep(x, minimal.weight_grid(), names, mode="per_weight")
    glue = minimal.own_glue(minimal.trends(o), o, names, h_input=5.109)
    assert glue["own_double_text"] == "every double-saturating function falls"
    assert glue["own_study_extra_text"] == "elu and softplus fall too"
    assert glue["linear_spread"] == 0.0 and glue["own_max_vs_input"] == "exceeds"
    b = minimal.entropy_sweep(xb, minimal.weight_grid(), ["tanh", "relu"], n_bins=5, mode="per_weight",
                              biases=[0.0, 1.0, 2.0])
    glue = minimal.bias_glue(minimal.trends(b), [0.0, 1.0, 2.0])
    assert glue["relu_b0_direction"] == "flat" and glue["bias_finding_text"].startswith("ours is")
    glue = minimal.bias_glue(minimal.trends(b).query("bias == 0 or activation == 'tanh'"), [0.0])
    assert not glue["bias_finding_text"].startswith("ours is")
