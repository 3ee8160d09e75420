"""Tests of ibutils.studies.harmonics on tiny settings."""
import numpy as np
import pandas as pd
import pytest

from ibutils.studies import harmonics as ex


def test_snr_transition_and_kink_on_synthetic_curves():
    ep = np.arange(1, 201)
    snr = np.where(ep < 60, 10.0, 0.1)
    grads = pd.DataFrame({"seed": 0, "epoch": ep, "layer": 1, "snr": snr})
    t = ex.snr_transition(grads, window=1)
    assert t.transition_epoch.iloc[0] == 60 and np.isclose(t.drop_decades.iloc[0], 2.0)
    loss = np.where(ep < 30, 1.0 - ep / 30, 0.0) + 0.01
    metrics = pd.DataFrame({"seed": 0, "epoch": ep, "split": "train", "loss": loss, "accuracy": 1.0})
    assert ex.loss_kink(metrics).kink_epoch.iloc[0] == 28
    inf = pd.DataFrame({"seed": 0, "epoch": ep, "layer": 1, "snr": np.inf})
    assert np.isnan(ex.snr_transition(inf).transition_epoch.iloc[0])


def test_split_by_max_activation_halves():
    rm = pd.DataFrame({"seed": [0, 1, 2, 3], "max_activation": [5.0, 1.0, 9.0, 2.0]})
    mi_df = pd.DataFrame({"seed": [0, 1, 2, 3], "epoch": 0, "layer": 1, "ixt": 1.0, "ity": 0.5})
    out = ex.split_by_max_activation(mi_df, rm)
    assert list(out.half) == ["large", "small", "large", "small"]


def test_snapshot_schedule_int():
    e = ex.snapshot_schedule(10, 100)
    assert e[0] == 0 and e[-1] == 100 and len(e) <= 12
    assert ex.snapshot_schedule("tishby", 100) == "tishby"


def test_loss_rate_identity_small_lr():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 2, size=(512, 12)).astype(float)
    y = (X.sum(1) > 6).astype(int)
    df = ex.loss_rate_check(X, y, layers=[5, 3], lrs=(1e-2, 1e-3), warmup_epochs=(0,), batch_size=128)
    assert (df.rel_error < 0.2).all()
    assert df.rel_error.iloc[1] < df.rel_error.iloc[0]


def test_run_harmonics_replay_is_deterministic(monkeypatch):
    pytest.importorskip("tensorflow")
    try:
        from ibutils.data import load_harmonics
        load_harmonics("saxe")
    except Exception:
        pytest.skip("harmonics data not available")
    kw = dict(activation="relu", epochs=4, n_seeds=2, snapshots=3, batch_size=1024,
              estimators=[{"name": "pm1", "kind": "binning", "n_bins": 30, "value_range": [-1, 1]},
                          {"name": "rm", "kind": "run_max", "n_bins": 100}])
    r = ex.run_harmonics(**kw)
    assert set(r.mi.estimator) == {"pm1", "rm"} and (r.run_max > 0).all()
    assert r.mi.ixt.between(0, 12).all()
    r2 = ex.run_harmonics(**kw)
    pd.testing.assert_frame_equal(r.mi, r2.mi)
    err = ex.error_curves(r.metrics)
    assert set(err.split) == {"train", "test"} and err.error.between(0, 1).all()


# ----------------------------------------------------------------------------- claims (rule book)
from ibutils.publish import report  # noqa: E402

HIDDEN = [1, 2, 3, 4, 5]


def _comp(estimator, means, half=0.05, n=5):
    """A compression table (as compression_table saves it): hidden layers 1-5 plus the read-out 6."""
    means = list(means) + [0.0]
    return pd.DataFrame({"estimator": estimator, "layer": range(1, 7), "n": float(n), "mean": means,
                         "ci_low": [m - half for m in means], "ci_high": [m + half for m in means],
                         "share_compressing": 0.0})


def _setting(main, n_seeds=5, epochs=8000, study_seeds=50, study_epochs=8000, profile="paper"):
    return pd.DataFrame([dict(setting="x", main_estimator=main, n_seeds=n_seeds, epochs=epochs, profile=profile,
                              study_seeds=study_seeds, study_epochs=study_epochs, err_train=0.0, err_test=0.1)])


def _mi(drops, n_epochs=40, seed0=0):
    """An mi table: per estimator, per seed, a rise to a peak at epoch 10 and a fall by the seed's drop (bits)
    in every layer 1-6 (same drop in every layer), then flat over the last 10% of training."""
    rows = []
    for est, per_seed in drops.items():
        for s, d in enumerate(per_seed):
            for layer in range(1, 7):
                for e in range(n_epochs):
                    if e <= 10:
                        v = 5.0 + 0.1 * e
                    elif e < 0.85 * n_epochs:
                        v = 6.0 - d * (e - 10) / (0.85 * n_epochs - 10)
                    else:
                        v = 6.0 - d
                    rows.append((est, seed0 + s, e, layer, v, 0.5))
    return pd.DataFrame(rows, columns=["estimator", "seed", "epoch", "layer", "ixt", "ity"])


def _results(**tables):
    out = {s: {t: None for t in ex.TABLES} for s in ex.SETTINGS}
    for key, value in tables.items():
        s, t = key.split("__")
        out[f"harmonics_{s}"][t] = value
    return out


def _row(rows, start):
    hits = [r for r in rows if r["claim"].startswith(start)]
    assert len(hits) == 1, start
    return hits[0]


def _tanh(means, n=5, half=0.05):
    return _results(tishby_tanh__compression=_comp("tishby30", means, half, n),
                    tishby_tanh__setting=_setting("tishby30", n))


@pytest.mark.parametrize("means, n, half, expected", [
    ([0.5] * 5, 5, 0.05, "reproduced"),
    ([0.5, 0.5, 0.5, 0.0, 0.0], 5, 0.05, "partly reproduced"),  # the old rule passed this (3 of 5 >= half)
    ([0.0] * 5, 5, 0.05, "not reproduced"),
    ([0.0, 0.0, -0.5, 0.0, 0.0], 5, 0.05, "contradicted"),
    ([0.5] * 5, 2, 0.05, "inconclusive"),
    ([0.5] * 5, 5, 1.0, "not reproduced"),  # wide intervals: nothing significant
])
def test_claims_tanh_compresses_all_layers(means, n, half, expected):
    row = _row(ex.claims(_tanh(means, n, half)), "tanh hidden layers compress")
    assert row["verdict"] == expected
    assert row["n_seeds"] == n and row["study_seeds"] == 50 and row["epochs"] == 8000


def test_claims_missing_settings_inconclusive():
    rows = ex.claims(_results())
    assert len(rows) == 9 and all(r["verdict"] == "inconclusive" for r in rows)
    df = report.claims_table(ex.CHAPTER, rows, profile="defaults")
    assert (df.verdict == "inconclusive").all()


def _relu(means, half=0.05, n=5):
    comp = pd.concat([_comp("run_max100", means, half, n), _comp("fixed_pm1", [0.5] * 5, 0.05, n)])
    return _results(saxe_relu__compression=comp, saxe_relu__setting=_setting("run_max100", n, study_seeds=40))


@pytest.mark.parametrize("means, half, n, expected", [
    ([0.0] * 5, 0.05, 5, "reproduced"),
    ([-0.5] * 5, 0.05, 5, "reproduced"),  # I(X;T) rising is no compression either
    ([0.0, 0.0, 0.0, 0.0, 0.5], 0.05, 5, "contradicted"),
    ([0.0] * 5, 0.5, 5, "inconclusive"),  # too wide to rule compression out
    ([0.0] * 5, 0.05, 2, "inconclusive"),
])
def test_claims_relu_no_compression(means, half, n, expected):
    row = _row(ex.claims(_relu(means, half, n)), "ReLU layers do not compress")
    assert row["verdict"] == expected
    assert f"bins on [-1, 1]: {5 if n >= 3 else 0} of 5" in row["measured"]


def _fullbatch(full, mini, n_seeds=5, half=0.05):
    rng = np.random.default_rng(0)
    df = {k: [v + 0.02 * x for x in rng.standard_normal(n_seeds)] for k, v in (("full", full), ("mini", mini))}
    return _results(fullbatch_tanh__compression=_comp("tishby30", [full] * 5, half, n_seeds),
                    fullbatch_tanh__setting=_setting("tishby30", n_seeds, study_seeds=40),
                    fullbatch_tanh__mi=_mi({"tishby30": df["full"]}),
                    tishby_tanh__compression=_comp("tishby30", [mini] * 5, half, n_seeds),
                    tishby_tanh__setting=_setting("tishby30", n_seeds),
                    tishby_tanh__mi=_mi({"tishby30": df["mini"]}))


@pytest.mark.parametrize("full, mini, n, expected_a, expected_b", [
    (1.0, 0.3, 5, "reproduced", "reproduced"),
    (0.5, 0.5, 5, "reproduced", "not reproduced"),  # equal drops: the difference is ruled out
    (0.3, 1.0, 5, "reproduced", "contradicted"),
    (0.0, 0.0, 5, "not reproduced", "not reproduced"),
    (1.0, 0.3, 2, "inconclusive", "inconclusive"),
])
def test_claims_full_batch(full, mini, n, expected_a, expected_b):
    rows = ex.claims(_fullbatch(full, mini, n))
    assert _row(rows, "tanh compresses without minibatch noise")["verdict"] == expected_a
    b = _row(rows, "full batch compresses more")
    assert b["verdict"] == expected_b and b["n_seeds"] == n and b["study_seeds"] == 40


def test_paired_difference_pairs_by_seed():
    a = pd.DataFrame({"seed": [0, 1, 2, 3], "layer": 1, "drop": [1.0, 2.0, 3.0, 4.0]})
    b = pd.DataFrame({"seed": [1, 2, 3, 9], "layer": 1, "drop": [1.5, 2.5, 3.5, 0.0]})
    d = ex.paired_difference(a, b)
    assert d.n.iloc[0] == 3 and np.isclose(d["mean"].iloc[0], 0.5) and np.isclose(d.ci_low.iloc[0], 0.5)


def _timing(gaps_per_seed):
    rows = []
    for s, gs in enumerate(gaps_per_seed):
        for layer, g in enumerate(gs, start=1):
            rows.append(dict(seed=s, layer=layer, gap_decades=g, transition_epoch=100.0))
        rows.append(dict(seed=s, layer=6, gap_decades=5.0, transition_epoch=100.0))  # read-out: ignored
    return pd.DataFrame(rows)


@pytest.mark.parametrize("gaps, expected, word", [
    ([[0.01, -0.02], [0.0, 0.03], [0.02, np.nan], [-0.01, 0.0]], "reproduced", "coincides"),
    ([[1.0, 1.1], [0.9, 1.0], [1.05, np.nan], [1.0, 0.95]], "contradicted", "does not coincide (it starts later)"),
    ([[-1.0, -1.1], [-0.9, -1.0], [-1.05], [-1.0]], "contradicted", "does not coincide (it starts earlier)"),
    ([[0.0], [1.0], [-0.8], [0.5]], "inconclusive", "is not resolved"),
    ([[0.0, 0.0], [0.01, np.nan], [np.nan, np.nan]], "inconclusive", "cannot be compared"),  # 2 seeds with a gap
])
def test_claims_snr_timing(gaps, expected, word):
    t = _timing(gaps)
    v, w, _, n = ex.timing_verdict(ex.seed_gaps(t))
    assert v == expected and w.startswith(word)
    res = _tanh([0.5] * 5)
    res["harmonics_tishby_tanh"]["snr_timing"] = t
    row = _row(ex.claims(res), "compression starts at the drop")
    assert row["verdict"] == expected and row["n_seeds"] == n


def test_seed_gaps_average_layers_within_a_seed():
    g = ex.seed_gaps(_timing([[0.2, 0.4], [1.0, np.nan]]))
    assert list(g.index) == [0, 1] and np.allclose(g.to_numpy(), [0.3, 1.0])


def _identity(errors_by_seed):
    rows = []
    for s, errs in enumerate(errors_by_seed):
        for w, e in zip((0, 20), errs):
            rows += [dict(seed=s, warmup_epoch=w, lr=0.1, rel_error=0.5, snr=1.0, naive=-2.0, predicted=-1.0),
                     dict(seed=s, warmup_epoch=w, lr=0.001, rel_error=e, snr=2.0, naive=-1.5, predicted=-1.0)]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("errors, expected", [
    ([[0.01, 0.02]] * 3, "reproduced"),
    ([[0.01, 0.2]] * 3, "partly reproduced"),
    ([[0.1, 0.2]] * 3, "not reproduced"),
    ([[0.01, 0.02]], "inconclusive"),  # one seed
])
def test_claims_loss_rate_identity(errors, expected):
    row = _row(ex.claims(_results(), _identity(errors)), "E[dL] = -lr")
    assert row["verdict"] == expected and row["source"].startswith("CNN/SG study")
    s = ex.identity_summary(_identity(errors))
    assert s["naive_factor"] == 2.0 and s["lr_small"] == 0.001


def _estimators(drops_a, drops_b, subset_b="full"):
    mi = _mi({"a": drops_a, "b": drops_b})
    est = pd.DataFrame({"name": ["a", "b"], "kind": ["binning", "kde"], "subset": ["full", subset_b]})
    return mi, est


@pytest.mark.parametrize("da, db, expected", [
    ([1.0, 1.02, 0.98, 1.01, 0.99], [0.0, 0.01, -0.01, 0.0, 0.02], "reproduced"),
    ([0.0, 0.01, -0.01, 0.0, 0.02], [1.0, 1.02, 0.98, 1.01, 0.99], "reproduced"),  # either way round
    ([0.5, 0.51, 0.49, 0.5, 0.52], [0.5, 0.52, 0.49, 0.5, 0.5], "contradicted"),  # estimators agree everywhere
    ([1.0, 1.02, 0.98, 1.01, 0.99], [0.5, 0.52, 0.49, 0.5, 0.5], "not reproduced"),  # both compress, differently
    ([1.0, 1.02], [0.0, 0.01], "inconclusive"),
])
def test_claims_estimator_decides(da, db, expected):
    mi, est = _estimators(da, db)
    res = _results(estimators_tanh__mi=mi, estimators_tanh__estimators=est,
                   estimators_tanh__compression=_comp("a", [0.5] * 5), estimators_tanh__setting=_setting("a", len(da)))
    rows = ex.claims(res)
    row = _row(rows, "the estimator decides (tanh")
    assert row["verdict"] == expected
    assert _row(rows, "the estimator decides (ReLU: binning")["verdict"] == "inconclusive"  # not run


def test_estimator_contrasts_compare_same_rows_only():
    mi, est = _estimators([1.0, 1.0, 1.0], [0.0, 0.0, 0.0], subset_b="test")
    assert ex.estimator_contrasts(mi, est).empty
    con = ex.estimator_contrasts(mi, None)
    assert len(con) == 5 and set(con.layer) == set(HIDDEN)


def test_compress_sentence_and_overview():
    comp = _comp("e", [0.5, 0.5, 0.0, 0.0, 0.0])
    k, n, text = ex.compress_sentence(comp, "e")
    assert (k, n) == (2, 5) and text == "only some hidden layers compress (layers 1, 2)"
    assert ex.compress_sentence(_comp("e", [0.5] * 5), "e")[2] == "every hidden layer compresses"
    assert ex.compress_sentence(_comp("e", [0.0] * 5), "e")[2].startswith("no hidden layer compresses (every")
    assert ex.compress_sentence(_comp("e", [0.0] * 5, half=1.0), "e")[2].endswith("too wide to rule a drop out)")
    assert ex.compress_sentence(_comp("e", [0.5] * 5, n=2), "e")[2].startswith("too few seeds")
    res = _tanh([0.5, 0.5, 0.0, 0.0, 0.0])
    ov = ex.overview_table(res)
    assert len(ov) == 1 and ov.n_sig.iloc[0] == 2
    assert ex.scale_text(res) == report.scale_words("paper", n_seeds=5, epochs=8000, study_seeds=50, study_epochs=8000)
    assert "not known" in ex.scale_text(_results())
    assert ex.found_settings(res) == ["harmonics_tishby_tanh"]


def test_epoch_ci_and_dpi():
    (m, lo, hi), lm = ex.epoch_ci([9.0, 99.0, 999.0])
    assert np.isclose(m, 99.0) and lo < m < hi and np.isclose(lm, 2.0)
    (m, _, _), lm = ex.epoch_ci([np.nan])
    assert np.isnan(m) and np.isnan(lm)
    mi_df = pd.DataFrame({"epoch": 1, "layer": [1, 2, 3], "ity": [0.5, 0.7, 0.6], "seed": 0})
    assert np.isclose(ex.dpi_violation(mi_df), 0.2)
